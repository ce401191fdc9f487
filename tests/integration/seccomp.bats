#!/usr/bin/env bats
# linux.seccomp (config-linux.md "Seccomp"): every action, every operator,
# defaultAction/defaultErrnoRet, architectures, flags, SCMP_ACT_NOTIFY with a
# listener, the spec's errors, and hako's filter cache.  /probe (tests/security/
# probe.c) makes one syscall and prints "ok RET" or the errno name, so a
# denied call is told apart from a crash.

load helpers
bats_require_minimum_version 1.5.0

PROBE_BIN=${PROBE_BIN:-$HAKO_BUILD/tests/probe}

setup() {
	hako_setup
	if [ "$("$HAKO_RUNTIME" features 2>/dev/null | jq -r '.linux.seccomp.enabled')" = false ]; then
		skip "the runtime was built without seccomp (features: linux.seccomp.enabled false)"
	fi
	[ -x "$PROBE_BIN" ] || fail "$PROBE_BIN is missing: ninja -C build tests/probe"
	cp "$PROBE_BIN" "$BUNDLE/rootfs/probe"
}

teardown() {
	hako_teardown
}

# seccomp JSON: set linux.seccomp to the given object.
seccomp() {
	update_config '.linux.seccomp = $s' "$BUNDLE" --argjson s "$1"
}

# one_rule ACTION [EXTRA_JSON]: default allow, one rule for getpgid.
one_rule() {
	seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\",
		\"syscalls\": [{\"names\": [\"getpgid\"], \"action\": \"$1\" ${2:+, $2}}]}"
}

@test "config-linux.md seccomp: SCMP_ACT_ERRNO returns errnoRet" {
	one_rule SCMP_ACT_ERRNO '"errnoRet": 6'
	set_args /bin/sh -c '/probe sys getpgid 0; /probe sys getppid'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line --index 0 ENXIO
	# only the named syscall is affected
	assert_line --index 1 --regexp '^ok [0-9]+$'
}

@test "config-linux.md seccomp: SCMP_ACT_ERRNO without errnoRet returns EPERM" {
	one_rule SCMP_ACT_ERRNO
	set_args /probe sys getpgid 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output EPERM
}

@test "config-linux.md seccomp: the filter is in place when the process starts (Seccomp: 2, one filter)" {
	one_rule SCMP_ACT_ERRNO
	set_args /init cat /proc/self/status
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line --regexp '^Seccomp:[[:space:]]+2$'
	assert_line --regexp '^Seccomp_filters:[[:space:]]+1$'
}

@test "config-linux.md seccomp: defaultAction SCMP_ACT_ERRNO with defaultErrnoRet, syscalls allow-listed" {
	local hdr=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
	[ "$(uname -m)" = x86_64 ] && [ -r "$hdr" ] || skip "needs x86_64 and $hdr for the syscall list"
	# Every x86_64 syscall but getpgid is allowed; getpgid falls to the default.
	local names
	names=$(awk '$1 == "#define" && $2 ~ /^__NR_/ { n = substr($2, 6); if (n != "getpgid") print n }' "$hdr" | jq -R . | jq -sc .)
	seccomp "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 6,
		\"architectures\": [\"SCMP_ARCH_X86_64\"],
		\"syscalls\": [{\"names\": $names, \"action\": \"SCMP_ACT_ALLOW\"}]}"
	set_args /bin/sh -c '/probe sys getpgid 0; /probe sys getppid'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line --index 0 ENXIO
	assert_line --index 1 --regexp '^ok [0-9]+$'
}

@test "config-linux.md seccomp: SCMP_ACT_KILL kills the process with SIGSYS" {
	one_rule SCMP_ACT_KILL
	set_args /probe sys getpgid 0
	run runtime run --bundle "$BUNDLE" box
	assert_equal "$status" $((128 + 31))
	refute_output --partial ok
}

@test "config-linux.md seccomp: SCMP_ACT_KILL_PROCESS kills every thread" {
	one_rule SCMP_ACT_KILL_PROCESS
	set_args /probe thread-sys getpgid 0
	run runtime run --bundle "$BUNDLE" box
	assert_equal "$status" $((128 + 31))
	refute_output --partial "main alive"
}

@test "config-linux.md seccomp: SCMP_ACT_KILL_THREAD kills only the calling thread" {
	one_rule SCMP_ACT_KILL_THREAD
	set_args /probe thread-sys getpgid 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output "main alive"
}

@test "config-linux.md seccomp: SCMP_ACT_TRAP sends a SIGSYS the process can catch" {
	one_rule SCMP_ACT_TRAP
	set_args /probe trap getpgid 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output "SIGSYS syscall=getpgid"
}

