#!/usr/bin/env bash
# Lists what Berth's tests may have left behind: mounts, cgroups, processes, state folders.
# Exit 1 (and one line each) when anything is left.
left=()
m=$(grep -c -E 'berth' /proc/self/mountinfo); [ "$m" -gt 0 ] && left+=("$m mount(s) naming berth")
c=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -path '*berth*' 2>/dev/null | wc -l)
[ "$c" -gt 0 ] && left+=("$c cgroup folder(s) under berth: $(find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -path '*berth*' | head -3 | tr '\n' ' ')")
p=$(ps -eo pid=,args= | grep -E 'berth (init|runtime)|berth-test' | grep -v grep | wc -l)
[ "$p" -gt 0 ] && left+=("$p berth process(es)")
s=$(find /tmp -maxdepth 1 -name 'berth-test-*' 2>/dev/null | wc -l); [ "$s" -gt 0 ] && left+=("$s /tmp/berth-test-* folder(s)")
if [ ${#left[@]} -gt 0 ]; then printf 'left behind: %s\n' "${left[@]}"; exit 1; fi
echo "nothing left behind"
