#!/usr/bin/env bash
# Runs every test: unit, integration (real MariaDB and SQS emulator), whole-system (through the AppHost),
# the CloudFormation checks and the dashboard's browser tests, with line coverage of the Processor's own code
# (generated logging and JSON code excluded), which must stay at 70% or more.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/setup.sh --with-browser

results=artifacts/test-results
rm -rf "$results"
dotnet build OrderPipeline.sln -nologo -v quiet
dotnet test OrderPipeline.sln --no-build -nologo \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" --results-directory "$results" \
  -p:CollectCoverage=true -p:Include='[OrderPipeline.Processor]*' -p:ExcludeByFile='**/obj/**/*.cs' \
  -p:Threshold=70 -p:ThresholdType=line -p:ThresholdStat=total \
  -p:CoverletOutput="$PWD/$results/" -p:CoverletOutputFormat=cobertura
