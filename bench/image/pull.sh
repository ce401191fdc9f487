#!/bin/bash
# Pull + unpack of a generated ~200 MB image (four layers of real files from
# /usr, gzip-compressed by umoci) from a docker-registry on 127.0.0.1, by
#   hako pull                          (download and unpack, layers in parallel)
#   skopeo copy + umoci unpack         (to an OCI layout, then a rootfs)
#   podman pull                        (private --root/--runroot in the work dir)
# interleaved, each from an empty store every run, and the single-core
# `gzip -d` rate of the same layers as the practical limit.  Writes
# bench/results/image.md (or $OUT); asserts nothing.
#
#   bench/image/pull.sh [RUNS]      (default 7; root; docker-registry, skopeo, umoci, podman)
#
# MB are 10^6 bytes of uncompressed layer tar, the bytes every tool has to
# inflate and write, so the tools and gzip are measured in the same unit.
# The registry's files are in the page cache after the image is pushed:
# this measures the clients, not a disk or a network.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
HAKO=${HAKO:-$src/build/hako}
OUT=${OUT:-$src/bench/results/image.md}
runs=${1:-7}
for tool in "$HAKO" docker-registry skopeo umoci podman gzip curl jq; do
	command -v "$tool" >/dev/null || {
		echo "pull.sh: $tool is missing" >&2
		exit 1
	}
done
work=$(mktemp -d /tmp/hako-bench-image.XXXXXX)
reg_pid=
# a copy: a rebuild of the tree during the run must not change the binary
cp "$(command -v "$HAKO")" "$work/hako-under-test"
HAKO=$work/hako-under-test

# podman's overlay driver leaves its home bind-mounted on itself.
unmount_work() {
	awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
}
cleanup() {
	if [ -n "$reg_pid" ]; then
		kill "$reg_pid" 2>/dev/null || true
		wait "$reg_pid" 2>/dev/null || true
	fi
	unmount_work
	rm -rf "$work"
}
trap cleanup EXIT
log() { echo "# $*" >&2; }

