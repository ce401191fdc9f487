#!/usr/bin/env bats
# containerd 1.6 and ctr driving the runtime through the io.containerd.runc.v2
# shim (`ctr run --runc-binary`): the CLI contract the shim uses (create
# --bundle --pid-file --console-socket, start, exec --process --detach,
# kill, ps --format json, pause, resume, delete) under the real client.
#
# A private containerd: temp root, state and sockets, CRI off.  The shim
# still keeps its sockets and fifos under /run/containerd: what this suite
# leaves there is removed at the end.

load helpers

setup_file() {
	compat_require containerd ctr
	export CTRD_DIR=$BATS_FILE_TMPDIR/containerd
	export CTRD_SOCK=$CTRD_DIR/containerd.sock
	export CTRD_NS=hako-compat-$$
	export CG_PARENT=hako-compat-ctrd-$$
	mkdir -p "$CTRD_DIR"
	[ -d /run/containerd ] || touch "$CTRD_DIR/made-run-containerd"
	cat >"$CTRD_DIR/config.toml" <<-EOF
		version = 2
		root = "$CTRD_DIR/root"
		state = "$CTRD_DIR/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTRD_SOCK"
		[ttrpc]
		  address = "$CTRD_SOCK.ttrpc"
		[debug]
		  address = "$CTRD_DIR/debug.sock"
		[metrics]
		  address = ""
	EOF
	containerd --config "$CTRD_DIR/config.toml" </dev/null >"$CTRD_DIR/containerd.log" 2>&1 3>&- &
	echo $! >"$CTRD_DIR/containerd.pid"
	wait_until 20 ctr -a "$CTRD_SOCK" version || fail "containerd did not start: $(tail -5 "$CTRD_DIR/containerd.log")"
	build_image "$BATS_FILE_TMPDIR/image"
	ctr -a "$CTRD_SOCK" -n "$CTRD_NS" images import --no-unpack=false "$BATS_FILE_TMPDIR/image/image.tar" >/dev/null \
		|| fail "ctr images import failed"
}

teardown_file() {
	[ -n "${CTRD_DIR:-}" ] || return 0
	local id
	for id in $(c tasks ls -q 2>/dev/null); do
		c tasks kill -s KILL "$id" >/dev/null 2>&1
		c tasks delete -f "$id" >/dev/null 2>&1
	done
	for id in $(c containers ls -q 2>/dev/null); do
		c containers delete "$id" >/dev/null 2>&1
	done
	c images rm "$IMAGE_NAME" >/dev/null 2>&1
	stop_pid "$(cat "$CTRD_DIR/containerd.pid" 2>/dev/null)"
	rm -rf "/run/containerd/runc/$CTRD_NS" "/run/containerd/io.containerd.runtime.v2.task/$CTRD_NS"
	if [ -e "$CTRD_DIR/made-run-containerd" ]; then
		rm -rf /run/containerd
	fi
	remove_cgroups "$CG_PARENT"
	umount -R "$CTRD_DIR/state" 2>/dev/null
	rm -rf --one-file-system "$CTRD_DIR"
}

setup() {
	compat_require containerd ctr
}

teardown() {
	local id
	for id in $(c tasks ls -q 2>/dev/null); do
		c tasks kill -s KILL "$id" >/dev/null 2>&1
		c tasks delete -f "$id" >/dev/null 2>&1
	done
	for id in $(c containers ls -q 2>/dev/null); do
		c containers delete "$id" >/dev/null 2>&1
	done
}

c() {
	timeout -k 5 "$COMPAT_TIMEOUT" ctr -a "$CTRD_SOCK" -n "$CTRD_NS" "$@"
}

# crun ID [ctr run options] -- CMD...: `ctr run` with the runtime under test,
# a cgroup below ours.
crun() {
	local id=$1 opts=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	c run --runtime io.containerd.runc.v2 --runc-binary "$COMPAT_RUNTIME" \
		--cgroup "$CG_PARENT/$id" "${opts[@]}" "$IMAGE_NAME" "$id" "$@"
}

