# Shared setup for the engine tests (`hako run` and friends): a private
# storage and run root per test, a busybox image imported from a local
# rootfs (no registry), and a check that nothing is left behind.

bats_load_library bats-support
bats_load_library bats-assert

HAKO_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HAKO_BUILD=${HAKO_BUILD:-$HAKO_SRC/build}
HAKO=${HAKO:-$HAKO_BUILD/hako}

engine_setup() {
	[ -x "$HAKO" ] || fail "$HAKO is missing: ninja -C build"
	export HAKO_STORAGE=$BATS_TEST_TMPDIR/store
	# Short: the monitor's socket path must fit sun_path (108 bytes).
	export HAKO_RUN_ROOT
	HAKO_RUN_ROOT=$(mktemp -d /run/hako-test.XXXXXX)
	import_busybox bb
}

# Remove every container of the test and check nothing stays: no mount
# under the storage, no cgroup of its containers, no process started with
# the test's run root (monitors, stray clients), no run state.
engine_teardown() {
	local ids id left=
	ids=$("$HAKO" ps -aq --no-trunc 2>/dev/null) || true
	[ -z "$ids" ] || timeout 60 "$HAKO" rm -f $ids >/dev/null 2>&1 || true
	if grep -q " $HAKO_STORAGE/" /proc/self/mountinfo; then
		grep " $HAKO_STORAGE/" /proc/self/mountinfo >&2
		awk -v s="$HAKO_STORAGE/" '$5 ~ "^" s { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
		left+="mounts under $HAKO_STORAGE; "
	fi
	local procs
	procs=$(engine_procs)
	if [ -n "$procs" ]; then
		ps -o pid,ppid,stat,args -p "${procs// /,}" >&2 || true
		kill -KILL $procs 2>/dev/null || true
		left+="processes $procs; "
	fi
	for id in $ids $ENGINE_IDS; do
		if [ -n "$(ctr_cgroups_left "$id")" ]; then
			ctr_cgroups_left "$id" >&2
			left+="cgroups of ${id:0:12}; "
		fi
	done
	rm -rf "$HAKO_RUN_ROOT"
	[ -z "$left" ] || fail "left behind: $left"
}

# Pids of the processes started with this test's run root in their
# environment (monitors and clients), after up to 3 s for them to exit.
engine_procs() {
	local i p procs
	for i in $(seq 60); do
		procs=
		for p in /proc/[0-9]*; do
			[ "${p#/proc/}" = "$BASHPID" ] && continue
			grep -qzx "HAKO_RUN_ROOT=$HAKO_RUN_ROOT" "$p/environ" 2>/dev/null && procs+="${p#/proc/} "
		done
		[ -z "$procs" ] && return 0
		sleep 0.05
	done
	echo "${procs% }"
}

# The cgroup directories of container $1 (full or 12-char ID) that exist:
# the engine makes hako-<id12> below the caller's cgroup in every hierarchy.
ctr_cgroups_left() {
	local id=${1:0:12} n ctrl path dir
	while IFS=: read -r n ctrl path; do
		case $ctrl in
		"") dir=/sys/fs/cgroup/unified ;;
		name=*) dir=/sys/fs/cgroup/${ctrl#name=} ;;
		*) dir=/sys/fs/cgroup/${ctrl%%,*} ;;
		esac
		[ -d "$dir${path%/}/hako-$id" ] && echo "$dir${path%/}/hako-$id"
	done </proc/self/cgroup
	return 0
}

# The pid of container $1's process (State.Pid).
ctr_pid() {
	"$HAKO" inspect -f '{{.State.Pid}}' "$1"
}

# The directory of container $1's cgroup in the v1 hierarchy $2 (memory,
# cpu, pids, cpuset...), read from /proc/<State.Pid>/cgroup.
ctr_cgroup() {
	local pid path
	pid=$(ctr_pid "$1") || return 1
	path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
	[ -n "$path" ] || return 1
	echo "/sys/fs/cgroup/$2$path"
}

# The engine's own record of container $1 (`inspect` strips .Hako).
ctr_record() {
	local id
	id=$("$HAKO" inspect -f '{{.Id}}' "$1") || return 1
	cat "$HAKO_STORAGE/containers/$id/container.json"
}

# The monitor's pid of container $1 (Hako.MonitorPid of the record).
monitor_pid() {
	ctr_record "$1" | jq -r .Hako.MonitorPid
}

# Run a command with a real pty as its stdin/stdout/stderr (python's pty),
# window size 30x100; $PTY_INPUT is typed into it first.  Output (without
# CRs) in $output and $lines, status in $status, as bats' `run`.
run_pty() {
	status=0
	output=$(PTY_INPUT=${PTY_INPUT:-} timeout 30 python3 -c '
import os, pty, sys, fcntl, termios, struct, select, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
data = os.environ.get("PTY_INPUT", "").encode()
if data:
    time.sleep(0.3)
    os.write(fd, data)
out = b""
while True:
    try:
        r, _, _ = select.select([fd], [], [], 20)
        if not r:
            break
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(st) & 255)
' "$@") || status=$?
	mapfile -t lines <<<"$output"
}

hako() {
	timeout "${HAKO_TEST_TIMEOUT:-60}" "$HAKO" "$@"
}

# A busybox root filesystem (made once per file) in $1, with users for -u.
make_rootfs() {
	local dir=$1 a
	mkdir -p "$dir"/{bin,etc,tmp,root,home/user}
	cp "$(command -v busybox)" "$dir/bin/busybox"
	for a in $("$dir/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$dir/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
	printf 'root:x:0:\nusers:x:100:user\nuser:x:1000:\nnogroup:x:65534:\n' >"$dir/etc/group"
	chown 1000:1000 "$dir/home/user"
	chmod 1777 "$dir/tmp"
}

# An image named $1 in the store, imported from a busybox rootfs; extra
# arguments are `import -c` changes.
import_busybox() {
	local name=${1:-busybox:latest} c
	shift || true
	if [ ! -e "$BATS_FILE_TMPDIR/rootfs.tar" ]; then
		make_rootfs "$BATS_FILE_TMPDIR/rootfs"
		tar -C "$BATS_FILE_TMPDIR/rootfs" -cf "$BATS_FILE_TMPDIR/rootfs.tar" .
	fi
	local changes=(-c 'CMD ["/bin/sh"]')
	for c in "$@"; do changes+=(-c "$c"); done
	"$HAKO" import "${changes[@]}" "$BATS_FILE_TMPDIR/rootfs.tar" "$name" >/dev/null
}

# Wait (up to $2 s, default 10) until `hako inspect` shows status $1 for $3.
wait_status() {
	local want=$1 t=${3:-10} ctr=$2 i
	for i in $(seq $((t * 20))); do
		[ "$("$HAKO" inspect -f '{{.State.Status}}' "$ctr" 2>/dev/null)" = "$want" ] && return 0
		sleep 0.05
	done
	fail "container $ctr did not become $want"
}