# ---------- a registry on loopback ----------
port=
for _ in $(seq 50); do
	p=$((30000 + RANDOM % 20000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { echo "pull.sh: no free port" >&2; exit 1; }
cat >"$work/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$port}
YAML
setsid docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 </dev/null &
reg_pid=$!
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
	sleep 0.1
done
reg=127.0.0.1:$port
ref=$reg/bench/img:1

# ---------- the image: four layers of ~50 MB of regular files ----------
log "building the image"
umoci init --layout "$work/layout" >/dev/null
umoci new --image "$work/layout:bench" >/dev/null
i=0
for d in /usr/lib/x86_64-linux-gnu /usr/share /usr/bin /usr/include; do
	i=$((i + 1))
	mkdir -p "$work/l$i"
	# files under 4 MB, in find's order, until the layer holds 50 MB
	(cd "$d" && { find . -type f -size -4M -printf '%s %p\n' 2>/dev/null || true; }) |
		awk '!full { t += $1; if (t > 50000000) full = 1; else { sub(/^[0-9]+ /, ""); print } }' >"$work/l$i.list"
	tar -C "$d" -cf - -T "$work/l$i.list" | tar -C "$work/l$i" -xf -
	umoci insert --image "$work/layout:bench" "$work/l$i" "/layer$i" >/dev/null
done
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:bench" "docker://$ref"
manifest=$(jq -r '.manifests[0].digest' "$work/layout/index.json")
layers=$(jq -r '.layers[].digest | sub("sha256:"; "")' "$work/layout/blobs/sha256/${manifest#sha256:}")
n_layers=$(echo "$layers" | wc -l)
csize=0
usize=0
for l in $layers; do
	csize=$((csize + $(stat -c %s "$work/layout/blobs/sha256/$l")))
	usize=$((usize + $(gzip -dc <"$work/layout/blobs/sha256/$l" | wc -c)))
done
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
log "image: $(mb "$usize") MB in $n_layers layers, $(mb "$csize") MB compressed, at $ref"

now_ns() { date +%s%N; }

# ---------- the limit: one core inflating the same layers ----------
gz_ms=()
for _ in 1 2 3; do
	t=$(now_ns)
	for l in $layers; do gzip -dc <"$work/layout/blobs/sha256/$l" >/dev/null; done
	gz_ms+=($((($(now_ns) - t) / 1000000)))
done

# ---------- the runs, interleaved ----------
cat >"$work/containers.conf" <<'CONF'
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF=$work/containers.conf

run_hako() {
	"$HAKO" --storage "$work/hako" pull -q "$ref" >/dev/null
}
reset_hako() { rm -rf "$work/hako"; }

run_skopeo_umoci() {
	skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$work/oci:1"
	umoci unpack --image "$work/oci:1" "$work/bundle" >/dev/null
}
reset_skopeo_umoci() {
	rm -rf "$work/oci" "$work/bundle"
	# skopeo's blob-info cache would let it skip work on the next run
	rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb
}

podman_() { podman --root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp" "$@"; }
run_podman() {
	podman_ pull -q --tls-verify=false "$ref" >/dev/null
}
reset_podman() {
	unmount_work
	rm -rf "$work/podman"
	mkdir -p "$work/podman/tmp"
}

tools=(hako skopeo_umoci podman)
declare -A times
for t in "${tools[@]}"; do times[$t]=""; done
for run in $(seq "$runs"); do
	for t in "${tools[@]}"; do
		"reset_$t"
		sync
		start=$(now_ns)
		"run_$t"
		ms=$((($(now_ns) - start) / 1000000))
		times[$t]="${times[$t]} $ms"
		log "run $run: $t ${ms} ms"
	done
done
# hako's result is a real image: check it before reporting it
"$HAKO" --storage "$work/hako" system check >/dev/null

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
minimum() { tr ' ' '\n' | grep . | sort -n | head -1; }
rate() { awk -v b="$usize" -v ms="$1" 'BEGIN { printf "%.0f", b / 1e6 / (ms / 1000) }'; }

gz_med=$(echo "${gz_ms[*]}" | median)
declare -A label=(
	[hako]="hako pull"
	[skopeo_umoci]="skopeo copy + umoci unpack"
	[podman]="podman pull"
)
hako_version=$("$HAKO" --version 2>/dev/null | head -1 | awk '{print $NF}')
hako_commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$src" status --porcelain -- src 2>/dev/null)" ]; then hako_commit="$hako_commit+changes"; fi
date_=$(date -u +%Y-%m-%d)

mkdir -p "$(dirname "$OUT")"
{
	echo "# Image pull + unpack"
	echo
	echo "\`bench/image/pull.sh $runs\` (\`make bench-image\`), $date_, $(nproc) vCPUs, kernel $(uname -r)."
	echo "A generated image of $(mb "$usize") MB in $n_layers layers of real files from /usr"
	echo "($(mb "$csize") MB gzip-compressed by umoci), pulled from docker-registry"
	echo "$(docker-registry --version | awk '{print $NF}') on 127.0.0.1 into an empty store every run; the tools interleaved,"
	echo "$runs runs each. MB/s = MB of uncompressed layer tar per second of wall time"
	echo "(download, verify, inflate, write the files)."
	echo
	echo "| tool | version | median | best | MB/s (median) |"
	echo "|---|---|---:|---:|---:|"
	for t in "${tools[@]}"; do
		med=$(echo "${times[$t]}" | median)
		best=$(echo "${times[$t]}" | minimum)
		case $t in
		hako) v="$hako_version ($hako_commit)" ;;
		skopeo_umoci) v="skopeo $(skopeo --version | awk '{print $NF}'), umoci $(umoci --version | awk '{print $NF}')" ;;
		podman) v="$(podman --version | awk '{print $NF}') (overlay)" ;;
		esac
		printf '| %s | %s | %d ms | %d ms | %s |\n' "${label[$t]}" "$v" "$med" "$best" "$(rate "$med")"
	done
	printf "| \`gzip -d\` of the same layers, one core, to /dev/null | %s | %d ms | %d ms | %s |\n" \
		"$(gzip --version | head -1 | awk '{print $NF}')" "$gz_med" "$(echo "${gz_ms[*]}" | minimum)" "$(rate "$gz_med")"
	echo
	echo "All runs (ms): $(for t in "${tools[@]}"; do printf '%s:%s; ' "$t" "${times[$t]}"; done)gzip -d: ${gz_ms[*]}."
	echo
	echo "The gzip line is the practical limit of one core: every tool must inflate"
	echo "the same bytes. hako downloads and unpacks up to three layers at once, so"
	echo "on $(nproc) cores it can pass the one-core figure; skopeo+umoci and podman"
	echo "inflate while they write. The machine is shared with other jobs, so single"
	echo "runs spread widely (see all runs above): compare medians, run again to check."
} >"$OUT"
cat "$OUT"
