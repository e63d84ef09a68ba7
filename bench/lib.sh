# bench/lib.sh: the pieces the engine benchmarks (bench/pull.sh, bench/engine.sh) share. Sourced,
# not run; the caller sets $here (the repository root) first.
#   bench_registry_start       the fixture registry (tests/fixtures/setup.sh, 127.0.0.1:5055, images
#                              pushed when missing); remembers whether it was already running
#   bench_registry_stop        stops it again, only if bench_registry_start started it
#   bench_podman_conf DIR REG  an isolated podman: DIR/registries.conf (REG over plain http) and
#                              DIR/storage.conf (store under DIR), exported as CONTAINERS_*_CONF
#   bench_dockerd_start DIR [DOCKERD-ARG...]
#                              a private dockerd (data, exec root, socket, log under DIR) without
#                              networking; sets BENCH_DOCKERD_PID and BENCH_DOCKER (the CLI command
#                              line for it); returns 1 with the log's tail on stderr if it does not answer
#   bench_dockerd_stop         SIGTERM to that dockerd, waits for it
#   bench_umount_under DIR     lazily unmounts every mount at or below DIR, deepest first
# Works under `set -e` and without it.
# shellcheck shell=bash disable=SC2154  # $here comes from the caller

BENCH_REG_STARTED=0
BENCH_DOCKERD_PID=
BENCH_DOCKER=

bench_registry_start() {
  BENCH_REG_STARTED=1
  "$here/tests/fixtures/registry.sh" status plain >/dev/null 2>&1 && BENCH_REG_STARTED=0
  "$here/tests/fixtures/setup.sh" >/dev/null
}

bench_registry_stop() {
  if [ "$BENCH_REG_STARTED" = 1 ]; then
    "$here/tests/fixtures/registry.sh" stop plain >/dev/null 2>&1 || true
    BENCH_REG_STARTED=0
  fi
}

bench_podman_conf() {
  local dir=$1 reg=$2
  mkdir -p "$dir"
  printf '%s\n' 'unqualified-search-registries = []' '[[registry]]' "location = \"$reg\"" 'insecure = true' \
    >"$dir/registries.conf"
  printf '%s\n' '[storage]' 'driver = "overlay"' "graphroot = \"$dir/root\"" "runroot = \"$dir/run\"" \
    >"$dir/storage.conf"
  export CONTAINERS_REGISTRIES_CONF=$dir/registries.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf
}

bench_dockerd_start() {
  local dir=$1; shift
  mkdir -p "$dir"
  # --bridge none and no iptables: no docker0, no NAT rules, nothing to undo on the host.
  dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" -H "unix://$dir/sock" \
    --bridge none --iptables=false --ip6tables=false --ip-masq=false --storage-driver overlay2 "$@" \
    >"$dir/log" 2>&1 &
  BENCH_DOCKERD_PID=$!
  BENCH_DOCKER="docker -H unix://$dir/sock"
  local _
  for _ in $(seq 100); do $BENCH_DOCKER version >/dev/null 2>&1 && return 0; sleep 0.2; done
  $BENCH_DOCKER version >/dev/null && return 0
  echo "dockerd did not start: $(tail -3 "$dir/log")" >&2
  return 1
}

bench_dockerd_stop() {
  if [ -n "$BENCH_DOCKERD_PID" ]; then
    kill "$BENCH_DOCKERD_PID" 2>/dev/null
    wait "$BENCH_DOCKERD_PID" 2>/dev/null || true
    BENCH_DOCKERD_PID=
  fi
}

bench_umount_under() {
  local dir=${1%/} m
  # mountinfo field 5 is the mount point (octal escapes for blanks; none in our paths)
  awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
