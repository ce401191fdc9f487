#!/usr/bin/env bats
# Terminals (config.md process.terminal, consoleSize; the --console-socket
# protocol of runc: the runtime sends the pty master over SCM_RIGHTS).

load helpers

setup() {
	hako_setup
	SOCK=$TEST_DIR/console.sock
	TTY_OUT=$TEST_DIR/tty.out
	update_config '.process.terminal = true'
}

teardown() {
	hako_teardown
}

# start_recvtty [TEXT]: the receiving end of --console-socket, copying the
# terminal's output to $TTY_OUT (and typing TEXT into it first).
start_recvtty() {
	"$INIT_BIN" recvtty "$SOCK" "$@" </dev/null >"$TTY_OUT" 2>"$TEST_DIR/recvtty.err" 3>&- &
	RECVTTY_PID=$!
	BG_PIDS+=("$RECVTTY_PID")
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$SOCK" ] && return 0
		sleep 0.02
	done
	fail "recvtty did not listen on $SOCK"
}

# tty_output: what the container wrote, without the terminal's \r.
tty_output() {
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$RECVTTY_PID" 2>/dev/null || break
		sleep 0.05
	done
	tr -d '\r' <"$TTY_OUT"
}

@test "config.md process.terminal: with --console-socket the process gets a pty on stdin, stdout, stderr" {
	start_recvtty
	set_args /bin/sh -c '/init isatty 0; /init isatty 1; /init isatty 2'
	run runtime_create box --console-socket "$SOCK"
	assert_success
	runtime start box
	wait_for_status box stopped
	output=$(tty_output)
	assert_equal "$output" $'yes /dev/pts/0\nyes /dev/pts/0\nyes /dev/pts/0'
}

@test "config.md process.terminal: the pty is the controlling terminal and /dev/console" {
	start_recvtty
	set_args /bin/sh -c '/init stat /dev/console; /init isatty 0; /init readlink /proc/self/fd/0; /init cat /proc/self/stat'
	runtime_create box --console-socket "$SOCK"
	runtime start box
	wait_for_status box stopped
	run tty_output
	# /dev/console is the pty slave (major 136), not the host console (5:1)
	assert_line --index 0 --regexp '^chr 0[0-7]{3} [0-9]+ [0-9]+ 136:0$'
	# field 7 of /proc/self/stat is tty_nr: the process has a controlling tty
	tty_nr=$(awk '{ print $7 }' <<<"${lines[3]}")
	[ "$tty_nr" -ne 0 ] || fail "no controlling terminal: ${lines[3]}"
}

@test "config.md process.terminal: input typed into the console reaches the process" {
	start_recvtty $'hello\n'
	set_args /bin/sh -c 'read line; echo "got [$line]"'
	runtime_create box --console-socket "$SOCK"
	runtime start box
	wait_for_status box stopped
	run tty_output
	assert_line "got [hello]"
}

@test "config.md process.terminal: run --detach with a console socket" {
	start_recvtty
	set_args /init isatty 1
	run runtime_run_detached box --console-socket "$SOCK"
	assert_success
	wait_for_status box stopped
	run tty_output
	assert_output "yes /dev/pts/0"
}

@test "config.md process.consoleSize: the terminal gets the configured size" {
	start_recvtty
	update_config '.process.consoleSize = {"height": 33, "width": 111}'
	set_args /bin/stty size
	ln -s busybox "$BUNDLE/rootfs/bin/stty"
	runtime_create box --console-socket "$SOCK"
	runtime start box
	wait_for_status box stopped
	run tty_output
	assert_output "33 111"
}

@test "run: a foreground run with terminal true uses the caller's terminal" {
	set_args /bin/sh -c '/init isatty 0; exit 7'
	run "$INIT_BIN" pty timeout --foreground 30 "$HAKO_RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" box
	assert_equal "$status" 7
	assert_equal "$(tr -d '\r' <<<"$output")" "yes /dev/pts/0"
}

@test "create with terminal true and no --console-socket is an error" {
	set_args /init exit 0
	run runtime_create box
	assert_failure
	check_no_leftovers
}

@test "create --console-socket with terminal false is an error" {
	update_config '.process.terminal = false'
	start_recvtty
	set_args /init exit 0
	run runtime_create box --console-socket "$SOCK"
	assert_failure
	check_no_leftovers
}

@test "create --console-socket that nobody listens on is an error and leaves nothing" {
	set_args /init exit 0
	run runtime_create box --console-socket "$TEST_DIR/nobody.sock"
	assert_failure
	check_no_leftovers
}
