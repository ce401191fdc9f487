# Shared setup for the integration tests: a busybox rootfs with the static
# /init helper, one bundle per test, a private state root, and a teardown that
# removes what a test created and fails the test if the runtime left anything
# behind (state dirs, mounts, cgroups, processes).
#
# The runtime under test is $HAKO_RUNTIME (default: build/hako-runtime); set
# HAKO_RUNTIME=runc to check the tests themselves against runc.

bats_load_library bats-support
bats_load_library bats-assert

HAKO_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HAKO_BUILD=${HAKO_BUILD:-$HAKO_SRC/build}
HAKO_RUNTIME=${HAKO_RUNTIME:-$HAKO_BUILD/hako-runtime}
# A bare name (runc, crun) is looked up on PATH: hooks and nested calls need a path.
if [[ "$HAKO_RUNTIME" != */* ]]; then
	HAKO_RUNTIME=$(command -v "$HAKO_RUNTIME" || echo "$HAKO_RUNTIME")
fi
INIT_BIN=${INIT_BIN:-$HAKO_BUILD/tests/init}
# How long any one runtime call may take before the test fails instead of hanging.
HAKO_TEST_TIMEOUT=${HAKO_TEST_TIMEOUT:-10}

# Everything of one bats run lives under $BATS_RUN_TMPDIR; its name is unique,
# so it also names this run's cgroup parent (tests/run.sh sets its own tag to
# look for leaks after the run).
RUN_TAG=${HAKO_TEST_RUN_TAG:-${BATS_RUN_TMPDIR##*/bats-run-}}
CGROUP_PARENT=hako-test-$RUN_TAG
BASE_DIR=$BATS_RUN_TMPDIR/base

BUSYBOX_APPLETS="sh true false sleep echo cat ls id hostname mount ps env kill grep wc head tr stat readlink touch mkdir rm"

# The base rootfs and the reference config.json, made once per run.
build_base() {
	[ -e "$BASE_DIR/ready" ] && return 0
	local busybox rootfs=$BASE_DIR/rootfs
	busybox=$(command -v busybox) || fail "busybox (busybox-static) is not installed"
	if ldd "$busybox" >/dev/null 2>&1; then
		fail "$busybox is not static: install busybox-static"
	fi
	[ -x "$INIT_BIN" ] || fail "$INIT_BIN is missing: ninja -C build tests/init"
	command -v runc >/dev/null || fail "runc is needed to generate the reference config.json"

	rm -rf "$BASE_DIR"
	mkdir -p "$rootfs"/{bin,etc,proc,sys,dev,tmp,root,home/user}
	cp "$busybox" "$rootfs/bin/busybox"
	local a
	for a in $BUSYBOX_APPLETS; do
		ln -s busybox "$rootfs/bin/$a"
	done
	cp "$INIT_BIN" "$rootfs/init"
	cat >"$rootfs/etc/passwd" <<-EOF
		root:x:0:0:root:/root:/bin/sh
		user:x:1000:1000:user:/home/user:/bin/sh
	EOF
	cat >"$rootfs/etc/group" <<-EOF
		root:x:0:
		tty:x:5:
		user:x:1000:
	EOF
	chown 1000:1000 "$rootfs/home/user"
	chmod 1777 "$rootfs/tmp"

	# The reference config is runc's default, so that the tests never depend on
	# the `spec` command of the runtime under test (cli.bats covers that).
	(cd "$BASE_DIR" && runc spec) || fail "runc spec failed"
	touch "$BASE_DIR/ready"
}

is_runc() {
	if [ ! -e "$BATS_RUN_TMPDIR/runtime-name" ]; then
		"$HAKO_RUNTIME" --version 2>/dev/null | head -1 | awk '{print $1}' >"$BATS_RUN_TMPDIR/runtime-name"
	fi
	[ "$(cat "$BATS_RUN_TMPDIR/runtime-name")" = runc ]
}

# For the few tests that check what only hako promises (message wording,
# `features` content): say so when the runtime is runc.
skip_if_runc() {
	if is_runc; then
		skip "hako-specific: $*"
	fi
}

# For spec behaviour that runc 1.1 gets wrong or does not implement: the test
# stays, runc is excused, and the reason is in the TAP output.
skip_runc_gap() {
	if is_runc; then
		skip "runc 1.1 gap: $*"
	fi
}

hako_setup() {
	[ "$(id -u)" -eq 0 ] || skip "the integration tests run as root"
	[ -x "$HAKO_RUNTIME" ] || fail "runtime $HAKO_RUNTIME not found (set HAKO_RUNTIME)"
	build_base
	TEST_DIR=$BATS_TEST_TMPDIR
	STATE_ROOT=$TEST_DIR/state
	mkdir -p "$STATE_ROOT"
	BG_PIDS=()
	OWN_MOUNTS=()
	make_bundle bundle
	BUNDLE=$TEST_DIR/bundle
}