@test "config-linux.md seccomp: SCMP_ACT_TRACE without a tracer fails the syscall with ENOSYS" {
	one_rule SCMP_ACT_TRACE '"errnoRet": 6'
	set_args /probe sys getpgid 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output ENOSYS
}

@test "config-linux.md seccomp: SCMP_ACT_LOG lets the syscall through" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["getpgid"], "action": "SCMP_ACT_LOG"},
		             {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	set_args /bin/sh -c '/probe sys getpgid 0; /probe sys getppid'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line --index 0 --regexp '^ok [0-9]+$'
	assert_line --index 1 EPERM
}

@test "config-linux.md seccomp: every operator (NE LT LE EQ GE GT MASKED_EQ) matches as libseccomp defines it" {
	# umask(2) never fails: "ENXIO" means the rule matched, "ok" that it did not.
	local op value two match nomatch i=0
	while read -r op value two match nomatch; do
		seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"umask\"],
			\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 6,
			\"args\": [{\"index\": 0, \"value\": $value, \"valueTwo\": $two, \"op\": \"$op\"}]}]}"
		set_args /bin/sh -c "/probe sys umask $match; /probe sys umask $nomatch"
		run runtime run --bundle "$BUNDLE" "box$i"
		assert_success
		assert_equal "${lines[0]}" ENXIO "$op: umask $match"
		[[ "${lines[1]}" == ok* ]] || fail "$op: umask $nomatch matched: ${lines[1]}"
		i=$((i + 1))
	done <<-EOF
		SCMP_CMP_EQ 18 0 18 17
		SCMP_CMP_NE 18 0 17 18
		SCMP_CMP_LT 18 0 17 18
		SCMP_CMP_LE 18 0 18 19
		SCMP_CMP_GT 18 0 19 18
		SCMP_CMP_GE 18 0 18 17
		SCMP_CMP_MASKED_EQ 448 128 0277 022
		SCMP_CMP_EQ 4294967314 0 0x100000012 0x12
	EOF
}

@test "config-linux.md seccomp: conditions on different arguments must all hold" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"],
		"action": "SCMP_ACT_ERRNO", "errnoRet": 6,
		"args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}]}'
	# kill(1, 0) matches both; kill(1, 28) and kill(0, 0) only one each.
	set_args /bin/sh -c '/probe sys kill 1 0; /probe sys kill 1 28; /probe sys kill 0 0'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line --index 0 ENXIO
	assert_line --index 1 "ok 0"
	assert_line --index 2 "ok 0"
}

@test "seccomp: two conditions on one argument are alternatives (runc's reading)" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["umask"],
		"action": "SCMP_ACT_ERRNO", "errnoRet": 6,
		"args": [{"index": 0, "value": 17, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 19, "op": "SCMP_CMP_EQ"}]}]}'
	set_args /bin/sh -c '/probe sys umask 17; /probe sys umask 19; /probe sys umask 18'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line --index 0 ENXIO
	assert_line --index 1 ENXIO
	assert_line --index 2 --regexp '^ok'
}

@test "config-linux.md seccomp: architectures lists extra ABIs; the native one is always filtered" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 architecture names"
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		"syscalls": [{"names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 6}]}'
	set_args /probe sys getpgid 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output ENXIO
}

@test "config-linux.md seccomp: flags LOG and SPEC_ALLOW are accepted and the filter works" {
	for f in SECCOMP_FILTER_FLAG_LOG SECCOMP_FILTER_FLAG_SPEC_ALLOW; do
		one_rule SCMP_ACT_ERRNO '"errnoRet": 6'
		update_config '.linux.seccomp.flags = [$f]' "$BUNDLE" --arg f "$f"
		set_args /probe sys getpgid 0
		run runtime run --bundle "$BUNDLE" "box-$f"
		if [[ "$status" -ne 0 && "$output" == *"flags are not yet supported"* ]]; then
			skip_runc_gap "seccomp flags are not supported"
		fi
		assert_success
		assert_output ENXIO
	done
}

@test "seccomp: a syscall name no architecture knows is skipped, the other names still apply" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["no_such_syscall_hako", "getpgid"],
		"action": "SCMP_ACT_ERRNO", "errnoRet": 6}]}'
	set_args /probe sys getpgid 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output ENXIO
}

@test "seccomp: execve denied by the filter: the container cannot start, and says so" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["execve", "execveat"],
		"action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	assert_output --regexp "exec.*([Oo]peration not permitted|EPERM)"
}

@test "seccomp: a non-root user without noNewPrivileges still gets the filter" {
	# The kernel wants CAP_SYS_ADMIN or no_new_privs to load a filter: the
	# runtime must load it before dropping privileges here.
	one_rule SCMP_ACT_ERRNO '"errnoRet": 6'
	update_config '.process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}'
	set_args /bin/sh -c '/probe sys getpgid 0; /init nnp; /init ids'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line --index 0 ENXIO
	assert_line --regexp '^NoNewPrivs:[[:space:]]+0$'
	assert_line --partial "uid=1000 gid=1000"
}

