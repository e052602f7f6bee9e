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

# shellcheck source=scripts/ci/stack.sh
source "$(dirname "$0")/stack.sh"
parse_args "scripts/ci/drift.sh <environment> <out-dir>" "$@"
log="$out/$env_name.drift.log"

init_stack "$env_name" "$log" drift=failed

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
