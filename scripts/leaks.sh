#!/usr/bin/env bash
# Lists what Berth's tests may have left behind: mounts, cgroups, processes, state folders.
# Exit 1 (and one line each) when anything is left.
left=()
m=$(grep -c -E 'berth' /proc/self/mountinfo); [ "$m" -gt 0 ] && left+=("$m mount(s) naming berth")
# Containers' cgroups live in /berth/<id>; /berth itself is the engine's root and stays while
# Berth is used. At the end of the suite it is removed too (rmdir fails on a non-empty one).
for d in /sys/fs/cgroup/*/berth /sys/fs/cgroup/unified/berth; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
cg=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d \( -path '*/berth/*' -o -name 'berth-test-*' -o -name berth \) 2>/dev/null)
c=$(printf '%s' "$cg" | grep -c .)
[ "$c" -gt 0 ] && left+=("$c cgroup folder(s) of berth: $(echo "$cg" | head -3 | tr '\n' ' ')")
p=$(ps -eo pid=,args= | grep -E 'berth (init|runtime)|berth-runtime |berth-test|berth-img-test' | grep -v grep | wc -l)
[ "$p" -gt 0 ] && left+=("$p berth process(es)")
# A monitor that has exited and waits to be reaped (state Z) holds nothing but its pid; its parent,
# once the CLI that spawned it is gone, is the machine's init, which reaps in its own time.
mon=$(ps -eo stat=,comm= | awk '$1 !~ /^Z/ && $2 == "berth-monitor"' | wc -l); [ "$mon" -gt 0 ] && left+=("$mon container monitor(s) (berth-monitor)")
v=$(find /var/tmp -maxdepth 1 -name 'berth-ctr-test-*' 2>/dev/null | wc -l); [ "$v" -gt 0 ] && left+=("$v /var/tmp/berth-ctr-test-* folder(s)")
s=$(find /tmp -maxdepth 1 \( -name 'berth-test-*' -o -name 'berth-img-test-*' \) 2>/dev/null | wc -l); [ "$s" -gt 0 ] && left+=("$s /tmp/berth-test-* or berth-img-test-* folder(s)")
# The tests' registries (tests/fixtures/registry.sh) are stopped when their tests end.
r=0
for pidfile in "${BERTH_FIXTURES:-/var/cache/berth-fixtures}"/registries/*/registry.pid; do
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && r=$((r + 1))
done
[ "$r" -gt 0 ] && left+=("$r test registr(y/ies) still running")
if [ ${#left[@]} -gt 0 ]; then printf 'left behind: %s\n' "${left[@]}"; exit 1; fi
echo "nothing left behind"
