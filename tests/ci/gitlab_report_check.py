"""gitlab_report_check.py - checks a GitLab secret detection report against
what GitLab's schema (security-report-schemas 15.0.7,
secret-detection-report-format.json) requires: required properties, types,
enumerations, patterns and lengths, for the properties sarif-to-gitlab.py
writes. GitLab rejects a report that fails its schema.
Usage: gitlab_report_check.py FILE [expected-vulnerability-count]. Exit 0 when valid."""
import json
import re
import sys

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
URL = re.compile(r"^(https?|ftp)://.+")
# The secret_detection versions GitLab's report validator lists as supported
# (lib/gitlab/ci/parsers/security/validators/schema_validator.rb, GitLab 17).
SUPPORTED = {"15.0.0", "15.0.1", "15.0.2", "15.0.4", "15.0.5", "15.0.6", "15.0.7",
             "15.1.0", "15.1.1", "15.1.2", "15.1.3", "15.1.4", "15.2.0"}
errors = []


def err(path, msg):
    errors.append("%s: %s" % (path, msg))


def need(obj, path, keys):
    if not isinstance(obj, dict):
        err(path, "not an object")
        return False
    for k in keys:
        if k not in obj:
            err(path, "required property %r missing" % k)
    return True


def string(v, path, min_len=0, max_len=None, pattern=None, enum=None):
    if not isinstance(v, str):
        err(path, "not a string: %r" % (v,))
        return
    if len(v) < min_len:
        err(path, "shorter than %d" % min_len)
    if max_len is not None and len(v) > max_len:
        err(path, "longer than %d" % max_len)
    if pattern is not None and not pattern.match(v):
        err(path, "%r does not match %s" % (v, pattern.pattern))
    if enum is not None and v not in enum:
        err(path, "%r is not one of %s" % (v, sorted(enum)))


def number(v, path):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        err(path, "not a number: %r" % (v,))


def tool(t, path):
    if need(t, path, ["id", "name", "version", "vendor"]):
        for k in ("id", "name", "version"):
            if k in t:
                string(t[k], path + "." + k, 1)
        if need(t.get("vendor"), path + ".vendor", ["name"]):
            string(t["vendor"].get("name"), path + ".vendor.name", 1)
        if "url" in t:
            string(t["url"], path + ".url", pattern=re.compile(r"^https?://.+"))


def identifier(i, path):
    if need(i, path, ["type", "name", "value"]):
        for k in ("type", "name", "value"):
            if k in i:
                string(i[k], path + "." + k, 1)
        if "url" in i:
            string(i["url"], path + ".url", pattern=URL)


def vulnerability(v, path):
    if not need(v, path, ["id", "identifiers", "location"]):
        return
    string(v.get("id"), path + ".id", 1)
    if "name" in v:
        string(v["name"], path + ".name", max_len=255)
    if "description" in v:
        string(v["description"], path + ".description", max_len=1048576)
    if "solution" in v:
        string(v["solution"], path + ".solution", max_len=7000)
    if "severity" in v:
        string(v["severity"], path + ".severity", enum={"Info", "Unknown", "Low", "Medium", "High", "Critical"})
    ids = v.get("identifiers")
    if not isinstance(ids, list) or len(ids) < 1:
        err(path + ".identifiers", "needs at least one identifier")
    else:
        for j, i in enumerate(ids):
            identifier(i, "%s.identifiers[%d]" % (path, j))
    for j, link in enumerate(v.get("links", [])):
        if need(link, "%s.links[%d]" % (path, j), ["url"]):
            string(link["url"], "%s.links[%d].url" % (path, j), pattern=URL)
    loc = v.get("location")
    if need(loc, path + ".location", ["commit"]):
        if need(loc.get("commit"), path + ".location.commit", ["sha"]):
            string(loc["commit"].get("sha"), path + ".location.commit.sha", 1)
        if "file" in loc:
            string(loc["file"], path + ".location.file")
        for k in ("start_line", "end_line"):
            if k in loc:
                number(loc[k], path + ".location." + k)
    if "raw_source_code_extract" in v:
        err(path, "raw_source_code_extract would carry the secret itself")


def main():
    report = json.load(open(sys.argv[1], encoding="utf-8"))
    if not need(report, "report", ["scan", "version", "vulnerabilities"]):
        return 1
    string(report.get("version"), "version", pattern=VERSION)
    if report.get("version") not in SUPPORTED:
        err("version", "%r is not a secret_detection schema version GitLab accepts" % report.get("version"))
    scan = report.get("scan")
    if need(scan, "scan", ["analyzer", "end_time", "scanner", "start_time", "status", "type"]):
        tool(scan.get("analyzer"), "scan.analyzer")
        tool(scan.get("scanner"), "scan.scanner")
        for k in ("start_time", "end_time"):
            string(scan.get(k), "scan." + k, pattern=TIME)
        string(scan.get("status"), "scan.status", enum={"success", "failure"})
        string(scan.get("type"), "scan.type", enum={"secret_detection"})
        for j, m in enumerate(scan.get("messages", [])):
            if need(m, "scan.messages[%d]" % j, ["level", "value"]):
                string(m.get("level"), "scan.messages[%d].level" % j, enum={"info", "warn", "fatal"})
                string(m.get("value"), "scan.messages[%d].value" % j, 1)
    vulns = report.get("vulnerabilities")
    if not isinstance(vulns, list):
        err("vulnerabilities", "not an array")
        vulns = []
    seen = set()
    for j, v in enumerate(vulns):
        vulnerability(v, "vulnerabilities[%d]" % j)
        if isinstance(v, dict):
            if v.get("id") in seen:
                err("vulnerabilities[%d]" % j, "id %r is not unique" % v.get("id"))
            seen.add(v.get("id"))
    if len(sys.argv) > 2 and len(vulns) != int(sys.argv[2]):
        err("report", "%d vulnerabilities, want %s" % (len(vulns), sys.argv[2]))
    for e in errors[:20]:
        print("GitLab report: " + e, file=sys.stderr)
    return 1 if errors else 0


sys.exit(main())
