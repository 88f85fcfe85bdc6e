#!/usr/bin/env bash
# test_accounts.sh - per-account policy: [account "GLOB"] sections judged per
# token, `config --show --account`, and `policy import` of the JSON that
# `az storage account list` prints (written here as the CLI writes it).
. "$(dirname "$0")/../lib.sh"
export SASGUARD_SYSTEM_CONFIG=$T/system.ini XDG_CONFIG_HOME=$T/xdg HOME=$T/home

SIG_A='PiPoFgA5WUoziU9lZOGxNIu9egCI1CxKy3PurtWcAJ0%3D'
# A read-only blob SAS of account $1, valid from st to se.
sas() { echo "https://$1.blob.core.windows.net/c/b.csv?sv=2022-11-02&sr=b&sp=$2&st=$3&se=$4&spr=https&sig=$SIG_A"; }

# `az storage account list -o json` as the CLI prints it: two-space indents,
# every property (nulls included), sasPolicy null or an object.
cat > accounts.json <<'JSON'
[
  {
    "accessTier": "Hot",
    "allowBlobPublicAccess": true,
    "allowCrossTenantReplication": null,
    "allowSharedKeyAccess": null,
    "azureFilesIdentityBasedAuthentication": null,
    "creationTime": "2021-03-04T10:11:12.123456+00:00",
    "encryption": {
      "keySource": "Microsoft.Storage",
      "services": {
        "blob": {"enabled": true, "keyType": "Account", "lastEnabledTime": "2021-03-04T10:11:12.200000+00:00"},
        "file": {"enabled": true, "keyType": "Account", "lastEnabledTime": "2021-03-04T10:11:12.200000+00:00"}
      }
    },
    "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/open-data/providers/Microsoft.Storage/storageAccounts/publicdatasets",
    "keyPolicy": null,
    "kind": "StorageV2",
    "location": "westeurope",
    "minimumTlsVersion": "TLS1_2",
    "name": "publicdatasets",
    "networkRuleSet": {"bypass": "AzureServices", "defaultAction": "Allow", "ipRules": [], "virtualNetworkRules": []},
    "primaryEndpoints": {"blob": "https://publicdatasets.blob.core.windows.net/", "dfs": "https://publicdatasets.dfs.core.windows.net/", "queue": null},
    "provisioningState": "Succeeded",
    "resourceGroup": "open-data",
    "sasPolicy": null,
    "sku": {"name": "Standard_RAGRS", "tier": "Standard"},
    "tags": {"owner": "open data \u00e9quipe", "note": "quotes \" and \\ and \/"},
    "type": "Microsoft.Storage/storageAccounts"
  },
  {
    "allowSharedKeyAccess": false,
    "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/prod/providers/Microsoft.Storage/storageAccounts/prodorders",
    "keyPolicy": {"keyExpirationPeriodInDays": 90},
    "kind": "StorageV2",
    "name": "prodorders",
    "sasPolicy": {
      "expirationAction": "Block",
      "sasExpirationPeriod": "0.01:00:00"
    },
    "tags": {}
  },
  {
    "allowSharedKeyAccess": true,
    "kind": "BlobStorage",
    "name": "devscratch",
    "sasPolicy": {
      "expirationAction": "Log",
      "sasExpirationPeriod": "2.12:00:00"
    }
  }
]
JSON
expect_exit 0 "$SASGUARD" policy import accounts.json --output accounts.ini
has "$T/err" "3 accounts; 2 with a SAS expiration policy (1 Block); 1 refuses shared-key access: prodorders"
has accounts.ini '[account "prodorders"]'
has accounts.ini 'max_lifetime = 1h'
has accounts.ini 'lifetime = error'
has accounts.ini 'shared_key_access = false'
has accounts.ini '[account "devscratch"]'
has accounts.ini 'max_lifetime = 60h'
has accounts.ini 'lifetime = warning'
has accounts.ini '; publicdatasets: no SAS expiration policy'
lacks accounts.ini '[account "publicdatasets"]'
# stdin gives the same sections
expect_exit 0 sh -c "'$SASGUARD' policy import - < accounts.json"
cmp -s "$T/out" accounts.ini && pass || fail "policy import - differs from the file's"

# The sections load as a layer and are what config --show --account prints.
{ cat accounts.ini; printf '\n[account "public*"]\nmax_lifetime = 10000y\n'; } > policy.ini
expect_exit 0 "$SASGUARD" config --show --account prodorders --config policy.ini
has "$T/out" "; for tokens of account prodorders"
grep -E '^policy.max_lifetime += 1h +; .*policy.ini:[0-9]+ \[account "prodorders"\]' "$T/out" >/dev/null && pass || fail "max_lifetime origin: $(grep max_lifetime "$T/out")"
grep -E '^rules.lifetime += error ' "$T/out" >/dev/null && pass || fail "rules.lifetime for prodorders"
grep -E '^account.shared_key_access += false ' "$T/out" >/dev/null && pass || fail "shared_key_access for prodorders"
expect_exit 0 "$SASGUARD" config --show --account other --config policy.ini
grep -E '^policy.max_lifetime += 7d +; default' "$T/out" >/dev/null && pass || fail "other account: $(grep max_lifetime "$T/out")"
grep -E '^account.shared_key_access += true +; default' "$T/out" >/dev/null && pass || fail "other account shared keys"
# without --account: every section, in the order they apply, with its origin
expect_exit 0 "$SASGUARD" config --show --config policy.ini
grep -E '^account "prodorders".max_lifetime += 1h +; .*policy.ini:[0-9]+ \[account "prodorders"\]' "$T/out" >/dev/null && pass || fail "config --show lists no [account] sections"
grep -E '^account "public\*".max_lifetime += 10000y ' "$T/out" >/dev/null && pass || fail "config --show: public*"
expect_exit 2 "$SASGUARD" scan --account prodorders accounts.json
has "$T/err" "--account goes with config --show"

