#!/bin/bash
# Pull + unpack of a generated multi-layer image (~200 MB uncompressed, made
# of real files from /usr) from a docker-registry on 127.0.0.1:
# hako pull  vs  skopeo copy + umoci unpack.  Reports, asserts nothing.
#
#   bench/image/pull.sh [RUNS]      (as root; needs docker-registry, skopeo, umoci)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
HAKO=${HAKO:-$src/build/hako}
runs=${1:-3}
work=$(mktemp -d /tmp/hako-bench-image.XXXXXX)
reg_pid=
cleanup() {
	[ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

port=$((30000 + RANDOM % 20000))
cat >"$work/config.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$port}
YAML
setsid docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 </dev/null &
reg_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
reg=127.0.0.1:$port

# Four layers of ~50 MB of real files each.
umoci init --layout "$work/layout" >/dev/null
umoci new --image "$work/layout:bench" >/dev/null
i=0
for d in /usr/lib/x86_64-linux-gnu /usr/share /usr/bin /usr/lib; do
	i=$((i + 1))
	mkdir -p "$work/l$i"
	# about 50 MB of regular files from $d
	(cd "$d" && find . -type f -size -4M 2>/dev/null | head -4000) | tar -C "$d" -cf - -T - 2>/dev/null |
		head -c 52428800 | tar -C "$work/l$i" -xf - 2>/dev/null || true
	umoci insert --image "$work/layout:bench" "$work/l$i" "/layer$i" >/dev/null
done
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:bench" "docker://$reg/bench/img:1"
size=$(du -sm "$work"/l? | awk '{s += $1} END {print s}')
csize=$(du -sm "$work/registry" | cut -f1)
echo "image: $size MB in 4 layers ($csize MB compressed), registry $reg"

# The practical limit: one core decompressing gzip.
blob=$(ls -S "$work/layout/blobs/sha256" | head -1)
t0=$(date +%s%N)
gzip -dc <"$work/layout/blobs/sha256/$blob" >/dev/null
t1=$(date +%s%N)
bmb=$(du -m "$work/layout/blobs/sha256/$blob" | cut -f1)
umb=$(gzip -dc <"$work/layout/blobs/sha256/$blob" | wc -c)
echo "gzip -d, one core: $((umb * 1000 / (t1 - t0))) MB/s of output"

ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
printf '%-28s %s\n' tool "ms per pull+unpack (runs: $runs)"
for run in $(seq "$runs"); do
	rm -rf "$work/hs"
	t=$(date +%s%N)
	"$HAKO" --storage "$work/hs" pull -q "$reg/bench/img:1" >/dev/null
	h=$(ms "$t")
	rm -rf "$work/so" "$work/sb" /var/lib/containers/cache/blob-info-cache-v1.boltdb
	t=$(date +%s%N)
	skopeo copy -q --src-tls-verify=false "docker://$reg/bench/img:1" "oci:$work/so:1"
	umoci unpack --image "$work/so:1" "$work/sb" >/dev/null
	s=$(ms "$t")
	echo "run $run: hako ${h} ms ($((size * 1000 / h)) MB/s), skopeo+umoci ${s} ms ($((size * 1000 / s)) MB/s)"
done
