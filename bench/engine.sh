#!/usr/bin/env bash
# bench/engine.sh: container engines side by side in one run -- berth, podman and docker -- with the
# busybox fixture image from the local registry (tests/fixtures, 127.0.0.1:5055/busybox):
#   none   latency of `run --rm --network none IMG true`: hyperfine -N, median
#   host   the same with --network host
#   burst  `run -d --network none IMG sleep 600` BURST times in a row: wall time -> starts per
#          second; BURST_REPS bursts, median; the containers are removed after each burst (untimed)
#   mem    IDLE idle containers (`run -d --network none IMG sleep 600`): the PSS
#          (/proc/PID/smaps_rollup) of the per-container helper processes -- berth-monitor for berth,
#          conmon for podman, containerd-shim for docker -- summed and divided by IDLE; and the PSS
#          of the engine's daemon (dockerd + its containerd; berth and podman have none)
#
# Usage: bench/engine.sh [OPTION...] [ENGINE...]      ENGINE: berth podman docker (default: all three)
#   --runs N        hyperfine runs per latency (20)    --warmup N      hyperfine warm-up runs (2)
#   --burst N       starts per burst (50)              --burst-reps N  bursts (3)
#   --idle N        idle containers (20)               --only LIST     comma list of none,host,burst,mem
#   --out DIR       results dir (/var/tmp/berth-bench/results-DATE)    ("run" = none,host); default all
# Env: BERTH=path of the berth binary (default out/berth; it is not built here).
#
# Stores, all private to the run: berth --root /var/tmp/berth-bench/root --runroot /run/berth-bench
# (wiped before and after); podman with its own storage and containers.conf, and a dockerd started
# for docker's turn (own data root, no networking; stopped after it), both in a temporary dir under
# /var/tmp/berth-bench. Not under /tmp: creating files there is slow on this machine. The image is
# pulled into each engine first (untimed). The fixture registry is stopped at the end if this script
# started it; empty directories and cgroups the engines create on the host (/run/runc,
# /run/containerd, /sys/fs/cgroup/*/docker, .../libpod_parent, ...) are removed if they were not
# there before. An engine that is not installed is skipped; a failing step is reported (with the
# engine's error) and the run goes on with the next step or engine. Runs as root, one at a time.
# Output: the markdown table and the ratios to podman, printed at the end and written to
# DIR/results.md; DIR/summary.tsv; DIR/ENGINE.*.json (hyperfine), DIR/ENGINE.burst.txt,
# DIR/ENGINE.mem.txt, DIR/hyperfine.log, DIR/notes.txt.
set -uo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"

die() { echo "bench/engine.sh: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; }

RUNS=20 WARMUP=2 BURST=50 BURST_REPS=3 IDLE=20 ONLY=none,host,burst,mem OUT=
ENGINES=()
while [ $# -gt 0 ]; do
  case $1 in
    --runs|--warmup|--burst|--burst-reps|--idle|--only|--out)
      [ $# -ge 2 ] || die "$1 needs a value"
      case $1 in
        --runs) RUNS=$2 ;; --warmup) WARMUP=$2 ;; --burst) BURST=$2 ;; --burst-reps) BURST_REPS=$2 ;;
        --idle) IDLE=$2 ;; --only) ONLY=$2 ;; --out) OUT=$2 ;;
      esac
      shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    berth|podman|docker) ENGINES+=("$1"); shift ;;
    *) die "unknown engine '$1' (berth, podman, docker)" ;;
  esac
