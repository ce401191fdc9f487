#!/usr/bin/env bats
# Errors (runtime.md "Errors": "generating an error MUST leave the state of
# the environment as if the operation were never attempted").  Every failure
# here: a non-zero exit, a one-line message on stderr, and no state dir,
# mount or cgroup left behind.

load helpers

bats_require_minimum_version 1.5.0

setup() {
	hako_setup
	set_args /init sleep 60
}

teardown() {
	hako_teardown
}

# fails_cleanly CMD...: run the runtime, expect failure with a one-line
# error on stderr and no leftovers.  Leaves $stderr for further checks.
fails_cleanly() {
	run --separate-stderr runtime "$@" </dev/null
	assert_failure
	[ "$status" -ne 0 ]
	local n
	n=$(grep -c . <<<"$stderr")
	[ "$n" -eq 1 ] || fail "expected a one-line error on stderr, got $n lines: $stderr"
	check_no_leftovers
}

@test "runtime.md create: a missing bundle directory is an error" {
	fails_cleanly create --bundle "$TEST_DIR/nosuchbundle" box
}

@test "runtime.md create: a bundle without config.json is an error" {
	rm "$BUNDLE/config.json"
	fails_cleanly create --bundle "$BUNDLE" box
}

@test "runtime.md create: malformed JSON in config.json is an error" {
	echo '{"ociVersion": "1.0.2", "process": {' >"$BUNDLE/config.json"
	fails_cleanly create --bundle "$BUNDLE" box
}

@test "runtime.md create: a field of the wrong type is an error" {
	update_config '.process.args = "/init sleep 60"'
	fails_cleanly create --bundle "$BUNDLE" box
}

@test "runtime.md create: a missing rootfs is an error" {
	rm -rf "$BUNDLE/rootfs"
	fails_cleanly create --bundle "$BUNDLE" box
}

@test "config.md process: empty args is an error" {
	update_config '.process.args = []'
	fails_cleanly create --bundle "$BUNDLE" box
}

@test "config.md process: an executable missing from the rootfs fails create" {
	set_args /no/such/program
	fails_cleanly create --bundle "$BUNDLE" box
}

@test "config.md process: a program missing from PATH fails run" {
	set_args nosuchprogram
	fails_cleanly run --bundle "$BUNDLE" box
}

@test "config.md process: a program the kernel cannot exec is reported by run, exit 127" {
	# Found and executable at create, refused by execve itself at start: the
	# message comes from the container process, after the runtime's checks.
	printf 'not a program\n' >"$BUNDLE/rootfs/bad"
	chmod 755 "$BUNDLE/rootfs/bad"
	set_args /bad
	run -127 --separate-stderr runtime run --bundle "$BUNDLE" box </dev/null
	[[ "$stderr" == *'exec `/bad`: Exec format error'* ]] || fail "stderr: $stderr"
	check_no_leftovers
}

@test "config-linux.md namespaces: an unknown namespace type is an error" {
	update_config '.linux.namespaces += [{"type": "bogus"}]'
	fails_cleanly create --bundle "$BUNDLE" box
}

@test "config-linux.md namespaces: a namespace path that does not exist is an error" {
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/no/such/ns" else . end)'
	fails_cleanly create --bundle "$BUNDLE" box
}

@test "config.md mounts: a bind mount of a missing source is an error" {
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": "/no/such/dir", "options": ["bind"]}]'
	fails_cleanly create --bundle "$BUNDLE" box
}

@test "config.md mounts: an unknown filesystem type is an error" {
	update_config '.mounts += [{"destination": "/data", "type": "nosuchfs", "source": "none"}]'
	fails_cleanly create --bundle "$BUNDLE" box
}

@test "runtime.md create: a duplicate id is an error and the first container is untouched" {
	runtime_create box
	pid=$(container_pid box)
	make_bundle second
	run --separate-stderr runtime create --bundle "$TEST_DIR/second" box </dev/null
	assert_failure
	[ "$(grep -c . <<<"$stderr")" -eq 1 ] || fail "not a one-line error: $stderr"
	assert_equal "$(container_status box)" created
	assert_equal "$(container_pid box)" "$pid"
	assert_equal "$(runtime state box | jq -r .bundle)" "$BUNDLE"
	# the second bundle's cgroup was never made
	[ -z "$(test_cgroup_dirs | grep -- '-second$')" ]
}

@test "runtime.md create: an id with a slash is an error and creates nothing outside the state root" {
	run --separate-stderr runtime create --bundle "$BUNDLE" ../escape </dev/null
	assert_failure
	[ ! -e "$TEST_DIR/escape" ]
	check_no_leftovers
}

@test "runtime.md create: an empty id is an error" {
	fails_cleanly create --bundle "$BUNDLE" ""
}

@test "runtime.md create: no id at all is an error" {
	run --separate-stderr runtime create --bundle "$BUNDLE" </dev/null
	assert_failure
	check_no_leftovers
}

@test "runtime.md state: no id is an error" {
	run --separate-stderr runtime state
	assert_failure
}

@test "runtime.md start: a container that does not exist is an error" {
	fails_cleanly start nosuchbox
}

@test "runtime.md start: no id is an error" {
	run --separate-stderr runtime start
	assert_failure
}

@test "runtime.md start: starting a running container is a one-line error" {
	runtime_create box
	runtime start box
	run --separate-stderr runtime start box
	assert_failure
	[ "$(grep -c . <<<"$stderr")" -eq 1 ] || fail "not a one-line error: $stderr"
	assert_equal "$(container_status box)" running
}

@test "runtime.md kill: a container that does not exist is an error" {
	fails_cleanly kill nosuchbox KILL
}

@test "runtime.md kill: no id is an error" {
	run --separate-stderr runtime kill
	assert_failure
}

@test "runtime.md delete: a container that does not exist is an error" {
	fails_cleanly delete nosuchbox
}

@test "delete --force of a container that does not exist succeeds or fails, but leaves nothing" {
	run --separate-stderr runtime delete --force nosuchbox
	check_no_leftovers
}

@test "runtime.md delete: no id is an error" {
	run --separate-stderr runtime delete
	assert_failure
}

@test "runtime.md delete: deleting a running container without --force is a one-line error" {
	runtime_create box
	runtime start box
	run --separate-stderr runtime delete box
	assert_failure
	[ "$(grep -c . <<<"$stderr")" -eq 1 ] || fail "not a one-line error: $stderr"
	assert_equal "$(container_status box)" running
}

@test "an unknown command is an error" {
	run --separate-stderr runtime no-such-command
	assert_failure
	[ -n "$stderr" ]
}

@test "an unknown option is an error" {
	run --separate-stderr runtime create --no-such-option --bundle "$BUNDLE" box
	assert_failure
	check_no_leftovers
}

@test "error messages name the runtime, the operation and the container" {
	skip_if_runc "message wording (runc: time=... level=error msg=...)"
	run --separate-stderr runtime create --bundle "$TEST_DIR/nosuchbundle" box
	assert_failure
	[[ "$stderr" == "hako-runtime: create \`box\`: "* ]] || fail "unexpected message: $stderr"
	[[ "$stderr" == *"No such file or directory"* ]] || fail "the message lacks the cause: $stderr"
}
