# shellcheck shell=bash
# Shared helpers for infra/deploy.sh and infra/teardown.sh (sourced, not executed).

# die MESSAGE: print to stderr and exit 1.
die() {
  echo "error: $*" >&2
  exit 1
}

# require_command NAME [HINT]
require_command() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH.${2:+ $2}"
}

# validate_stack_and_region STACK REGION
validate_stack_and_region() {
  [[ "$1" =~ ^[A-Za-z][A-Za-z0-9-]{0,127}$ ]] || die "invalid stack name '$1' (letters, digits and dashes, starting with a letter)."
  [[ "$2" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "invalid region '$2' (e.g. eu-west-1)."
}

# environment_name STACK: the template's EnvironmentName (resource-name prefix) derived from the stack name:
# lower case, at most 31 characters, [a-z0-9-], starting with a letter.
environment_name() {
  local name
  name="$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9-' '-')"
  name="${name:0:31}"
  name="${name%-}"
  printf '%s' "$name"
}

# artifacts_bucket STACK ACCOUNT REGION: the S3 bucket holding the function zips (override with ARTIFACTS_BUCKET).
artifacts_bucket() {
  if [[ -n "${ARTIFACTS_BUCKET:-}" ]]; then
    printf '%s' "$ARTIFACTS_BUCKET"
    return
  fi
  local suffix="-artifacts-$2-$3" prefix
  prefix="$(environment_name "$1")"
  prefix="${prefix:0:$((63 - ${#suffix}))}"
  printf '%s' "${prefix%-}${suffix}"
}
