#!/usr/bin/env bash
# Sets up a checkout for development and tests, without root:
#   .venv (python3 -m venv) with cablerdf installed editable, with its test extras;
#   node_modules from package-lock.json (npm ci): n3 and jsonld for the strict checkers.
# Idempotent and quiet: each step is skipped while its input (pyproject.toml,
# package-lock.json) is unchanged since it last ran. System tools (serdi, Jena, Java, Node.js)
# come from tools/install-system.sh, run as root; this script says when they are missing.
# Usage: bash tools/install.sh        (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
python="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

fingerprint() { sha256sum "$@" | sha256sum | cut -d ' ' -f 1; }

# Run a command quietly; on failure show everything it said.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
quietly() {
    if ! "$@" </dev/null >"$log" 2>&1; then
        cat "$log" >&2
        echo "install: failed: $*" >&2
        exit 1
    fi
}

# Python: a venv with the package and its test tools.
if [[ ! -x .venv/bin/python ]]; then
    quietly "$python" -m venv .venv
fi
py_stamp=".venv/.cablerdf-install"
py_want="$(fingerprint pyproject.toml)"
if [[ ! -f $py_stamp || "$(cat "$py_stamp")" != "$py_want" ]] \
        || ! .venv/bin/python -c 'import cablerdf' >/dev/null 2>&1; then
    quietly .venv/bin/python -m pip install -e '.[test]'
    echo "$py_want" > "$py_stamp"
fi

# Node: the npm checkers, exactly as locked.
if ! command -v npm >/dev/null 2>&1; then
    echo "install: npm is missing, so the n3 and jsonld checkers are not installed;" \
         "run: sudo bash tools/install-system.sh, then this script again" >&2
else
    npm_stamp="node_modules/.cablerdf-install"
    npm_want="$(fingerprint package.json package-lock.json)"
    if [[ ! -f $npm_stamp || "$(cat "$npm_stamp")" != "$npm_want" ]]; then
        quietly npm ci --no-audit --no-fund --loglevel=error
        echo "$npm_want" > "$npm_stamp"
    fi
fi

# Tell, without failing, what the tests will miss.
for tool in serdi java; do
    command -v "$tool" >/dev/null 2>&1 \
        || echo "install: $tool is missing; run: sudo bash tools/install-system.sh" >&2
done
[[ -f /usr/share/java/jena-cmds.jar ]] \
    || echo "install: Apache Jena is missing; run: sudo bash tools/install-system.sh" >&2
exit 0
