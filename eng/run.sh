#!/usr/bin/env bash
# Runs the whole system locally: installs what is missing, then starts the .NET Aspire AppHost with `dotnet run`
# (MariaDB, the SQS emulator and its queues, the migration step, the Api, Processor and Notifier, and the Aspire
# dashboard, whose login link it prints). Arguments go to the AppHost; --reset starts from an empty database;
# --lambda runs the services as AWS runs them (Lambda functions, their SQS event sources, the HTTP API and the
# schedule, as infra/template.yaml declares them: docs/lambda-shape.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/setup.sh

args=()
for arg in "$@"; do
  case "$arg" in
    --reset) args+=("--AppHost:Reset=true") ;;
    --lambda) args+=("--AppHost:Lambda=true") ;;
    *) args+=("$arg") ;;
  esac
done
exec dotnet run --project src/OrderPipeline.AppHost -- ${args[@]+"${args[@]}"}
