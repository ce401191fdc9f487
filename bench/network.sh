#!/bin/bash
# The cost of networking: `hako run --rm IMAGE true` with --network none,
# on a user bridge network (CNI ADD + DEL: bridge, host-local, portmap,
# firewall) and on it with a published port, interleaved; then TCP
# throughput host -> published port (127.0.0.1, through portmap's DNAT) and
# container -> container by name, against host -> host on loopback, with
# the same busybox httpd/wget pair each time (so the ratio is the path's
# cost, not the tool's; iperf3 is not a dependency).  Writes bench/results/network.md.
#
#   bench/network.sh [N] [MB]     N runs each (default 30), MB per transfer (default 512)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
HAKO=${HAKO:-$src/build/hako}
N=${1:-30}
MB=${2:-512}
out=$here/results/network.md
work=$(mktemp -d /tmp/hako-bench-net.XXXXXX)
export HAKO_STORAGE=$work/hako HAKO_RUN_ROOT=/run/hako-bench-net-$$
NET=bench$$
cleanup() {
	"$HAKO" rm -f bench-srv >/dev/null 2>&1 || true
	"$HAKO" network rm "$NET" >/dev/null 2>&1 || true
	[ -n "${srvpid:-}" ] && kill "$srvpid" 2>/dev/null || true
	rm -rf "$work" "$HAKO_RUN_ROOT"
}
trap cleanup EXIT

mkdir -p "$work/rootfs/bin" "$work/rootfs/etc"
cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
for a in sh true sleep httpd wget date; do ln -s busybox "$work/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
echo 'root:x:0:' >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
"$HAKO" import -c 'CMD ["sh"]' "$work/rootfs.tar" bench/bb >/dev/null
"$HAKO" network create "$NET" >/dev/null
"$HAKO" run --rm --network "$NET" bench/bb true # the plugins' shared chains, once

ms() { echo "scale=3; ($2 - $1) / 1000000" | bc; }
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
declare -a T_none=() T_net=() T_port=()
for i in $(seq "$N"); do
	t0=$(date +%s%N); "$HAKO" run --rm --network none bench/bb true; t1=$(date +%s%N)
	T_none+=("$(ms "$t0" "$t1")")
	t0=$(date +%s%N); "$HAKO" run --rm --network "$NET" bench/bb true; t1=$(date +%s%N)
	T_net+=("$(ms "$t0" "$t1")")
	t0=$(date +%s%N); "$HAKO" run --rm --network "$NET" -p 127.0.0.1::80 bench/bb true; t1=$(date +%s%N)
	T_port+=("$(ms "$t0" "$t1")")
done

# Throughput: one MB-sized file over HTTP (busybox httpd -> busybox wget),
# seconds -> MB/s; the same pair on every path.
rate() { echo "scale=1; $MB * 1000000000 / ($2 - $1)" | bc; }
mkdir -p "$work/www"
dd if=/dev/zero of="$work/www/big" bs=1M count="$MB" 2>/dev/null
busybox httpd -f -p 127.0.0.1:35001 -h "$work/www" &
srvpid=$!
sleep 0.2
t0=$(date +%s%N); busybox wget -qO /dev/null http://127.0.0.1:35001/big; t1=$(date +%s%N)
R_loop=$(rate "$t0" "$t1")
kill "$srvpid"; wait "$srvpid" 2>/dev/null || true
srvpid=

"$HAKO" run -d --name bench-srv --network "$NET" -p 127.0.0.1:35002:80 -v "$work/www:/www:ro" bench/bb \
	httpd -f -p 80 -h /www >/dev/null
for i in $(seq 50); do busybox wget -qO /dev/null http://127.0.0.1:35002/ 2>/dev/null && break || sleep 0.1; done
t0=$(date +%s%N); busybox wget -qO /dev/null http://127.0.0.1:35002/big; t1=$(date +%s%N)
R_port=$(rate "$t0" "$t1")
"$HAKO" run --rm --network "$NET" bench/bb sh -c \
	'read t0 x </proc/uptime; wget -qO /dev/null http://bench-srv/big; read t1 x </proc/uptime; echo $t0 $t1' >"$work/c2c"
read -r t0 t1 <"$work/c2c"
R_c2c=$(echo "scale=1; $MB / ($t1 - $t0)" | bc) # /proc/uptime: 10 ms resolution
"$HAKO" rm -f bench-srv >/dev/null

mn=$(median "${T_none[@]}"); mb=$(median "${T_net[@]}"); mp=$(median "${T_port[@]}")
{
	echo "# Networking: start cost and throughput"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), N=$N runs each (interleaved), $MB MB per transfer;"
	echo "CNI plugins $(dpkg-query -W -f '${Version}' containernetworking-plugins 2>/dev/null || echo '?')."
	echo
	echo "| \`hako run --rm IMAGE true\` | median | vs none |"
	echo "|---|---:|---:|"
	echo "| \`--network none\` | $mn ms | 1.00 |"
	echo "| \`--network NET\` (bridge, host-local, portmap, firewall: ADD + DEL) | $mb ms | $(echo "scale=2; $mb / $mn" | bc) |"
	echo "| \`--network NET -p 127.0.0.1::80\` | $mp ms | $(echo "scale=2; $mp / $mn" | bc) |"
	echo
	echo "| HTTP GET of $MB MB, busybox httpd -> wget | MB/s | vs loopback |"
	echo "|---|---:|---:|"
	echo "| host -> host, 127.0.0.1 | $R_loop | 1.00 |"
	echo "| host -> published port on 127.0.0.1 (portmap DNAT) | $R_port | $(echo "scale=2; $R_port / $R_loop" | bc) |"
	echo "| container -> container by name, same bridge | $R_c2c | $(echo "scale=2; $R_c2c / $R_loop" | bc) |"
} >"$out"
cat "$out"