# make_bundle NAME [PARENT]: a new bundle PARENT/NAME (PARENT: $TEST_DIR)
# with its own rootfs copy and a config with terminal off, /init as the
# process and a relative cgroupsPath below this run's parent (relative paths
# land below the test's own cgroup).
make_bundle() {
	local dir=${2:-$TEST_DIR}/$1
	mkdir -p "$dir"
	cp -a "$BASE_DIR/rootfs" "$dir/rootfs"
	jq --arg cg "$CGROUP_PARENT/$BATS_SUITE_TEST_NUMBER-$1" '
		.process.terminal = false
		| .process.args = ["/init", "help"]
		| .linux.cgroupsPath = $cg' "$BASE_DIR/config.json" >"$dir/config.json"
}

# update_config 'jq filter' [bundle]: edit the bundle's config.json in place.
# Extra jq options may follow the bundle: update_config '.x = $v' "$BUNDLE" --arg v 1
update_config() {
	local filter=$1 bundle=${2:-$BUNDLE} tmp
	shift 2 2>/dev/null || shift
	tmp=$(mktemp "$bundle/config.XXXXXX")
	if ! jq "$@" "$filter" "$bundle/config.json" >"$tmp"; then
		rm -f "$tmp"
		fail "update_config: jq failed on '$filter'"
	fi
	mv "$tmp" "$bundle/config.json"
}

# set_args ARG...: the container's process.args.
set_args() {
	# Not `jq --args`: jq would still read a "-c" among them as its own option.
	local args a i=0 named=()
	for a in "$@"; do
		named+=(--arg "a$i" "$a")
		i=$((i + 1))
	done
	args=$(jq -cn "${named[@]}" --argjson n "$#" '[range(0; $n) as $i | $ARGS.named["a\($i)"]]')
	update_config '.process.args = $a' "$BUNDLE" --argjson a "$args"
}

# runtime ARGS...: the runtime under test with this test's private state root.
# fd 3 is bats' own output: a runtime that passes it on would hang the suite.
# timeout runs it in a process group of its own and, when time is up, kills
# that whole group: the runtime's helper processes too.
runtime() {
	timeout -k 2 "$HAKO_TEST_TIMEOUT" "$HAKO_RUNTIME" --root "$STATE_ROOT" "$@" 3>&-
}

# Processes whose command line names this test's state root: runtime
# processes that outlived their command.
runtime_processes() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$$" ] && continue
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -- "--root $STATE_ROOT " && echo "${p#/proc/}"
	done
}

# runtime_create ID [ARGS...]: `create --bundle $BUNDLE ARGS ID`, with the
# container's stdio on files in the bundle (stdout, stderr), so that a
# container outliving the call does not hold the test's pipes open.
# Prints the runtime's stderr and returns its status when it fails.
runtime_create() {
	local id=$1
	shift
	runtime_detached create "$id" "$@"
}

# runtime_run_detached ID [ARGS...]: `run --detach`, stdio as runtime_create.
runtime_run_detached() {
	local id=$1
	shift
	runtime_detached run "$id" --detach "$@"
}

runtime_detached() {
	local cmd=$1 id=$2 rc=0
	shift 2
	runtime "$cmd" --bundle "$BUNDLE" "$@" "$id" </dev/null >"$BUNDLE/stdout" 2>"$BUNDLE/stderr" || rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$BUNDLE/stderr"
	fi
	return "$rc"
}

# container_status ID: the status field of `state`, or nothing.
container_status() {
	runtime state "$1" 2>/dev/null | jq -r .status
}

container_pid() {
	runtime state "$1" | jq -r .pid
}

# wait_for_status ID STATUS [SECONDS]
wait_for_status() {
	local id=$1 want=$2 secs=${3:-10} i got
	for ((i = 0; i < secs * 20; i++)); do
		got=$(container_status "$id")
		[ "$got" = "$want" ] && return 0
		sleep 0.05
	done
	echo "container $id: status '$got', expected '$want' after ${secs}s" >&2
	return 1
}

# wait_for_line FILE REGEX [SECONDS]: until a line of FILE matches.
wait_for_line() {
	local file=$1 re=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "no line matching '$re' in $file after ${secs}s:" >&2
	cat "$file" >&2 2>/dev/null
	return 1
}