done
[ ${#ENGINES[@]} -gt 0 ] || ENGINES=(berth podman docker)
for v in RUNS BURST BURST_REPS IDLE; do [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "${v,,} must be a positive number"; done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "warmup must be a number"
ONLY=${ONLY//run/none,host}
for t in ${ONLY//,/ }; do case $t in none|host|burst|mem) ;; *) die "unknown test '$t' in --only" ;; esac; done
want() { [[ ",$ONLY," == *",$1,"* ]]; }
[ "$(id -u)" = 0 ] || die "run as root"

BERTH=${BERTH:-$here/out/berth}
REG=127.0.0.1:5055
IMG=$REG/busybox
BASE=/var/tmp/berth-bench
BROOT=$BASE/root BRUN=/run/berth-bench
OUT=${OUT:-$BASE/results-$(date +%Y%m%d-%H%M%S)}

BENCH=1 "$here/scripts/deps.sh" || echo "bench/engine.sh: scripts/deps.sh failed; going on with what is installed" >&2
for t in hyperfine jq timeout; do command -v "$t" >/dev/null || die "$t is missing (BENCH=1 scripts/deps.sh)"; done

# One run at a time: the berth store has a fixed place. A lock directory, not flock: a lock fd would
# be inherited by the daemons started from here.
mkdir -p "$BASE"
lock=$BASE/.lock
if ! mkdir "$lock" 2>/dev/null; then
  pid=$(cat "$lock/pid" 2>/dev/null)
  if [[ $pid =~ ^[0-9]+$ ]] && [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *engine.sh* ]]; then
    die "another bench/engine.sh (pid $pid) is running"
  fi
  rm -rf "$lock"; mkdir "$lock" || die "cannot take $lock"
fi
echo $$ >"$lock/pid"
mkdir -p "$OUT" || { rm -rf "$lock"; die "cannot create $OUT"; }
OUT=$(cd "$OUT" && pwd)
NOTES=$OUT/notes.txt SUM=$OUT/summary.tsv
: >"$NOTES"
printf 'engine\tmetric\tvalue\tunit\n' >"$SUM"
work=$(mktemp -d "$BASE/work.XXXXXX")

note() { echo "[$1] ${*:2}" | tee -a "$NOTES" >&2; }
say() { echo "== $*" >&2; }
errtail() { grep -v '^[[:space:]]*$' "$work/err" | head -4 | tr '\n' ' ' | head -c 500; }   # an engine command's error
declare -A R=()   # results: R[engine.metric]
record() { R[$1.$2]=$3; printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$SUM"; }

# ---- what the engines may leave on the host, to remove at the end if this run made it ----
HOST_PATHS=(/etc/docker/key.json /etc/docker /run/docker /run/containerd /run/runc /run/libpod
            /run/containers /root/.docker /var/lib/containers)
CG_NAMES=(docker libpod_parent)
declare -A HAD=()
for p in "${HOST_PATHS[@]}"; do [ -e "$p" ] && HAD[$p]=1; done
for d in /sys/fs/cgroup/*/; do for n in "${CG_NAMES[@]}"; do [ -d "$d$n" ] && HAD[$d$n]=1; done; done
for d in /sys/fs/cgroup/*/berth/*/; do HAD[${d%/}]=1; done
ip_forward0=$(cat /proc/sys/net/ipv4/ip_forward)
declare -A BERTH_IDS=()   # berth containers this run created (for cgroups berth may leave)
START_PIDS=" $(cd /proc && echo [0-9]*) "

host_restore() {
  local p d n c
  for p in "${HOST_PATHS[@]}"; do
    [ -n "${HAD[$p]:-}" ] && continue
    if [ -f "$p" ]; then rm -f "$p"; elif [ -d "$p" ]; then find "$p" -depth -type d -empty -delete 2>/dev/null; fi
    [ -e "$p" ] && note host "$p was made during the run and is not empty; kept"
  done
  for d in /sys/fs/cgroup/*/; do
    for n in "${CG_NAMES[@]}"; do
      c=$d$n
      if [ ! -d "$c" ] || [ -n "${HAD[$c]:-}" ]; then continue; fi
      find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
      [ -d "$c" ] && note host "cgroup $c (made during the run) is still in use; kept"
    done
  done
  for d in /sys/fs/cgroup/*/berth/*/; do
    d=${d%/}
    [ -n "$BERTH_USED" ] && [ -d "$d" ] && [ -z "${HAD[$d]:-}" ] && note host "cgroup $d appeared during the run (berth? another session?); kept"
  done
  if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != "$ip_forward0" ]; then
    echo "$ip_forward0" >/proc/sys/net/ipv4/ip_forward
    note host "net.ipv4.ip_forward was changed during the run; set back to $ip_forward0"
  fi
}

# ---- berth's store: remove its containers, the monitors it left, its mounts, the directories ----
berth_wipe() {
  [ -e "$BROOT" ] || [ -e "$BRUN" ] || return 0
  local B=("$BERTH" --root "$BROOT" --runroot "$BRUN") ids id p q d c n refs
  if [ -x "$BERTH" ]; then
    ids=$(timeout 60 "${B[@]}" ps -aq 2>/dev/null) || ids=
    for id in $ids; do BERTH_IDS[$id]=1; done
    # shellcheck disable=SC2086
    [ -n "$ids" ] && { timeout 300 "${B[@]}" rm -f $ids >/dev/null 2>&1 || note berth "rm -f of its containers failed"; }
  fi
  # berth-monitor processes that refer to this store (command line, cwd or open files) and were
  # started by this run: their containers first, then the monitor.
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    read -r c 2>/dev/null <"$d/comm" || continue
    [ "$c" = berth-monitor ] || continue
    [[ $START_PIDS == *" $p "* ]] && continue
    refs=$({ tr '\0' '\n' <"$d/cmdline"; echo; readlink "$d/cwd" "$d"/fd/*; } 2>/dev/null)
    grep -qE "(^|[ =])($BROOT|$BRUN)(/|\$)" <<<"$refs" || continue
    note berth "berth-monitor $p was left running; killing it and its children"
    for q in /proc/[0-9]*; do
      n=$(awk '/^PPid:/{print $2}' "$q/status" 2>/dev/null)
      [ "$n" = "$p" ] && kill -KILL "${q#/proc/}" 2>/dev/null
    done
    kill -TERM "$p" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$p" 2>/dev/null
  done
  bench_umount_under "$BROOT"
  bench_umount_under "$BRUN"
  rm -rf "$BROOT" "$BRUN"
  # cgroups of the containers this run made, should berth have left them (removed only if empty)
  for d in /sys/fs/cgroup/*/berth/*/; do
    d=${d%/}
    for id in "${!BERTH_IDS[@]}"; do
      [[ ${d##*/} == *"${id:0:12}"* ]] || continue
      find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
      [ -d "$d" ] || note berth "removed cgroup $d it left"
    done
  done
}

# ---- the engine under test: E (its command line as an array), EQ (quoted, for hyperfine) ----
CUR='' E=() EQ='' HELPER_RE='' BERTH_USED=''
engine_up() {
  E=() HELPER_RE=
  case $1 in
    berth)
      [ -x "$BERTH" ] || { note berth "no berth binary at $BERTH (set BERTH=path); skipped"; return 1; }
      [ -e "$BROOT" ] || [ -e "$BRUN" ] && note berth "a store from an earlier run was left in $BROOT / $BRUN; wiped"
      BERTH_USED=1
      berth_wipe
      E=("$BERTH" --root "$BROOT" --runroot "$BRUN"); HELPER_RE='^berth-monitor$' ;;
    podman)
      command -v podman >/dev/null || { note podman "podman is not installed; skipped"; return 1; }
      E=(podman); HELPER_RE='^conmon$' ;;
    docker)
      if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
        note docker "docker/dockerd is not installed; skipped"; return 1
      fi
      say "docker: starting a private dockerd"
      if ! bench_dockerd_start "$work/docker" --ip-forward=false 2>"$work/err"; then
        note docker "$(errtail); skipped"; bench_dockerd_stop; return 1
      fi
      read -r -a E <<<"$BENCH_DOCKER"; HELPER_RE='^containerd-shim' ;;
  esac
  EQ=$(printf '%q ' "${E[@]}")
  CUR=$1
}

