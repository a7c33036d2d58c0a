#!/usr/bin/env bash
# Deletes an OrderPipeline stack and its artifacts bucket.
#
# Usage: infra/teardown.sh STACK REGION [--yes]
#   STACK   CloudFormation stack name given to infra/deploy.sh
#   REGION  AWS region, e.g. eu-west-1
#   --yes   do not ask for confirmation (required when there is no terminal)
# Environment: AWS credentials as for the AWS CLI v2; ARTIFACTS_BUCKET if deploy.sh was given one.
#
# WARNING: this deletes the order database. RDS deletion protection is switched off first; CloudFormation then
# deletes the instance after taking a final snapshot (DeletionPolicy: Snapshot), which is kept - and billed - until
# you delete it. The queues (with any messages, including the dead-letter queues), the functions and their logs
# are deleted for good.
set -euo pipefail

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
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

cat >&2 <<EOF
!!! About to PERMANENTLY DELETE in account $ACCOUNT_ID, region $REGION:
    - stack $STACK $($stack_exists || echo '(not found)'): the RDS MySQL database with all orders (a final snapshot is
      kept and billed until you delete it), RDS Proxy, the SQS queues and dead-letter queues with any messages,
      the Lambda functions, their log groups, the HTTP API, the VPC and its endpoints
    - S3 bucket $BUCKET $($bucket_exists || echo '(not found)') with every uploaded build
EOF
if ! $ASSUME_YES; then
  [[ -t 0 ]] || die "no terminal to confirm on: pass --yes to delete without asking."
  read -r -p "Type the stack name ($STACK) to confirm: " answer
  [[ "$answer" == "$STACK" ]] || die "not confirmed; nothing deleted."
fi

if $stack_exists; then
  db_instance="$(aws cloudformation describe-stack-resources --region "$REGION" --stack-name "$STACK" \
    --query "StackResources[?ResourceType=='AWS::RDS::DBInstance'].PhysicalResourceId | [0]" --output text)"
  if [[ -n "$db_instance" && "$db_instance" != "None" ]]; then
    protected="$(aws rds describe-db-instances --region "$REGION" --db-instance-identifier "$db_instance" \
      --query 'DBInstances[0].DeletionProtection' --output text 2>/dev/null || echo False)"
    if [[ "$protected" == "True" ]]; then
      echo "==> Turning off deletion protection on $db_instance"
      aws rds modify-db-instance --region "$REGION" --db-instance-identifier "$db_instance" \
        --no-deletion-protection --apply-immediately >/dev/null
      aws rds wait db-instance-available --region "$REGION" --db-instance-identifier "$db_instance"
    fi
  fi

  echo "==> Deleting stack $STACK (Lambda's VPC network interfaces can take 20-40 minutes to be released)"
  aws cloudformation delete-stack --region "$REGION" --stack-name "$STACK"
  aws cloudformation wait stack-delete-complete --region "$REGION" --stack-name "$STACK" \
    || die "stack deletion did not complete; see the stack events in the CloudFormation console and run this again."
  echo "    stack deleted"
  if [[ -n "${db_instance:-}" && "$db_instance" != "None" ]]; then
    echo "    final DB snapshot(s) kept; list them with:"
    echo "      aws rds describe-db-snapshots --region $REGION --db-instance-identifier $db_instance --snapshot-type manual"
    echo "    and delete with: aws rds delete-db-snapshot --region $REGION --db-snapshot-identifier <id>"
  fi
fi

if $bucket_exists; then
  echo "==> Emptying and deleting bucket $BUCKET"
  aws s3 rm "s3://$BUCKET" --recursive --region "$REGION" --only-show-errors
  aws s3api delete-bucket --bucket "$BUCKET" --region "$REGION"
  echo "    bucket deleted"
fi
echo "Done."
