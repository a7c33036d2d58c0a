#!/usr/bin/env bash
# Builds the three services and the migration step, uploads them to an S3 artifacts bucket and deploys
# infra/template.yaml with CloudFormation, then invokes the Migrations function once to apply the database schema.
#
# Usage: infra/deploy.sh [--dry-run] STACK REGION [ParameterKey=Value ...]
#   STACK      CloudFormation stack name (also the prefix of resource names, lower-cased)
#   REGION     AWS region with the Lambda Web Adapter layer, e.g. eu-west-1
#   extra      template parameter overrides, e.g. JwtIssuer=https://... JwtAudience=... AlarmEmail=ops@example.com
#              (JwtIssuer and JwtAudience are required when the stack is created)
#   --dry-run  check the parameters and print every command that would change something, without running it
# Environment: AWS credentials as for the AWS CLI v2; ARTIFACTS_BUCKET to use an existing bucket.
# Runs on bash 3.2 (macOS) and later.
set -euo pipefail

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
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

MANAGED_PARAMETERS="EnvironmentName CodeBucket ApiCodeKey ProcessorCodeKey NotifierCodeKey MigrationsCodeKey DeploymentId"
for parameter in ${EXTRA_PARAMETERS[@]+"${EXTRA_PARAMETERS[@]}"}; do
  [[ "$parameter" =~ ^[A-Za-z0-9]+=.*$ ]] || die "parameter override '$parameter' is not Key=Value."
  for managed in $MANAGED_PARAMETERS; do
    [ "${parameter%%=*}" != "$managed" ] || die "$managed is set by deploy.sh; do not override it."
  done
done
WANTED_DELETION_PROTECTION="true"
if has_override DeletionProtection; then
  WANTED_DELETION_PROTECTION="$(override_value DeletionProtection)"
  case "$WANTED_DELETION_PROTECTION" in true|false) ;; *) die "DeletionProtection must be true or false." ;; esac
fi

require_command aws "Install the AWS CLI v2 and configure credentials."
require_command dotnet "Install the .NET 10 SDK."
require_command zip "On Debian/Ubuntu: apt-get install zip (macOS has it)."
require_command curl
aws --version 2>&1 | grep -q '^aws-cli/2\.' || die "the AWS CLI v2 is required ($(aws --version 2>&1))."

# run COMMAND...: a command that changes something; under --dry-run it is printed instead.
run() {
  if $DRY_RUN; then
    printf 'DRY-RUN:'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

if ACCOUNT_ID="$(aws sts get-caller-identity --query Account --output text 2>/dev/null)"; then
  :
elif $DRY_RUN; then
  ACCOUNT_ID="ACCOUNT"   # a dry run without credentials still shows what it would do
else
  die "no usable AWS credentials."
fi
BUCKET="$(artifacts_bucket "$STACK" "$ACCOUNT_ID" "$REGION")"
DEPLOYMENT_ID="$(date -u +%Y%m%dT%H%M%SZ)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# A stack that exists is updated; a new one is created with deletion protection off (a failed first create must be
# able to roll back and delete its database) and protected by an update once it exists. A stack left in
# ROLLBACK_COMPLETE by a failed create can only be deleted.
STACK_STATUS="$(aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
  --query 'Stacks[0].StackStatus' --output text 2>/dev/null || echo NONE)"
case "$STACK_STATUS" in
  NONE) FIRST_CREATE=true ;;
  ROLLBACK_COMPLETE)
    die "stack $STACK is in ROLLBACK_COMPLETE (its first create failed): delete it with infra/teardown.sh $STACK $REGION, then deploy again." ;;
  *_IN_PROGRESS) die "stack $STACK is busy ($STACK_STATUS); wait until it is done." ;;
  *) FIRST_CREATE=false ;;
esac
if $FIRST_CREATE; then
  has_override JwtIssuer && has_override JwtAudience \
    || die "a new stack needs JwtIssuer=https://<issuer>/ and JwtAudience=<audience> (the HTTP API's JWT authorizer)."
  DELETION_PROTECTION_NOW="false"
else
  DELETION_PROTECTION_NOW="$WANTED_DELETION_PROTECTION"
fi

echo "==> Stack $STACK in $REGION (account $ACCOUNT_ID), resource prefix '$ENVIRONMENT_NAME', artifacts bucket $BUCKET, deployment $DEPLOYMENT_ID"
$DRY_RUN && echo "    dry run: nothing is built, uploaded, deployed or invoked; the commands are printed"
$FIRST_CREATE && echo "    new stack: created with DeletionProtection=false, then updated to $WANTED_DELETION_PROTECTION"

# ---------------------------------------------------------------------------------------------------------------
# Artifacts bucket: private, encrypted, old artifacts expire after 90 days (Lambda keeps its own copy of the code).
# Tagged as created by this script, so that teardown.sh deletes it (and never a bucket it did not create).
# ---------------------------------------------------------------------------------------------------------------
if ! aws s3api head-bucket --bucket "$BUCKET" --region "$REGION" >/dev/null 2>&1; then
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
fi

