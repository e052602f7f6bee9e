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

if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
  echo "usage: scripts/ci/plan.sh <environment> <plans-dir>" >&2
  exit 2
fi
env_name=$1
mkdir -p "$2"
plans=$(cd "$2" && pwd)
stack="${MAVIK_OUTDIR:-cdktf.out}/stacks/$env_name"
log="$plans/$env_name.log"
json="$plans/$env_name.json"
rm -f "$log" "$json"

say() {
  echo "$1"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1" >> "$GITHUB_OUTPUT"; fi
}

if [ ! -f "$stack/cdk.tf.json" ]; then
  echo "$stack/cdk.tf.json is missing: the app did not synthesize $env_name." | tee "$log"
  say result=failed
  exit 0
fi
cd "$stack" || exit 2

# Terraform's output goes to the job log and to the failure log the review folds into its report.
terraform init -input=false -no-color 2>&1 | tee "$log"
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
  say result=failed
  exit 0
fi
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
