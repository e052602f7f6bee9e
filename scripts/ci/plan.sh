#!/usr/bin/env bash
# Plans one environment's synthesized stack for the pull-request review and records what came of
# it, without failing the job: the review reports every outcome, a refused plan most of all.
#
#   scripts/ci/plan.sh <environment> <plans-dir>
#
# The workflows' form of `npm run plan` (cli/plan.ts), the one command people run too: terraform
# init, then terraform plan -detailed-exitcode -lock=false (the plan role is read-only: a locked
# plan would write <key>.tflock) in cdktf.out/stacks/<environment> (MAVIK_OUTDIR overrides
# cdktf.out), as synthesized by the workflow's step before. On success writes
# <plans-dir>/<environment>.json (terraform show -json of the saved plan) and .tfplan; on a failed
# init, plan or show, or a stack that was not synthesized, writes Terraform's output to
# <plans-dir>/<environment>.log. Prints result=planned or result=failed, and changes=yes|no after
# a plan; appends the same lines to $GITHUB_OUTPUT when it is set. Exits 0 either way, 2 on bad
# arguments.
set -uo pipefail

# shellcheck source=scripts/ci/stack.sh
source "$(dirname "$0")/stack.sh"
parse_args "scripts/ci/plan.sh <environment> <plans-dir>" "$@"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

exec node "$here/../run.js" plan --stack "$env_name" --no-synth --no-lock --ci --out "$out" --outdir "${MAVIK_OUTDIR:-cdktf.out}"
