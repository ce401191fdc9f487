#!/usr/bin/env bats
# `exec`: another process in a running container (runc's `exec` command;
# the process joins the container's namespaces and cgroup and gets the
# container's or the given process attributes).

load helpers

setup() {
	hako_setup
	set_args /init sleep 3600
}

teardown() {
	hako_teardown
}

start_box() {
	runtime_run_detached box || fail "run --detach failed"
	wait_for_status box running
}

# The exec'd process's view of a namespace equals the container's.
@test "exec: the process joins every namespace of the container" {
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	start_box
	pid=$(container_pid box)
	for ns in pid mnt net ipc uts cgroup; do
		run runtime exec box /init ns "$ns"
		assert_success
		assert_output "$(readlink /proc/$pid/ns/$ns)"
		[ "$output" != "$(host_ns $ns)" ] || fail "$ns namespace is the host's"
	done
}

@test "exec: the process joins the container's user namespace" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]'
	start_box
	pid=$(container_pid box)
	run runtime exec box /init ns user
	assert_success
	assert_output "$(readlink /proc/$pid/ns/user)"
	[ "$output" != "$(host_ns user)" ] || fail "user namespace is the host's"
}

@test "exec: the process sees the container's root and starts in process.cwd" {
	update_config '.process.cwd = "/tmp"'
	start_box
	run runtime exec box /bin/sh -c 'pwd; ls /init'
	assert_success
	assert_equal "$output" $'/tmp\n/init'
	run runtime exec --cwd /root box /init cwd
	assert_success
	assert_output /root
}

@test "exec: the process is in the container's pid namespace, and ps sees it" {
	start_box
	run runtime exec box /bin/sh -c 'echo $$; ps -o pid,args'
	assert_success
	[ "${lines[0]}" -gt 1 ]
	assert_line --regexp '^ +1 +/init sleep 3600$'
}

@test "exec: the process is in the container's cgroup" {
	start_box
	pid=$(container_pid box)
	run runtime exec box /init cat /proc/self/cgroup
	assert_success
	exec_cg=$output
	# Read from the host: /proc/PID/cgroup of the container's init.
	assert_equal "$exec_cg" "$(cat /proc/$pid/cgroup)"
}

@test "exec: the exit code of the process is the exit code of exec" {
	start_box
	run runtime exec box /init exit 7
	assert_equal "$status" 7
	run runtime exec box /bin/sh -c 'kill -KILL $$'
	assert_equal "$status" 137
	run runtime exec box true
	assert_success
}

@test "exec: env is the container's, with --env added or replacing" {
	update_config '.process.env = ["PATH=/bin", "KEEP=1", "OVER=old"]'
	start_box
	run runtime exec -e OVER=new -e NEW=x box /init env
	assert_success
	assert_line PATH=/bin
	assert_line KEEP=1
	assert_line OVER=new
	assert_line NEW=x
	refute_line OVER=old
	refute_line --regexp '^(BATS_|HAKO_)'
}

@test "exec: --user and --additional-gids; HOME comes from the container's passwd" {
	start_box
	run runtime exec --user 1000:1000 --additional-gids 5 box /bin/sh -c '/init ids; echo $HOME'
	assert_success
	assert_line "uid=1000 gid=1000 euid=1000 egid=1000 groups=5"
	assert_line /home/user
	run runtime exec -u 1000 box /init ids
	assert_success
	assert_output --regexp '^uid=1000 gid=0 '
}

@test "exec: the process gets the container's capabilities and rlimits" {
	update_config '.process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}
		| .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]'
	start_box
	run runtime exec box /init caps
	assert_success
	assert_line "CapEff:	0000000000000020"
	assert_line "CapBnd:	0000000000000021"
	run runtime exec box /init rlimit NOFILE
	assert_output "123 456"
}

@test "exec: --cap adds a capability, but never to the inheritable set (CVE-2022-29162)" {
	update_config '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
	start_box
	run runtime exec --cap CAP_CHOWN box /init caps
	assert_success
	assert_line "CapEff:	0000000000000021"
	assert_line "CapPrm:	0000000000000021"
	assert_line "CapBnd:	0000000000000021"
	assert_line "CapInh:	0000000000000000"
	assert_line "CapAmb:	0000000000000000"
}

@test "exec: --no-new-privs sets no_new_privs for the exec'd process only" {
	update_config '.process.noNewPrivileges = false'
	start_box
	run runtime exec --no-new-privs box /init nnp
	assert_output "NoNewPrivs:	1"
	run runtime exec box /init nnp
	assert_output "NoNewPrivs:	0"
}

