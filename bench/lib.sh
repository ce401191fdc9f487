#!/bin/bash
# bench/lib.sh: what bench/run.sh and bench/profile.sh share: the cgroup
# wrapper, the bundle, the runtimes' command lines, setup and cleanup.
# Sourced; expects HERE (bench/), SELF (the calling script), HAKO.

RUNTIMES=(hako crun runc)

log() { printf '%s\n' "bench: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# ---------------------------------------------------------------- the wrapper
# crun 1.8 refuses the hybrid layout of this host (cgroup v1 controllers plus
# cgroup2 at /sys/fs/cgroup/unified).  All three runtimes therefore run in a
# private mount + cgroup namespace in which /sys/fs/cgroup is a fresh tmpfs
# holding the v1 hierarchies only.  The hierarchies are mounted afresh inside
# the cgroup namespace, so their root is the bench's own cgroup: crun 1.8
# resolves a relative cgroupsPath against the hierarchy root while runc and
# hako resolve it against the caller's cgroup, and in this view both land
# below the bench's own cgroup.  The host's mounts are not changed.
# Call it in a new mount + cgroup namespace (unshare --mount --cgroup).
setup_cgroup_view() {
	local hier name opts o
	hier=$(awk '{for (i = 7; i <= NF; i++) if ($i == "-") break;
	             if ($(i + 1) == "cgroup") { n = split($5, a, "/"); print a[n], $(i + 3) } }' /proc/self/mountinfo)
	umount -R /sys/fs/cgroup
	mount -t tmpfs -o mode=755,size=64k hako_bench_cgroup /sys/fs/cgroup
	while read -r name opts; do
		[ -n "$name" ] || continue
		o=$(tr , '\n' <<<"$opts" | grep -v -E '^(rw|ro)$' | paste -sd, -)
		mkdir "/sys/fs/cgroup/$name"
		mount -t cgroup -o "$o" cgroup "/sys/fs/cgroup/$name"
	done <<<"$hier"
}

# Host-view cgroup directories of the bench parent, one per hierarchy
# (mount point + our own cgroup + $PARENT), v1 and v2.
host_parent_dirs() {
	awk -v parent="$PARENT" '
	FNR == NR { split($0, f, ":"); path = substr($0, length(f[1]) + length(f[2]) + 3); own[f[2]] = path; next }
	{ for (i = 7; i <= NF; i++) if ($i == "-") break
	  t = $(i + 1); if (t != "cgroup" && t != "cgroup2") next
	  key = ""
	  if (t == "cgroup") { n = split($(i + 3), o, ","); for (k = 1; k <= n; k++) if (o[k] != "rw" && o[k] != "ro") key = key (key == "" ? "" : ",") o[k] }
	  p = own[key]; if (p == "/") p = ""
	  print $5 p "/" parent }' /proc/self/cgroup /proc/self/mountinfo
}

# The cgroup.procs of our own cgroup in the first v1 hierarchy (host view):
# writing our pid there is a no-op migration ("warm", see harness.c).
host_warm_file() {
	local d
	d=$(host_parent_dirs | grep -v '/unified/' | head -1)
	echo "$(dirname "$d")/cgroup.procs"
}
# The same in the wrapped view: the namespace root is our own cgroup.
wrapped_warm_file() {
	local d
	for d in /sys/fs/cgroup/*/cgroup.procs; do
		echo "$d"
		return
	done
}

# The command line of a runtime, TAB-separated.
rt_cmd() {
	case $1 in
	hako) printf '%s\t--root\t%s' "$HAKO" "$WORK/state/hako" ;;
	crun) printf '%s\t--root\t%s' "$(command -v crun)" "$WORK/state/crun" ;;
	runc) printf '%s\t--root\t%s' "$(command -v runc)" "$WORK/state/runc" ;;
	esac
}
rt_cmd_sp() { rt_cmd "$1" | tr '\t' ' '; }

# perms A B C...: every permutation of the arguments, one per line.  The
# benchmarks cycle through them, so that each runtime follows every other
# equally often (what ran just before can matter: RCU state, netns cleanup).
perms() {
	if [ $# -le 1 ]; then
		echo "$*"
		return
	fi
	local i a=("$@") rest
	for ((i = 0; i < $#; i++)); do
		rest=("${a[@]:0:i}" "${a[@]:i+1}")
		perms "${rest[@]}" | sed "s/^/${a[i]} /"
	done
}

# bench_prepare: the work dir, the harness, the rootfs, the base config,
# the floor command, the state roots on a tmpfs (as /run is on most hosts;
# in our private mount namespace, gone with it) and the cgroup parent.
bench_prepare() {
	WORK=$(mktemp -d /tmp/hako-bench.XXXXXX)
	PARENT=hako-bench-$$
	export WORK PARENT
	log "work dir $WORK, cgroup parent $PARENT (below this process's own cgroup)"
	gcc -O2 -o "$WORK/hb" "$HERE/harness.c" || die "cannot build bench/harness.c"
	# Measure a snapshot of the binary: a rebuild of the tree while the
	# bench runs must not swap it (or remove it) under our feet.
	cp "$HAKO" "$WORK/hako-runtime"
	HAKO=$WORK/hako-runtime
	HAKO_RUNTIME=$HAKO
	export HAKO HAKO_RUNTIME
	"$HAKO" --version >/dev/null || die "$HAKO does not run (a build in progress?)"

	# The bundle: busybox-static rootfs; the reference config is runc's
	# default (as in tests/integration/helpers.bash), edited for /bin/true.
	# root.path is absolute so that per-container bundles share the rootfs
	# (read-only, as in runc's default).
	ROOTFS=$WORK/rootfs
	mkdir -p "$ROOTFS"/{bin,etc,proc,sys,dev,tmp,root}
	cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
	local a
	for a in sh true; do ln -s busybox "$ROOTFS/bin/$a"; done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$ROOTFS/etc/passwd"
	echo 'root:x:0:' >"$ROOTFS/etc/group"
	(cd "$WORK" && runc spec)

	mkdir -p "$WORK/state"
	mount -t tmpfs -o size=64m,mode=700 hako_bench_state "$WORK/state"
	mkdir -p "$WORK/state"/{hako,crun,runc} "$WORK/data" "$WORK/pid"

	# The floor: unshare with the config's namespaces, chroot (--root), exec.
	local floor=(unshare) ns
	for ns in $(jq -r '.linux.namespaces[].type' "$WORK/config.json"); do
		case $ns in
		pid) floor+=(--pid --fork) ;;
		network) floor+=(--net) ;;
		ipc) floor+=(--ipc) ;;
		uts) floor+=(--uts) ;;
		mount) floor+=(--mount) ;;
		cgroup) floor+=(--cgroup) ;;
		time) floor+=(--time) ;;
		user) floor+=(--user --map-root-user) ;;
		esac
	done
	floor+=("--root=$ROOTFS" /bin/true)
	(
		IFS=$'\t'
		echo "${floor[*]}"
	) >"$WORK/floor.cmd"

	# Pre-create the bench parent (and conc/) in every hierarchy, so that
	# every runtime creates only the container's own cgroup; a v1 cpuset
	# cgroup needs cpus and mems before it accepts tasks.
	local d s
	while read -r d; do
		mkdir -p "$d/conc"
		if [ -e "$d/cpuset.cpus" ]; then
			for s in "$d" "$d/conc"; do
				cat "$(dirname "$s")/cpuset.cpus" >"$s/cpuset.cpus"
				cat "$(dirname "$s")/cpuset.mems" >"$s/cpuset.mems"
			done
		fi
	done < <(host_parent_dirs)
}

# mkbundle DIR CGROUPSPATH [jq filter]: a bundle sharing the rootfs.
mkbundle() {
	mkdir -p "$1"
	jq --arg root "$ROOTFS" --arg cg "$2" '
		.process.terminal = false | .process.args = ["/bin/true"]
		| .root.path = $root | .linux.cgroupsPath = $cg '"${3:+| $3}" "$WORK/config.json" >"$1/config.json"
}

# bench_cleanup: containers a killed run may have left (deleted by their own
# runtime; crun in the wrapped view, where it works), the cgroup parents, the
# state tmpfs and the work dir.
bench_cleanup() {
	local rt d id
	[ -n "${WORK:-}" ] && [ -d "$WORK" ] || return 0
	for rt in "${RUNTIMES[@]}"; do
		for d in "$WORK/state/$rt"/*; do
			[ -e "$d" ] || continue
			id=${d##*/}
			if [ "$rt" = crun ]; then
				unshare --mount --cgroup --propagation private "$HERE/run.sh" --wrap \
					crun --root "$WORK/state/crun" delete --force "$id" >/dev/null 2>&1
			else
				$(rt_cmd_sp "$rt") delete --force "$id" >/dev/null 2>&1
			fi
		done
	done
	while read -r d; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done < <(host_parent_dirs)
	mountpoint -q "$WORK/state" && umount "$WORK/state"
	if [ -n "${BENCH_KEEP:-}" ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
