#!/bin/bash
# The engine end to end: `hako run --rm IMAGE true` against
# `podman run --rm --network none IMAGE true` (and `docker run --rm` when a
# dockerd is running), interleaved, on the same busybox rootfs imported into
# each one's private storage.  Also the idle RSS of hako's per-container
# monitor against podman's conmon.  Writes bench/results/engine.md.
#
#   bench/engine.sh [N]      N runs each (default 40)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
HAKO=${HAKO:-$src/build/hako}
N=${1:-40}
out=$here/results/engine.md
work=$(mktemp -d /tmp/hako-bench-engine.XXXXXX)
export HAKO_STORAGE=$work/hako HAKO_RUN_ROOT=/run/hako-bench-$$
# crun 1.8 refuses this machine's hybrid cgroups: podman drives runc.
pm() { podman --runtime runc --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver overlay \
	--cgroup-manager cgroupfs --events-backend file "$@"; }
cleanup() {
	"$HAKO" rm -f bench-idle >/dev/null 2>&1 || true
	pm rm -f bench-idle >/dev/null 2>&1 || true
	pm system reset -f >/dev/null 2>&1 || true
	rm -rf "$work" "$HAKO_RUN_ROOT"
}
trap cleanup EXIT

# Debian's podman asks for nofile 1048576, which this machine cannot raise
# (no CAP_SYS_RESOURCE): give it limits it can set.
export CONTAINERS_CONF=$work/containers.conf
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' >"$CONTAINERS_CONF"

mkdir -p "$work/rootfs/bin" "$work/rootfs/etc"
cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
for a in sh true sleep; do ln -s busybox "$work/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
echo 'root:x:0:' >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
"$HAKO" import -c 'CMD ["sh"]' "$work/rootfs.tar" bench/bb >/dev/null
have_podman=
if command -v podman >/dev/null && pm import "$work/rootfs.tar" bench/bb >/dev/null 2>&1 \
	&& pm run --rm --network none bench/bb true >/dev/null 2>&1; then
	have_podman=1
fi
have_docker=
if command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1; then
	have_docker=1
	docker import "$work/rootfs.tar" hako-bench/bb >/dev/null
fi

ms() { echo "scale=3; ($2 - $1) / 1000000" | bc; }
declare -a T_hako=() T_podman=() T_docker=()
for i in $(seq "$N"); do
	t0=$(date +%s%N); "$HAKO" run --rm bench/bb true; t1=$(date +%s%N)
	T_hako+=("$(ms "$t0" "$t1")")
	if [ -n "$have_podman" ]; then
		t0=$(date +%s%N); pm run --rm --network none bench/bb true; t1=$(date +%s%N)
		T_podman+=("$(ms "$t0" "$t1")")
	fi
	if [ -n "$have_docker" ]; then
		t0=$(date +%s%N); docker run --rm --network none hako-bench/bb true; t1=$(date +%s%N)
		T_docker+=("$(ms "$t0" "$t1")")
	fi
done
stat() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "- -"; exit }
	m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; p = v[int(NR * 0.9 + 0.5)]
	printf "%.1f %.1f\n", m, p }'; }
read -r h_med h_p90 < <(stat "${T_hako[@]}")
read -r p_med p_p90 < <(stat "${T_podman[@]:-}")
read -r d_med d_p90 < <(stat "${T_docker[@]:-}")

# Idle monitor RSS: one sleeping container each.
"$HAKO" run -d --name bench-idle bench/bb sleep 600 >/dev/null
mon=$(jq -r .Hako.MonitorPid "$HAKO_STORAGE"/containers/*/container.json | head -1)
sleep 1
h_rss=$(awk '/VmRSS/ { print $2 }' "/proc/$mon/status")
c_rss=-
if [ -n "$have_podman" ]; then
	pm run -d --name bench-idle --network none bench/bb sleep 600 >/dev/null
	cpid=$(pm inspect -f '{{.State.ConmonPid}}' bench-idle)
	sleep 1
	c_rss=$(awk '/VmRSS/ { print $2 }' "/proc/$cpid/status")
fi

ratio() { [ "$2" = - ] && echo - || echo "scale=2; $1 / $2" | bc; }
{
	echo "# Engine benchmark: \`run --rm IMAGE true\` end to end"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, kernel $(uname -r); hako $("$HAKO" --version | awk '{print $3}')," \
		"podman $(podman --version 2>/dev/null | awk "{print \$3}") (runc, conmon), $N runs each, interleaved."
	echo
	echo "| engine | median ms | p90 ms | hako / this |"
	echo "|---|---|---|---|"
	echo "| hako run --rm | $h_med | $h_p90 | 1.00 |"
	if [ -n "$have_podman" ]; then
		echo "| podman run --rm --network none | $p_med | $p_p90 | $(ratio "$h_med" "$p_med") |"
	else
		echo "| podman | not measured (podman could not run here) | | |"
	fi
	if [ -n "$have_docker" ]; then
		echo "| docker run --rm --network none | $d_med | $d_p90 | $(ratio "$h_med" "$d_med") |"
	else
		echo "| docker | not measured: no dockerd running | | |"
	fi
	echo
	echo "Idle per-container monitor RSS: hako monitor ${h_rss} KiB, conmon ${c_rss} KiB."
	echo
	echo "Target (issue #8): hako ≤ 0.25 × podman's median."
} | tee "$out"
