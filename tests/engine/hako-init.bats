#!/usr/bin/env bats
# hako-init, the init of `hako run --init`, on the host: it runs its command
# as a child, forwards signals to the child's process group, reaps orphans
# (as a child subreaper, or as PID 1 of a PID namespace), and exits with the
# child's status; 127/126 when the command cannot be run.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

HAKO_SRC=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
HAKO_BUILD=${HAKO_BUILD:-$HAKO_SRC/build}
HAKO_INIT=${HAKO_INIT:-$HAKO_BUILD/src/engine/init/hako-init}

setup() {
	[ -x "$HAKO_INIT" ] || fail "$HAKO_INIT is missing: ninja -C build"
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	# a test that failed half-way leaves its hako-init running
	if [ -n "${init_pid:-}" ] && kill -0 "$init_pid" 2>/dev/null; then
		kill -KILL "$init_pid" 2>/dev/null || true
	fi
}

init() {
	timeout 20 "$HAKO_INIT" "$@"
}

# Start hako-init in the background with default signal dispositions (bash
# starts background jobs with SIGINT and SIGQUIT ignored, and a shell cannot
# trap what it was started ignoring); its pid in $init_pid.
start_init() {
	env --default-signal timeout 30 "$HAKO_INIT" "$@" &
	timeout_pid=$!
	# the pid of hako-init itself, the child of timeout
	for _ in $(seq 100); do
		init_pid=$(pgrep -P "$timeout_pid" || true)
		[ -n "$init_pid" ] && return 0
		sleep 0.05
	done
	fail "hako-init did not start"
}

# The exit status of the background hako-init (`run` would wait in a
# subshell, which has no children).
wait_init() {
	init_status=0
	wait "$timeout_pid" || init_status=$?
}

wait_for_file() {
	for _ in $(seq 200); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	fail "$1 did not appear"
}

@test "hako-init is static" {
	run readelf -l "$HAKO_INIT"
	assert_success
	refute_output --partial "INTERP"
}

@test "hako-init exits with the child's exit code" {
	run init -- sh -c 'exit 3'
	assert_failure 3
	run init true
	assert_success
	run init -- sh -c 'echo out; echo err >&2; exit 0'
	assert_success
	assert_output --partial out
	assert_output --partial err
}

@test "hako-init exits 128+N when the child is killed by signal N" {
	run init -- sh -c 'kill -TERM $$'
	assert_failure 143
	run init -- sh -c 'kill -KILL $$'
	assert_failure 137
}

@test "hako-init passes the arguments through, -- or not" {
	run init printf '%s|' a 'b c' --x
	assert_success
	assert_output 'a|b c|--x|'
	run init -- printf '%s|' -- -n
	assert_success
	assert_output -- '--|-n|'
}

@test "hako-init without a command is a usage error" {
	run init
	assert_failure 2
	assert_output --partial "Usage:"
	run init --
	assert_failure 2
	run init --bogus
	assert_failure 2
	assert_output --partial "unknown option"
}

@test "hako-init: command not found is 127" {
	run -127 init no-such-command-hako
	assert_output --partial "no-such-command-hako"
	assert_output --partial "not found"
	run -127 init /nonexistent/bin/x
	assert_output --partial "No such file or directory"
}

@test "hako-init: command not executable is 126" {
	printf '#!/bin/sh\necho hi\n' >script
	chmod 0644 script
	run init ./script
	assert_failure 126
	assert_output --partial "Permission denied"
	run init "$BATS_TEST_TMPDIR"
	assert_failure 126
}

@test "hako-init forwards signals to the child" {
	local sig
	for sig in TERM INT HUP QUIT USR1 USR2 WINCH; do
		rm -f ready got
		start_init -- sh -c "trap 'echo $sig >got; exit 7' $sig; echo up >ready; while :; do sleep 0.1; done"
		wait_for_file ready
		kill -s "$sig" "$init_pid"
		wait_init
		[ "$init_status" -eq 7 ] || fail "exit status $init_status, want 7"
		run cat got
		assert_output "$sig"
	done
}

