#!/usr/bin/env bash
# bench/runtime.sh: berth's OCI runtime side by side with runc and crun, in one hyperfine run each:
#   1. `run` of /bin/true (create + start + wait + delete), busybox bundle, read-only root
#   2. `create` + `start` of a sleeping container (deleted between runs, untimed)
#   3. peak RSS of the runtime process tree for `run` (GNU time's "Maximum resident set size")
# crun refuses this host's hybrid cgroup layout while /sys/fs/cgroup/unified has controllers, so
# the whole benchmark runs in a private mount namespace without that mount — the same for all three.
# The timed runs are split into ROUNDS hyperfine runs, each with the three runtimes in a rotated
# order, and each runtime's samples pooled: this machine's speed drifts by 15-20% within a minute
# (one run here: runc's first 20 samples 78-98 ms, its last 20 66-75 ms), so one hyperfine run,
# which times all of one runtime before the next, compares phases of the machine as much as runtimes.
# Env: RUNS (42 per runtime), ROUNDS (6: each order twice), WARMUP (3, before each round), RSS_RUNS (9), OUT (bench/results).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-42} ROUNDS=${ROUNDS:-6} WARMUP=${WARMUP:-3} RSS_RUNS=${RSS_RUNS:-9}
OUT=${OUT:-$here/bench/results}

if [ -z "${_BERTH_BENCH_NS:-}" ] && mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  exec env _BERTH_BENCH_NS=1 unshare --mount --propagation private -- bash -c 'umount /sys/fs/cgroup/unified && exec "$0" "$@"' "$0" "$@"
fi

BENCH=1 "$here/scripts/deps.sh"
[ -x "$here/out/berth-runtime" ] || "$here/scripts/build.sh"
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
cleanup_all() {
  for rt in berth runc crun; do
    for id in $(runtime_cmd "$rt" list -q 2>/dev/null); do runtime_cmd "$rt" delete --force "$id" >/dev/null 2>&1 || true; done
  done
  rm -rf "$work"
  # The parent cgroup of the absolute cgroupsPath, once every runtime removed its own child.
  rmdir /sys/fs/cgroup/*/berth 2>/dev/null # the engine root berth keeps between containers
  for try in 1 2 3 4 5; do
    left=0
    for d in /sys/fs/cgroup/*/berth-bench; do
      [ -d "$d" ] || continue
      find "$d" -depth -mindepth 1 -type d -exec rmdir {} + 2>/dev/null
      rmdir "$d" 2>/dev/null || left=1
    done
    [ $left = 0 ] && break
    sleep 0.2
  done
  true
}
runtime_cmd() { # runtime_cmd NAME ARGS...: one runtime with its own --root
  local rt=$1; shift
  case $rt in berth) "$here/out/berth-runtime" --root "$work/root-berth" "$@" ;; *) "$rt" --root "$work/root-$rt" "$@" ;; esac
}
trap cleanup_all EXIT

BERTH=$here/out/berth "$here/tests/fixtures/busybox-bundle.sh" "$work/true" true >/dev/null
BERTH=$here/out/berth "$here/tests/fixtures/busybox-bundle.sh" "$work/sleep" sleep 100000 >/dev/null
# runc and crun get absolute cgroup paths under /berth-bench, so that they do not nest under the
# caller's own cgroup (their parent stays between runs); berth gets its default, /berth/<id>, whose
# /berth parent stays likewise.
for b in true sleep; do
  mkdir -p "$work/$b-berth"
  jq --arg root "$work/$b/rootfs" 'del(.linux.cgroupsPath) | .ociVersion="1.0.2" | .root.path=$root' "$work/$b/config.json" > "$work/$b-berth/config.json"
done
bundle() { [ "$1" = berth ] && echo "$work/$2-berth" || echo "$work/$2"; } # bundle RUNTIME true|sleep
for b in true sleep; do
  # ociVersion 1.0.2: crun 1.8 refuses documents of a newer spec version than it knows.
  jq --arg cg "/berth-bench/$b" '.linux.cgroupsPath=$cg | .ociVersion="1.0.2"' "$work/$b/config.json" > "$work/$b/c.json" && mv "$work/$b/c.json" "$work/$b/config.json"
done

