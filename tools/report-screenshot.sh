#!/usr/bin/env bash
# report-screenshot.sh - remakes doc/audit.png, the README's picture of the
# audit page: --all-history --format html over generated repositories shaped
# like the incident (one account SAS copied onto 156 lines of a README), shot
# by headless Chromium.   usage: tools/report-screenshot.sh [SASGUARD]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SG=${1:-$here/build/sasguard}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export GIT_AUTHOR_NAME=example GIT_AUTHOR_EMAIL=e@example.com GIT_COMMITTER_NAME=example GIT_COMMITTER_EMAIL=e@example.com
export GIT_AUTHOR_DATE=2021-10-06T10:00:00Z GIT_COMMITTER_DATE=2021-10-06T10:00:00Z GIT_CONFIG_NOSYSTEM=1 HOME=$T
url=$(grep -o 'https://robustnessws[^ ]*' "$here/examples/incident.md" | head -1)
mk() { git init -q -b main "$T/srv/$1"; }
mk robust-models-transfer
{ echo "# Pretrained models"; for i in $(seq 156); do echo "wget \"$url\" -O model$i.pt"; done; } > "$T/srv/robust-models-transfer/README.md"
git -C "$T/srv/robust-models-transfer" add . && git -C "$T/srv/robust-models-transfer" commit -qm "models"
mk data-pipeline
printf 'conn = "DefaultEndpointsProtocol=https;AccountName=pipelinelogs;AccountKey=%s;EndpointSuffix=core.windows.net"\n' \
  "KvipEEs/ZO1kDYx+KY0tSA8Do2EMvCszR0Mh7FkCSkhZLqhUXkHgnV0RCHWd9I7eAFTyJd851PDzEkUOCqndJQ==" > "$T/srv/data-pipeline/settings.py"
echo "old = https://old.blob.core.windows.net/?sv=2019-10-10&ss=b&srt=sco&sp=rlx&se=2021-10-05T15:06:23Z&st=2020-06-10T07:06:23Z&spr=https&sig=Gxax31OLoS3D%2BX7buFyqcFDUbBSBNCkP66gPgjbIPbk%3D" > "$T/srv/data-pipeline/old.txt"
git -C "$T/srv/data-pipeline" add . && git -C "$T/srv/data-pipeline" commit -qm "settings"
mk website
echo "hello" > "$T/srv/website/index.md"
git -C "$T/srv/website" add . && git -C "$T/srv/website" commit -qm "site"
cd "$T"
"$SG" --all-history --now 2026-11-23T00:00:00Z --format html --output "$T/audit.html" srv || [ $? -eq 1 ]
chromium --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$T/chrome" --hide-scrollbars \
  --window-size=1400,860 --screenshot="$here/doc/audit.png" "file://$T/audit.html" 2>/dev/null
echo "wrote $here/doc/audit.png"
