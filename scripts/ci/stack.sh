# Sourced by plan.sh and drift.sh, not run: the steps they share (plan.sh uses parse_args only).
#
#   parse_args <usage> "$@"          exactly two non-empty arguments, else the usage and exit 2;
#                                    sets env_name and out (the second, made and absolute)
#   say <line>                       prints a result line, and appends it to $GITHUB_OUTPUT when set
#   init_stack <env> <log> <failed>  enters cdktf.out/stacks/<env> (MAVIK_OUTDIR overrides cdktf.out)
#                                    and runs terraform init, its output in <log>; when the stack was
#                                    not synthesized or init fails, says <failed> and exits 0

parse_args() {
  local usage=$1
  shift
  if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
    echo "usage: $usage" >&2
    exit 2
  fi
  env_name=$1
  mkdir -p "$2"
  out=$(cd "$2" && pwd)
}

say() {
  echo "$1"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1" >> "$GITHUB_OUTPUT"; fi
}

init_stack() {
  local stack="${MAVIK_OUTDIR:-cdktf.out}/stacks/$1"
  if [ ! -f "$stack/cdk.tf.json" ]; then
    echo "$stack/cdk.tf.json is missing: the app did not synthesize $1." | tee "$2"
    say "$3"
    exit 0
  fi
  cd "$stack" || exit 2
  terraform init -input=false -no-color 2>&1 | tee "$2"
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    say "$3"
    exit 0
  fi
}
