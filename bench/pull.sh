#!/usr/bin/env bash
# bench/pull.sh: pulling the Debian fixture (debian:bookworm-slim, one 51 MB gzip layer, 120 MB
# unpacked) from the local registry (tests/fixtures, 127.0.0.1:5055) with berth, podman and
# docker side by side, in one hyperfine run each, every engine's image cache cleared before each
# pull. Each engine gets its own private store under a temp dir; dockerd is started for the run
# without networking (--bridge none --iptables=false) and stopped after.
# Then berth's time split: download only, gunzip, unpack (see "where the time goes" in the output).
# Env: RUNS (5), OUT (bench/results), ENGINES ("berth podman docker").
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
OUT=${OUT:-$here/bench/results}
ENGINES=${ENGINES:-berth podman docker}
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"
REG=127.0.0.1:5055
IMG=$REG/debian:bookworm-slim

BENCH=1 "$here/scripts/deps.sh"
[ -x "$here/out/berth" ] || "$here/scripts/build.sh"
# The fixture registry: started for the benchmark (and stopped after) unless it was running.
bench_registry_start
mkdir -p "$OUT"
# Not under /tmp: on this machine creating files under /tmp costs ~200 µs each (something watches
# it), 20× more than elsewhere on the same ext4; engines keep their stores in /var/lib, so do we.
work=$(mktemp -d /var/tmp/berth-bench-pull.XXXXXX)
cleanup() {
  bench_registry_stop
  bench_dockerd_stop
  bench_umount_under "$work"
  rm -rf "$work"
}
trap cleanup EXIT

# podman: its own storage and a registries.conf that lets it use plain http on the fixture registry.
bench_podman_conf "$work/podman" "$REG"

cmds=() names=() prepares=()
for e in $ENGINES; do
  case $e in
    berth)
      B="$here/out/berth --root $work/berth/root --runroot $work/berth/run"
      names+=(berth); cmds+=("$B pull -q $IMG"); prepares+=("$B image prune -a -f") ;;
    podman)
      command -v podman >/dev/null || { echo "podman missing; skipped" >&2; continue; }
      names+=(podman); cmds+=("podman pull -q $IMG"); prepares+=("podman rmi -a -f") ;;
    docker)
      command -v dockerd >/dev/null || { echo "dockerd missing; skipped" >&2; continue; }
      bench_dockerd_start "$work/docker" || continue
      D=$BENCH_DOCKER
      names+=(docker); cmds+=("$D pull -q $IMG"); prepares+=("sh -c '$D rmi -f $IMG >/dev/null 2>&1; $D image prune -a -f >/dev/null'") ;;
  esac
done

args=()
for i in "${!names[@]}"; do args+=(--command-name "${names[$i]}" --prepare "sync; ${prepares[$i]} >/dev/null 2>&1; sync" "${cmds[$i]}"); done
stamp=$(date +%Y%m%d-%H%M%S)
hyperfine -w 0 -r "$RUNS" --style basic --export-json "$OUT/pull-$stamp.json" "${args[@]}"

echo
echo "medians (s) and ratio to podman:"
jq -r '.results as $r | ($r[] | select(.command=="podman") | .median) as $p
  | $r[] | "\(.command)\t\(.median | .*1000 | round / 1000)\t\(if $p then (.median / $p * 100 | round / 100) else "-" end)"' "$OUT/pull-$stamp.json" | column -t

# Where berth's time goes, on the same blob: download alone, gunzip alone, unpack alone.
echo
echo "where the time goes (berth's pieces, measured apart):"
digest=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/debian/manifests/bookworm-slim" | jq -r '.layers[0].digest')
hyperfine -w 1 -r "$RUNS" --style basic -N \
  --command-name download "curl -s -o $work/layer.gz http://$REG/v2/debian/blobs/$digest" 2>&1 | grep -E "Time|download"
B="$here/out/berth --root $work/trace/root --runroot $work/trace/run"
echo "  one berth pull with BERTH_TRACE=1 (the pieces overlap: two threads):"
BERTH_TRACE=1 $B pull -q "$IMG" 2>&1 >/dev/null | grep '^layer' | sed 's/^/    /'
B="$here/out/berth --root $work/split/root --runroot $work/split/run"
gzip -dc "$work/layer.gz" >"$work/layer.tar"
rm -rf "$work/split"; sync
start=$(date +%s.%N); $B import "$work/layer.tar" split:1 >/dev/null; end=$(date +%s.%N)
echo "  berth import of the uncompressed tar (store + unpack, no network, no gunzip): $(echo "$end - $start" | bc) s"
$B images --format '  (imported: {{.Repository}}:{{.Tag}} {{.Size}})' 
