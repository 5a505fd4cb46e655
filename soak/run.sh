#!/usr/bin/env bash
# `make soak`: a stack of its own (state dir ~/.cache/tandem/state-soak unless TANDEM_SOAK_STATE_DIR),
# free ports, the soak run, the stack stopped at the end (also on failure or Ctrl-C).
set -uo pipefail
cd "$(dirname "$0")/.."
TSX=node_modules/.bin/tsx
export TANDEM_STATE_DIR="${TANDEM_SOAK_STATE_DIR:-$HOME/.cache/tandem/state-soak}"
"$TSX" lib/stack/cli.ts down >/dev/null 2>&1
# A fresh stack each time: the ADD COLUMN fault must meet a schema that does not have the column yet.
[[ "$TANDEM_STATE_DIR" == */state-soak* ]] && rm -rf "$TANDEM_STATE_DIR"
eval "$("$TSX" lib/stack/cli.ts env --free-ports)" || exit 1
trap '"$TSX" lib/stack/cli.ts down' EXIT
"$TSX" lib/stack/cli.ts up || exit 1
SOAK_COMMAND="make soak" "$TSX" soak/soak.ts