task_status() {
	c tasks ls | awk -v id="$1" '$1 == id { print $3 }'
}

start_sleeper() {
	crun "$1" -d -- /init sleep 3600 </dev/null >/dev/null || fail "ctr run -d failed"
	wait_until 10 test "$(task_status "$1")" = RUNNING || fail "task $1: $(task_status "$1")"
}

@test "containerd: ctr run runs a container to completion with its output and exit code" {
	run crun box --rm -- /bin/sh -c 'echo hello; exit 3'
	assert_equal "$status" 3
	assert_output "hello"
}

@test "containerd: ctr run gives the container the image's env, --env, and its own pid namespace" {
	run crun box --rm --env FOO=bar -- /bin/sh -c 'echo $PATH $FOO; echo pid $$'
	assert_success
	assert_line "/bin bar"
	assert_line "pid 1"
}

@test "containerd: ctr run -t gives the process a terminal" {
	run in_pty ctr -a "$CTRD_SOCK" -n "$CTRD_NS" run --runtime io.containerd.runc.v2 \
		--runc-binary "$COMPAT_RUNTIME" --cgroup "$CG_PARENT/box" --rm -t "$IMAGE_NAME" box \
		/bin/sh -c '/init isatty 0; exit 5'
	assert_equal "$status" 5
	assert_line --regexp '^yes /dev/pts/[0-9]+$'
}

@test "containerd: ctr task exec runs a process in the running container" {
	start_sleeper box
	run c tasks exec --exec-id e1 box /bin/sh -c 'ps -o pid,args; exit 4'
	assert_equal "$status" 4
	assert_line --regexp '^ +1 +/init sleep 3600$' 
}

@test "containerd: ctr task exec -t gives the exec'd process a terminal" {
	start_sleeper box
	run in_pty ctr -a "$CTRD_SOCK" -n "$CTRD_NS" tasks exec -t --exec-id e1 box /init isatty 1
	assert_success
	assert_line --regexp '^yes /dev/pts/[0-9]+$'
}

@test "containerd: ctr task exec of a missing binary reports the error" {
	start_sleeper box
	run c tasks exec --exec-id e1 box /no/such/binary
	assert_failure
	assert_output --partial /no/such/binary
}

@test "containerd: ctr task kill stops the task and reports its exit" {
	start_sleeper box
	run c tasks kill -s KILL box
	assert_success
	wait_until 10 test "$(task_status box)" = STOPPED || fail "task box: $(task_status box)"
	run c tasks delete box
	assert_success
	assert_output --partial "137"
}

@test "containerd: ctr task ps lists the container's processes" {
	runtime_supports ps || skip "the runtime has no ps yet"
	start_sleeper box
	run c tasks ps box
	assert_success
	pid=$(c tasks ls | awk '$1 == "box" { print $2 }')
	assert_line --regexp "^$pid "
}

@test "containerd: ctr task pause and resume" {
	runtime_supports pause || skip "the runtime has no pause yet"
	start_sleeper box
	run c tasks pause box
	assert_success
	assert_equal "$(task_status box)" PAUSED
	run c tasks resume box
	assert_success
	assert_equal "$(task_status box)" RUNNING
}

@test "containerd: ctr task delete and container delete leave nothing behind" {
	start_sleeper box
	c tasks kill -s KILL box
	wait_until 10 test "$(task_status box)" = STOPPED
	run c tasks delete box
	assert_success
	run c containers delete box
	assert_success
	[ ! -e "/run/containerd/runc/$CTRD_NS/box" ] || fail "runtime state left: $(ls /run/containerd/runc/$CTRD_NS/box)"
	for d in $(own_cgroup_dirs "$CG_PARENT"); do
		[ ! -d "$d/box" ] || fail "cgroup left: $d/box"
	done
}

@test "containerd: a container that fails to start reports the runtime's error" {
	run crun box --rm -- /no/such/binary
	assert_failure
	assert_output --partial /no/such/binary
	run c containers ls -q
	refute_output --partial box
}
