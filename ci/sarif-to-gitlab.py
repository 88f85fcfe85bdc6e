"""sarif-to-gitlab.py - turns the SARIF log of `sasguard --format sarif` into a
GitLab secret detection report (schema 15.0.7, the format `artifacts:
reports: secret_detection:` takes; GitLab does not read SARIF there).

  python3 sarif-to-gitlab.py [--start TIME] [--sasguard-exit N] SARIF [REPORT]

One vulnerability per token finding: sasguard's SARIF has one result per rule
a token breaks, and those results (same fingerprint, place and commit) become
one vulnerability listing the rules; the token's other places (its results'
relatedLocations) are listed in the description. Allowed findings (SARIF suppressions)
are left out and counted in a scan message; they stay in the SARIF log.
Nothing is added that sasguard did not print: tokens stay as sasguard cut
them (no signature, no key). --start is when the scan began (UTC,
YYYY-MM-DDTHH:MM:SS; default: now); --sasguard-exit is sasguard's exit
status: 0 and 1 make a scan that succeeded, anything else one that failed,
with a message saying so. Writes REPORT, or standard output. Python 3
standard library only. Exit 0, or 2 on unreadable input."""
import datetime
import json
import os
import sys
import urllib.parse
import uuid

SCHEMA_VERSION = "15.0.7"
NAMES = {
    "service-sas": "Azure service SAS outside the sasguard policy",
    "account-sas": "Azure account SAS outside the sasguard policy",
    "user-delegation-sas": "Azure user delegation SAS outside the sasguard policy",
    "servicebus-sas": "Service Bus, Event Hubs or IoT Hub SAS outside the sasguard policy",
    "storage-account-key": "Azure storage account key",
    "cosmosdb-key": "Azure Cosmos DB account key",
    "servicebus-key": "Service Bus, Event Hubs or IoT Hub shared access key",
}
SEVERITY = {"error": "Critical", "warning": "Medium", "note": "Info", "none": "Info"}
RANK = {"none": 0, "note": 1, "warning": 2, "error": 3}
SOLUTION = (
    "Revoke the credential first: a SAS signed by an account key dies only when that key is rotated "
    "(or, for a SAS tied to a stored access policy, when the policy is removed); a user delegation SAS "
    "when its delegation key is revoked; a key when it is rotated. Then replace the link with a SAS for "
    "one resource, read-only, HTTPS only and short-lived, kept out of git (a secret store or a CI "
    "variable). Removing the line does not help: the token stays in the history. "
    "`sasguard --all-history` prints the exact fix and revoke commands for this finding."
)


def usage(msg):
    print("sarif-to-gitlab.py: " + msg, file=sys.stderr)
    print("usage: sarif-to-gitlab.py [--start TIME] [--sasguard-exit N] SARIF [REPORT]", file=sys.stderr)
    sys.exit(2)


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def location_of(result):
    loc = (result.get("locations") or [{}])[0].get("physicalLocation", {})
    uri = loc.get("artifactLocation", {}).get("uri", "")
    line = loc.get("region", {}).get("startLine", 1)
    return urllib.parse.unquote(uri), line


