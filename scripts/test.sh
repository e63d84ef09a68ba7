#!/usr/bin/env bash
# Runs every test: unit tests, then integration tests as root against the real kernel with the
# NativeAOT binary, then a check that nothing of Berth's is left on the machine.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "the integration tests run containers: run as root" >&2; exit 1; }
scripts/deps.sh || exit 1
scripts/build.sh || exit 1
export BERTH_BIN=$PWD/out/berth
log=$(mktemp)
status=0
dotnet test tests/Berth.UnitTests --nologo 2>&1 | tee -a "$log" || status=1
dotnet test tests/Berth.IntegrationTests --nologo 2>&1 | tee -a "$log" || status=1

leaks=$(scripts/leaks.sh) || { echo "$leaks"; status=1; }
# One plain summary line over both test projects.
awk '/(Passed|Failed)!.*Total:/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log" | tr -d ','  | sed 's/ passed/ passed,/; s/ failed/ failed,/'
rm -f "$log"
exit $status
