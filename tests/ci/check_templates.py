"""check_templates.py - the CI templates of ci/, parsed with PyYAML and held
to what each platform needs to run them and to take their report, then their
shell steps written out for test_templates.sh to run.

  check_templates.py github ci/github/sasguard.yml OUTDIR
      writes OUTDIR/scan.sh (the step that runs sasguard) and OUTDIR/sarif
      (the file it writes, which upload-sarif uploads)
  check_templates.py gitlab ci/gitlab/sasguard.gitlab-ci.yml OUTDIR
      writes OUTDIR/fetch.sh (before_script's fetch of every ref),
      OUTDIR/script.sh (script:), OUTDIR/sarif and OUTDIR/report

Prints each failed check; exit 1 when any failed."""
import re
import shlex
import sys

import yaml

errors = []
passed = 0


def check(ok, msg):
    global passed
    if ok:
        passed += 1
    else:
        errors.append(msg)
    return ok


def output_of(script):
    """The file `sasguard --all-history ... --output FILE --format sarif` writes."""
    for line in script.splitlines():
        if "sasguard --all-history" in line:
            words = shlex.split(line.split("||")[0], comments=True)
            if "--format" in words and words[words.index("--format") + 1:][:1] == ["sarif"] and "--output" in words:
                return words[words.index("--output") + 1]
    return None


def github(doc, out):
    check(isinstance(doc, dict), "the workflow is not a mapping")
    # PyYAML reads the key `on` as the boolean true (YAML 1.1); GitHub reads it as "on".
    on = doc.get("on", doc.get(True))
    check(isinstance(on, dict) and "push" in on and "pull_request" in on,
          "on: needs push and pull_request (got %r)" % (on,))
    jobs = doc.get("jobs")
    if not check(isinstance(jobs, dict) and len(jobs) == 1, "jobs: want one job, got %r" % (jobs,)):
        return
    name, job = next(iter(jobs.items()))
    check(re.match(r"^[A-Za-z_][A-Za-z0-9_-]*$", name) is not None, "job id %r is not valid" % name)
    check(isinstance(job.get("runs-on"), str) and job["runs-on"], "jobs.%s.runs-on missing" % name)
    container = job.get("container")
    image = container.get("image") if isinstance(container, dict) else container
    check(image == "debian:bookworm", "the job runs in %r, not debian:bookworm (the package's system)" % (image,))
    perms = dict(doc.get("permissions") or {})
    perms.update(job.get("permissions") or {})
    check(perms.get("security-events") == "write", "permissions: security-events: write missing")
    check(perms.get("contents") == "read", "permissions: contents: read missing (checkout)")
    check(perms.get("actions") == "read", "permissions: actions: read missing (upload-sarif, private repositories)")
    env = job.get("env") or {}
    for k in ("SASGUARD_REPO", "SASGUARD_REF", "SASGUARD_DEB_URL"):
        check(k in env, "jobs.%s.env.%s missing" % (name, k))
    steps = job.get("steps")
    if not check(isinstance(steps, list) and steps, "jobs.%s.steps missing" % name):
        return
    where = {}
    for i, s in enumerate(steps):
        check(isinstance(s, dict) and (("uses" in s) != ("run" in s)),
              "step %d needs exactly one of uses: and run:" % i)
        uses, run = s.get("uses", ""), s.get("run", "")
        if uses.startswith("actions/checkout@"):
            where["checkout"] = i
            check(uses == "actions/checkout@v4", "checkout is %r, want actions/checkout@v4" % uses)
            check((s.get("with") or {}).get("fetch-depth") == 0,
                  "actions/checkout needs with: fetch-depth: 0 (the whole history), got %r" % (s.get("with"),))
        elif uses.startswith("github/codeql-action/upload-sarif"):
            where["upload"] = i
            check(uses == "github/codeql-action/upload-sarif@v3", "upload is %r, want upload-sarif@v3" % uses)
            where["sarif_file"] = (s.get("with") or {}).get("sarif_file")
            cond = str(s.get("if", ""))
            check("!cancelled()" in cond or "always()" in cond,
                  "the upload must run when the scan step fails (findings exit 1): if: %r" % cond)
            where["cond"] = cond
        elif "apt-get install" in run and re.search(r"\bgit\b", run) and "checkout" not in where:
            where["git"] = i
        elif "install.sh" in run and ".deb" in run:
            where["install"] = i
        elif "sasguard --all-history" in run:
            where["scan"] = i
            check("${{" not in run, "the scan step holds a ${{ }} expression: keep it plain shell")
            with open(out + "/scan.sh", "w") as fh:
                fh.write(run)
    for k in ("git", "checkout", "install", "scan", "upload"):
        check(k in where, "no %s step" % k)
    if all(k in where for k in ("git", "checkout", "install", "scan", "upload")):
        check(where["git"] < where["checkout"] < where["install"] < where["scan"] < where["upload"],
              "steps out of order: git, checkout, install, scan, upload")
        sarif = output_of(steps[where["scan"]]["run"])
        check(sarif is not None, "the scan step does not run sasguard --all-history --format sarif --output FILE")
        check(sarif == where["sarif_file"], "upload-sarif uploads %r, the scan writes %r" % (where["sarif_file"], sarif))
        check("hashFiles('%s')" % sarif in where["cond"], "the upload does not check that %s exists" % sarif)
        with open(out + "/sarif", "w") as fh:
            fh.write(str(sarif))