# Judged per account: one 10-year read-only link, three accounts, three verdicts.
ST=2026-11-22T23:00:00Z LONG=2036-11-22T23:00:00Z
{ echo "open = $(sas publicdatasets rl $ST $LONG)"
  echo "prod = $(sas prodorders r $ST 2026-11-23T01:00:00Z)"
  echo "dev = $(sas devscratch r $ST $LONG)"
  echo "other = $(sas elsewhere r $ST $LONG)"; } > links.txt
expect_exit 1 "$SASGUARD" scan --now "$NOW" --config policy.ini --format json links.txt
python3 - "$T/out" <<'PY' && pass || fail "per-account verdicts"
import json, sys
d = {f["account"]: f for f in json.load(open(sys.argv[1]))["findings"]}
assert "publicdatasets" not in d, d.get("publicdatasets")                  # [account "public*"]: 10000y
assert d["prodorders"]["rules"] == ["lifetime"] and d["prodorders"]["severity"] == "error", d["prodorders"]  # 2 h > 1 h, Block
assert "refuses shared-key access" in d["prodorders"]["note"], d["prodorders"]["note"]
assert d["devscratch"]["severity"] == "warning", d["devscratch"]          # Log: a warning
assert d["elsewhere"]["severity"] == "error", d["elsewhere"]              # the [policy] default, 7d
PY
no_secrets "$T/out"

# Periods that need rounding to fit the policy's units load all the same.
printf '[{"name":"aaa","sasPolicy":{"sasExpirationPeriod":"99999.23:59:59"}},{"name":"bbb","sasPolicy":{"sasExpirationPeriod":"00:00:30"}},{"name":"ccc","sasPolicy":{"sasExpirationPeriod":"20.00:00:01"}}]' > odd.json
expect_exit 0 "$SASGUARD" policy import odd.json --output odd.ini
has odd.ini "max_lifetime = 99999d"
has odd.ini "max_lifetime = 30s"
has odd.ini "max_lifetime = 28800m"
expect_exit 0 "$SASGUARD" config --show --config odd.ini --account ccc
has "$T/out" "20d"

# Bad input: a clear message with line and column, exit 2, nothing written.
rm -f bad.ini
bad() { printf '%s' "$1" > bad.json; expect_exit 2 "$SASGUARD" policy import bad.json --output bad.ini; has "$T/err" "$2"; [ ! -e bad.ini ] && pass || fail "bad.ini written for $1"; }
bad '' "expected the array"
bad '{"name": "x"' "expected ',' or '}'"
bad '[{"name": "Prod_Orders"}]' '"Prod_Orders" is not a storage account name'
bad '[{"name": "abc]\n[x"}]' 'is not a storage account name'
bad '[{"name": "abc", "sasPolicy": {"sasExpirationPeriod": "1 day"}}]' 'sasExpirationPeriod "1 day" is not d.hh:mm:ss'
bad '[{"name": "abc", "sasPolicy": {"sasExpirationPeriod": "1.00:00:00", "expirationAction": "Deny"}}]' 'neither Log nor Block'
bad '[{"name": "abc"}, {"name": "abc"}]' 'account abc is listed twice'
bad '[{"name": "abc"}] trailing' 'text after the JSON document'
bad '[{"name": "abc", "x": "\q"}]' "bad escape"
bad "[{\"name\": \"abc\", \"x\": $(printf '[%.0s' $(seq 200))" "nested deeper than 64"
has "$T/err" "line 1, column"
expect_exit 2 "$SASGUARD" policy import "$T/none.json"
has "$T/err" "none.json: cannot open"
expect_exit 2 "$SASGUARD" policy export x
has "$T/err" "usage: sasguard policy import"

# Fuzz-shaped input: every truncation and random byte flips of the CLI's JSON
# end in exit 0 or 2 with a message, never a crash or a hang.
python3 - "$SASGUARD" accounts.json <<'PY' && pass || fail "policy import crashed or hung on damaged JSON"
import random, subprocess, sys
sg, data = sys.argv[1], open(sys.argv[2], "rb").read()
rnd = random.Random(18)
cases = [data[:n] for n in range(0, len(data), 37)]
for _ in range(300):
    b = bytearray(data)
    for _ in range(rnd.randrange(1, 5)):
        b[rnd.randrange(len(b))] = rnd.randrange(256)
    cases.append(bytes(b))
for i, c in enumerate(cases):
    r = subprocess.run([sg, "policy", "import", "-"], input=c, capture_output=True, timeout=20)
    if r.returncode not in (0, 2) or (r.returncode == 2 and b"policy import" not in r.stderr):
        sys.exit("case %d: exit %d %r" % (i, r.returncode, r.stderr[-300:]))
PY
finish
