#!/usr/bin/env bats
# The container lifecycle and the operations on it (runtime-spec runtime.md).

load helpers

setup() {
	hako_setup
}

teardown() {
	hako_teardown
}

@test "runtime.md create: status is created and the pid is the container process" {
	set_args /init sleep 60
	run runtime_create box --pid-file "$TEST_DIR/pid"
	assert_success

	run runtime state box
	assert_success
	[ "$(jq -r .status <<<"$output")" = created ]
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 1 ]
	[ -d "/proc/$pid" ]
	[ "$(cat "$TEST_DIR/pid")" = "$pid" ]
}

@test "runtime.md create: pid file is written before create returns" {
	set_args /init sleep 60
	runtime_create box --pid-file "$TEST_DIR/pid"
	# No waiting: the file must be complete the moment create has returned.
	[ -s "$TEST_DIR/pid" ]
	[[ "$(cat "$TEST_DIR/pid")" =~ ^[0-9]+$ ]]
	[ "$(cat "$TEST_DIR/pid")" = "$(container_pid box)" ]
}

@test "runtime.md create: the user-specified program does not run before start" {
	update_config '.root.readonly = false'
	set_args /init write /ran yes
	runtime_create box
	sleep 0.3
	[ ! -e "$BUNDLE/rootfs/ran" ]
	[ "$(container_status box)" = created ]

	runtime start box
	wait_for_status box stopped
	[ "$(cat "$BUNDLE/rootfs/ran")" = yes ]
}

@test "runtime.md create: changes to config.json after create do not affect the container" {
	set_args /init hostname
	update_config '.hostname = "before"'
	runtime_create box
	update_config '.hostname = "after" | .process.args = ["/init", "exit", "9"]'
	runtime start box
	wait_for_status box stopped
	[ "$(cat "$BUNDLE/stdout")" = before ]
}

@test "runtime.md start: status is running after start" {
	set_args /init sleep 60
	runtime_create box
	run runtime start box
	assert_success
	assert_output ""
	[ "$(container_status box)" = running ]
}

@test "runtime.md start: starting an already started container fails and does not affect it" {
	set_args /init sleep 60
	runtime_create box
	runtime start box
	pid=$(container_pid box)

	run runtime start box
	assert_failure
	[ "$(container_status box)" = running ]
	[ "$(container_pid box)" = "$pid" ]
}

@test "runtime.md start: starting a stopped container fails" {
	set_args /init exit 0
	runtime_create box
	runtime start box
	wait_for_status box stopped
	run runtime start box
	assert_failure
	[ "$(container_status box)" = stopped ]
}

@test "runtime.md lifecycle: status is stopped once the process exits" {
	set_args /init exit 3
	runtime_create box
	runtime start box
	wait_for_status box stopped
}

@test "runtime.md delete: delete removes a stopped container" {
	set_args /init exit 0
	runtime_create box
	runtime start box
	wait_for_status box stopped
	run runtime delete box
	assert_success
	run runtime state box
	assert_failure
	check_no_leftovers
}

@test "delete of a created (never started) container kills its process and removes it, as runc does" {
	set_args /init sleep 60
	runtime_create box
	pid=$(container_pid box)
	run runtime delete box
	assert_success
	wait_for_exit "$pid"
	run runtime state box
	assert_failure
}

@test "runtime.md delete: deleting a running container without --force fails and leaves it running" {
	set_args /init sleep 60
	runtime_create box
	runtime start box
	run runtime delete box
	assert_failure
	[ "$(container_status box)" = running ]
}

@test "delete --force kills and removes a running container" {
	set_args /init sleep 60
	runtime_create box
	runtime start box
	pid=$(container_pid box)
	run runtime delete --force box
	assert_success
	wait_for_exit "$pid"
	run runtime state box
	assert_failure
	[ -z "$(test_cgroup_dirs)" ]
}

@test "runtime.md delete: the id can be used again after delete" {
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
	run runtime run --bundle "$BUNDLE" box
	assert_success
}

@test "runtime.md state: fields ociVersion id status pid bundle" {
	set_args /init sleep 60
	runtime_create box
	run runtime state box
	assert_success
	jq -e . <<<"$output" >/dev/null
	[ "$(jq -r .ociVersion <<<"$output")" = "$(jq -r .ociVersion "$BUNDLE/config.json")" ]
	[ "$(jq -r .id <<<"$output")" = box ]
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r '.pid | type' <<<"$output")" = number ]
	[ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
}

