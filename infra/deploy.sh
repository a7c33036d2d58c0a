#!/usr/bin/env bash
# Builds the three services and the migration step, uploads them to an S3 artifacts bucket and deploys
# infra/template.yaml with CloudFormation, then invokes the Migrations function once to apply the database schema.
#
# Usage: infra/deploy.sh STACK REGION [ParameterKey=Value ...]
#   STACK   CloudFormation stack name (also the prefix of resource names, lower-cased)
#   REGION  AWS region, e.g. eu-west-1
#   extra   template parameter overrides, e.g. AlarmEmail=ops@example.com DBInstanceClass=db.t4g.small
# Environment: AWS credentials as for the AWS CLI v2; ARTIFACTS_BUCKET to use an existing bucket.
set -euo pipefail

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
[[ "$1" != "-h" && "$1" != "--help" ]] || usage

STACK="$1"
REGION="$2"
shift 2
EXTRA_PARAMETERS=("$@")

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

validate_stack_and_region "$STACK" "$REGION"
for parameter in "${EXTRA_PARAMETERS[@]}"; do
  [[ "$parameter" =~ ^[A-Za-z0-9]+=.*$ ]] || die "parameter override '$parameter' is not Key=Value."
done

require_command aws "Install the AWS CLI v2 and configure credentials."
require_command dotnet "Install the .NET 10 SDK."
require_command zip "On Debian/Ubuntu: apt-get install zip."
require_command sha256sum

aws --version 2>&1 | grep -q '^aws-cli/2\.' || die "the AWS CLI v2 is required ($(aws --version 2>&1))."

ENVIRONMENT_NAME="$(environment_name "$STACK")"
ACCOUNT_ID="$(aws sts get-caller-identity --query Account --output text)" || die "no usable AWS credentials."
BUCKET="$(artifacts_bucket "$STACK" "$ACCOUNT_ID" "$REGION")"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "==> Stack $STACK in $REGION (account $ACCOUNT_ID), resource prefix '$ENVIRONMENT_NAME', artifacts bucket $BUCKET"

# ---------------------------------------------------------------------------------------------------------------
# Artifacts bucket: private, encrypted, old artifacts expire after 90 days (Lambda keeps its own copy of the code).
# ---------------------------------------------------------------------------------------------------------------
if ! aws s3api head-bucket --bucket "$BUCKET" --region "$REGION" >/dev/null 2>&1; then
  echo "==> Creating artifacts bucket $BUCKET"
  if [[ "$REGION" == "us-east-1" ]]; then
    aws s3api create-bucket --bucket "$BUCKET" --region "$REGION" >/dev/null
  else
    aws s3api create-bucket --bucket "$BUCKET" --region "$REGION" \
      --create-bucket-configuration "LocationConstraint=$REGION" >/dev/null
  fi
  aws s3api wait bucket-exists --bucket "$BUCKET" --region "$REGION"
  aws s3api put-public-access-block --bucket "$BUCKET" --region "$REGION" \
    --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
  aws s3api put-bucket-encryption --bucket "$BUCKET" --region "$REGION" \
    --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
  aws s3api put-bucket-lifecycle-configuration --bucket "$BUCKET" --region "$REGION" \
    --lifecycle-configuration '{"Rules":[{"ID":"expire-old-artifacts","Status":"Enabled","Filter":{"Prefix":""},"Expiration":{"Days":90},"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":1}}]}'
fi

# ---------------------------------------------------------------------------------------------------------------
# Build: framework-dependent publish for the managed dotnet10 runtime (x86_64), one zip per function (the three
# services and the migration step), uploaded under a key derived from the published files' content.
# ---------------------------------------------------------------------------------------------------------------
declare -A CODE_KEYS
for service in Api Processor Notifier Migrations; do
  project="$REPO_ROOT/OrderPipeline.$service/OrderPipeline.$service.csproj"
  [[ -f "$project" ]] || die "project not found: $project"
  lower="$(printf '%s' "$service" | tr '[:upper:]' '[:lower:]')"
  out="$WORK/publish/$lower"

  echo "==> dotnet publish OrderPipeline.$service"
  dotnet publish "$project" -c Release -r linux-x64 --self-contained false -o "$out" -nologo -v quiet

  [[ -f "$out/OrderPipeline.$service.dll" ]] || die "publish produced no OrderPipeline.$service.dll"
  hash="$(cd "$out" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  (cd "$out" && zip -q -r -X "$WORK/$lower.zip" .)
  key="$STACK/$lower-$hash.zip"
  if aws s3api head-object --bucket "$BUCKET" --key "$key" --region "$REGION" >/dev/null 2>&1; then
    echo "    s3://$BUCKET/$key already uploaded"
  else
    echo "    uploading s3://$BUCKET/$key"
    aws s3 cp "$WORK/$lower.zip" "s3://$BUCKET/$key" --region "$REGION" --only-show-errors
  fi
  CODE_KEYS[$service]="$key"
