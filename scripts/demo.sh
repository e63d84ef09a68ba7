#!/usr/bin/env bash
# The end-to-end demo: build berth, make a busybox bundle, run it as a container with
# `berth runtime run`, which prints what the container sees of its own isolation.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
# The engine's /berth cgroup parents stay while Berth is used; the demo leaves the machine as it found it.
trap 'rm -rf "$work"; rmdir /sys/fs/cgroup/*/berth /sys/fs/cgroup/unified/berth 2>/dev/null; true' EXIT
tests/fixtures/busybox-bundle.sh "$work/bundle" sh -c \
  'echo "hostname: $(hostname)"; echo "pid: $$"; echo "processes:"; ps -o pid,user,args; echo "mounts: $(wc -l < /proc/mounts)"; echo "cgroup: $(cat /proc/self/cgroup | head -1)"' >/dev/null
out/berth runtime --root "$work/state" run --bundle "$work/bundle" "demo-$$"
