#!/usr/bin/env bash
# The system packages the test suite needs besides PostgreSQL (.ci/start-postgres.sh):
# Maven and a JDK (the test Neo4j is installed from Maven Central and runs on Java) and
# Chromium (the browser tests: tests/graph/test_browser_ui.py, tests/api/test_api_docs.py).
# `make test` runs it first, so a fresh machine runs every test CI runs (.ci/run installs
# the same packages): each missing command's Debian package is installed with apt-get
# (as root, or through sudo). Where that cannot be done it names the one step and fails.
#
# Output goes to stderr; exit 0 when every command is there (afterwards).
set -euo pipefail

log() { echo "test-packages: $*" >&2; }

# command:package, as .ci/run lists them
NEEDED=(mvn:maven java:openjdk-17-jdk-headless chromium:chromium)

missing=()
for pair in "${NEEDED[@]}"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
((${#missing[@]})) || exit 0

step="sudo apt-get install ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
    log "missing: ${missing[*]}, and no apt-get to install them: install them first ($step on Debian/Ubuntu)"
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    log "missing: ${missing[*]}, and neither root nor sudo to install them: run as root: apt-get install ${missing[*]}"
    exit 1
fi
log "installing ${missing[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
if ! { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq "${missing[@]}"; } >&2; then
    log "could not install ${missing[*]}: run: $step"
    exit 1
fi
