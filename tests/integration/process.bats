#!/usr/bin/env bats
# The container process (config.md "Process", "POSIX process", "User";
# config-linux.md capabilities, rlimits, oomScoreAdj, noNewPrivileges;
# runtime-linux.md "File descriptors").

load helpers

setup() {
	hako_setup
}

teardown() {
	hako_teardown
}

# cap_mask NAME...: the hex mask /proc/self/status prints for these caps.
cap_mask() {
	local n mask=0
	declare -A bit=([CAP_CHOWN]=0 [CAP_DAC_OVERRIDE]=1 [CAP_KILL]=5 [CAP_SETGID]=6 [CAP_SETUID]=7
		[CAP_NET_BIND_SERVICE]=10 [CAP_NET_RAW]=13 [CAP_SYS_CHROOT]=18 [CAP_SYS_ADMIN]=21
		[CAP_MKNOD]=27 [CAP_AUDIT_WRITE]=29)
	for n in "$@"; do
		mask=$((mask | (1 << ${bit[$n]})))
	done
	printf '%016x\n' "$mask"
}

cap_line() {
	awk -v k="$1:" '$1 == k { print $2 }' <<<"$output"
}

@test "config.md process: args are passed verbatim, spaces and empty strings included" {
	set_args /bin/sh -c 'for a in "$@"; do echo "[$a]"; done' sh "a b" "" "c"
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_equal "$output" $'[a b]\n[]\n[c]'
}

@test "config.md process: args[0] is looked up in the container's PATH" {
	update_config '.process.env = ["PATH=/bin"]'
	set_args hostname
	update_config '.hostname = "looked-up"'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output looked-up
}

@test "config.md process: env is the process environment" {
	update_config '.process.env = ["PATH=/bin", "FOO=bar", "WITH_SPACE=a b", "EMPTY="]'
	set_args /init env
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line PATH=/bin
	assert_line FOO=bar
	assert_line "WITH_SPACE=a b"
	assert_line EMPTY=
	# nothing of the caller's environment leaks in
	refute_line --regexp '^(BATS_|HAKO_|BUNDLE=)'
}

@test "config.md process: cwd is the working directory" {
	update_config '.process.cwd = "/tmp"'
	set_args /init cwd
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output /tmp
}

@test "config.md user: uid, gid and additionalGids" {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 100]}'
	set_args /init ids
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output "uid=1000 gid=1000 euid=1000 egid=1000 groups=5,100"
}

@test "config.md user: without additionalGids the supplementary groups are empty" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_args /init ids
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output "uid=1000 gid=1000 euid=1000 egid=1000 groups="
}

@test "config.md user: umask" {
	update_config '.process.user.umask = 23'
	set_args /init umask
	run runtime run --bundle "$BUNDLE" box
	assert_success
	# 23 = 0027
	assert_output 0027
}

@test "config.md process: rlimits lower NOFILE below the hard limit" {
	hard=$(ulimit -Hn)
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}]'
	[ "$hard" = unlimited ] || [ "$hard" -ge 200 ]
	set_args /init rlimit NOFILE
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output "100 200"
}

@test "config.md process: several rlimits are all applied" {
	update_config '.process.rlimits = [
		{"type": "RLIMIT_NOFILE", "soft": 64, "hard": 128},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
		{"type": "RLIMIT_NPROC", "soft": 500, "hard": 600}]'
	set_args /bin/sh -c '/init rlimit NOFILE; /init rlimit CORE; /init rlimit NPROC'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_equal "$output" $'64 128\n0 0\n500 600'
}

@test "config.md process: an rlimit above what the runtime may set is an error" {
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "the hard NOFILE limit is unlimited here"
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": $h, "hard": $h}]' \
		"$BUNDLE" --argjson h "$((hard * 4))"
	set_args /init exit 0
	# Raising a hard limit needs CAP_SYS_RESOURCE (bit 24), which the test
	# machine does not give (see TESTING.md).
	if (((0x$(awk '/^CapEff/ { print $2 }' /proc/self/status) >> 24) & 1)); then
		skip "this process has CAP_SYS_RESOURCE"
	fi
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	check_no_leftovers
}