@test "exec --process: a process.json gives args, env, cwd, user, capabilities and rlimits" {
	start_box
	cat >"$TEST_DIR/process.json" <<-'EOF'
		{"terminal": false, "user": {"uid": 1000, "gid": 1000, "additionalGids": [5]},
		 "args": ["/bin/sh", "-c", "/init ids; /init cwd; echo $A; /init caps; /init rlimit NOFILE"],
		 "env": ["PATH=/bin", "A=from-json"], "cwd": "/tmp",
		 "capabilities": {"bounding": ["CAP_KILL"], "effective": [], "permitted": []},
		 "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}]}
	EOF
	run runtime exec --process "$TEST_DIR/process.json" box
	assert_success
	assert_line "uid=1000 gid=1000 euid=1000 egid=1000 groups=5"
	assert_line /tmp
	assert_line from-json
	assert_line "CapBnd:	0000000000000020"
	assert_line "100 200"
}

@test "exec --process: a bad process.json is refused naming the field" {
	start_box
	echo '{"args": [], "cwd": "/"}' >"$TEST_DIR/process.json"
	run runtime exec --process "$TEST_DIR/process.json" box
	assert_failure
	skip_if_runc "error wording"
	assert_output --partial "args"
}

@test "exec --detach: returns at once and writes the host pid of the process to --pid-file" {
	start_box
	# the process keeps the stdio it is given: not bats' pipes
	runtime exec --detach --pid-file "$TEST_DIR/exec.pid" box /init sleep 3600 </dev/null >"$TEST_DIR/exec.out" 2>&1 \
		|| fail "exec --detach: $(cat "$TEST_DIR/exec.out")"
	pid=$(cat "$TEST_DIR/exec.pid")
	[ -d "/proc/$pid" ] || fail "no process $pid"
	assert_equal "$(readlink /proc/$pid/ns/pid)" "$(readlink /proc/$(container_pid box)/ns/pid)"
	assert_equal "$(tr '\0' ' ' </proc/$pid/cmdline)" "/init sleep 3600 "
}

@test "exec: a failing exec is an error on the caller's side, exit status 255" {
	start_box
	run runtime exec box /does/not/exist
	assert_equal "$status" 255
	assert_output --partial /does/not/exist
	run runtime exec box no-such-command
	assert_equal "$status" 255
	assert_output --partial no-such-command
	run runtime exec --cwd /no/such/dir box true
	assert_equal "$status" 255
}

@test "exec: --log-format json ends the log with an error record that says what failed" {
	start_box
	run runtime --log "$TEST_DIR/log.json" --log-format json exec box /does/not/exist
	assert_failure
	run tail -n 1 "$TEST_DIR/log.json"
	assert_equal "$(jq -r .level <<<"$output")" error
	[[ "$(jq -r .msg <<<"$output")" == *"/does/not/exist"* ]] || fail "msg: $output"
}

@test "exec: into a stopped container fails clearly" {
	set_args /init exit 0
	runtime_run_detached box
	wait_for_status box stopped
	run runtime exec box true
	assert_failure
	assert_output --partial "cannot exec in a stopped container"
}

@test "exec: into a container that does not exist fails" {
	run runtime exec nobox true
	assert_failure
	assert_output --partial "does not exist"
}

@test "exec: into a created container works (its process is waiting for start)" {
	runtime_create box
	run runtime exec box /init ns pid
	assert_success
	assert_output "$(readlink /proc/$(container_pid box)/ns/pid)"
	assert_equal "$(container_status box)" created
}

@test "exec: into a paused container fails, unless --ignore-paused" {
	out=$("$HAKO_RUNTIME" pause --help 2>&1) || [[ "$out" != *"not implemented"* ]] ||
		skip "this runtime has no pause yet"
	start_box
	runtime pause box || skip "pause is not implemented"
	run runtime exec box true
	assert_failure
	assert_output --partial paused
	# the exec'd process is frozen with the rest until resume (runc's exec
	# waits for it to run; hako returns once it is in the cgroup)
	runtime exec -d --ignore-paused --pid-file "$TEST_DIR/exec.pid" box /init sleep 3600 \
		</dev/null >"$TEST_DIR/exec.out" 2>&1 &
	pid=$!
	sleep 0.5
	runtime resume box
	wait "$pid" || fail "exec --ignore-paused: $(cat "$TEST_DIR/exec.out")"
	[ -d "/proc/$(cat "$TEST_DIR/exec.pid")" ] || fail "the exec'd process is gone"
}

@test "exec: signals sent to exec are forwarded to the process" {
	start_box
	"$HAKO_RUNTIME" --root "$STATE_ROOT" exec box /init wait-signal USR1 10 >"$TEST_DIR/out" 2>&1 3>&- &
	pid=$!
	BG_PIDS+=("$pid")
	wait_for_line "$TEST_DIR/out" ready
	kill -USR1 "$pid"
	wait "$pid"
	run cat "$TEST_DIR/out"
	assert_line "received SIGUSR1"
}

@test "exec: no fd of the runtime leaks into the process; --preserve-fds passes more" {
	start_box
	run runtime exec box /init fds
	assert_success
	refute_line --regexp '^[3-9]'
	run "$HAKO_RUNTIME" --root "$STATE_ROOT" exec --preserve-fds 1 box /init fds 3<"$BUNDLE/config.json"
	assert_success
	assert_line --regexp '^3 /'
	refute_line --regexp '^4'
}

@test "exec -t: with --console-socket the process gets a pty" {
	start_box
	SOCK=$TEST_DIR/console.sock
	"$INIT_BIN" recvtty "$SOCK" </dev/null >"$TEST_DIR/tty.out" 2>&1 3>&- &
	BG_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do [ -S "$SOCK" ] && break; sleep 0.02; done
	runtime exec -t --detach --console-socket "$SOCK" box /bin/sh -c '/init isatty 0; /init isatty 2' </dev/null >"$TEST_DIR/exec.out" 2>&1 \
		|| fail "exec: $(cat "$TEST_DIR/exec.out")"
	wait_for_line "$TEST_DIR/tty.out" "yes /dev/pts/[0-9]+"
	run tr -d '\r' <"$TEST_DIR/tty.out"
	assert_output --regexp 'yes /dev/pts/[0-9]+'
}

@test "exec -t: in the foreground the terminal is proxied and raw mode restored" {
	start_box
	run "$INIT_BIN" pty timeout --foreground 30 /bin/sh -c \
		"stty -g > $TEST_DIR/before; $HAKO_RUNTIME --root $STATE_ROOT exec -t box /bin/sh -c '/init isatty 0; exit 3'; echo rc=\$?; stty -g > $TEST_DIR/after"
	output=$(tr -d '\r' <<<"$output")
	mapfile -t lines <<<"$output"
	assert_line --regexp '^yes /dev/pts/[0-9]+$'
	assert_line rc=3
	assert_equal "$(cat "$TEST_DIR/after")" "$(cat "$TEST_DIR/before")"
}

@test "exec -t --detach without --console-socket is refused" {
	start_box
	run runtime exec -t -d box true
	assert_failure
}

@test "exec --process with terminal and consoleSize: the size is set" {
	start_box
	SOCK=$TEST_DIR/console.sock
	"$INIT_BIN" recvtty "$SOCK" </dev/null >"$TEST_DIR/tty.out" 2>&1 3>&- &
	BG_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do [ -S "$SOCK" ] && break; sleep 0.02; done
	cat >"$TEST_DIR/process.json" <<-'EOF'
		{"terminal": true, "consoleSize": {"height": 33, "width": 111}, "user": {"uid": 0, "gid": 0},
		 "args": ["/bin/busybox", "stty", "size"], "env": ["PATH=/bin"], "cwd": "/"}
	EOF
	runtime exec --process "$TEST_DIR/process.json" --detach --console-socket "$SOCK" box </dev/null >"$TEST_DIR/exec.out" 2>&1 \
		|| fail "exec: $(cat "$TEST_DIR/exec.out")"
	wait_for_line "$TEST_DIR/tty.out" "^33 111"
}

@test "exec --cgroup: the process goes to an existing sub-cgroup (cgroup v2)" {
	mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	[ -n "$mnt" ] || skip "no cgroup2 mount"
	# runc 1.1 on a hybrid host wants the sub-cgroup in every v1 hierarchy too
	skip_if_runc "sub-cgroup on the v2 hierarchy only"
	start_box
	cg=$(awk -F: '$1 == 0 { print $3 }' /proc/$(container_pid box)/cgroup)
	mkdir "$mnt$cg/sub"
	run runtime exec --cgroup sub box /init cat /proc/self/cgroup
	rmdir "$mnt$cg/sub" 2>/dev/null
	assert_success
	assert_line "0::$cg/sub"
	run runtime exec --cgroup no-such-sub box true
	assert_failure
}
