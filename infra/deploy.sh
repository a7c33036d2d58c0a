#!/usr/bin/env bash
# Deploys OrderPipeline to AWS: packages the three services and the migration step (package.sh), uploads them to an
# S3 artifacts bucket, deploys infra/template.yaml with CloudFormation, then invokes the Migrations function once to
# apply the database schema. `aspire deploy` runs the same steps of this script, one at a time (--step).
#
# Usage: infra/deploy.sh [--dry-run] [--package DIR] [--step STEP --state FILE] STACK REGION [ParameterKey=Value ...]
#   STACK      CloudFormation stack name (also the prefix of resource names, lower-cased)
#   REGION     AWS region with the Lambda Web Adapter layer, e.g. eu-west-1
#   extra      template parameter overrides, e.g. JwtIssuer=https://... JwtAudience=... AlarmEmail=ops@example.com
#              (JwtIssuer and JwtAudience are required when the stack is created)
#   --dry-run  check the parameters and print every command that would change something, without running it
#   --package  deploy the folder package.sh (or `aspire publish`) wrote, instead of packaging now
#   --step     run one step: check, bucket, upload, stack, proxy, migrate, protect or outputs, in that order; check
#              writes what the later steps read to --state FILE (a dry run's plan is a check with --dry-run, and so on)
# Environment: AWS credentials as for the AWS CLI v2; ARTIFACTS_BUCKET to use an existing bucket; RDS_CA_BUNDLE to
# package with a CA bundle file instead of downloading it (see package.sh).
# Runs on bash 3.2 (macOS) and later.
set -euo pipefail

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

DRY_RUN=false
PACKAGE=""
STEP=""
STATE=""
POSITIONAL=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=true ;;
    --package|--step|--state)
      [ $# -ge 2 ] || usage
      case "$1" in --package) PACKAGE="$2" ;; --step) STEP="$2" ;; --state) STATE="$2" ;; esac
      shift ;;
    -h|--help) usage ;;
    -*) echo "unknown option: $1" >&2; usage ;;
    *) POSITIONAL+=("$1") ;;
  esac
  shift
done
[ ${#POSITIONAL[@]} -ge 2 ] || usage

STACK="${POSITIONAL[0]}"
REGION="${POSITIONAL[1]}"
EXTRA_PARAMETERS=()
if [ ${#POSITIONAL[@]} -gt 2 ]; then
  EXTRA_PARAMETERS=("${POSITIONAL[@]:2}")
fi

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

# ---------------------------------------------------------------------------------------------------------------
# Parameters: checked before anything is built or called.
# ---------------------------------------------------------------------------------------------------------------
validate_stack_and_region "$STACK" "$REGION"
validate_deploy_region "$REGION"
ENVIRONMENT_NAME="$(environment_name "$STACK")"
validate_environment_name "$ENVIRONMENT_NAME"

# has_override KEY: whether KEY=... is among the parameter overrides. override_value KEY: its value.
has_override() {
  local parameter
  for parameter in ${EXTRA_PARAMETERS[@]+"${EXTRA_PARAMETERS[@]}"}; do
    case "$parameter" in "$1="*) return 0 ;; esac
  done
  return 1
}
override_value() {
  local parameter
  for parameter in ${EXTRA_PARAMETERS[@]+"${EXTRA_PARAMETERS[@]}"}; do
    case "$parameter" in "$1="*) printf '%s' "${parameter#*=}" ;; esac
  done
}

for parameter in ${EXTRA_PARAMETERS[@]+"${EXTRA_PARAMETERS[@]}"}; do
  [[ "$parameter" =~ ^[A-Za-z0-9]+=.*$ ]] || die "parameter override '$parameter' is not Key=Value."
  for managed in $MANAGED_PARAMETERS; do
    [ "${parameter%%=*}" != "$managed" ] || die "$managed is set by deploy.sh or package.sh; do not override it."
  done
done
WANTED_DELETION_PROTECTION="true"
if has_override DeletionProtection; then
  WANTED_DELETION_PROTECTION="$(override_value DeletionProtection)"
  case "$WANTED_DELETION_PROTECTION" in true|false) ;; *) die "DeletionProtection must be true or false." ;; esac
