# Shared setup for the client compatibility suites (containerd, podman,
# docker): the runtime under test, a busybox image built locally, a pty
# helper, and cleanup helpers.  Each suite runs its client with private
# state (temp dirs, private sockets) and stops what it started by pid.
#
# COMPAT_RUNTIME chooses the runtime: a path or a name on PATH (default:
# $HAKO_RUNTIME, else build/hako-runtime); `COMPAT_RUNTIME=runc` proves the
# batteries themselves.

bats_load_library bats-support
bats_load_library bats-assert
bats_require_minimum_version 1.5.0

HAKO_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HAKO_BUILD=${HAKO_BUILD:-$HAKO_SRC/build}
COMPAT_RUNTIME=${COMPAT_RUNTIME:-${HAKO_RUNTIME:-$HAKO_BUILD/hako-runtime}}
if [[ "$COMPAT_RUNTIME" != */* ]]; then
	COMPAT_RUNTIME=$(command -v "$COMPAT_RUNTIME" || echo "$COMPAT_RUNTIME")
fi
INIT_BIN=${INIT_BIN:-$HAKO_BUILD/tests/init}
IMAGE_NAME=localhost/hako-compat:latest
# Client calls that may hang (a broken runtime) fail instead after this long.
COMPAT_TIMEOUT=${COMPAT_TIMEOUT:-60}

BUSYBOX_APPLETS="sh true false sleep echo cat ls id hostname ps env kill grep wc head tr stat readlink touch mkdir rm"

compat_require() {
	[ "$(id -u)" -eq 0 ] || skip "the compat suites run as root"
	[ -x "$COMPAT_RUNTIME" ] || fail "runtime $COMPAT_RUNTIME not found (set COMPAT_RUNTIME)"
	[ -x "$INIT_BIN" ] || fail "$INIT_BIN is missing: ninja -C build tests/init"
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "$c is not installed (make compat installs it)"
	done
}

# runtime_supports CMD: the runtime has the command (`ps`, `pause`, ...):
# runc prints its help; a hako-runtime build without it says "not
# implemented yet".
runtime_supports() {
	local out
	out=$("$COMPAT_RUNTIME" "$1" --help 2>&1) && return 0
	[[ "$out" != *"not implemented"* && "$out" != *"unknown command"* ]]
}

# build_image DIR: DIR/image.tar, a docker-archive ("docker save" format,
# which `ctr images import`, `podman load` and `docker load` all read) of
# a busybox-static rootfs with the /init helper, written by hand: no
# registry, no skopeo cache under /var/lib/containers.
build_image() {
	local dir=$1 rootfs=$1/rootfs busybox a
	[ -e "$dir/image.tar" ] && return 0
	busybox=$(command -v busybox) || fail "busybox (busybox-static) is not installed"
	mkdir -p "$rootfs"/{bin,etc,proc,sys,dev,tmp,root,home/user,run,var}
	cp "$busybox" "$rootfs/bin/busybox"
	for a in $BUSYBOX_APPLETS; do
		ln -s busybox "$rootfs/bin/$a"
	done
	cp "$INIT_BIN" "$rootfs/init"
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$rootfs/etc/passwd"
	printf 'root:x:0:\ntty:x:5:\nuser:x:1000:\n' >"$rootfs/etc/group"
	chmod 1777 "$rootfs/tmp"
	local ar=$dir/archive
	mkdir -p "$ar/layer"
	tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf "$ar/layer/layer.tar" .
	local diff_id config_sha
	diff_id=$(sha256sum "$ar/layer/layer.tar" | cut -d' ' -f1)
	jq -cn --arg d "sha256:$diff_id" '{
		architecture: "amd64", os: "linux", created: "2024-01-01T00:00:00Z",
		config: {Env: ["PATH=/bin"], Cmd: ["/bin/sh"], WorkingDir: "/"},
		rootfs: {type: "layers", diff_ids: [$d]},
		history: [{created: "2024-01-01T00:00:00Z", created_by: "hako compat tests"}]}' >"$ar/config.json"
	config_sha=$(sha256sum "$ar/config.json" | cut -d' ' -f1)
	mv "$ar/config.json" "$ar/$config_sha.json"
	mv "$ar/layer" "$ar/$diff_id"
	jq -cn --arg c "$config_sha.json" --arg l "$diff_id/layer.tar" --arg t "$IMAGE_NAME" \
		'[{Config: $c, RepoTags: [$t], Layers: [$l]}]' >"$ar/manifest.json"
	tar -C "$ar" -cf "$dir/image.tar.tmp" manifest.json "$config_sha.json" "$diff_id"
	mv "$dir/image.tar.tmp" "$dir/image.tar"
	rm -rf "$ar"
}

# in_pty CMD...: run CMD on a fresh controlling terminal (clients that
# insist on a tty for -t); prints what the terminal showed, \r removed.
in_pty() {
	"$INIT_BIN" pty timeout --foreground "$COMPAT_TIMEOUT" "$@" | tr -d '\r'
	return "${PIPESTATUS[0]}"
}

# wait_until SECONDS CMD...: until CMD succeeds.
wait_until() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# stop_pid PID [SECONDS]: TERM, then KILL, a daemon this suite started.
stop_pid() {
	local pid=$1 secs=${2:-10} i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	sleep 0.2
}

# "MOUNTPOINT OWNPATH" for each mounted cgroup hierarchy we are in.
cgroup_mounts() {
	local line ctrl path mnt
	while IFS= read -r line; do
		ctrl=${line#*:}
		path=${ctrl#*:}
		ctrl=${ctrl%%:*}
		if [ -z "$ctrl" ]; then
			mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
		else
			mnt=$(awk -v c="$ctrl" '$9 == "cgroup" { n = split($NF, o, ","); k = split(c, w, ",")
				f = 0; for (i = 1; i <= k; i++) for (j = 1; j <= n; j++) if (o[j] == w[i]) f++
				if (f == k) { print $5; exit } }' /proc/self/mountinfo)
		fi
		[ -n "$mnt" ] && echo "$mnt ${path%/}"
	done </proc/self/cgroup | sort -u
}

# The cgroup dirs named NAME below our own cgroup, one per hierarchy (where
# a runtime puts a relative cgroupsPath).
own_cgroup_dirs() {
	local mnt path
	cgroup_mounts | while read -r mnt path; do
		echo "$mnt$path/$1"
	done
}

# abs_cgroup_parent NAME RECORD: an absolute cgroup path, for clients that
# want one (podman, docker): our deepest own cgroup + NAME, which is below
# our own cgroup in every hierarchy here (the others are at the root).  The
# directories on the way that do not exist yet are listed in RECORD, so
# that remove_abs_cgroups takes them away again.
abs_cgroup_parent() {
	local name=$1 record=$2 deepest="" mnt path rel d
	while read -r mnt path; do
		[ "${#path}" -gt "${#deepest}" ] && deepest=$path
	done < <(cgroup_mounts)
	: >"$record"
	while read -r mnt path; do
		d=$mnt$path
		rel=${deepest#"$path"}
		local c
		for c in $(tr '/' ' ' <<<"$rel"); do
			d=$d/$c
			[ -d "$d" ] || echo "$d" >>"$record"
		done
	done < <(cgroup_mounts)
	echo "$deepest/$name"
}

remove_abs_cgroups() {
	local parent=$1 record=$2 mnt path d
	while read -r mnt path; do
		remove_cgroup_tree "$mnt$parent"
	done < <(cgroup_mounts)
	[ -f "$record" ] || return 0
	for d in $(tac "$record"); do
		rmdir "$d" 2>/dev/null
	done
}

# remove_cgroup_tree DIR: kill what is left in it, remove it and below.
remove_cgroup_tree() {
	local d=$1 sub pid i
	[ -d "$d" ] || return 0
	for sub in $(find "$d" -depth -type d); do
		for pid in $(cat "$sub/cgroup.procs" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
	done
	for sub in $(find "$d" -depth -type d); do
		for ((i = 0; i < 50; i++)); do
			rmdir "$sub" 2>/dev/null && break
			[ -d "$sub" ] || break
			sleep 0.05
		done
	done
}

# remove_cgroups NAME: our NAME cgroups (relative), with what is left in them.
remove_cgroups() {
	local d
	for d in $(own_cgroup_dirs "$1"); do
		remove_cgroup_tree "$d"
	done
}
