#!/usr/bin/env bash
# Publishes the NativeAOT binaries: out/berth (the engine, with `berth runtime` and `berth init` too),
# out/berth-runtime (the OCI runtime and the init stage alone: smaller, so it starts faster) and
# out/berth-init (a container's init stage alone, the smallest: its start-up is on every start's path).
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
rm -f out/berth-runtime   # a symlink from older builds
for project in src/Berth.Cli src/Berth.RuntimeBinary src/Berth.InitBinary; do
  if ! dotnet publish "$project" -c Release -o out --nologo -v quiet -p:DebugType=none >"$log" 2>&1; then
    grep -E "error|warn" "$log" | sort -u >&2 || cat "$log" >&2
    rm -f "$log"; exit 1
  fi
done
rm -f "$log"
echo "built $(pwd)/out/berth"