fi

STEPS="check bucket upload stack proxy migrate protect outputs"
if [ -n "$STEP" ]; then
  case " $STEPS " in *" $STEP "*) ;; *) die "unknown step '$STEP' (one of: $STEPS)." ;; esac
  [ -n "$STATE" ] || die "--step needs --state FILE, where check writes what the later steps read."
  [ "$STEP" = check ] || [ -f "$STATE" ] || die "no state in $STATE: run --step check first."
  case "$STEP" in upload|stack) [ -n "$PACKAGE" ] || die "--step $STEP needs --package DIR." ;; esac
fi
if [ -n "$PACKAGE" ]; then
  [ -f "$PACKAGE/parameters.json" ] && [ -f "$PACKAGE/template.yaml" ] \
    || die "$PACKAGE holds no package (template.yaml and parameters.json): run infra/package.sh or aspire publish."
  PACKAGE="$(cd "$PACKAGE" && pwd)"
  # The parameters recorded in the package, unless given here too.
  while IFS= read -r parameter; do
    [ -n "$parameter" ] || continue
    has_override "${parameter%%=*}" || EXTRA_PARAMETERS+=("$parameter")
  done <<EOF
$(sed -n 's/^ *{"ParameterKey": "\([A-Za-z0-9]*\)", "ParameterValue": "\([^"]*\)"},\{0,1\}$/\1=\2/p' "$PACKAGE/parameters.json" | grep -v '^[A-Za-z]*CodeKey=' || true)
EOF
fi

require_command aws "Install the AWS CLI v2 and configure credentials."
aws --version 2>&1 | grep -q '^aws-cli/2\.' || die "the AWS CLI v2 is required ($(aws --version 2>&1))."

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------------------------------------------------------
# check: credentials, and whether the stack is new. A stack that exists is updated; a new one is created with deletion
# protection off (a failed first create must be able to roll back and delete its database) and protected by an update
# once it exists. A stack left in ROLLBACK_COMPLETE by a failed create can only be deleted.
# ---------------------------------------------------------------------------------------------------------------
check_step() {
  if ACCOUNT_ID="$(aws sts get-caller-identity --query Account --output text 2>/dev/null)"; then
    :
  elif $DRY_RUN; then
    ACCOUNT_ID="ACCOUNT"   # a dry run without credentials still shows what it would do
  else
    die "no usable AWS credentials."
  fi
  local status
  status="$(aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
    --query 'Stacks[0].StackStatus' --output text 2>/dev/null || echo NONE)"
  case "$status" in
    NONE) FIRST_CREATE=true ;;
    ROLLBACK_COMPLETE)
      die "stack $STACK is in ROLLBACK_COMPLETE (its first create failed): delete it with infra/teardown.sh $STACK $REGION, then deploy again." ;;
    *_IN_PROGRESS) die "stack $STACK is busy ($status); wait until it is done." ;;
    *) FIRST_CREATE=false ;;
  esac
  if $FIRST_CREATE; then
    has_override JwtIssuer && has_override JwtAudience \
      || die "a new stack needs JwtIssuer=https://<issuer>/ and JwtAudience=<audience> (the HTTP API's JWT authorizer)."
  fi
  DEPLOYMENT_ID="$(date -u +%Y%m%dT%H%M%SZ)"
  if [ -n "$STATE" ]; then
    printf 'ACCOUNT_ID=%s\nFIRST_CREATE=%s\nDEPLOYMENT_ID=%s\n' "$ACCOUNT_ID" "$FIRST_CREATE" "$DEPLOYMENT_ID" > "$STATE"
  fi
  set_derived
  echo "==> Stack $STACK in $REGION (account $ACCOUNT_ID), resource prefix '$ENVIRONMENT_NAME', artifacts bucket $BUCKET, deployment $DEPLOYMENT_ID"
  if $DRY_RUN; then echo "    dry run: nothing is built, uploaded, deployed or invoked; the commands are printed"; fi
  if $FIRST_CREATE; then echo "    new stack: created with DeletionProtection=false, then updated to $WANTED_DELETION_PROTECTION"; fi
}

