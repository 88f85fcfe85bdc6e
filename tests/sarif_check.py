"""sarif_check.py - checks a SARIF 2.1.0 log against what the OASIS schema
requires of the objects sasguard writes: required properties, enumerations,
types, no properties the schema does not define, URI references.
Usage: sarif_check.py FILE [expected-result-count]. Exit 0 when valid."""
import json, re, sys

LEVELS = {"none", "note", "warning", "error"}
URI_REF = re.compile(r"^([A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*$")
errors = []

def err(path, msg):
    errors.append("%s: %s" % (path, msg))

def obj(v, path, allowed, required=()):
    if not isinstance(v, dict):
        err(path, "not an object"); return False
    for k in v:
        if k not in allowed:
            err(path, "property %r is not in the schema" % k)
    for k in required:
        if k not in v:
            err(path, "required property %r missing" % k)
    if "properties" in v and not isinstance(v["properties"], dict):
        err(path + ".properties", "a property bag must be an object")
    return True

def text_msg(v, path, allowed=("text", "markdown", "properties")):
    if obj(v, path, set(allowed) | {"id", "arguments"}) and not isinstance(v.get("text"), str):
        err(path, "a message needs text (sasguard writes no message ids)")

def check_rule(r, path):
    obj(r, path, {"id", "deprecatedIds", "guid", "deprecatedGuids", "name", "deprecatedNames", "shortDescription",
                  "fullDescription", "messageStrings", "defaultConfiguration", "helpUri", "help", "relationships",
                  "properties"}, ["id"])
    for k in ("shortDescription", "fullDescription"):
        if k in r:
            obj(r[k], path + "." + k, {"text", "markdown", "properties"}, ["text"])
    dc = r.get("defaultConfiguration")
    if dc is not None:
        obj(dc, path + ".defaultConfiguration", {"enabled", "level", "rank", "parameters", "properties"})
        if dc.get("level") not in LEVELS: err(path, "bad defaultConfiguration.level")
        if not isinstance(dc.get("enabled", True), bool): err(path, "enabled must be a boolean")

def check_location(l, path):
    obj(l, path, {"id", "physicalLocation", "logicalLocations", "message", "annotations", "relationships", "properties"})
    pl = l.get("physicalLocation")
    if pl is None: return
    obj(pl, path + ".physicalLocation", {"address", "artifactLocation", "region", "contextRegion", "properties"})
    al = pl.get("artifactLocation")
    if al is None and "address" not in pl:
        err(path, "a physicalLocation needs an artifactLocation or an address")
    if al is not None:
        obj(al, path + ".artifactLocation", {"uri", "uriBaseId", "index", "description", "properties"})
        uri = al.get("uri")
        if not isinstance(uri, str) or not URI_REF.match(uri):
            err(path, "artifactLocation.uri %r is not a URI reference" % uri)
    rg = pl.get("region")
    if rg is not None:
        obj(rg, path + ".region", {"startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength",
                                   "byteOffset", "byteLength", "snippet", "message", "sourceLanguage", "properties"})
        for k in ("startLine", "startColumn"):
            if k in rg and (not isinstance(rg[k], int) or rg[k] < 1):
                err(path, "region.%s must be an integer >= 1" % k)