# ---------------------------------------------------------------------------------------------------------------
# TLS trust: the connection strings verify the server certificate (SslMode=VerifyFull) against
# /var/task/certs/rds-ca-bundle.pem, which every zip carries: the RDS global bundle (the instance's certificate) and
# the Amazon Trust Services roots (RDS Proxy presents a certificate from AWS Certificate Manager, which chains to
# them). Downloaded at each deployment so that CA rotations reach the functions; never committed.
# ---------------------------------------------------------------------------------------------------------------
RDS_CA_BUNDLE_URL="https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
AMAZON_ROOT_CA_URLS="https://www.amazontrust.com/repository/AmazonRootCA1.pem https://www.amazontrust.com/repository/AmazonRootCA2.pem https://www.amazontrust.com/repository/AmazonRootCA3.pem https://www.amazontrust.com/repository/AmazonRootCA4.pem"
CA_BUNDLE="$WORK/rds-ca-bundle.pem"
echo "==> Downloading the RDS CA bundle and the Amazon root CAs"
run curl -fsSL --retry 3 -o "$WORK/rds-global-bundle.pem" "$RDS_CA_BUNDLE_URL"
for url in $AMAZON_ROOT_CA_URLS; do
  run curl -fsSL --retry 3 -o "$WORK/$(basename "$url")" "$url"
done
if ! $DRY_RUN; then
  cat "$WORK/rds-global-bundle.pem" "$WORK"/AmazonRootCA*.pem > "$CA_BUNDLE"
  [ "$(grep -c 'BEGIN CERTIFICATE' "$CA_BUNDLE")" -ge 5 ] || die "the CA bundle downloaded from $RDS_CA_BUNDLE_URL looks wrong."
fi

# ---------------------------------------------------------------------------------------------------------------
# Build: framework-dependent, ReadyToRun (less JIT at a cold start) for the managed dotnet10 runtime on arm64, one zip
# per function (the three services and the migration step) with the CA bundle at certs/rds-ca-bundle.pem, uploaded
# under a key derived from the zip's content, so that unchanged code is not uploaded again.
# ---------------------------------------------------------------------------------------------------------------
for service in Api Processor Notifier Migrations; do
  project="$REPO_ROOT/src/OrderPipeline.$service/OrderPipeline.$service.csproj"
  [ -f "$project" ] || die "project not found: $project"
  lower="$(printf '%s' "$service" | tr '[:upper:]' '[:lower:]')"
  out="$WORK/publish/$lower"

  echo "==> dotnet publish OrderPipeline.$service (linux-arm64, ReadyToRun)"
  run dotnet publish "$project" -c Release -r linux-arm64 --self-contained false -p:PublishReadyToRun=true -o "$out" -nologo -v quiet
  run mkdir -p "$out/certs"
  run cp "$CA_BUNDLE" "$out/certs/rds-ca-bundle.pem"

  if $DRY_RUN; then
    hash="CONTENTHASH"
  else
    [ -f "$out/OrderPipeline.$service.dll" ] || die "publish produced no OrderPipeline.$service.dll"
    hash="$(cd "$out" && find . -type f | LC_ALL=C sort | while IFS= read -r file; do
      printf '%s  %s\n' "$(sha256_of_stdin < "$file")" "$file"
    done | sha256_of_stdin | cut -c1-16)"
  fi
  if $DRY_RUN; then
    echo "DRY-RUN: (cd $out && zip -q -r -X $WORK/$lower.zip .)"
  else
    (cd "$out" && zip -q -r -X "$WORK/$lower.zip" .)
  fi
  key="$STACK/$lower-$hash.zip"
  if aws s3api head-object --bucket "$BUCKET" --key "$key" --region "$REGION" >/dev/null 2>&1; then
    echo "    s3://$BUCKET/$key already uploaded"
  else
    echo "    uploading s3://$BUCKET/$key"
    run aws s3 cp "$WORK/$lower.zip" "s3://$BUCKET/$key" --region "$REGION" --only-show-errors
  fi
  printf -v "${service}_CODE_KEY" '%s' "$key"
done

# ---------------------------------------------------------------------------------------------------------------
# Deploy. DeploymentId changes at every deployment: each function gets a new version and its 'live' alias moves to it
# (the previous versions stay, for a rollback with aws lambda update-alias).
# ---------------------------------------------------------------------------------------------------------------
# deploy_stack DELETION_PROTECTION
deploy_stack() {
  run aws cloudformation deploy \
    --region "$REGION" \
    --stack-name "$STACK" \
    --template-file "$SCRIPT_DIR/template.yaml" \
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
      ${OTHER_PARAMETERS[@]+"${OTHER_PARAMETERS[@]}"}
}
OTHER_PARAMETERS=()
for parameter in ${EXTRA_PARAMETERS[@]+"${EXTRA_PARAMETERS[@]}"}; do
  case "$parameter" in DeletionProtection=*) ;; *) OTHER_PARAMETERS+=("$parameter") ;; esac
