#!/usr/bin/env bash
# Installs everything lakesync needs to build, run and test on Debian 12:
# compilers and libraries from Debian's packages, the test readers and peers
# from the npm registry (pinned by tests/package-lock.json). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libmicrohttpd-dev libsqlite3-dev libjansson-dev librdkafka-dev
  libcurl4-openssl-dev libssl-dev libzstd-dev libsnappy-dev zlib1g-dev
  kcat sqlite3 curl ca-certificates
)
# Node.js may come from elsewhere (e.g. NodeSource, with npm bundled): install
# Debian's only when the commands are missing, never over another install.
command -v node >/dev/null 2>&1 || debian_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || debian_packages+=(npm)
# The browser is needed only by the console's tests.
if compgen -G "tests/browser/*.test.mjs" >/dev/null; then
  debian_packages+=(chromium)
fi
missing=()
for package in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "setup: installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ ! -d tests/node_modules ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
  echo "setup: installing test tools from npm (tests/package-lock.json)"
  # npm install, not npm ci: the registry reachable here lacks some of DuckDB's
  # other-platform optional packages, so the lock cannot list them and npm ci
  # refuses it; npm install still installs the locked versions.
  (cd tests && npm install --no-audit --no-fund --loglevel=error)
fi
echo "setup: done"
