#!/usr/bin/env bash
# `make test`: unit tests, MariaDB tests, browser tests (headless chromium), then the local stack brought up ONCE for the e2e tests and
# stopped at the end (also on failure or Ctrl-C). Ends with one line `N passed, M failed` summing
# tap's counts over all phases; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
TSX=node_modules/.bin/tsx

# A state dir of its own, so a user's running stack (default state dir) is never touched.
export TANDEM_STATE_DIR="${TANDEM_TEST_STATE_DIR:-$HOME/.cache/tandem/state-test}"

passed=0
failed=0
problems=()
timings=()

# Runs one phase, shows its output, and adds tap's closing `# { total, pass, fail }` counts.
phase() {
  local name=$1; shift
  local log rc summary p f
  log=$(mktemp)
  echo "=== ${name}: $*"
  local t0=$SECONDS
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  echo "=== ${name}: $((SECONDS - t0)) s"
  timings+=("${name} $((SECONDS - t0)) s")
  # -a: a test may print raw bytes (a NUL makes grep call the log binary and hide the counts).
  summary=$(grep -aE '^# \{ total: [0-9]+' "$log" | tail -n 1)
  p=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")
  f=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary")
  p=${p:-0}
  f=${f:-0}
  # A phase that failed without counting a failing test (crash, no tests ran) still counts as one.
  if [[ $rc -ne 0 && $f -eq 0 ]]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  [[ $rc -ne 0 ]] && problems+=("${name} (exit ${rc}, log kept: ${log})") || rm -f "$log"
  return "$rc"
}

stack_down() {
  echo "=== stack-down (${TANDEM_STATE_DIR})"
  "$TSX" lib/stack/cli.ts down || problems+=("stack-down")
}

finish() {
  local rc=$?
  trap - EXIT INT TERM
  [[ ${stack_started:-0} -eq 1 ]] && stack_down
  for p in "${problems[@]}"; do echo "failed: $p"; done
  echo "phases: ${timings[*]}; total $SECONDS s"
  echo "${passed} passed, ${failed} failed"
  if [[ $failed -gt 0 || ${#problems[@]} -gt 0 || $rc -ne 0 ]]; then exit 1; fi
  exit 0
}
trap finish EXIT
trap 'problems+=("interrupted"); exit 130' INT TERM

phase unit make --no-print-directory test-unit
phase db make --no-print-directory test-db
phase browser make --no-print-directory test-browser

# Leftovers of an earlier run in the test state dir go first (processes, then data: every run
# starts from empty topics and databases, so no test reads another run's records); then ports:
# the defaults where free, else free ones from the OS, exported with the matching TANDEM_* settings.
"$TSX" lib/stack/cli.ts down >/dev/null 2>&1
rm -rf -- "${TANDEM_STATE_DIR:?}"
eval "$("$TSX" lib/stack/cli.ts env --free-ports)" || { problems+=("choosing ports"); failed=$((failed + 1)); exit 1; }
echo "=== stack-up: Kafka ${TANDEM_BROKERS}, registry ${TANDEM_REGISTRY_URL}, Connect ${TANDEM_CONNECT_URL}, a ${TANDEM_DB_A_URL}, b ${TANDEM_DB_B_URL}"
stack_started=1
if "$TSX" lib/stack/cli.ts up; then
  phase e2e make --no-print-directory test-e2e
else
  problems+=("stack-up (e2e tests not run)")
  failed=$((failed + 1))
fi
