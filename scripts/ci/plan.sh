#!/usr/bin/env bash
# Plans one environment's synthesized stack for the pull-request review and records what came of
# it, without failing the job: the review reports every outcome, a refused plan most of all.
#
#   scripts/ci/plan.sh <environment> <plans-dir>
#
# Runs terraform init, then terraform plan -detailed-exitcode in cdktf.out/stacks/<environment>
# (MAVIK_OUTDIR overrides cdktf.out). On success writes <plans-dir>/<environment>.json
# (terraform show -json of the saved plan); on a failed init, plan or show, or a stack that was
# not synthesized, writes Terraform's output to <plans-dir>/<environment>.log. Prints
# result=planned or result=failed, and changes=yes|no after a plan; appends the same lines to
# $GITHUB_OUTPUT when it is set. Exits 0 either way, 2 on bad arguments.
set -uo pipefail

# shellcheck source=scripts/ci/stack.sh
source "$(dirname "$0")/stack.sh"
parse_args "scripts/ci/plan.sh <environment> <plans-dir>" "$@"
plans=$out
log="$plans/$env_name.log"
json="$plans/$env_name.json"
rm -f "$log" "$json"

init_stack "$env_name" "$log" result=failed

# -detailed-exitcode: 0 no changes, 1 error (a prevent_destroy refusal among them), 2 changes.
terraform plan -input=false -no-color -lock=false -detailed-exitcode -out=review.tfplan 2>&1 | tee -a "$log"
code=${PIPESTATUS[0]}
if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then
  say result=failed
  exit 0
fi
if ! terraform show -json review.tfplan > "$json" 2>> "$log"; then
  rm -f "$json"
  say result=failed
  exit 0
fi
rm -f "$log"
say result=planned
if [ "$code" -eq 2 ]; then say changes=yes; else say changes=no; fi
exit 0