# remove containers: kill first (podman's rm -f would wait its 10 s stop timeout: sleep as PID 1
# ignores SIGTERM), then rm -f
remove_ctrs() {
  [ $# -gt 0 ] || return 0
  timeout 120 "${E[@]}" kill "$@" >/dev/null 2>&1
  timeout 300 "${E[@]}" rm -f "$@" >/dev/null 2>"$work/err" || note "$CUR" "rm -f failed: $(errtail)"
}

engine_down() {
  local ids store _
  ids=$(timeout 60 "${E[@]}" ps -aq 2>/dev/null) || ids=
  # shellcheck disable=SC2086
  remove_ctrs $ids
  # let the helpers of removed containers exit (conmon runs its cleanup command) before the store goes
  case $CUR in podman) store=$work/podman ;; docker) store=$work/docker ;; *) store=$BRUN ;; esac
  for _ in $(seq 50); do helpers_left "$store" || break; sleep 0.2; done
  timeout 60 "${E[@]}" rmi -f "$IMG" >/dev/null 2>&1
  case $CUR in
    docker) bench_dockerd_stop ;;
    berth) berth_wipe ;;
  esac
  CUR=
}

# start one detached idle container; its id in $id, errors in $work/err
start_idle() {
  local rc
  id=$(timeout 120 "${E[@]}" run -d --network none "$IMG" sleep 600 2>"$work/err"); rc=$?
  if [ $rc != 0 ]; then
    [ -s "$work/err" ] || echo "exit $rc, no error output; stdout: ${id:0:300}" >"$work/err"
    return 1
  fi
  id=${id##*$'\n'}   # the id is the last line
  [ -n "$id" ] || { echo "run -d printed no container id" >"$work/err"; return 1; }
  [ "$CUR" = berth ] && BERTH_IDS[$id]=1
  return 0
}

measure_run() { # none|host
  local net=$1 js=$OUT/$CUR.run-$1.json cmd rc
  local args=(run --rm --network "$net" "$IMG" true)
  say "$CUR: ${args[*]} (hyperfine, $RUNS runs, $WARMUP warm-up)"
  timeout 120 "${E[@]}" "${args[@]}" >/dev/null 2>"$work/err"; rc=$?
  [ $rc = 0 ] || { note "$CUR" "run --rm --network $net failed (exit $rc): $(errtail)"; return 1; }
  cmd="$EQ$(printf '%q ' "${args[@]}")"
  timeout -k 10 $(( (RUNS + WARMUP) * 60 + 60 )) hyperfine -N --style basic -w "$WARMUP" -r "$RUNS" \
    --command-name "$CUR run --rm --network $net" --export-json "$js" "${cmd% }" 2>&1 | tee -a "$OUT/hyperfine.log" >&2
  rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || { note "$CUR" "hyperfine failed for run --rm --network $net (exit $rc; see hyperfine.log)"; return 1; }
  record "$CUR" "run_rm_$net" "$(jq -r '.results[0].median * 1000 | . * 10 | round / 10' "$js")" ms
}

measure_burst() {
  local rep i t0 t1 failed ids id
  : >"$OUT/$CUR.burst.txt"
  for ((rep = 1; rep <= BURST_REPS; rep++)); do
    say "$CUR: burst $rep/$BURST_REPS: $BURST x run -d --network none $IMG sleep 600"
    ids=() failed=
    t0=$EPOCHREALTIME
    for ((i = 1; i <= BURST; i++)); do
      start_idle || { failed=$i; break; }
      ids+=("$id")
    done
    t1=$EPOCHREALTIME
    remove_ctrs "${ids[@]}"
    if [ -n "$failed" ]; then
      note "$CUR" "burst: start $failed of $BURST failed: $(errtail)"
      [ -s "$OUT/$CUR.burst.txt" ] || rm -f "$OUT/$CUR.burst.txt"
      return 1
    fi
    awk -v n="$BURST" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f s %.3f /s\n", b - a, n / (b - a) }' \
      | tee -a "$OUT/$CUR.burst.txt" >&2
  done
  record "$CUR" detached_starts_per_s \
    "$(awk '{print $3}' "$OUT/$CUR.burst.txt" | sort -g | awk '{a[NR]=$1} END {printf "%.2f", NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')" 1/s
}

pss_kb() { awk '/^Pss:/ {print $2; f=1; exit} END {if (!f) print 0}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS:/ {print $2; f=1; exit} END {if (!f) print 0}' "/proc/$1/status" 2>/dev/null || echo 0; }
helper_pids() { # processes whose name matches HELPER_RE
  local d c
  for d in /proc/[0-9]*; do read -r c 2>/dev/null <"$d/comm" && [[ $c =~ $HELPER_RE ]] && echo "${d#/proc/}"; done
}
helpers_left() { # STRING: is a helper process running whose command line holds STRING?
  local p
  for p in $(helper_pids); do [[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == *"$1"* ]] && return 0; done
  return 1
}
helper_of() { # PID: the nearest ancestor whose name matches HELPER_RE
  local p=$1 k c
  [[ $p =~ ^[1-9][0-9]*$ ]] || return 1
  for ((k = 0; k < 6; k++)); do
    p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null)
    [[ $p =~ ^[0-9]+$ ]] && [ "$p" -gt 1 ] || return 1
    read -r c 2>/dev/null <"/proc/$p/comm" || return 1
    [[ $c =~ $HELPER_RE ]] && { echo "$p"; return 0; }
  done
  return 1
}

