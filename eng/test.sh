#!/usr/bin/env bash
# Runs every test: unit, integration (real MariaDB and SQS emulator), whole-system (through the AppHost),
# the CloudFormation checks and the dashboard's browser tests, with line coverage of the Processor.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/setup.sh --with-browser

results=artifacts/test-results
rm -rf "$results"
dotnet build OrderPipeline.sln -nologo -v quiet
dotnet test OrderPipeline.sln --no-build -nologo \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" --results-directory "$results" \
  -p:CollectCoverage=true -p:Include='[OrderPipeline.Processor]*' \
  -p:Threshold=70 -p:ThresholdType=line -p:ThresholdStat=total \
  -p:CoverletOutput="$PWD/$results/" -p:CoverletOutputFormat=cobertura