@test "config.md process: capabilities are exactly the configured sets" {
	update_config '.process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_CHOWN", "CAP_KILL"],
		"permitted": ["CAP_CHOWN", "CAP_KILL"],
		"inheritable": ["CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	set_args /init caps
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_equal "$(cap_line CapBnd)" "$(cap_mask CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE)"
	assert_equal "$(cap_line CapEff)" "$(cap_mask CAP_CHOWN CAP_KILL)"
	assert_equal "$(cap_line CapPrm)" "$(cap_mask CAP_CHOWN CAP_KILL)"
	assert_equal "$(cap_line CapInh)" "$(cap_mask CAP_KILL)"
	assert_equal "$(cap_line CapAmb)" "$(cap_mask CAP_KILL)"
}

@test "config.md process: no capabilities at all when every set is empty" {
	update_config '.process.capabilities = {"bounding": [], "effective": [], "permitted": [], "inheritable": [], "ambient": []}'
	set_args /init caps
	run runtime run --bundle "$BUNDLE" box
	assert_success
	for k in CapInh CapPrm CapEff CapBnd CapAmb; do
		assert_equal "$(cap_line "$k")" 0000000000000000
	done
}

@test "config.md process: a non-root user keeps the ambient capabilities across exec" {
	# execve as non-root keeps only the ambient set (no file capabilities).
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL", "CAP_CHOWN"],
		   "permitted": ["CAP_KILL", "CAP_CHOWN"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
	set_args /init caps
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_equal "$(cap_line CapEff)" "$(cap_mask CAP_KILL)"
	assert_equal "$(cap_line CapPrm)" "$(cap_mask CAP_KILL)"
	assert_equal "$(cap_line CapAmb)" "$(cap_mask CAP_KILL)"
	assert_equal "$(cap_line CapBnd)" "$(cap_mask CAP_KILL CAP_CHOWN)"
}

@test "config.md process: without CAP_SYS_ADMIN a mount fails with EPERM" {
	set_args /init mount-test /tmp
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output EPERM
}

@test "config.md process: an unknown capability name is an error" {
	update_config '.process.capabilities.bounding += ["CAP_NO_SUCH_THING"]'
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	if [ "$status" -eq 0 ]; then
		skip_runc_gap "unknown capabilities are only a warning"
	fi
	assert_failure
	check_no_leftovers
}

@test "config.md process: noNewPrivileges true sets no_new_privs" {
	update_config '.process.noNewPrivileges = true'
	set_args /init nnp
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output --regexp '^NoNewPrivs:[[:space:]]+1$'
}

@test "config.md process: noNewPrivileges false leaves no_new_privs unset" {
	update_config '.process.noNewPrivileges = false'
	set_args /init nnp
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output --regexp '^NoNewPrivs:[[:space:]]+0$'
}

@test "config.md process: oomScoreAdj" {
	update_config '.process.oomScoreAdj = 500'
	set_args /init oom
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output 500
}

@test "config-linux.md seccomp: a filter returning an errno for mkdir" {
	if [ "$("$HAKO_RUNTIME" features 2>/dev/null | jq -r '.linux.seccomp.enabled')" = false ]; then
		skip "the runtime was built without seccomp (features: linux.seccomp.enabled false)"
	fi
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"architectures": ["SCMP_ARCH_X86_64"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	set_args /bin/sh -c '/init seccomp; /init mkdir /tmp/x; echo done'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line --regexp '^Seccomp:[[:space:]]+2$'
	assert_line --partial 'mkdir `/tmp/x`: EPERM'
	assert_line done
}

@test "runtime-linux.md file descriptors: only stdin, stdout and stderr are open" {
	set_args /init fds
	# an fd the caller has open must not reach the container
	run runtime run --bundle "$BUNDLE" box 5</dev/null 7>"$TEST_DIR/leak"
	assert_success
	assert_equal "$(awk '{ print $1 }' <<<"$output" | tr '\n' ' ')" "0 1 2 "
}

@test "runtime-linux.md file descriptors: stdio of a created container are the caller's" {
	set_args /bin/sh -c '/init fds; echo to-stderr >&2'
	runtime_create box
	runtime start box
	wait_for_status box stopped
	assert_equal "$(awk '{ print $1 }' "$BUNDLE/stdout" | tr '\n' ' ')" "0 1 2 "
	grep -q "^1 $BUNDLE/stdout$" "$BUNDLE/stdout"
	assert_equal "$(cat "$BUNDLE/stderr")" to-stderr
}

@test "--preserve-fds N passes fds 3 .. 3+N-1 to the container" {
	echo content >"$TEST_DIR/passed"
	set_args /bin/sh -c '/init fds; /init cat /proc/self/fd/4'
	# not through `runtime`, which closes fd 3 (bats' own) for every other call
	run timeout 10 "$HAKO_RUNTIME" --root "$STATE_ROOT" run --preserve-fds 2 --bundle "$BUNDLE" box \
		3</dev/null 4<"$TEST_DIR/passed" 5</dev/null
	assert_success
	assert_equal "$(awk '/^[0-9]+ / { print $1 }' <<<"$output" | tr '\n' ' ')" "0 1 2 3 4 "
	assert_line "3 /dev/null"
	assert_line "4 $TEST_DIR/passed"
	assert_line content
}

@test "LISTEN_FDS: socket-activation fds are passed on with LISTEN_FDS and LISTEN_PID" {
	set_args /init listen-fds
	# LISTEN_PID must name the runtime process itself: exec it from a shell
	# that exported its own pid.
	run sh -c 'export LISTEN_PID=$$ LISTEN_FDS=2; exec "$0" --root "$1" run --bundle "$2" box' \
		"$HAKO_RUNTIME" "$STATE_ROOT" "$BUNDLE" 3</dev/null 4<"$BUNDLE/config.json"
	assert_success
	# the process is pid 1 in its pid namespace: LISTEN_PID must say so
	assert_line --index 0 "LISTEN_FDS=2 LISTEN_PID=1 pid=1"
	assert_line "fd 3: chr"
	assert_line "fd 4: file"
}

@test "config.md process: terminal false: the container's stdio are not terminals" {
	set_args /bin/sh -c '/init isatty 0; /init isatty 1; /init isatty 2'
	run runtime run --bundle "$BUNDLE" box </dev/null
	assert_success
	assert_equal "$output" $'no\nno\nno'
}

@test "HOME comes from the container's /etc/passwd when env lacks it" {
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.env = ["PATH=/bin"]'
	set_args /init env
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line HOME=/home/user
}

@test "config.md process: the process runs with the container's cgroup" {
	set_args /init cgroup
	run runtime run --bundle "$BUNDLE" box
	assert_success
	cgpath=$(jq -r .linux.cgroupsPath "$BUNDLE/config.json")
	# every hierarchy line ends in the container's cgroupsPath, below the test's own cgroup
	while IFS=: read -r _ ctl path; do
		own=$(awk -F: -v c="$ctl" '$2 == c { print $3 }' /proc/self/cgroup)
		[ "$path" = "${own%/}/$cgpath" ] || fail "cgroup $ctl: $path, expected ${own%/}/$cgpath"
	done <<<"$output"
}
