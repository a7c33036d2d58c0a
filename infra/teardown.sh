#!/usr/bin/env bash
# Deletes an OrderPipeline stack and, if deploy.sh created it, its artifacts bucket.
#
# Usage: infra/teardown.sh STACK REGION [--yes]
#   STACK   CloudFormation stack name given to infra/deploy.sh
#   REGION  AWS region, e.g. eu-west-1
#   --yes   do not ask for confirmation (required when there is no terminal)
# Environment: AWS credentials as for the AWS CLI v2; ARTIFACTS_BUCKET if deploy.sh was given one.
#
# WARNING: this deletes the order database. Stack termination protection and RDS deletion protection are switched off
# first; CloudFormation then deletes the instance after taking a final snapshot (DeletionPolicy: Snapshot), which is
# kept - and billed - until you delete it. The main queues and the functions are deleted for good; the dead-letter
# queues and the log groups are kept (the script prints how to delete them). A bucket deploy.sh did not create
# (ARTIFACTS_BUCKET) is never deleted: only this stack's uploads (s3://bucket/STACK/) are removed from it.
# Runs on bash 3.2 (macOS) and later.
set -euo pipefail

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

ASSUME_YES=false
POSITIONAL=()
for argument in "$@"; do
  case "$argument" in
    --yes|-y) ASSUME_YES=true ;;
    -h|--help) usage ;;
    -*) echo "unknown option: $argument" >&2; usage ;;
    *) POSITIONAL+=("$argument") ;;
  esac
done
[[ ${#POSITIONAL[@]} -eq 2 ]] || usage
STACK="${POSITIONAL[0]}"
REGION="${POSITIONAL[1]}"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

validate_stack_and_region "$STACK" "$REGION"
require_command aws "Install the AWS CLI v2 and configure credentials."

ACCOUNT_ID="$(aws sts get-caller-identity --query Account --output text)" || die "no usable AWS credentials."
BUCKET="$(artifacts_bucket "$STACK" "$ACCOUNT_ID" "$REGION")"

stack_exists=true
aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" >/dev/null 2>&1 || stack_exists=false
bucket_exists=true
aws s3api head-bucket --bucket "$BUCKET" --region "$REGION" >/dev/null 2>&1 || bucket_exists=false

if ! $stack_exists && ! $bucket_exists; then
  echo "Nothing to delete: no stack $STACK and no bucket $BUCKET in $REGION (account $ACCOUNT_ID)."
  exit 0
fi

# Only a bucket deploy.sh created for this stack (its tag says so) is deleted; from any other only our uploads go.
owns_bucket=false
if $bucket_exists; then
  bucket_tag="$(aws s3api get-bucket-tagging --bucket "$BUCKET" --region "$REGION" \
    --query "TagSet[?Key=='$ARTIFACTS_BUCKET_TAG_KEY'].Value | [0]" --output text 2>/dev/null || true)"
  [ "$bucket_tag" = "$STACK" ] && owns_bucket=true
fi
if $owns_bucket; then
  bucket_fate="S3 bucket $BUCKET with every uploaded build"
else
  bucket_fate="this stack's uploads in s3://$BUCKET/$STACK/ (the bucket itself was not created by deploy.sh and stays)"
fi

cat >&2 <<EOF
!!! About to PERMANENTLY DELETE in account $ACCOUNT_ID, region $REGION:
    - stack $STACK $($stack_exists || echo '(not found)'): the RDS MySQL database with all orders (a final snapshot is
      kept and billed until you delete it), RDS Proxy, the SQS queues with any messages, the Lambda functions, the
      HTTP API, the alarms and dashboard, the VPC and its endpoints (the dead-letter queues and log groups are kept)
    - $bucket_fate $($bucket_exists || echo '(not found)')
EOF
if ! $ASSUME_YES; then
  [[ -t 0 ]] || die "no terminal to confirm on: pass --yes to delete without asking."
  read -r -p "Type the stack name ($STACK) to confirm: " answer
  [[ "$answer" == "$STACK" ]] || die "not confirmed; nothing deleted."
fi

if $stack_exists; then
  db_instance="$(aws cloudformation describe-stack-resources --region "$REGION" --stack-name "$STACK" \
    --query "StackResources[?ResourceType=='AWS::RDS::DBInstance'].PhysicalResourceId | [0]" --output text)"
  if [ -n "$db_instance" ] && [ "$db_instance" != "None" ]; then
    protected="$(aws rds describe-db-instances --region "$REGION" --db-instance-identifier "$db_instance" \
      --query 'DBInstances[0].DeletionProtection' --output text 2>/dev/null || echo False)"
    if [ "$protected" = "True" ]; then
      echo "==> Turning off deletion protection on $db_instance"
      aws rds modify-db-instance --region "$REGION" --db-instance-identifier "$db_instance" \
        --no-deletion-protection --apply-immediately >/dev/null
      aws rds wait db-instance-available --region "$REGION" --db-instance-identifier "$db_instance"
    fi
  fi

  echo "==> Turning off termination protection on $STACK"
  aws cloudformation update-termination-protection --region "$REGION" --stack-name "$STACK" \
    --no-enable-termination-protection >/dev/null

  echo "==> Deleting stack $STACK (Lambda's VPC network interfaces can take 20-40 minutes to be released)"
  aws cloudformation delete-stack --region "$REGION" --stack-name "$STACK"
  aws cloudformation wait stack-delete-complete --region "$REGION" --stack-name "$STACK" \
    || die "stack deletion did not complete; see the stack events in the CloudFormation console and run this again."
  echo "    stack deleted"
  if [ -n "${db_instance:-}" ] && [ "$db_instance" != "None" ]; then
    echo "    final DB snapshot(s) kept; list them with:"
    echo "      aws rds describe-db-snapshots --region $REGION --db-instance-identifier $db_instance --snapshot-type manual"
    echo "    and delete with: aws rds delete-db-snapshot --region $REGION --db-snapshot-identifier <id>"
  fi
fi

if $stack_exists; then
  environment="$(environment_name "$STACK")"
  echo "    kept on purpose (DeletionPolicy RetainExceptOnCreate): the dead-letter queues ${environment}-order-created-dlq and"
  echo "    ${environment}-order-processed-dlq (any orders in them still need a look) and the log groups /aws/lambda/${environment}-*."
  echo "    A new stack with the same name needs them gone first:"
  echo "      aws sqs delete-queue --region $REGION --queue-url \$(aws sqs get-queue-url --region $REGION --queue-name ${environment}-order-created-dlq --output text)"
  echo "      aws logs delete-log-group --region $REGION --log-group-name /aws/lambda/${environment}-api   # and -processor, -notifier, -migrations"
fi

if $bucket_exists && $owns_bucket; then
  echo "==> Emptying and deleting bucket $BUCKET (created by deploy.sh for $STACK)"
  aws s3 rm "s3://$BUCKET" --recursive --region "$REGION" --only-show-errors
  aws s3api delete-bucket --bucket "$BUCKET" --region "$REGION"
  echo "    bucket deleted"
elif $bucket_exists; then
  echo "==> Removing this stack's uploads from s3://$BUCKET/$STACK/ (the bucket was not created by deploy.sh and is kept)"
  aws s3 rm "s3://$BUCKET/$STACK/" --recursive --region "$REGION" --only-show-errors
fi
echo "Done."
