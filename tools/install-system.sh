#!/usr/bin/env bash
# System packages for cablerdf's strict RDF checkers, from Debian (needs root, or sudo):
#   serdi                 the serd RDF parser (strict Turtle/TriG/N-Triples/N-Quads)
#   libapache-jena-java   Apache Jena, whose riot the tools/riot-validate wrapper runs
#   default-jre-headless  Java for Jena (only when no java is on the PATH)
#   nodejs, npm           Node.js for the npm checkers (only when no node is on the PATH)
#   python3-venv          only when this python3 cannot create a virtual environment
#   chromium, chromium-driver  the headless browser of tests/test_browser.py (selenium)
# Idempotent and quiet: does nothing, and runs no apt, when all of these are present.
# Usage: sudo bash tools/install-system.sh
set -euo pipefail

packages=()
command -v serdi >/dev/null 2>&1 || packages+=(serdi)
for jar in jena-arq jena-cmds jena-core; do
    if [[ ! -f /usr/share/java/$jar.jar ]]; then
        packages+=(libapache-jena-java)
        break
    fi
done
command -v java >/dev/null 2>&1 || packages+=(default-jre-headless)
command -v gzip >/dev/null 2>&1 || packages+=(gzip)
if ! command -v node >/dev/null 2>&1; then
    packages+=(nodejs)
    command -v npm >/dev/null 2>&1 || packages+=(npm)
elif ! command -v npm >/dev/null 2>&1; then
    echo "install-system: node is installed but npm is not; install npm for this Node.js" >&2
    exit 1
fi
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || packages+=(python3-venv)
[[ -x /usr/bin/chromium ]] || packages+=(chromium)
[[ -x /usr/bin/chromedriver ]] || packages+=(chromium-driver)

if [[ ${#packages[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "install-system: needs root to install: ${packages[*]}" >&2
    echo "  run: sudo bash tools/install-system.sh" >&2
    exit 1
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "install-system: installing ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -qq \
        && "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}"; } \
        </dev/null >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-system: apt-get failed (above)" >&2
    exit 1
fi
