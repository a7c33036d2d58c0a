#!/usr/bin/env bash
# Writes everything a deployment needs into one folder, touching no AWS account: the template, the four function
# packages and the parameters that name them. `aspire publish` runs it; deploy.sh runs it unless given a package.
#
# Usage: infra/package.sh [--dry-run] OUTPUT [ParameterKey=Value ...]
#   OUTPUT     the folder to write: template.yaml, functions/<function>-<content hash>.zip, parameters.json
#   extra      template parameters to record in parameters.json beside the code keys, e.g. JwtIssuer=https://...
#   --dry-run  print every command that would build or download something, without running it
# Environment: RDS_CA_BUNDLE, a PEM file to ship instead of downloading the RDS and Amazon root CAs (offline builds).
# Runs on bash 3.2 (macOS) and later.
set -euo pipefail

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

DRY_RUN=false
POSITIONAL=()
for argument in "$@"; do
  case "$argument" in
    --dry-run) DRY_RUN=true ;;
    -h|--help) usage ;;
    -*) echo "unknown option: $argument" >&2; usage ;;
    *) POSITIONAL+=("$argument") ;;
  esac
done
[ ${#POSITIONAL[@]} -ge 1 ] || usage

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

# Recorded as given; deploy.sh passes them on. A value stays on one line of the JSON, so it holds no quote, backslash
# or line break.
RECORDED=""
if [ ${#POSITIONAL[@]} -gt 1 ]; then
  for parameter in "${POSITIONAL[@]:1}"; do
    [[ "$parameter" =~ ^[A-Za-z0-9]+=[^\"]*$ ]] && [ "$(printf '%s' "$parameter" | wc -l)" -eq 0 ] \
      || die "parameter '$parameter' is not Key=Value without quotes, backslashes or line breaks."
    for managed in $MANAGED_PARAMETERS DeletionProtection; do
      [ "${parameter%%=*}" != "$managed" ] || die "$managed is set by deploy.sh or package.sh, not recorded in a package."
    done
    RECORDED="$RECORDED,
  {\"ParameterKey\": \"${parameter%%=*}\", \"ParameterValue\": \"${parameter#*=}\"}"
  done
fi

mkdir -p "${POSITIONAL[0]}"
OUTPUT="$(cd "${POSITIONAL[0]}" && pwd)"
require_command dotnet "Install the .NET 10 SDK."
require_command zip "On Debian/Ubuntu: apt-get install zip (macOS has it)."
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------------------------------------------------------
# TLS trust: the connection strings verify the server certificate (SslMode=VerifyFull) against
# /var/task/certs/rds-ca-bundle.pem, which every zip carries: the RDS global bundle (the instance's certificate) and
# the Amazon Trust Services roots (RDS Proxy presents a certificate from AWS Certificate Manager, which chains to
# them). Downloaded at each packaging so that CA rotations reach the functions; never committed.
# ---------------------------------------------------------------------------------------------------------------
RDS_CA_BUNDLE_URL="https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
AMAZON_ROOT_CA_URLS="https://www.amazontrust.com/repository/AmazonRootCA1.pem https://www.amazontrust.com/repository/AmazonRootCA2.pem https://www.amazontrust.com/repository/AmazonRootCA3.pem https://www.amazontrust.com/repository/AmazonRootCA4.pem"
CA_BUNDLE="$WORK/rds-ca-bundle.pem"
if [ -n "${RDS_CA_BUNDLE:-}" ]; then
  [ -f "$RDS_CA_BUNDLE" ] || die "RDS_CA_BUNDLE names no file: $RDS_CA_BUNDLE"
  echo "==> Using the CA bundle $RDS_CA_BUNDLE"
  cp "$RDS_CA_BUNDLE" "$CA_BUNDLE"
else
  require_command curl
  echo "==> Downloading the RDS CA bundle and the Amazon root CAs"
  run curl -fsSL --retry 3 -o "$WORK/rds-global-bundle.pem" "$RDS_CA_BUNDLE_URL"
  for url in $AMAZON_ROOT_CA_URLS; do
    run curl -fsSL --retry 3 -o "$WORK/$(basename "$url")" "$url"
  done
  if ! $DRY_RUN; then
    cat "$WORK/rds-global-bundle.pem" "$WORK"/AmazonRootCA*.pem > "$CA_BUNDLE"
  fi
fi
if ! $DRY_RUN; then
  [ "$(grep -c 'BEGIN CERTIFICATE' "$CA_BUNDLE")" -ge 5 ] || die "the CA bundle looks wrong (fewer than 5 certificates)."
fi

# ---------------------------------------------------------------------------------------------------------------
# Build: framework-dependent, ReadyToRun (less JIT at a cold start) for the managed dotnet10 runtime on arm64, one zip
# per function (the three services and the migration step) with the CA bundle at certs/rds-ca-bundle.pem, named by a
# hash of its content, so that deploy.sh uploads unchanged code only once. The zip stores no timestamps or owners
# (-X, and every file dated 1980-01-01), so the same code gives the same zip on any machine.
# ---------------------------------------------------------------------------------------------------------------
$DRY_RUN || rm -rf "$OUTPUT/functions"
mkdir -p "$OUTPUT/functions"
PARAMETERS=""
for service in Api Processor Notifier Migrations; do
  project="$REPO_ROOT/src/OrderPipeline.$service/OrderPipeline.$service.csproj"
  [ -f "$project" ] || die "project not found: $project"
  lower="$(printf '%s' "$service" | tr '[:upper:]' '[:lower:]')"
  out="$WORK/publish/$lower"

  echo "==> dotnet publish OrderPipeline.$service (linux-arm64, ReadyToRun)"
  # Nothing in the assemblies names the folder, machine or commit they were built from: the source paths are mapped
  # to /_/, the symbols embedded without Source Link, and the version carries no commit. The same code, the same zip.
  run dotnet publish "$project" -c Release -r linux-arm64 --self-contained false -p:PublishReadyToRun=true \
    -p:DebugType=embedded -p:EnableSourceLink=false -p:IncludeSourceRevisionInInformationalVersion=false \
    "-p:PathMap=$REPO_ROOT=/_" -o "$out" -nologo -v quiet
  run mkdir -p "$out/certs"
  run cp "$CA_BUNDLE" "$out/certs/rds-ca-bundle.pem"

  if $DRY_RUN; then
    hash="CONTENTHASH"
    echo "DRY-RUN: (cd $out && find . -type f | sort | zip -q -X -D $OUTPUT/functions/$lower-$hash.zip -@)"
  else
    [ -f "$out/OrderPipeline.$service.dll" ] || die "publish produced no OrderPipeline.$service.dll"
    hash="$(cd "$out" && find . -type f | LC_ALL=C sort | while IFS= read -r file; do
      printf '%s  %s\n' "$(sha256_of_stdin < "$file")" "$file"
    done | sha256_of_stdin | cut -c1-16)"
    find "$out" -exec touch -h -t 198001010000 {} +
    (cd "$out" && find . -type f | LC_ALL=C sort | zip -q -X -D "$OUTPUT/functions/$lower-$hash.zip" -@)
  fi
  echo "    functions/$lower-$hash.zip"
  PARAMETERS="$PARAMETERS${PARAMETERS:+,
}  {\"ParameterKey\": \"${service}CodeKey\", \"ParameterValue\": \"$lower-$hash.zip\"}"
done

cp "$SCRIPT_DIR/template.yaml" "$OUTPUT/template.yaml"
# The code keys and the recorded parameters, as CloudFormation's parameter files write them, one per line (deploy.sh
# reads them with sed). A code key's object in the artifacts bucket is <stack>/<file name>.
printf '[\n%s%s\n]\n' "$PARAMETERS" "$RECORDED" > "$OUTPUT/parameters.json"
echo "==> Package written to $OUTPUT: template.yaml, parameters.json and functions/"