def check_result(res, path, nrules):
    obj(res, path, {"ruleId", "ruleIndex", "rule", "kind", "level", "message", "analysisTarget", "locations", "guid",
                    "correlationGuid", "occurrenceCount", "partialFingerprints", "fingerprints", "stacks", "codeFlows",
                    "graphs", "graphTraversals", "relatedLocations", "suppressions", "baselineState", "rank",
                    "attachments", "hostedViewerUri", "workItemUris", "provenance", "fixes", "taxa", "webRequest",
                    "webResponse", "properties"}, ["message"])
    text_msg(res.get("message"), path + ".message")
    if res.get("level", "warning") not in LEVELS: err(path, "bad level %r" % res.get("level"))
    ri = res.get("ruleIndex", -1)
    if not isinstance(ri, int) or ri < -1 or ri >= nrules: err(path, "ruleIndex %r out of range" % ri)
    for i, l in enumerate(res.get("locations", [])):
        check_location(l, "%s.locations[%d]" % (path, i))
    ids = set()
    for i, l in enumerate(res.get("relatedLocations", [])):
        p = "%s.relatedLocations[%d]" % (path, i)
        check_location(l, p)
        # SARIF 3.28.2: an id is a non-negative integer, unique within the result
        if "id" in l and (not isinstance(l["id"], int) or l["id"] < 0 or l["id"] in ids):
            err(p, "id %r is not a unique non-negative integer" % l.get("id"))
        ids.add(l.get("id"))
        if "message" in l: text_msg(l["message"], p + ".message")
    for k in ("partialFingerprints", "fingerprints"):
        if k in res and not all(isinstance(x, str) for x in res[k].values()):
            err(path, k + " values must be strings")
    for i, s in enumerate(res.get("suppressions", [])):
        p = "%s.suppressions[%d]" % (path, i)
        obj(s, p, {"guid", "kind", "status", "justification", "location", "properties"}, ["kind"])
        if s.get("kind") not in ("inSource", "external"): err(p, "bad kind")
        if "justification" in s and not isinstance(s["justification"], str): err(p, "justification must be a string")

def main():
    log = json.load(open(sys.argv[1]))
    obj(log, "sarifLog", {"$schema", "version", "runs", "inlineExternalProperties", "properties"}, ["version", "runs"])
    if log.get("version") != "2.1.0": err("sarifLog", "version must be 2.1.0")
    results = 0
    for i, run in enumerate(log.get("runs") or []):
        p = "runs[%d]" % i
        obj(run, p, {"tool", "invocations", "conversion", "language", "versionControlProvenance", "originalUriBaseIds",
                     "artifacts", "logicalLocations", "graphs", "results", "automationDetails", "runAggregates",
                     "baselineGuid", "redactionTokens", "defaultEncoding", "defaultSourceLanguage",
                     "newlineSequences", "columnKind", "externalPropertyFileReferences", "threadFlowLocations",
                     "taxonomies", "addresses", "translations", "policies", "webRequests", "webResponses",
                     "specialLocations", "properties"}, ["tool"])
        tool = run.get("tool", {})
        obj(tool, p + ".tool", {"driver", "extensions", "properties"}, ["driver"])
        drv = tool.get("driver", {})
        obj(drv, p + ".tool.driver", {"guid", "name", "organization", "product", "productSuffix", "shortDescription",
                                      "fullDescription", "fullName", "version", "semanticVersion", "dottedQuadFileVersion",
                                      "releaseDateUtc", "downloadUri", "informationUri", "globalMessageStrings",
                                      "notifications", "rules", "taxa", "locations", "language", "contents",
                                      "isComprehensive", "localizedDataSemanticVersion", "minimumRequiredLocalizedDataSemanticVersion",
                                      "associatedComponent", "translationMetadata", "supportedTaxonomies", "properties"}, ["name"])
        rules = drv.get("rules", [])
        for j, r in enumerate(rules):
            check_rule(r, "%s.rules[%d]" % (p, j))
        for j, res in enumerate(run.get("results") or []):
            check_result(res, "%s.results[%d]" % (p, j), len(rules))
            if "ruleIndex" in res and rules and rules[res["ruleIndex"]]["id"] != res.get("ruleId"):
                err("%s.results[%d]" % (p, j), "ruleId and ruleIndex disagree")
            results += 1
    if len(sys.argv) > 2 and results != int(sys.argv[2]):
        err("sarifLog", "%d results, want %s" % (results, sys.argv[2]))
    for e in errors[:20]:
        print("SARIF: " + e, file=sys.stderr)
    sys.exit(1 if errors else 0)

main()