done

echo "==> aws cloudformation deploy (creating RDS and RDS Proxy takes 15-30 minutes the first time)"
deploy_stack "$DELETION_PROTECTION_NOW"

output() {
  aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

if $DRY_RUN; then
  MIGRATIONS_FUNCTION="${ENVIRONMENT_NAME}-migrations"
else
  MIGRATIONS_FUNCTION="$(output MigrationsFunctionName)"
fi
PROXY_NAME="${ENVIRONMENT_NAME}-proxy"

# ---------------------------------------------------------------------------------------------------------------
# Schema: the one migration step. The Migrations function (OrderPipeline.Migrations behind the Lambda Web Adapter)
# applies each versioned migration in db/migrations that the database has not recorded yet (sample data only with
# SeedSampleData=true), creates the services' IAM database users and grants, and answers
# {"status":"applied","applied":[...]}; so it runs on every deployment. Wait until the proxy can reach the instance,
# then invoke it once.
# ---------------------------------------------------------------------------------------------------------------
if $DRY_RUN; then
  echo "DRY-RUN: wait until RDS Proxy $PROXY_NAME reports its target AVAILABLE, then invoke $MIGRATIONS_FUNCTION once with {} (3 attempts, 20 s apart)"
else
  echo "==> Waiting for RDS Proxy $PROXY_NAME to report its target AVAILABLE"
  for attempt in $(seq 1 60); do
    # shellcheck disable=SC2016 # the backticks are a JMESPath literal, not a shell expansion
    state="$(aws rds describe-db-proxy-targets --region "$REGION" --db-proxy-name "$PROXY_NAME" \
      --query 'Targets[?Type==`RDS_INSTANCE`].TargetHealth.State | [0]' --output text 2>/dev/null || true)"
    [ "$state" = "AVAILABLE" ] && break
    [ "$attempt" -eq 60 ] && die "RDS Proxy target is '$state' after 10 minutes; check the proxy in the RDS console."
    sleep 10
  done

  echo "==> Waiting for $MIGRATIONS_FUNCTION to be ready"
  aws lambda wait function-updated --region "$REGION" --function-name "$MIGRATIONS_FUNCTION"

  echo "==> Invoking $MIGRATIONS_FUNCTION once to apply the database schema"
  for attempt in 1 2 3; do
    # The read timeout exceeds the function's 120 s timeout, so a slow migration is reported by Lambda, not cut off here.
    rm -f "$WORK/migrate.json"
    function_error="$(aws lambda invoke --region "$REGION" --function-name "$MIGRATIONS_FUNCTION" --cli-binary-format raw-in-base64-out --cli-read-timeout 180 --payload '{}' --query 'FunctionError' --output text "$WORK/migrate.json")" || function_error="invoke failed"
    touch "$WORK/migrate.json"
    if { [ "$function_error" = "None" ] || [ -z "$function_error" ]; } && grep -q '"applied"' "$WORK/migrate.json"; then
      echo "    schema applied: $(cat "$WORK/migrate.json")"
      break
    fi
    echo "    attempt $attempt failed (FunctionError=$function_error): $(cat "$WORK/migrate.json")" >&2
    [ "$attempt" -eq 3 ] && die "the Migrations function could not apply the schema; see log group /aws/lambda/$MIGRATIONS_FUNCTION."
    sleep 20
  done
fi

# ---------------------------------------------------------------------------------------------------------------
# A new stack is protected once it exists: deletion protection on the database (a quick update of that one parameter)
# and termination protection on the stack. teardown.sh lifts both.
# ---------------------------------------------------------------------------------------------------------------
if $FIRST_CREATE && [ "$WANTED_DELETION_PROTECTION" = "true" ]; then
  echo "==> Turning on the database's deletion protection now that the stack exists"
  deploy_stack true
fi
if $FIRST_CREATE; then
  run aws cloudformation update-termination-protection --region "$REGION" --stack-name "$STACK" --enable-termination-protection
fi

if $DRY_RUN; then
  echo "Dry run complete: nothing was changed."
  exit 0
fi

echo "==> Stack outputs"
aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
  --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table

API_URL="$(output ApiUrl)"
echo
echo "Try it (with an access token from your issuer):"
echo "  curl -s -X POST '$API_URL/api/orders' -H \"authorization: Bearer \$TOKEN\" -H 'content-type: application/json' -d '{...}'"
echo "  curl -s '$API_URL/api/orders/<order_id>' -H \"authorization: Bearer \$TOKEN\""
echo "Roll back a service: aws lambda update-alias --region $REGION --function-name ${ENVIRONMENT_NAME}-api --name live --function-version <previous>"
