#!/usr/bin/env python3
"""peakmem.py - runs a command and prints the peaks of its memory, split as
the kernel counts it: anonymous (heap, caches: what the program allocates)
and file-backed (mapped files such as pack files: page cache the kernel can
drop at will). Sums the process and its children, sampled every 2 ms.
Usage: peakmem.py CMD [ARG...]   prints "anon_kb file_kb exit_status" """
import os, subprocess, sys, time

def tree(pid):
    out = [pid]
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                for c in f.read().split():
                    out += tree(int(c))
    except OSError:
        pass
    return out

def rss(pid):
    anon = file_ = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    anon = int(line.split()[1])
                elif line.startswith("RssFile:"):
                    file_ = int(line.split()[1])
    except OSError:
        pass
    return anon, file_

p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak_anon = peak_file = 0
while p.poll() is None:
    a = f = 0
    for pid in tree(p.pid):
        x, y = rss(pid)
        a += x
        f += y
    peak_anon, peak_file = max(peak_anon, a), max(peak_file, f)
    time.sleep(0.002)
print(peak_anon, peak_file, p.returncode)
