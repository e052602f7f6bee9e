#!/usr/bin/env bash
# Reviews one environment with whatever scripts/ci/plan.sh left: a plan, a failure log, or
# nothing at all (a step before the plan failed, such as the credentials), against the base.
#
#   scripts/ci/review.sh <environment> <plans-dir> [<base: git ref or environments file>]
#
# Writes review/<environment>.md and exits with the review's code: 0 clean, 1 the change holds an
# error (the report says which), 2 bad input.
set -uo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ] || [ -z "$1" ] || [ -z "$2" ]; then
  echo "usage: scripts/ci/review.sh <environment> <plans-dir> [<base>]" >&2
  exit 2
fi
env_name=$1
plans=$2
base=${3:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

args=(--env "$env_name")
if [ -n "$base" ]; then args+=(--base "$base"); fi
if [ -f "$plans/$env_name.json" ]; then
  args+=(--plan "$env_name=$plans/$env_name.json")
else
  if [ ! -f "$plans/$env_name.log" ]; then
    mkdir -p "$plans"
    echo "terraform plan did not run for $env_name: a step before it failed (see the workflow log)." > "$plans/$env_name.log"
  fi
  args+=(--plan-failed "$env_name=$plans/$env_name.log")
fi
exec node "$here/../run.js" review "${args[@]}"