# wait_for_exit PID [SECONDS]: for a process that is not our child.
wait_for_exit() {
	local pid=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		# A zombie counts as gone: its parent reaps it whenever it likes.
		[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.05
	done
	return 1
}

# background CMD...: start a helper in the background (stdio on files in
# TEST_DIR), remember it so that teardown kills it.  Sets BG_PID.
background() {
	"$@" </dev/null >>"$TEST_DIR/bg.out" 2>>"$TEST_DIR/bg.err" 3>&- &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# host_ns TYPE: the inode of the test's own namespace, as /init ns prints it.
host_ns() {
	readlink "/proc/self/ns/$1"
}

# The cgroup directories, one per mounted hierarchy, of this run's parent:
# the test's own cgroup in that hierarchy + $CGROUP_PARENT.
cgroup_parent_dirs() {
	awk -v parent="$CGROUP_PARENT" '
		FNR == NR { i = index($0, ":"); rest = substr($0, i + 1); j = index(rest, ":")
		            own[substr(rest, 1, j - 1)] = substr(rest, j + 1); next }
		{
			for (i = 1; i <= NF && $i != "-"; i++) ;
			fs = $(i + 1); nopts = split($(i + 3), opts, ",")
			if (fs == "cgroup2") key = ""
			else if (fs == "cgroup") {
				key = ""
				for (k in own) {
					if (k == "") continue
					n = split(k, want, ","); found = 0
					for (w = 1; w <= n; w++)
						for (o = 1; o <= nopts; o++)
							if (opts[o] == want[w]) found++
					if (found == n) key = k
				}
				if (key == "") next
			} else next
			if (!(key in own)) next
			path = own[key]; root = $4
			if (root != "/" && index(path, root) == 1) path = substr(path, length(root) + 1)
			if (path == "/") path = ""
			print $5 path "/" parent
		}' /proc/self/cgroup /proc/self/mountinfo | sort -u
}

# The cgroup dirs this test's containers may have used.
test_cgroup_dirs() {
	local d
	for d in $(cgroup_parent_dirs); do
		[ -d "$d" ] || continue
		find "$d" -mindepth 1 -maxdepth 1 -type d -name "$BATS_SUITE_TEST_NUMBER-*"
	done
}

# Kill every process in DIR (a cgroup) and below, then remove the dirs.
cgroup_kill_and_remove() {
	local dir=$1 sub pid
	for sub in $(find "$dir" -depth -type d); do
		for pid in $(cat "$sub/cgroup.procs" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
	done
	for sub in $(find "$dir" -depth -type d); do
		local i
		for ((i = 0; i < 50; i++)); do
			rmdir "$sub" 2>/dev/null && break
			[ -d "$sub" ] || break
			sleep 0.02
		done
	done
}

test_mounts() {
	awk -v d="$TEST_DIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo
}

hako_teardown() {
	[ -n "$TEST_DIR" ] || return 0
	local problems=() id left pid d m i

	# Containers first, through the runtime; then whatever it did not remove.
	# A state dir that `list` does not show is a leak (a half-made container).
	# Dot dirs are the runtime's own, not containers' (hako's .seccomp-cache).
	if [ -d "$STATE_ROOT" ]; then
		local listed
		listed=" $(runtime list -q 2>/dev/null | tr '\n' ' ') "
		for id in $(find "$STATE_ROOT" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n'); do
			[[ "$listed" == *" $id "* ]] || problems+=("state dir of no container: $STATE_ROOT/$id")
		done
		for id in $listed $(ls "$STATE_ROOT"); do
			runtime delete --force "$id" >/dev/null 2>&1
		done
		for id in $(runtime list -q 2>/dev/null); do
			problems+=("container $id still listed after delete --force")
		done
		left=$(find "$STATE_ROOT" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f ')
		if [ -n "$left" ]; then
			problems+=("state left in $STATE_ROOT: $left")
		fi
	fi

	for pid in "${BG_PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for pid in $(runtime_processes); do
		problems+=("runtime process left: $pid $({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)")
		kill -9 "$pid" 2>/dev/null
	done

	# Mounts the test made on purpose (OWN_MOUNTS+=(path)), innermost first.
	for ((i = ${#OWN_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${OWN_MOUNTS[i]}" 2>/dev/null
	done

	local cg_left=() cg_busy=()
	for d in $(test_cgroup_dirs); do
		cg_left+=("${d##*/}")
		if [ -n "$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)" ]; then
			cg_busy+=("$d")
		fi
		cgroup_kill_and_remove "$d"
	done
	if [ "${#cg_left[@]}" -gt 0 ]; then
		problems+=("cgroups left: $(printf '%s\n' "${cg_left[@]}" | sort | uniq -c | awk '{ printf "%s (%d hierarchies) ", $2, $1 }')")
	fi
	for d in "${cg_busy[@]}"; do
		problems+=("processes left in $d")
	done
	for d in $(cgroup_parent_dirs); do
		rmdir "$d" 2>/dev/null
	done

	for m in $(test_mounts | sort -r); do
		problems+=("mount left: $m")
		umount -l "$m" 2>/dev/null
	done
	# Never let bats' own cleanup follow a leftover bind mount out of TEST_DIR.
	rm -rf --one-file-system "$TEST_DIR"/* 2>/dev/null

	if [ "${#problems[@]}" -gt 0 ]; then
		printf 'teardown: %s\n' "${problems[@]}" >&2
		return 1
	fi
}

# check_no_leftovers: inside a test, after a failed operation: nothing in the
# state root, no mount under the test dir, no cgroup of this test.
check_no_leftovers() {
	local left
	left=$(find "$STATE_ROOT" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f ')
	[ -z "$left" ] || fail "state left in $STATE_ROOT: $left"
	left=$(test_mounts)
	[ -z "$left" ] || fail "mounts left: $left"
	left=$(test_cgroup_dirs)
	[ -z "$left" ] || fail "cgroups left: $left"
}

# one_line_error: the runtime's error output is a single line that names the
# runtime (runc: one `level=error msg=...` line).
assert_one_line_error() {
	local lines
	lines=$(printf '%s\n' "$output" | grep -c .)
	[ "$lines" -eq 1 ] || fail "expected a one-line error, got $lines lines: $output"
}