# read_state: what check found, for a step run on its own.
read_state() {
  ACCOUNT_ID="$(sed -n 's/^ACCOUNT_ID=\([0-9A-Z]*\)$/\1/p' "$STATE")"
  FIRST_CREATE="$(sed -n 's/^FIRST_CREATE=\([a-z]*\)$/\1/p' "$STATE")"
  case "$FIRST_CREATE" in true|false) ;; *) FIRST_CREATE="" ;; esac
  DEPLOYMENT_ID="$(sed -n 's/^DEPLOYMENT_ID=\([0-9A-Z]*\)$/\1/p' "$STATE")"
  [ -n "$ACCOUNT_ID" ] && [ -n "$FIRST_CREATE" ] && [ -n "$DEPLOYMENT_ID" ] || die "$STATE is not what --step check writes."
  set_derived
}

set_derived() {
  BUCKET="$(artifacts_bucket "$STACK" "$ACCOUNT_ID" "$REGION")"
  if $FIRST_CREATE; then DELETION_PROTECTION_NOW="false"; else DELETION_PROTECTION_NOW="$WANTED_DELETION_PROTECTION"; fi
  PROXY_NAME="${ENVIRONMENT_NAME}-proxy"
}

# ---------------------------------------------------------------------------------------------------------------
# bucket: private, encrypted, old artifacts expire after 90 days (Lambda keeps its own copy of the code). Tagged as
# created by this script, so that teardown.sh deletes it (and never a bucket it did not create).
# ---------------------------------------------------------------------------------------------------------------
bucket_step() {
  if aws s3api head-bucket --bucket "$BUCKET" --region "$REGION" >/dev/null 2>&1; then
    echo "==> Artifacts bucket $BUCKET exists"
    return
  fi
  echo "==> Creating artifacts bucket $BUCKET"
  if [ "$REGION" = "us-east-1" ]; then
    run aws s3api create-bucket --bucket "$BUCKET" --region "$REGION"
  else
    run aws s3api create-bucket --bucket "$BUCKET" --region "$REGION" \
      --create-bucket-configuration "LocationConstraint=$REGION"
  fi
  run aws s3api wait bucket-exists --bucket "$BUCKET" --region "$REGION"
  run aws s3api put-public-access-block --bucket "$BUCKET" --region "$REGION" \
    --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
  run aws s3api put-bucket-encryption --bucket "$BUCKET" --region "$REGION" \
    --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
  run aws s3api put-bucket-lifecycle-configuration --bucket "$BUCKET" --region "$REGION" \
    --lifecycle-configuration '{"Rules":[{"ID":"expire-old-artifacts","Status":"Enabled","Filter":{"Prefix":""},"Expiration":{"Days":90},"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":1}}]}'
  run aws s3api put-bucket-tagging --bucket "$BUCKET" --region "$REGION" \
    --tagging "TagSet=[{Key=$ARTIFACTS_BUCKET_TAG_KEY,Value=$STACK}]"
}

# ---------------------------------------------------------------------------------------------------------------
# The package: the folder package.sh writes (template.yaml, parameters.json, functions/*.zip). Each zip is named by a
# hash of its content and uploaded as <stack>/<name>, so that unchanged code is not uploaded again.
# ---------------------------------------------------------------------------------------------------------------
package_step() {
  if [ -z "$PACKAGE" ]; then
    PACKAGE="$WORK/package"
    if $DRY_RUN; then
      bash "$SCRIPT_DIR/package.sh" --dry-run "$PACKAGE"
    else
      bash "$SCRIPT_DIR/package.sh" "$PACKAGE"
    fi
  fi
}