@test "seccomp: a non-root user with noNewPrivileges gets the filter after the privileges go" {
	one_rule SCMP_ACT_ERRNO '"errnoRet": 6'
	update_config '.process.noNewPrivileges = true | .process.user = {"uid": 1000, "gid": 1000}'
	set_args /bin/sh -c '/probe sys getpgid 0; /init nnp'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line --index 0 ENXIO
	assert_line --regexp '^NoNewPrivs:[[:space:]]+1$'
}

@test "seccomp: the filter also holds for a created container started later" {
	one_rule SCMP_ACT_ERRNO '"errnoRet": 6'
	set_args /probe sys getpgid 0
	runtime_create box
	runtime start box
	wait_for_status box stopped
	assert_equal "$(cat "$BUNDLE/stdout")" ENXIO
}

# ---- errors the spec requires ----

@test "config-linux.md seccomp: errnoRet on an action without an errno is an error" {
	one_rule SCMP_ACT_KILL '"errnoRet": 6'
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	if [ "$status" -eq $((128 + 31)) ] || [ "$status" -eq 0 ]; then
		skip_runc_gap "errnoRet on SCMP_ACT_KILL is ignored"
	fi
	assert_failure
	assert_output --partial errnoRet
	check_no_leftovers
}

@test "config-linux.md seccomp: defaultErrnoRet with a defaultAction that has no errno is an error" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 6}'
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	if [ "$status" -eq 0 ]; then
		skip_runc_gap "defaultErrnoRet on SCMP_ACT_ALLOW is ignored"
	fi
	assert_failure
	assert_output --partial defaultErrnoRet
	check_no_leftovers
}

@test "config-linux.md seccomp: an unknown action, operator, architecture or flag is an error" {
	local bad
	for bad in '{"defaultAction": "SCMP_ACT_NOPE"}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["umask"], "action": "SCMP_ACT_NOPE"}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["umask"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_NOPE"}]}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_NOPE"]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NOPE"]}'; do
		seccomp "$bad"
		set_args /init exit 0
		run runtime run --bundle "$BUNDLE" box
		assert_failure
		# runc 1.1 refuses every flag, without naming it
		[[ "$output" == *"flags are not yet supported"* ]] || assert_output --partial NOPE
		check_no_leftovers
	done
}

@test "config-linux.md seccomp: listenerMetadata without listenerPath is an error" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x"}'
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	if [ "$status" -eq 0 ]; then
		skip_runc_gap "listenerMetadata without listenerPath is accepted"
	fi
	assert_failure
	check_no_leftovers
}

@test "config-linux.md seccomp: SCMP_ACT_NOTIFY without listenerPath is an error" {
	one_rule SCMP_ACT_NOTIFY
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	check_no_leftovers
}

@test "seccomp: SCMP_ACT_NOTIFY as the default action is refused" {
	seccomp '{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/tmp/nowhere.sock"}'
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	check_no_leftovers
}

# ---- SCMP_ACT_NOTIFY ----

# start_agent: a notify agent on $TEST_DIR/agent.sock answering ENOMEDIUM;
# its message lands in $TEST_DIR/agent.json.
start_agent() {
	background "$PROBE_BIN" agent "$TEST_DIR/agent.sock" "$TEST_DIR/agent.json" ENOMEDIUM
	for ((i = 0; i < 100; i++)); do
		[ -S "$TEST_DIR/agent.sock" ] && return 0
		sleep 0.02
	done
	fail "the agent did not listen"
}

