#!/usr/bin/env bash
# The end-to-end demo: build berth, make a busybox image from Debian's busybox-static (`berth
# import` of a root filesystem tar), and run it as a container with `berth run`, which prints what
# the container sees of its isolation and limits. Then everything is removed again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
work=$(mktemp -d /var/tmp/berth-demo.XXXXXX)
berth=(out/berth --root "$work/root" --runroot "/run/berth-demo-$$")
cleanup() {
  "${berth[@]}" rm -f demo >/dev/null 2>&1 || true
  # A --rm container's monitor reports the exit, then deletes the container's files: let it finish.
  for _ in $(seq 50); do pgrep -f "monitor $work/root" >/dev/null || break; sleep 0.1; done
  rm -rf "$work" "/run/berth-demo-$$"
  # The engine's /berth cgroup parents stay while Berth is used; the demo leaves the machine as it found it.
  rmdir /sys/fs/cgroup/*/berth /sys/fs/cgroup/unified/berth 2>/dev/null || true
}
trap cleanup EXIT
tests/fixtures/busybox-bundle.sh "$work/bundle" >/dev/null
tar -C "$work/bundle/rootfs" -cf "$work/busybox.tar" .
"${berth[@]}" import -c 'CMD ["sh"]' "$work/busybox.tar" demo/busybox >/dev/null
"${berth[@]}" run --rm --name demo -m 64m --pids-limit 32 --hostname demo demo/busybox sh -c \
  'echo "hostname: $(hostname)"; echo "pid: $$"; echo "processes:"; ps -o pid,user,args; echo "mounts: $(wc -l < /proc/mounts)"; echo "memory limit: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"; grep CapEff /proc/self/status'
