# shellcheck shell=bash
# Shared helpers for infra/deploy.sh and infra/teardown.sh (sourced, not executed).
# Written for bash 3.2 (the bash macOS ships) as well as Linux's: no associative arrays, no ${var,,}, no mapfile,
# no [[ -v ]], and no "${array[@]}" of a possibly empty array under set -u (bash < 4.4 calls that unbound).

# die MESSAGE: print to stderr and exit 1.
die() {
  echo "error: $*" >&2
  exit 1
}

# require_command NAME [HINT]
require_command() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH.${2:+ $2}"
}

# Regions where AWS publishes the Lambda Web Adapter layer (account 753240598075, LambdaAdapterLayerArm64), as listed
# by the adapter's release pipeline (awslabs/aws-lambda-web-adapter, .github/workflows/prod.json). The China regions
# publish it from other accounts and without arm64, so the template's layer ARN would not resolve there.
LAMBDA_WEB_ADAPTER_REGIONS="af-south-1 ap-east-1 ap-northeast-1 ap-northeast-2 ap-northeast-3 ap-south-1 ap-south-2
ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ca-central-1 eu-central-1 eu-central-2 eu-north-1
eu-south-1 eu-south-2 eu-west-1 eu-west-2 eu-west-3 me-central-1 me-south-1 sa-east-1 us-east-1 us-east-2 us-west-1
us-west-2"

# region_has_web_adapter_layer REGION
region_has_web_adapter_layer() {
  local region
  for region in $LAMBDA_WEB_ADAPTER_REGIONS; do
    [ "$region" = "$1" ] && return 0
  done
  return 1
}

# validate_stack_and_region STACK REGION
validate_stack_and_region() {
  [[ "$1" =~ ^[A-Za-z][A-Za-z0-9-]{0,127}$ ]] || die "invalid stack name '$1' (letters, digits and dashes, starting with a letter)."
  [[ "$2" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "invalid region '$2' (e.g. eu-west-1)."
}

# validate_deploy_region REGION: the functions need the Lambda Web Adapter layer (arm64) in that region.
validate_deploy_region() {
  region_has_web_adapter_layer "$1" \
    || die "region '$1' has no AWS Lambda Web Adapter layer for arm64 (account 753240598075); use one of: $(echo $LAMBDA_WEB_ADAPTER_REGIONS)."
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

# validate_environment_name NAME: what the template's EnvironmentName parameter accepts.
validate_environment_name() {
  [[ "$1" =~ ^[a-z][a-z0-9-]{1,30}$ ]] || die "the stack name gives the resource prefix '$1', which the template refuses (2-31 of a-z 0-9 -, starting with a letter)."
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

# The template parameters deploy.sh and package.sh set themselves, which no one may override.
MANAGED_PARAMETERS="EnvironmentName CodeBucket ApiCodeKey ProcessorCodeKey NotifierCodeKey MigrationsCodeKey DeploymentId"

# The tag deploy.sh puts on a bucket it creates; teardown.sh deletes a bucket only when it carries it for the stack.
ARTIFACTS_BUCKET_TAG_KEY="orderpipeline:created-by-deploy-for-stack"

# sha256_of_stdin: the hex SHA-256 of standard input (sha256sum on Linux, shasum on macOS).
sha256_of_stdin() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum | cut -d' ' -f1
  else
    shasum -a 256 | cut -d' ' -f1
  fi
}

# run COMMAND...: a command that changes something; with DRY_RUN=true it is printed instead.
run() {
  if ${DRY_RUN:-false}; then
    printf 'DRY-RUN:'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}