def convert(log, start, end, exit_status):
    runs = log.get("runs") or []
    if log.get("version") != "2.1.0" or not runs:
        raise ValueError("not a SARIF 2.1.0 log with a run")
    driver = runs[0].get("tool", {}).get("driver", {})
    if driver.get("name") != "sasguard":
        raise ValueError("not sasguard's SARIF (tool.driver.name is %r)" % driver.get("name"))
    help_uri = {r.get("id"): r.get("helpUri") for r in driver.get("rules", [])}
    findings, order, allowed = {}, [], 0
    for run in runs:
        for res in run.get("results") or []:
            props = res.get("properties", {})
            path, line = location_of(res)
            fp = res.get("partialFingerprints", {}).get("sasguardToken/v1", "")
            key = (props.get("repository"), fp, path, line, props.get("commit"))
            if res.get("suppressions"):
                if key not in findings:
                    findings[key] = None
                    allowed += 1
                continue
            f = findings.get(key)
            if f is None:
                f = findings[key] = {"props": props, "path": path, "line": line, "fp": fp,
                                     "rules": [], "texts": [], "level": "none",
                                     "related": res.get("relatedLocations") or []}
                order.append(key)
            f["rules"].append(res.get("ruleId", ""))
            f["texts"].append(res.get("message", {}).get("text", ""))
            lvl = res.get("level", "warning")
            if RANK.get(lvl, 0) > RANK.get(f["level"], 0):
                f["level"] = lvl
    fallback_commit = os.environ.get("CI_COMMIT_SHA") or "unknown"
    vulns = []
    for key in order:
        f = findings[key]
        p = f["props"]
        kind = p.get("kind", "")
        commit = p.get("commit") or fallback_commit
        where = f["path"] if not p.get("repository") else "%s: %s" % (p["repository"], f["path"])
        desc = ["sasguard: %s at %s:%d, introduced by commit %s." % (kind, where, f["line"], commit), ""]
        desc += ["- **%s**: %s" % (r, t) for r, t in zip(f["rules"], f["texts"])]
        desc += ["", "Token (as sasguard prints it, signature cut): `%s`" % p.get("token", ""),
                 "Fingerprint: `%s`" % f["fp"],
                 "Live now: %s" % ("yes" if p.get("live") else "no (expired)")]
        if f["related"]:
            n = int(p.get("places") or len(f["related"]) + 1) - 1
            shown = []
            for rl in f["related"][:10]:
                uri, line = location_of({"locations": [rl]})
                shown.append("%s:%d (%s)" % (uri, line, rl.get("message", {}).get("text", "")))
            desc += ["", "Also at %d other place%s: %s%s" % (n, "" if n == 1 else "s", "; ".join(shown),
                                                         "; ..." if n > len(shown) else "")]
        ident = [{"type": "sasguard_kind", "name": "sasguard " + kind, "value": kind or "unknown"}]
        ident += [{"type": "sasguard_rule", "name": "sasguard rule " + r, "value": r} for r in f["rules"] if r]
        v = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "sasguard:%s:%s:%s:%d:%s" % (
                p.get("repository") or "", f["fp"], f["path"], f["line"], commit))),
            "name": NAMES.get(kind, "Azure credential outside the sasguard policy"),
            "description": "\n".join(desc),
            "severity": SEVERITY.get(f["level"], "Unknown"),
            "solution": SOLUTION,
            "identifiers": ident,
            "location": {"file": where, "start_line": f["line"], "end_line": f["line"],
                         "commit": {"sha": commit}},
        }
        links = sorted({help_uri[r] for r in f["rules"] if help_uri.get(r)})
        if links:
            v["links"] = [{"url": u} for u in links]
        vulns.append(v)
    tool = {"id": "sasguard", "name": "sasguard", "version": driver.get("version") or "unknown",
            "vendor": {"name": "sasguard"}}
    scan = {"analyzer": dict(tool), "scanner": dict(tool), "type": "secret_detection",
            "start_time": start, "end_time": end,
            "status": "success" if exit_status in (0, 1) else "failure"}
    messages = []
    if exit_status not in (0, 1):
        messages.append({"level": "fatal", "value": "sasguard exited %d: the scan is incomplete or failed; "
                         "its log and sasguard.sarif say why" % exit_status})
    if allowed:
        messages.append({"level": "info", "value": "%d allowed finding%s (sasguard allowances) left out; "
                         "sasguard.sarif lists them as suppressed results" % (allowed, "" if allowed == 1 else "s")})
    if messages:
        scan["messages"] = messages
    return {"version": SCHEMA_VERSION, "scan": scan, "vulnerabilities": vulns}


def main(argv):
    start, exit_status, files = None, 0, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--start", "--sasguard-exit"):
            if i + 1 >= len(argv):
                usage(a + " needs a value")
            if a == "--start":
                start = argv[i + 1]
                try:
                    datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%S")
                except ValueError:
                    usage("--start wants YYYY-MM-DDTHH:MM:SS (UTC), not %r" % start)
            else:
                try:
                    exit_status = int(argv[i + 1])
                except ValueError:
                    usage("--sasguard-exit wants a number")
            i += 2
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            files.append(a)
            i += 1
    if len(files) not in (1, 2):
        usage("want SARIF [REPORT]")
    end = now()
    try:
        with open(files[0], encoding="utf-8") as fh:
            report = convert(json.load(fh), start or end, end, exit_status)
    except (OSError, ValueError) as e:
        print("sarif-to-gitlab.py: %s: %s" % (files[0], e), file=sys.stderr)
        return 2
    text = json.dumps(report, indent=2) + "\n"
    if len(files) == 2:
        with open(files[1], "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