@test "runtime.md state: bundle is an absolute path when create got a relative one" {
	set_args /init sleep 60
	cd "$TEST_DIR"
	runtime create --bundle bundle box </dev/null >/dev/null 2>"$TEST_DIR/err" || {
		cat "$TEST_DIR/err"
		false
	}
	[ "$(runtime state box | jq -r .bundle)" = "$BUNDLE" ]
}

@test "runtime.md state: annotations from config.json are in the state" {
	set_args /init sleep 60
	update_config '.annotations = {"org.example.key": "value", "org.example.other": "2"}'
	runtime_create box
	run runtime state box
	assert_success
	[ "$(jq -r '.annotations["org.example.key"]' <<<"$output")" = value ]
	[ "$(jq -r '.annotations["org.example.other"]' <<<"$output")" = 2 ]
}

@test "runtime.md state: querying a container that does not exist fails" {
	run runtime state nosuchbox
	assert_failure
}

@test "runtime.md state: status moves created -> running -> stopped" {
	set_args /init wait-signal USR1
	runtime_create box
	[ "$(container_status box)" = created ]
	runtime start box
	[ "$(container_status box)" = running ]
	wait_for_line "$BUNDLE/stdout" '^ready$'
	runtime kill box USR1
	wait_for_status box stopped
	assert_equal "$(cat "$BUNDLE/stdout")" $'ready\nreceived SIGUSR1'
}

@test "runtime.md kill: kill delivers the signal to the container process" {
	set_args /init wait-signal TERM
	runtime_create box
	runtime start box
	wait_for_line "$BUNDLE/stdout" '^ready$'
	run runtime kill box
	assert_success
	wait_for_status box stopped
	grep -q '^received SIGTERM$' "$BUNDLE/stdout"
}

@test "kill takes signal names with and without SIG, and numbers" {
	local sig
	for sig in USR1 SIGUSR2 1 ; do
		make_bundle "b$sig"
		BUNDLE=$TEST_DIR/b$sig
		case $sig in
		USR1) set_args /init wait-signal USR1 ;;
		SIGUSR2) set_args /init wait-signal USR2 ;;
		1) set_args /init wait-signal HUP ;;
		esac
		runtime_create "box$sig"
		runtime start "box$sig"
		wait_for_line "$BUNDLE/stdout" '^ready$'
		run runtime kill "box$sig" "$sig"
		assert_success
		wait_for_status "box$sig" stopped
		grep -q '^received SIG' "$BUNDLE/stdout"
	done
	grep -q 'received SIGUSR1' "$TEST_DIR/bUSR1/stdout"
	grep -q 'received SIGUSR2' "$TEST_DIR/bSIGUSR2/stdout"
	grep -q 'received SIGHUP' "$TEST_DIR/b1/stdout"
}

@test "kill KILL stops a pid namespace init that has no handler" {
	set_args /init sleep 60
	runtime_create box
	runtime start box
	run runtime kill box KILL
	assert_success
	wait_for_status box stopped
}

@test "kill of an unknown signal name fails and leaves the container running" {
	set_args /init sleep 60
	runtime_create box
	runtime start box
	run runtime kill box SIGNOPE
	assert_failure
	[ "$(container_status box)" = running ]
}

@test "runtime.md kill: signalling a stopped container fails" {
	set_args /init exit 0
	runtime_create box
	runtime start box
	wait_for_status box stopped
	run runtime kill box KILL
	assert_failure
	[ "$(container_status box)" = stopped ]
}

@test "kill a created container: SIGKILL stops it before it ever runs" {
	update_config '.root.readonly = false'
	set_args /init write /ran yes
	runtime_create box
	run runtime kill box KILL
	assert_success
	wait_for_status box stopped
	[ ! -e "$BUNDLE/rootfs/ran" ]
}

@test "kill --all signals every process of the container" {
	# Without a pid namespace the container init is an ordinary process;
	# the shell's child gets the signal only with --all.
	update_config '.linux.namespaces -= [{"type": "pid"}]'
	set_args /bin/sh -c '/init sleep 60 & /init sleep 60; wait'
	runtime_create box
	runtime start box
	cg_pids() { find $(test_cgroup_dirs) -name cgroup.procs -exec cat {} + | sort -u; }
	for ((i = 0; i < 100; i++)); do
		[ "$(cg_pids | wc -l)" -eq 3 ] && break
		sleep 0.05
	done
	[ "$(cg_pids | wc -l)" -eq 3 ]
	run runtime kill --all box KILL
	assert_success
	wait_for_status box stopped
	for ((i = 0; i < 100; i++)); do
		[ -z "$(cg_pids)" ] && break
		sleep 0.05
	done
	[ -z "$(cg_pids)" ]
}