# package_file SERVICE: the file name package.sh gave the function's zip (its parameters.json's <Service>CodeKey).
package_file() {
  local name
  name="$(sed -n "s/.*\"ParameterKey\": \"$1CodeKey\", \"ParameterValue\": \"\([a-z]*-[A-Za-z0-9]*\.zip\)\".*/\1/p" "$PACKAGE/parameters.json")"
  [ -n "$name" ] || die "$PACKAGE/parameters.json names no $1CodeKey."
  printf '%s' "$name"
}

read_code_keys() {
  Api_CODE_KEY="$STACK/$(package_file Api)"
  Processor_CODE_KEY="$STACK/$(package_file Processor)"
  Notifier_CODE_KEY="$STACK/$(package_file Notifier)"
  Migrations_CODE_KEY="$STACK/$(package_file Migrations)"
}

upload_step() {
  local service key file
  echo "==> Uploading the function packages to s3://$BUCKET/$STACK/"
  for service in Api Processor Notifier Migrations; do
    key="$STACK/$(package_file "$service")"
    file="$PACKAGE/functions/${key#"$STACK/"}"
    if aws s3api head-object --bucket "$BUCKET" --key "$key" --region "$REGION" >/dev/null 2>&1; then
      echo "    s3://$BUCKET/$key already uploaded"
    else
      $DRY_RUN || [ -f "$file" ] || die "the package has no $file."
      echo "    uploading s3://$BUCKET/$key"
      run aws s3 cp "$file" "s3://$BUCKET/$key" --region "$REGION" --only-show-errors
    fi
  done
}

# ---------------------------------------------------------------------------------------------------------------
# stack: DeploymentId changes at every deployment, so each function gets a new version and its 'live' alias moves to
# it (the previous versions stay, for a rollback with aws lambda update-alias).
# ---------------------------------------------------------------------------------------------------------------
# deploy_stack DELETION_PROTECTION
deploy_stack() {
  local other=() parameter
  for parameter in ${EXTRA_PARAMETERS[@]+"${EXTRA_PARAMETERS[@]}"}; do
    case "$parameter" in DeletionProtection=*) ;; *) other+=("$parameter") ;; esac
  done
  read_code_keys
  run aws cloudformation deploy \
    --region "$REGION" \
    --stack-name "$STACK" \
    --template-file "$PACKAGE/template.yaml" \
    --s3-bucket "$BUCKET" \
    --s3-prefix "$STACK/templates" \
    --capabilities CAPABILITY_IAM \
    --no-fail-on-empty-changeset \
    --parameter-overrides \
      "EnvironmentName=$ENVIRONMENT_NAME" \
      "CodeBucket=$BUCKET" \
      "ApiCodeKey=$Api_CODE_KEY" \
      "ProcessorCodeKey=$Processor_CODE_KEY" \
      "NotifierCodeKey=$Notifier_CODE_KEY" \
      "MigrationsCodeKey=$Migrations_CODE_KEY" \
      "DeploymentId=$DEPLOYMENT_ID" \
      "DeletionProtection=$1" \
      ${other[@]+"${other[@]}"}
}

stack_step() {
  echo "==> aws cloudformation deploy (creating RDS and RDS Proxy takes 15-30 minutes the first time)"
  deploy_stack "$DELETION_PROTECTION_NOW"
}

