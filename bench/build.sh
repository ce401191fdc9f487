#!/bin/bash
# hako build against buildah bud, cold (no cache) and warm (every step
# cached), interleaved, on the same Containerfile and the same busybox base
# (saved by hako, pulled by buildah from the oci-archive).  buildah runs its
# RUN steps with --isolation chroot (its own runtime path needs nothing
# from this host) and caches with --layers.  Writes bench/results/build.md.
#
#   bench/build.sh [N]     N builds of each kind (default 7)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
HAKO=${HAKO:-$src/build/hako}
N=${1:-7}
out=$here/results/build.md
work=$(mktemp -d /tmp/hako-bench-build.XXXXXX)
export HAKO_STORAGE=$work/hako HAKO_RUN_ROOT=/run/hako-bench-build-$$
export CONTAINERS_CONF=$work/containers.conf
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' >"$CONTAINERS_CONF"
bh() { buildah --root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver overlay "$@"; }
cleanup() {
	bh rmi -af >/dev/null 2>&1 || true
	awk -v d="$work" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$work" "$HAKO_RUN_ROOT"
}
trap cleanup EXIT

mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/ctx"
cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
for a in $("$work/rootfs/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$work/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
echo 'root:x:0:' >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
"$HAKO" import -c 'CMD ["sh"]' "$work/rootfs.tar" localhost/bb >/dev/null
"$HAKO" save --format oci-archive -o "$work/bb.tar" localhost/bb
bh pull -q "oci-archive:$work/bb.tar" >/dev/null
bh tag "$(bh images -q | head -1)" localhost/bb

# A multi-step Containerfile: RUN steps that write, a COPY of a tree, ENV,
# WORKDIR, a deletion from a lower layer.
mkdir -p "$work/ctx/tree"
for i in $(seq 200); do echo "file $i" >"$work/ctx/tree/f$i"; done
cat >"$work/ctx/Containerfile" <<'CF'
FROM localhost/bb
RUN mkdir -p /app/data && for i in $(seq 100); do echo $i > /app/data/$i; done
ENV APP=/app
WORKDIR /app
COPY tree /app/tree
RUN cat /app/tree/* | wc -l > /app/count
RUN rm -rf /app/data/1* && echo done > /app/done
USER root
CMD ["cat", "/app/count"]
CF

ms() { echo "scale=1; ($2 - $1) / 1000000" | bc; }
declare -a HC=() HW=() BC=() BW=()
for i in $(seq "$N"); do
	t0=$(date +%s%N); "$HAKO" build -q --no-cache -t h "$work/ctx" >/dev/null 2>"$work/h.err" || { cat "$work/h.err" >&2; exit 1; }; t1=$(date +%s%N)
	HC+=("$(ms "$t0" "$t1")")
	t0=$(date +%s%N); bh bud -q --isolation chroot --layers --no-cache -t b "$work/ctx" >/dev/null 2>&1; t1=$(date +%s%N)
	BC+=("$(ms "$t0" "$t1")")
	t0=$(date +%s%N); "$HAKO" build -q -t h "$work/ctx" >/dev/null 2>&1; t1=$(date +%s%N)
	HW+=("$(ms "$t0" "$t1")")
	t0=$(date +%s%N); bh bud -q --isolation chroot --layers -t b "$work/ctx" >/dev/null 2>&1; t1=$(date +%s%N)
	BW+=("$(ms "$t0" "$t1")")
done
# Both images say the same.
[ "$("$HAKO" run --rm h)" = 200 ] || { echo "hako's image is wrong" >&2; exit 1; }
med() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
hc=$(med "${HC[@]}") hw=$(med "${HW[@]}") bc=$(med "${BC[@]}") bw=$(med "${BW[@]}")
{
	echo "# Build benchmark: hako build vs buildah bud"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, kernel $(uname -r); hako $("$HAKO" --version | awk '{print $3}'),"\
		"buildah $(buildah --version | awk '{print $3}') (--isolation chroot --layers); $N builds each, interleaved."
	echo
	echo "| build of a 7-step Containerfile | hako median ms | buildah median ms | hako / buildah |"
	echo "|---|---:|---:|---:|"
	echo "| cold (no cache) | $hc | $bc | $(echo "scale=2; $hc / $bc" | bc) |"
	echo "| warm (all steps cached) | $hw | $bw | $(echo "scale=2; $hw / $bw" | bc) |"
	echo
	echo "Target (issue #10): hako faster on both."
} | tee "$out"