@test "hako-init signals the child's whole process group" {
	# sh dies of SIGTERM at once; the sleep it waits for is in its group
	# and must die too, not linger as an orphan
	start_init -- sh -c 'sleep 300 & echo $! >sleeper; wait'
	wait_for_file sleeper
	kill -TERM "$init_pid"
	wait_init
	[ "$init_status" -eq 143 ] || fail "exit status $init_status, want 143"
	# dead: gone, or a zombie left to the reaper above once hako-init exited
	local sleeper state
	sleeper=$(cat sleeper)
	for _ in $(seq 40); do
		state=$(awk '{ print $3 }' "/proc/$sleeper/stat" 2>/dev/null || true)
		[ -z "$state" ] || [ "$state" = Z ] && return 0
		sleep 0.05
	done
	fail "sleep $sleeper survived SIGTERM (state $state)"
}

@test "hako-init reaps orphans as a child subreaper" {
	# the inner sh exits at once: its sleep is orphaned to hako-init and
	# must not stay <defunct> after it ends
	start_init -- sh -c 'sh -c "sleep 0.5 & echo \$! >orphan"; sleep 3'
	wait_for_file orphan
	orphan=$(cat orphan)
	run awk '{ print $4 }' "/proc/$orphan/stat"
	assert_output "$init_pid"
	sleep 1.5
	# gone, not a zombie (a zombie keeps its /proc entry)
	[ ! -e "/proc/$orphan" ] || fail "orphan $orphan: $(cat /proc/"$orphan"/stat)"
	run ps -o stat= --ppid "$init_pid"
	refute_output --partial Z
	wait_init
	[ "$init_status" -eq 0 ] || fail "exit status $init_status, want 0"
}

@test "hako-init as PID 1 of a PID namespace: reaps, forwards, exits with the child" {
	command -v unshare >/dev/null || skip "no unshare"
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	run timeout 20 unshare --pid --fork --mount-proc "$HAKO_INIT" -- sh -c \
		'for i in 1 2 3; do sh -c "sleep 0.2 &"; done; sleep 1; echo "pid $$"; ps -e -o stat= | grep -c Z; exit 5'
	assert_failure 5
	assert_line "pid 2"
	assert_line 0

	rm -f ready got
	env --default-signal timeout 30 unshare --pid --fork --mount-proc "$HAKO_INIT" -- \
		sh -c 'trap "echo TERM >got; exit 9" TERM; echo up >ready; while :; do sleep 0.1; done' &
	timeout_pid=$!
	wait_for_file ready
	init_pid=$(pgrep -f -n "^$HAKO_INIT -- sh -c trap")
	[ -n "$init_pid" ]
	kill -TERM "$init_pid"
	wait_init
	[ "$init_status" -eq 9 ] || fail "exit status $init_status, want 9"
	run cat got
	assert_output TERM
}

@test "hako-init on a terminal: ^C reaches the child's group once" {
	command -v python3 >/dev/null || skip "no python3"
	# the child's group is made the terminal's foreground group, so the
	# kernel sends SIGINT to it directly and hako-init forwards nothing
	run timeout 20 python3 - "$HAKO_INIT" <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "--", "sh", "-c",
             "trap 'echo got-INT; exit 3' INT; echo ready; while :; do sleep 0.1; done"])
out = b""
def read_until(want, t):
    global out
    end = time.time() + t
    while want not in out and time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                out += os.read(fd, 1024)
            except OSError:
                return
read_until(b"ready", 10)
os.write(fd, b"\x03")
read_until(b"got-INT", 10)
_, st = os.waitpid(pid, 0)
print(out.decode().replace("\r", ""))
print("exit", os.waitstatus_to_exitcode(st))
PY
	assert_success
	assert_line "exit 3"
	[ "$(grep -c got-INT <<<"$output")" -eq 1 ]
}