output() {
  aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

# ---------------------------------------------------------------------------------------------------------------
# proxy and migrate: the one migration step. The Migrations function (OrderPipeline.Migrations behind the Lambda Web
# Adapter) applies each versioned migration in db/migrations that the database has not recorded yet (sample data only
# with SeedSampleData=true), creates the services' IAM database users and grants, and answers
# {"status":"applied","applied":[...]}; so it runs on every deployment, once the proxy can reach the instance.
# ---------------------------------------------------------------------------------------------------------------
proxy_step() {
  if $DRY_RUN; then
    echo "DRY-RUN: wait until RDS Proxy $PROXY_NAME reports its target AVAILABLE (10 minutes at most)"
    return
  fi
  echo "==> Waiting for RDS Proxy $PROXY_NAME to report its target AVAILABLE"
  local attempt state
  for attempt in $(seq 1 60); do
    # shellcheck disable=SC2016 # the backticks are a JMESPath literal, not a shell expansion
    state="$(aws rds describe-db-proxy-targets --region "$REGION" --db-proxy-name "$PROXY_NAME" \
      --query 'Targets[?Type==`RDS_INSTANCE`].TargetHealth.State | [0]' --output text 2>/dev/null || true)"
    [ "$state" = "AVAILABLE" ] && return
    [ "$attempt" -eq 60 ] && die "RDS Proxy target is '$state' after 10 minutes; check the proxy in the RDS console."
    sleep 10
  done
}

migrate_step() {
  if $DRY_RUN; then
    echo "DRY-RUN: invoke ${ENVIRONMENT_NAME}-migrations once with {} (3 attempts, 20 s apart)"
    return
  fi
  local migrations_function attempt function_error
  migrations_function="$(output MigrationsFunctionName)"
  echo "==> Waiting for $migrations_function to be ready"
  aws lambda wait function-updated --region "$REGION" --function-name "$migrations_function"

  echo "==> Invoking $migrations_function once to apply the database schema"
  for attempt in 1 2 3; do
    # The read timeout exceeds the function's 120 s timeout, so a slow migration is reported by Lambda, not cut off here.
    rm -f "$WORK/migrate.json"
    function_error="$(aws lambda invoke --region "$REGION" --function-name "$migrations_function" --cli-binary-format raw-in-base64-out --cli-read-timeout 180 --payload '{}' --query 'FunctionError' --output text "$WORK/migrate.json")" || function_error="invoke failed"
    touch "$WORK/migrate.json"
    if { [ "$function_error" = "None" ] || [ -z "$function_error" ]; } && grep -q '"applied"' "$WORK/migrate.json"; then
      echo "    schema applied: $(cat "$WORK/migrate.json")"
      return
    fi
    echo "    attempt $attempt failed (FunctionError=$function_error): $(cat "$WORK/migrate.json")" >&2
    [ "$attempt" -eq 3 ] && die "the Migrations function could not apply the schema; see log group /aws/lambda/$migrations_function."
    sleep 20
  done
}

# ---------------------------------------------------------------------------------------------------------------
# protect: a new stack is protected once it exists: deletion protection on the database (a quick update of that one
# parameter) and termination protection on the stack. teardown.sh lifts both.
# ---------------------------------------------------------------------------------------------------------------
protect_step() {
  if $FIRST_CREATE && [ "$WANTED_DELETION_PROTECTION" = "true" ]; then
    echo "==> Turning on the database's deletion protection now that the stack exists"
    deploy_stack true
  fi
  if $FIRST_CREATE; then
    run aws cloudformation update-termination-protection --region "$REGION" --stack-name "$STACK" --enable-termination-protection
  fi
}

outputs_step() {
  if $DRY_RUN; then
    echo "Dry run complete: nothing was changed."
    return
  fi
  echo "==> Stack outputs"
  aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
    --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table

  local api_url
  api_url="$(output ApiUrl)"
  # Read by the Aspire pipeline for its summary: keep these two lines' form.
  echo "API: $api_url"
  echo "CloudWatch dashboard: $(output DashboardName)"
  echo
  echo "Try it (with an access token from your issuer):"
  echo "  curl -s -X POST '$api_url/api/orders' -H \"authorization: Bearer \$TOKEN\" -H 'content-type: application/json' -d '{...}'"
  echo "  curl -s '$api_url/api/orders/<order_id>' -H \"authorization: Bearer \$TOKEN\""
  echo "Roll back a service: aws lambda update-alias --region $REGION --function-name ${ENVIRONMENT_NAME}-api --name live --function-version <previous>"
}

if [ -n "$STEP" ]; then
  if [ "$STEP" = check ]; then check_step; else read_state; "${STEP}_step"; fi
else
  check_step
  bucket_step
  package_step
  upload_step
  stack_step
  proxy_step
  migrate_step
  protect_step
  outputs_step
fi