RESERVED = {"image", "services", "stages", "types", "before_script", "after_script", "variables", "cache",
            "include", "default", "workflow", "pages"}


def gitlab(doc, out):
    check(isinstance(doc, dict), "the file is not a mapping")
    jobs = {k: v for k, v in doc.items() if k not in RESERVED and not str(k).startswith(".")}
    if not check(list(jobs) == ["sasguard"], "want one job, sasguard; got %r" % list(jobs)):
        return
    job = jobs["sasguard"]
    check(job.get("stage") == "test", "stage: test (a stage every pipeline has), got %r" % job.get("stage"))
    check(job.get("image") == "debian:bookworm", "image: debian:bookworm, got %r" % job.get("image"))
    var = job.get("variables") or {}
    check(var.get("GIT_DEPTH") == "0", "variables: GIT_DEPTH: \"0\" (the whole history), got %r" % var.get("GIT_DEPTH"))
    check(all(isinstance(v, str) for v in var.values()), "variables must be strings")
    for k in ("SASGUARD_REPO", "SASGUARD_REF", "SASGUARD_DEB_URL"):
        check(k in var, "variables.%s missing" % k)
    for k in ("before_script", "script"):
        check(isinstance(job.get(k), list) and all(isinstance(x, str) for x in job[k]), "%s: must be a list of strings" % k)
    before = job.get("before_script") or []
    fetch = [x for x in before if x.startswith("git fetch")]
    check(len(fetch) == 1 and "+refs/heads/*:refs/remotes/origin/*" in fetch[0] and "+refs/tags/*:refs/tags/*" in fetch[0],
          "before_script must fetch every branch and tag (the runner fetches one ref)")
    check(any("install.sh" in x and ".deb" in x for x in before), "before_script does not install sasguard")
    script = "\n".join(job.get("script") or [])
    sarif = output_of(script)
    check(sarif is not None, "script: does not run sasguard --all-history --format sarif --output FILE")
    art = job.get("artifacts") or {}
    check(art.get("when") == "always", "artifacts: when: always (keep the reports when findings fail the job)")
    rep = art.get("reports") or {}
    report = rep.get("secret_detection")
    check(isinstance(report, str) and report.endswith(".json"), "artifacts:reports:secret_detection missing")
    check("sast" not in rep and "sarif" not in rep, "reports: other than secret_detection: %r" % list(rep))
    check(report != sarif, "the secret_detection report is the SARIF file: GitLab does not read SARIF there")
    conv = [x for x in job.get("script") or [] if "sarif-to-gitlab.py" in x]
    check(len(conv) == 1 and re.search(r"\s%s\s+%s\s*;\s*fi$" % (re.escape(str(sarif)), re.escape(str(report))),
                                       conv[0].strip()) is not None,
          "script: must convert %s to %s with sarif-to-gitlab.py" % (sarif, report))
    paths = art.get("paths") or []
    check(sarif in paths and report in paths, "artifacts:paths must keep %s and %s" % (sarif, report))
    check(script.rstrip().endswith('exit "$status"'), "script: must end with sasguard's exit status")
    with open(out + "/fetch.sh", "w") as fh:
        fh.write("\n".join(fetch) + "\n")
    with open(out + "/script.sh", "w") as fh:
        fh.write(script + "\n")
    with open(out + "/sarif", "w") as fh:
        fh.write(str(sarif))
    with open(out + "/report", "w") as fh:
        fh.write(str(report))


def main():
    platform, path, out = sys.argv[1:4]
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    {"github": github, "gitlab": gitlab}[platform](doc, out)
    for e in errors:
        print("FAIL: %s: %s" % (path, e), file=sys.stderr)
    print("%s: %d checks passed, %d failed" % (path, passed, len(errors)))
    return 1 if errors else 0


sys.exit(main())