# One script per measured command so hyperfine runs it without a shell (-N); unique ids each time.
cat > "$work/run.sh" <<'EOS'
#!/bin/bash
# run.sh RUNTIME_ARGS... : `run` the true bundle under a fresh id
exec "$@" run --bundle "$BUNDLE" "r$$-${EPOCHREALTIME/./}" </dev/null >/dev/null 2>&1
EOS
cat > "$work/createstart.sh" <<'EOS'
#!/bin/bash
id="c$$-${EPOCHREALTIME/./}"
"$@" create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
exec "$@" start "$id" </dev/null >/dev/null 2>&1
EOS
cat > "$work/clean.sh" <<'EOS'
#!/bin/bash
for id in $("$@" list -q 2>/dev/null); do "$@" kill "$id" KILL >/dev/null 2>&1; "$@" delete --force "$id" >/dev/null 2>&1; done
true
EOS
chmod +x "$work"/*.sh
declare -A CMD=(
  [berth]="$here/out/berth-runtime --root $work/root-berth"
  [runc]="$(command -v runc) --root $work/root-runc"
  [crun]="$(command -v crun) --root $work/root-crun"
)
names=(berth runc crun)
for n in "${names[@]}"; do
  ${CMD[$n]} run --bundle "$(bundle "$n" true)" "sanity-$n" </dev/null || { echo "$n cannot run the bundle" >&2; exit 1; }
done
mkdir -p "$OUT"
echo "== versions"; "$here/out/berth" --version; runc --version | head -1; crun --version | head -1

# rounds TEST: ROUNDS hyperfine runs of the three runtimes, the order rotated each round; the
# samples pooled into $OUT/TEST.json (per command: every time, and their median).
rounds() {
  local test=$1 r k n order=() args=()
  for ((r = 0; r < ROUNDS; r++)); do
    order=()
    for ((k = 0; k < ${#names[@]}; k++)); do order+=("${names[$(((k + r) % ${#names[@]}))]}"); done
    args=()
    for n in "${order[@]}"; do
      case $test in
        run) args+=(-n "$n run" "env BUNDLE=$(bundle "$n" true) $work/run.sh ${CMD[$n]}") ;;
        createstart) args+=(--prepare "$work/clean.sh ${CMD[$n]}" -n "$n create+start" "env BUNDLE=$(bundle "$n" sleep) $work/createstart.sh ${CMD[$n]}") ;;
      esac
    done
    echo "-- round $((r + 1)) of $ROUNDS: ${order[*]}"
    hyperfine -N --style basic --warmup "$WARMUP" --runs $((RUNS / ROUNDS)) --export-json "$work/$test-$r.json" "${args[@]}" | grep -E '^Benchmark|Time \(mean'
  done
  jq -s 'def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    {results: [map(.results[]) | group_by(.command)[] | {command: .[0].command, times: map(.times[])} | .median = (.times | median)]}' \
    "$work/$test"-*.json >"$OUT/$test.json"
}

echo "== 1) run of /bin/true ($RUNS runs each, in $ROUNDS rounds)"
rounds run

echo "== 2) create + start of a sleeping container ($RUNS runs each, in $ROUNDS rounds)"
rounds createstart
for n in "${names[@]}"; do "$work/clean.sh" ${CMD[$n]}; done

echo "== 3) peak RSS of run (KiB, median of $RSS_RUNS)"
declare -A RSS
for n in "${names[@]}"; do
  vals=$(for k in $(seq "$RSS_RUNS"); do
    /usr/bin/time -f '%M' ${CMD[$n]} run --bundle "$(bundle "$n" true)" "rss-$k" 2>&1 >/dev/null </dev/null | tail -1
  done | sort -n)
  RSS[$n]=$(echo "$vals" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$n: ${RSS[$n]} KiB (samples: $(echo $vals))"
done

echo "== summary"
median() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .median * 1000' "$1"; }
printf '| %-22s | %9s | %9s | %9s |\n' "median (ms)" berth runc crun
printf '|%s|\n' "------------------------|-----------|-----------|-----------"
for j in run createstart; do
  label=$([ $j = run ] && echo "run /bin/true" || echo "create+start")
  tag=$([ $j = run ] && echo "run" || echo "create+start")
  printf '| %-22s | %9.1f | %9.1f | %9.1f |\n' "$label" "$(median "$OUT/$j.json" "berth $tag")" "$(median "$OUT/$j.json" "runc $tag")" "$(median "$OUT/$j.json" "crun $tag")"
done
printf '| %-22s | %9s | %9s | %9s |\n' "peak RSS of run (KiB)" "${RSS[berth]}" "${RSS[runc]}" "${RSS[crun]}"
for j in run createstart; do
  tag=$([ $j = run ] && echo "run" || echo "create+start")
  b=$(median "$OUT/$j.json" "berth $tag")
  for n in runc crun; do
    o=$(median "$OUT/$j.json" "$n $tag")
    awk -v b="$b" -v o="$o" -v n="$n" -v t="$tag" 'BEGIN { printf "ratio berth/%s (%s median): %.2f\n", n, t, b / o }'
  done
done