measure_mem() {
  local before ids=() i failed='' id pid p h method sum=0 dsum=0 f=$OUT/$CUR.mem.txt
  local -A helpers=()
  say "$CUR: memory of $IDLE idle containers"
  before=" $(helper_pids | tr '\n' ' ') "
  for ((i = 1; i <= IDLE; i++)); do
    start_idle || { failed=$i; break; }
    ids+=("$id")
  done
  if [ -n "$failed" ]; then
    note "$CUR" "mem: start $failed of $IDLE failed: $(errtail)"; remove_ctrs "${ids[@]}"; return 1
  fi
  sleep 3   # let the helpers settle
  # each container's helper: the nearest matching ancestor of its init process
  method="ancestor of each container's init (inspect .State.Pid)"
  for id in "${ids[@]}"; do
    pid=$(timeout 30 "${E[@]}" inspect --format '{{.State.Pid}}' "$id" 2>/dev/null) || pid=
    h=$(helper_of "$pid") && helpers[$h]=1
  done
  if [ ${#helpers[@]} -lt "$IDLE" ]; then
    # inspect or the process tree did not tell: every helper process that is new since before the start
    method="new processes matching $HELPER_RE since before the starts (init pids gave ${#helpers[@]})"
    helpers=()
    for p in $(helper_pids); do [[ $before == *" $p "* ]] || helpers[$p]=1; done
  fi
  {
    echo "# $CUR: $IDLE idle containers; helpers found by: $method"
    printf 'kind\tpid\tcomm\tpss_kB\trss_kB\n'
    for p in "${!helpers[@]}"; do
      printf 'helper\t%s\t%s\t%s\t%s\n' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)" "$(pss_kb "$p")" "$(rss_kb "$p")"
    done
    if [ "$CUR" = docker ] && [ -n "$BENCH_DOCKERD_PID" ]; then
      for d in /proc/[0-9]*; do
        p=${d#/proc/}
        [ "$p" = "$BENCH_DOCKERD_PID" ] || { [ "$(awk '/^PPid:/ {print $2}' "$d/status" 2>/dev/null)" = "$BENCH_DOCKERD_PID" ] \
          && [ "$(cat "$d/comm" 2>/dev/null)" = containerd ]; } || continue
        printf 'daemon\t%s\t%s\t%s\t%s\n' "$p" "$(cat "$d/comm")" "$(pss_kb "$p")" "$(rss_kb "$p")"
      done
    fi
  } >"$f"
  sum=$(awk -F'\t' '$1 == "helper" {s += $4} END {print s + 0}' "$f")
  dsum=$(awk -F'\t' '$1 == "daemon" {s += $4} END {print s + 0}' "$f")
  { head -1 "$f"; tail -n +2 "$f" | column -t -s $'\t'; } >&2
  if [ ${#helpers[@]} -eq 0 ]; then
    note "$CUR" "mem: no process matching $HELPER_RE found for the $IDLE containers"
  else
    [ ${#helpers[@]} = "$IDLE" ] || note "$CUR" "mem: ${#helpers[@]} helper processes for $IDLE containers ($method)"
    record "$CUR" monitor_pss_per_container "$(awk -v s="$sum" -v n="$IDLE" 'BEGIN {printf "%.2f", s / n / 1024}')" MB
  fi
  [ "$CUR" = docker ] && record "$CUR" daemon_pss "$(awk -v s="$dsum" 'BEGIN {printf "%.1f", s / 1024}')" MB
  remove_ctrs "${ids[@]}"
}

torn=
teardown() { # everything the run started or made, except the results and the lock
  [ -z "$torn" ] || return 0
  torn=1
  [ -n "$CUR" ] && engine_down
  bench_dockerd_stop
  [ -n "$BERTH_USED" ] && berth_wipe
  bench_registry_stop
  bench_umount_under "$work"
  rm -rf "$work"
  host_restore
}
cleanup() {
  trap '' INT TERM
  teardown
  rm -rf "$lock"
  rmdir "$BASE" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "fixture registry ($REG)"
bench_registry_start || die "the fixture registry did not come up (tests/fixtures/setup.sh)"
# podman: private storage (bench/lib.sh) and a containers.conf for this host: runc (crun 1.8 refuses
# the hybrid cgroup layout here), ulimits within the host's hard limits (podman's root defaults
# cannot be set: no CAP_SYS_RESOURCE), cgroupfs, and its events/tmp/network files in the work dir.
bench_podman_conf "$work/podman" "$REG"
cat >"$work/podman/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/podman/events.log"
tmp_dir = "$work/podman/tmp"

[network]
network_config_dir = "$work/podman/net"
EOF
mkdir -p "$work/podman/tmp" "$work/podman/net" "$work/docker-cli"
echo '{}' >"$work/docker-cli/config.json"   # the docker CLI's config dir; podman reads it too (auth)
export CONTAINERS_CONF=$work/podman/containers.conf DOCKER_CONFIG=$work/docker-cli
unset DOCKER_HOST CONTAINER_HOST

versions=()
for eng in "${ENGINES[@]}"; do
  engine_up "$eng" || continue
  case $eng in
    berth) v=$("$BERTH" --version 2>/dev/null | head -1) ;;
    podman) v=$(podman --version 2>/dev/null) ;;
    docker) v=$("${E[@]}" version --format 'dockerd {{.Server.Version}}, CLI {{.Client.Version}}' 2>/dev/null) ;;
  esac
  versions+=("$eng: ${v:-?}")
  say "$eng: pull $IMG (untimed)"
  if ! timeout 300 "${E[@]}" pull "$IMG" >/dev/null 2>"$work/err"; then
    note "$eng" "pull $IMG failed: $(errtail); engine skipped"
    engine_down; continue
  fi
  want none && measure_run none
  want host && measure_run host
  want burst && measure_burst
  want mem && measure_mem
  engine_down
done
teardown

# ---- report ----
val() { echo "${R[$1.$2]:--}"; }
{
  echo "# Engine benchmark $(date '+%Y-%m-%d %H:%M')"
  echo
  echo "$(nproc) cores, kernel $(uname -r); image $IMG; hyperfine -N, $RUNS runs + $WARMUP warm-up;" \
    "$BURST_REPS bursts of $BURST detached starts; $IDLE idle containers. Tests: $ONLY."
  for v in "${versions[@]}"; do echo "- $v"; done
  echo
  echo "| engine | run --rm none median ms | run --rm host median ms | detached starts/s | monitor PSS MB | daemon PSS MB |"
  echo "|---|---|---|---|---|---|"
  for eng in "${ENGINES[@]}"; do
    case $eng in docker) d=$(val docker daemon_pss) ;; *) d="none (daemonless)" ;; esac
    echo "| $eng | $(val "$eng" run_rm_none) | $(val "$eng" run_rm_host) | $(val "$eng" detached_starts_per_s) |" \
      "$(val "$eng" monitor_pss_per_container) | $d |"
  done
  echo
  echo "monitor PSS: berth-monitor / conmon / containerd-shim PSS summed over the $IDLE idle containers, divided by $IDLE;"
  echo "daemon PSS: dockerd + its containerd with the containers running. MB = 2^20 bytes."
  echo
  if [ -n "${R[podman.run_rm_none]:-}${R[podman.run_rm_host]:-}" ]; then
    echo "Ratio to podman of the run --rm medians (below 1: faster than podman):"
    echo
    echo "| engine | none | host |"
    echo "|---|---|---|"
    for eng in "${ENGINES[@]}"; do
      r=()
      for net in none host; do
        a=${R[$eng.run_rm_$net]:-} b=${R[podman.run_rm_$net]:-}
        if [ -n "$a" ] && [ -n "$b" ]; then r+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}')"); else r+=(-); fi
      done
      echo "| $eng | ${r[0]} | ${r[1]} |"
    done
  else
    echo "No podman run --rm figures: no ratios."
  fi
  if [ -s "$NOTES" ]; then echo; echo "Notes:"; echo; sed 's/^/- /' "$NOTES"; fi
} >"$OUT/results.md"
echo >&2
cat "$OUT/results.md"
echo
echo "results: $OUT"
