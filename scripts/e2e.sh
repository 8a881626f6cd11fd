#!/usr/bin/env bash
# `make e2e`: the course as learners meet it. Starts JupyterLab (127.0.0.1,
# random port, random token) on a copy of notebooks/, drives it with Debian's
# Chromium through Playwright and checks every lesson runs and the widgets
# respond. Screenshots and the server log: artifacts/e2e/. The course website
# (`make html`) is checked offline there too: tests/e2e/test_site.py, with its
# screenshots in artifacts/site/.
#
# Playwright's own browser download does not work offline, so the system
# Chromium is used; as root with apt-get it is installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.venv/bin}
CHROMIUM=${E2E_CHROMIUM:-/usr/bin/chromium}
E2E_TIMEOUT=${E2E_TIMEOUT:-2400}  # seconds, a hard bound on the whole run (about 23 min with the language sites)
E2E_TESTS=${E2E_TESTS:-tests/e2e}  # `make html-e2e`: only the course website's test

if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "e2e: installing Debian's chromium (apt-get)"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
    else
        echo "e2e: $CHROMIUM not found; install it (Debian: sudo apt-get install chromium)" >&2
        exit 1
    fi
fi

rm -rf artifacts/e2e
mkdir -p artifacts/e2e
start=$(date +%s)
# The site is built once, here, not by each worker below; SITE_DIR names a build to open
# instead (CI passes the one tests/test_html.py built and checked in `make test`).
if [ -z "${SITE_DIR:-}" ] && [[ "$E2E_TESTS" == tests/e2e || "$E2E_TESTS" == *test_site* ]]; then
    SITE_DIR="$(mktemp -d)/html"
    echo "e2e: building the site into $SITE_DIR"
    "$BIN/python" scripts/build_html.py "$SITE_DIR" >"$SITE_DIR.log" 2>&1 ||
        { cat "$SITE_DIR.log" >&2; exit 1; }
fi
export SITE_DIR
status=0
# The browser tests are independent of one another: pytest-xdist spreads them over
# E2E_JOBS workers (default: one per core), each with its own JupyterLab and Chromium.
# pytest-timeout bounds each test; `timeout` bounds everything. SIGTERM (sent to the
# whole process group, the workers too) lets pytest tear its fixtures down (the
# servers stop with them).
timeout --kill-after=60 "$E2E_TIMEOUT" \
    "$BIN/python" -m pytest "$E2E_TESTS" -m e2e -n "${E2E_JOBS:-auto}" --dist load \
    --durations=12 "$@" || status=$?
echo "e2e: finished in $(( $(date +%s) - start )) s with status $status (artifacts in artifacts/e2e/)"
exit "$status"
