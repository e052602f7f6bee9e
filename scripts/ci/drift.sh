#!/usr/bin/env bash
# Drift of one environment: terraform plan -refresh-only in its synthesized stack, read-only
# (no lock, no apply). For the scheduled audit.
#
#   scripts/ci/drift.sh <environment> <out-dir>
#
# Writes <out-dir>/<environment>.drift.log (Terraform's output) and .drift.json (the plan as
# `terraform show -json` gives it; the binary plan is removed) and prints drift=none (the state
# matches AWS), drift=yes (objects changed outside Terraform) or drift=failed (init or plan
# failed); appends the same line to $GITHUB_OUTPUT when it is set. Exits 0 either way, 2 on bad
# arguments. MAVIK_OUTDIR overrides cdktf.out.
set -uo pipefail

if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
  echo "usage: scripts/ci/drift.sh <environment> <out-dir>" >&2
  exit 2
fi
env_name=$1
mkdir -p "$2"
out=$(cd "$2" && pwd)
stack="${MAVIK_OUTDIR:-cdktf.out}/stacks/$env_name"
log="$out/$env_name.drift.log"

say() {
  echo "$1"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1" >> "$GITHUB_OUTPUT"; fi
}

if [ ! -f "$stack/cdk.tf.json" ]; then
  echo "$stack/cdk.tf.json is missing: the app did not synthesize $env_name." | tee "$log"
  say drift=failed
  exit 0
fi
cd "$stack" || exit 2
terraform init -input=false -no-color 2>&1 | tee "$log"
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
  say drift=failed
  exit 0
fi
# The saved plan decides, not -detailed-exitcode: with -refresh-only that exits 2 on plans that
# say "No changes" (hashicorp/terraform#36403, seen here with Terraform 1.11.4). A resource in the
# plan's resource_drift with any action but no-op is drift; output values the state has not
# recorded yet are not.
plan="$out/$env_name.drift.tfplan"
terraform plan -refresh-only -input=false -no-color -lock=false -out="$plan" 2>&1 | tee -a "$log"
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
  say drift=failed
  exit 0
fi
terraform show -json "$plan" > "$out/$env_name.drift.json"
shown=$?
rm -f "$plan"
if [ "$shown" -ne 0 ]; then
  say drift=failed
  exit 0
fi
drifted=$(node -e '
  const plan = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const changed = (plan.resource_drift || []).filter((r) => !(r.change.actions.length === 1 && r.change.actions[0] === "no-op"));
  for (const r of changed) console.log(`${r.change.actions.join("+")} ${r.address}`);
' "$out/$env_name.drift.json") || { say drift=failed; exit 0; }
if [ -z "$drifted" ]; then
  say drift=none
else
  echo "Changed outside Terraform:" | tee -a "$log"
  echo "$drifted" | sed 's/^/  /' | tee -a "$log"
  say drift=yes
fi
exit 0
