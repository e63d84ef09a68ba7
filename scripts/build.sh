#!/usr/bin/env bash
# Publishes the one NativeAOT berth binary to out/berth, with out/berth-runtime -> berth (multi-call).
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
if ! dotnet publish src/Berth.Cli -c Release -o out --nologo -v quiet -p:DebugType=none >"$log" 2>&1; then
  grep -E "error|warn" "$log" | sort -u >&2 || cat "$log" >&2
  rm -f "$log"; exit 1
fi
rm -f "$log"
ln -sfn berth out/berth-runtime
echo "built $(pwd)/out/berth"
