#!/usr/bin/env bash
# Installs what OrderPipeline needs on a Debian 12 machine with the .NET 10 SDK, and only what is missing:
# MariaDB (the local MySQL), zip (for the AWS package), the SQS emulator and the template validator (from their
# committed lockfiles), the local .NET tools (.config/dotnet-tools.json: Kiota, for the generated-client test), and
# with --with-browser Chromium for the dashboard's browser tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

command -v dotnet >/dev/null || { echo "The .NET 10 SDK is missing: install it first (see README)." >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is missing: apt-get install -y nodejs npm" >&2; exit 1; }

packages=()
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || packages+=(mariadb-server mariadb-client)
command -v zip >/dev/null || packages+=(zip)   # infra/package.sh zips the functions (aspire publish, its test)
if [ "${1:-}" = "--with-browser" ]; then
  [ -x /usr/bin/chromium ] || packages+=(chromium)
fi
if [ ${#packages[@]} -gt 0 ]; then
  say "installing ${packages[*]} with apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

# npm ci only when the installed tree is older than the lockfile (or missing).
for dir in eng/sqs-emulator infra/validate; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "npm ci in $dir"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
done
# The local tools pinned in .config/dotnet-tools.json (Kiota); quick when they are already in the NuGet cache.
say "dotnet tool restore"
dotnet tool restore >/dev/null
say "ready"