notify_test() {
	local nnp=$1
	start_agent
	seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$TEST_DIR/agent.sock\",
		\"listenerMetadata\": \"hello agent\",
		\"syscalls\": [{\"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	update_config ".process.noNewPrivileges = $nnp | .annotations = {\"k\": \"v\"}"
	set_args /bin/sh -c '/probe sys getpgid 0; /probe sys getppid'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	# the agent answered the notified call; the others ran normally
	assert_line --index 0 ENOMEDIUM
	assert_line --index 1 --regexp '^ok [0-9]+$'
	wait_for_line "$TEST_DIR/agent.json.log" '^notified getpgid$'
	# the containerProcessState of config-linux.md
	local msg=$TEST_DIR/agent.json
	jq -e '.fds == ["seccompFd"]' "$msg" >/dev/null || fail "fds: $(cat "$msg")"
	jq -e '.metadata == "hello agent"' "$msg" >/dev/null || fail "metadata: $(cat "$msg")"
	jq -e '(.pid | type) == "number" and .pid > 0 and .state.pid == .pid' "$msg" >/dev/null || fail "pid: $(cat "$msg")"
	jq -e '.state.id == "box" and .state.annotations.k == "v" and (.ociVersion | length) > 0' "$msg" >/dev/null ||
		fail "state: $(cat "$msg")"
	assert_equal "$(jq -r .state.bundle "$msg")" "$BUNDLE"
}

@test "config-linux.md seccomp: SCMP_ACT_NOTIFY sends the container process state and the fd to listenerPath" {
	notify_test true
}

@test "config-linux.md seccomp: SCMP_ACT_NOTIFY without noNewPrivileges (filter loaded before the uid change)" {
	notify_test false
}

@test "config-linux.md seccomp: an unreachable listenerPath is an error" {
	seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$TEST_DIR/nobody-listens.sock\",
		\"syscalls\": [{\"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	check_no_leftovers
}

# ---- hako's cache and features ----

@test "seccomp cache: a filter is compiled once, reused, and a damaged entry is recompiled" {
	skip_if_runc "hako's compiled-filter cache"
	local cache=$STATE_ROOT/.seccomp-cache
	one_rule SCMP_ACT_ERRNO '"errnoRet": 6'
	set_args /probe sys getpgid 0
	run runtime run --bundle "$BUNDLE" box1
	assert_success
	assert_output ENXIO
	[ "$(ls "$cache" | wc -l)" -eq 1 ]
	local entry
	entry=$(ls "$cache")
	[ "$(stat -c %a "$cache")" = 700 ]
	# the same filter again: no new entry, the file is not rewritten
	local before
	before=$(stat -c %Y.%i "$cache/$entry")
	run runtime --debug run --bundle "$BUNDLE" box2
	assert_success
	assert_line ENXIO
	assert_line --partial "from the cache"
	assert_equal "$(stat -c %Y.%i "$cache/$entry")" "$before"
	# a damaged entry is not trusted: recompiled, and the filter is right
	printf 'garbage' | dd of="$cache/$entry" bs=1 seek=60 conv=notrunc 2>/dev/null
	run runtime --debug run --bundle "$BUNDLE" box3
	assert_success
	assert_line ENXIO
	assert_line --partial "compiled"
	# another filter is another entry; `list` does not show the cache
	one_rule SCMP_ACT_ERRNO '"errnoRet": 7'
	run runtime run --bundle "$BUNDLE" box4
	assert_success
	[ "$(ls "$cache" | wc -l)" -eq 2 ]
	run runtime list -q
	assert_output ""
}

@test "features: linux.seccomp lists the actions, operators, archs and flags" {
	skip_if_runc "hako's features content"
	run --separate-stderr runtime features
	assert_success
	local s
	s=$(jq -c .linux.seccomp <<<"$output")
	jq -e '.enabled == true' <<<"$s" >/dev/null
	for a in SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_TRAP SCMP_ACT_ERRNO \
		SCMP_ACT_TRACE SCMP_ACT_ALLOW SCMP_ACT_LOG SCMP_ACT_NOTIFY; do
		jq -e --arg a "$a" '.actions | index($a)' <<<"$s" >/dev/null || fail "actions lacks $a"
	done
	for o in NE LT LE EQ GE GT MASKED_EQ; do
		jq -e --arg o "SCMP_CMP_$o" '.operators | index($o)' <<<"$s" >/dev/null || fail "operators lacks $o"
	done
	jq -e '.archs | index("SCMP_ARCH_X86_64") and index("SCMP_ARCH_AARCH64")' <<<"$s" >/dev/null
	for f in TSYNC LOG SPEC_ALLOW WAIT_KILLABLE_RECV; do
		jq -e --arg f "SECCOMP_FILTER_FLAG_$f" '.knownFlags | index($f)' <<<"$s" >/dev/null || fail "knownFlags lacks $f"
	done
	jq -e '.supportedFlags | index("SECCOMP_FILTER_FLAG_LOG")' <<<"$s" >/dev/null
	run runtime --version
	assert_output --partial +SECCOMP
}

@test "config-linux.md seccomp: a process added by exec gets the container's filter too" {
	local out
	if ! out=$("$HAKO_RUNTIME" exec --help 2>&1) && [[ "$out" == *"not implemented"* ]]; then
		skip "exec not implemented yet"
	fi
	one_rule SCMP_ACT_ERRNO '"errnoRet": 6'
	set_args /init sleep 60
	runtime_run_detached box
	run runtime exec box /probe sys getpgid 0
	assert_success
	assert_output ENXIO
	run runtime exec box /init cat /proc/self/status
	assert_line --regexp '^Seccomp:[[:space:]]+2$'
}