@test "run: foreground run returns the exit code of the process" {
	set_args /init exit 42
	run runtime run --bundle "$BUNDLE" box
	assert_equal "$status" 42
	# run removes the container once it is done
	run runtime state box
	assert_failure
	check_no_leftovers
}

@test "run: output of the process reaches the caller's stdout" {
	set_args /init hostname
	update_config '.hostname = "hello"'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output hello
}

@test "run: a process killed by a signal gives exit code 128+signal" {
	# Not a pid namespace init: that one could not kill itself.
	update_config '.linux.namespaces -= [{"type": "pid"}]'
	set_args /init kill-self TERM
	run runtime run --bundle "$BUNDLE" box
	assert_equal "$status" 143
}

@test "run: a container init killed with SIGKILL from kill gives 137" {
	set_args /init sleep 60
	runtime run --bundle "$BUNDLE" box </dev/null >"$TEST_DIR/out" 2>&1 &
	runpid=$!
	BG_PIDS+=("$runpid")
	wait_for_status box running
	runtime kill box KILL
	rc=0
	wait "$runpid" || rc=$?
	assert_equal "$rc" 137
}

@test "run --detach: returns at once, the container keeps running" {
	set_args /init sleep 60
	run runtime_run_detached box
	assert_success
	[ "$(container_status box)" = running ]
	pid=$(container_pid box)
	[ -d "/proc/$pid" ]
}

@test "run --detach --pid-file writes the pid of the container process" {
	set_args /init sleep 60
	runtime_run_detached box --pid-file "$TEST_DIR/pid"
	[ "$(cat "$TEST_DIR/pid")" = "$(container_pid box)" ]
}

@test "run --keep keeps the stopped container until delete" {
	set_args /init exit 5
	run runtime run --keep --bundle "$BUNDLE" box
	assert_equal "$status" 5
	[ "$(container_status box)" = stopped ]
	runtime delete box
}

@test "list: table with the container, its pid, status and bundle" {
	set_args /init sleep 60
	runtime_create box
	pid=$(container_pid box)
	run runtime list
	assert_success
	assert_line --index 0 --regexp '^ID +PID +STATUS +BUNDLE +CREATED +OWNER'
	assert_line --regexp "^box +$pid +created +$BUNDLE +"
}

@test "list --format json: an array of states" {
	set_args /init sleep 60
	runtime_create box1
	BUNDLE=$TEST_DIR/b2 && make_bundle b2 && set_args /init sleep 60
	runtime_create box2
	runtime start box2
	run runtime list --format json
	assert_success
	[ "$(jq -r 'length' <<<"$output")" = 2 ]
	[ "$(jq -r '.[] | select(.id == "box1") | .status' <<<"$output")" = created ]
	[ "$(jq -r '.[] | select(.id == "box2") | .status' <<<"$output")" = running ]
	[ "$(jq -r '.[] | select(.id == "box2") | .bundle' <<<"$output")" = "$TEST_DIR/b2" ]
}

@test "list -q: the ids only" {
	set_args /init sleep 60
	runtime_create box1
	BUNDLE=$TEST_DIR/b2 && make_bundle b2 && set_args /init sleep 60
	runtime_create box2
	run runtime list -q
	assert_success
	assert_equal "$(sort <<<"$output" | tr '\n' ' ')" "box1 box2 "
}

@test "list with no containers: json is an empty array or null, -q is empty" {
	run runtime list --format json
	assert_success
	[[ "$output" == "[]" || "$output" == "null" ]]
	run runtime list -q
	assert_success
	assert_output ""
}

@test "runtime.md lifecycle: delete undoes create (state, cgroup, process)" {
	set_args /init sleep 60
	runtime_create box
	runtime start box
	pid=$(container_pid box)
	[ -n "$(test_cgroup_dirs)" ]
	runtime kill box KILL
	wait_for_status box stopped
	runtime delete box
	wait_for_exit "$pid"
	check_no_leftovers
}
