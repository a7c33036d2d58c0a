#!/usr/bin/env bash
# Runs the whole system locally: installs what is missing, then starts the .NET Aspire AppHost with `dotnet run`
# (MariaDB, the SQS emulator and its queues, the migration step, the Api, Processor and Notifier, and the Aspire
# dashboard, whose login link it prints). Arguments go to the AppHost; --reset starts from an empty database.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/setup.sh

args=()
for arg in "$@"; do
  if [ "$arg" = "--reset" ]; then args+=("--AppHost:Reset=true"); else args+=("$arg"); fi
done
exec dotnet run --project src/OrderPipeline.AppHost -- ${args[@]+"${args[@]}"}
