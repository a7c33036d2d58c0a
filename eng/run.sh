#!/usr/bin/env bash
# Runs the whole system locally: installs what is missing, then starts the AppHost
# (MariaDB, the SQS emulator, the Api, Processor and Notifier, and the dashboard).
# Arguments go to the AppHost, e.g. --reset to start from an empty database.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/setup.sh
exec dotnet run --project OrderPipeline.AppHost -- "$@"
