#!/usr/bin/env bash
# Runs every test project, one after the other, each writing its own .trx into artifacts/test-results: the unit
# tests, the AppHost's unit tests, the CloudFormation checks, the functional tests (services in-process against the
# real MariaDB and SQS emulator, and the whole system through the AppHost) and the dashboard's browser tests.
# Gate: line coverage of the Processor's own code (generated logging and JSON code excluded), over the unit and the
# functional tests together (the projects that run its code in-process), must stay at 70% or more.
set -uo pipefail
cd "$(dirname "$0")/.."
bash eng/setup.sh --with-browser || exit 1

results=artifacts/test-results
rm -rf "$results"
dotnet build OrderPipeline.sln -nologo -v quiet || exit 1

# The Processor's coverage: the unit tests write theirs (coverlet's JSON), the functional tests merge it into their
# own (coverlet's MergeWith) and hold the total to the threshold, which fails their run when it is below.
coverage=(-p:CollectCoverage=true -p:Include='[OrderPipeline.Processor]*' -p:ExcludeByFile='**/obj/**/*.cs')
unit_coverage="$PWD/$results/coverage-unit/coverage.json"
merged_coverage="$PWD/$results/coverage.cobertura.xml"

status=0
run() {
  local project=$1; shift
  echo "=== $project"
  dotnet test "tests/$project" --no-build -nologo \
    --logger "trx;LogFileName=$project.trx" --logger "console;verbosity=normal" --results-directory "$results" "$@" || status=1
}

# In this order, then any test project not named here.
order=(OrderPipeline.UnitTests OrderPipeline.AppHostTests OrderPipeline.InfraTests OrderPipeline.FunctionalTests OrderPipeline.DashboardTests)
for csproj in tests/*/*.csproj; do
  name=$(basename "$csproj" .csproj)
  grep -q '<IsTestProject>true</IsTestProject>' "$csproj" && [[ " ${order[*]} " != *" $name "* ]] && order+=("$name")
done

for project in "${order[@]}"; do
  case "$project" in
    OrderPipeline.UnitTests)
      run "$project" "${coverage[@]}" -p:CoverletOutput="$(dirname "$unit_coverage")/" -p:CoverletOutputFormat=json ;;
    OrderPipeline.FunctionalTests)
      if [ ! -f "$unit_coverage" ]; then
        echo "The unit tests wrote no coverage ($unit_coverage): the Processor's coverage cannot be gated." >&2
        status=1
      fi
      run "$project" "${coverage[@]}" -p:MergeWith="$unit_coverage" \
        -p:Threshold=70 -p:ThresholdType=line -p:ThresholdStat=total \
        -p:CoverletOutput="$PWD/$results/" -p:CoverletOutputFormat=cobertura
      # The figure coverlet held to the threshold, from the merged report's totals.
      totals=$(grep -o -m1 '<coverage [^>]*>' "$merged_coverage" 2>/dev/null)
      covered=$(printf '%s' "$totals" | sed -n 's/.* lines-covered="\([0-9]*\)".*/\1/p')
      valid=$(printf '%s' "$totals" | sed -n 's/.* lines-valid="\([0-9]*\)".*/\1/p')
      if [ -n "$covered" ] && [ -n "$valid" ] && [ "$valid" -gt 0 ]; then
        awk -v c="$covered" -v v="$valid" 'BEGIN { printf "Processor line coverage, unit and functional tests together: %.2f%% (%d of %d lines; gate: 70%%)\n", int(10000 * c / v) / 100, c, v }'
      else
        echo "No merged coverage report ($merged_coverage): the coverage gate was not checked." >&2
        status=1
      fi ;;
    *)
      run "$project" ;;
  esac
done
exit "$status"
