#!/usr/bin/env bash
# The browser tests (test/browser) drive Debian's chromium headless through puppeteer-core, which
# downloads no browser of its own. Idempotent: nothing to do when chromium is on the PATH; as root
# it is installed from Debian's packages (like lib/stack/mariadb.ts installs MariaDB), otherwise
# the command to run is named. TANDEM_CHROMIUM names another binary and skips the install.
set -euo pipefail
if [[ -n "${TANDEM_CHROMIUM:-}" ]]; then
  [[ -x "$TANDEM_CHROMIUM" ]] && exit 0
  echo "TANDEM_CHROMIUM=$TANDEM_CHROMIUM is not an executable file" >&2
  exit 1
fi
command -v chromium >/dev/null && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "chromium not found: run 'sudo apt-get install -y --no-install-recommends chromium' (Debian), or set TANDEM_CHROMIUM to a Chromium binary" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine's package lists may be empty or old: refresh them once when the install fails.
apt-get install -y --no-install-recommends chromium || { apt-get update && apt-get install -y --no-install-recommends chromium; }
command -v chromium >/dev/null