done

# ---------------------------------------------------------------------------------------------------------------
# Deploy
# ---------------------------------------------------------------------------------------------------------------
echo "==> aws cloudformation deploy (creating RDS and RDS Proxy takes 15-30 minutes the first time)"
aws cloudformation deploy \
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
    "ApiCodeKey=${CODE_KEYS[Api]}" \
    "ProcessorCodeKey=${CODE_KEYS[Processor]}" \
    "NotifierCodeKey=${CODE_KEYS[Notifier]}" \
    "MigrationsCodeKey=${CODE_KEYS[Migrations]}" \
    ${EXTRA_PARAMETERS[@]+"${EXTRA_PARAMETERS[@]}"}

output() {
  aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

MIGRATIONS_FUNCTION="$(output MigrationsFunctionName)"
PROXY_NAME="${ENVIRONMENT_NAME}-proxy"

# ---------------------------------------------------------------------------------------------------------------
# Schema: the one migration step. The Migrations function (OrderPipeline.Migrations behind the Lambda Web Adapter)
# applies each versioned migration in db/migrations that the database has not recorded yet (sample data only with
# SeedSampleData=true) and answers {"status":"applied","applied":[...]}; so it runs on every deployment. Wait until the proxy can reach the instance, then invoke it once.
# ---------------------------------------------------------------------------------------------------------------
echo "==> Waiting for RDS Proxy $PROXY_NAME to report its target AVAILABLE"
for attempt in $(seq 1 60); do
  # shellcheck disable=SC2016 # the backticks are a JMESPath literal, not a shell expansion
  state="$(aws rds describe-db-proxy-targets --region "$REGION" --db-proxy-name "$PROXY_NAME" \
    --query 'Targets[?Type==`RDS_INSTANCE`].TargetHealth.State | [0]' --output text 2>/dev/null || true)"
  [[ "$state" == "AVAILABLE" ]] && break
  [[ $attempt -eq 60 ]] && die "RDS Proxy target is '$state' after 10 minutes; check the proxy in the RDS console."
  sleep 10
done

echo "==> Waiting for $MIGRATIONS_FUNCTION to be ready"
aws lambda wait function-updated --region "$REGION" --function-name "$MIGRATIONS_FUNCTION"

echo "==> Invoking $MIGRATIONS_FUNCTION once to apply the database schema"
for attempt in 1 2 3; do
  # The read timeout exceeds the function's 120 s timeout, so a slow migration is reported by Lambda, not cut off here.
  rm -f "$WORK/migrate.json"
  function_error="$(aws lambda invoke --region "$REGION" --function-name "$MIGRATIONS_FUNCTION" \
    --cli-binary-format raw-in-base64-out --cli-read-timeout 180 \
    --payload '{}' \
    --query 'FunctionError' --output text "$WORK/migrate.json")" || function_error="invoke failed"
  touch "$WORK/migrate.json"
  if [[ "$function_error" == "None" || -z "$function_error" ]] && grep -q '"applied"' "$WORK/migrate.json"; then
    echo "    schema applied: $(cat "$WORK/migrate.json")"
    break
  fi
  echo "    attempt $attempt failed (FunctionError=$function_error): $(cat "$WORK/migrate.json")" >&2
  [[ $attempt -eq 3 ]] && die "the Migrations function could not apply the schema; see log group /aws/lambda/$MIGRATIONS_FUNCTION."
  sleep 20
done

echo "==> Stack outputs"
aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
  --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table

API_URL="$(output ApiUrl)"
echo
echo "Try it:"
echo "  curl -s -X POST '$API_URL/api/orders' -H 'content-type: application/json' -d '{...}'"
echo "  curl -s '$API_URL/api/orders/<order_id>'"
