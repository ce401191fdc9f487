#!/usr/bin/env bats
# The command line beyond the lifecycle: --version, spec, features, the
# global options (--root, --log, --log-format) that containerd and podman use.

load helpers

bats_require_minimum_version 1.5.0

setup() {
	hako_setup
}

teardown() {
	hako_teardown
}

@test "--version prints a version and the runtime-spec version" {
	run runtime --version
	assert_success
	assert_line --index 0 --regexp '[0-9]+\.[0-9]+\.[0-9]+'
	assert_line --regexp '^spec: [0-9]+\.[0-9]+\.[0-9]+'
}

@test "--version names hako-runtime" {
	skip_if_runc "the version banner names the program"
	run runtime --version
	assert_success
	assert_line --index 0 --regexp '^hako-runtime version [0-9]+\.[0-9]+\.[0-9]+'
}

@test "spec writes a config.json that is valid JSON with the required fields" {
	mkdir "$TEST_DIR/new"
	run runtime spec --bundle "$TEST_DIR/new"
	assert_success
	cfg=$TEST_DIR/new/config.json
	jq -e . "$cfg" >/dev/null
	[[ "$(jq -r .ociVersion "$cfg")" =~ ^1\.[0-9]+\.[0-9]+ ]]
	assert_equal "$(jq -r .root.path "$cfg")" rootfs
	[ "$(jq -r '.process.args | length' "$cfg")" -ge 1 ]
	assert_equal "$(jq -r .process.cwd "$cfg")" /
	for ns in pid network ipc uts mount; do
		jq -e --arg t "$ns" '.linux.namespaces | map(.type) | index($t)' "$cfg" >/dev/null ||
			fail "spec lacks the $ns namespace"
	done
	jq -e '.mounts | map(.destination) | index("/proc")' "$cfg" >/dev/null
}

@test "spec without --bundle writes into the current directory" {
	mkdir "$TEST_DIR/cwd"
	cd "$TEST_DIR/cwd"
	run runtime spec
	assert_success
	[ -s "$TEST_DIR/cwd/config.json" ]
}

@test "spec refuses to overwrite an existing config.json" {
	mkdir "$TEST_DIR/new"
	echo '{"keep": true}' >"$TEST_DIR/new/config.json"
	run runtime spec --bundle "$TEST_DIR/new"
	assert_failure
	assert_equal "$(cat "$TEST_DIR/new/config.json")" '{"keep": true}'
}

@test "spec: the generated config runs a container" {
	mkdir "$TEST_DIR/gen"
	runtime spec --bundle "$TEST_DIR/gen"
	cp -a "$BUNDLE/rootfs" "$TEST_DIR/gen/rootfs"
	jq --arg cg "$CGROUP_PARENT/$BATS_SUITE_TEST_NUMBER-gen" '
		.process.terminal = false | .process.args = ["/init", "hostname"] | .linux.cgroupsPath = $cg' \
		"$TEST_DIR/gen/config.json" >"$TEST_DIR/gen/c" && mv "$TEST_DIR/gen/c" "$TEST_DIR/gen/config.json"
	run runtime run --bundle "$TEST_DIR/gen" box
	assert_success
	assert_output "$(jq -r '.hostname // empty' "$TEST_DIR/gen/config.json")"
}

@test "spec --rootless adds a user namespace with mappings and no network namespace" {
	mkdir "$TEST_DIR/rl"
	run runtime spec --rootless --bundle "$TEST_DIR/rl"
	assert_success
	cfg=$TEST_DIR/rl/config.json
	jq -e '.linux.namespaces | map(.type) | index("user")' "$cfg" >/dev/null
	[ "$(jq -r '.linux.uidMappings | length' "$cfg")" -ge 1 ]
	[ "$(jq -r '.linux.gidMappings | length' "$cfg")" -ge 1 ]
	run jq -e '.linux.namespaces | map(.type) | index("network")' "$cfg"
	assert_failure
}

@test "features prints JSON with ociVersionMin and ociVersionMax" {
	run --separate-stderr runtime features
	assert_success
	jq -e . <<<"$output" >/dev/null
	[[ "$(jq -r .ociVersionMin <<<"$output")" =~ ^1\.[0-9]+\.[0-9]+ ]]
	[[ "$(jq -r .ociVersionMax <<<"$output")" =~ ^1\.[0-9]+\.[0-9]+ ]]
}

@test "features lists hooks, mount options and the linux namespaces" {
	run --separate-stderr runtime features
	assert_success
	for h in prestart createRuntime createContainer startContainer poststart poststop; do
		jq -e --arg h "$h" '.hooks | index($h)' <<<"$output" >/dev/null || fail "features lacks hook $h"
	done
	for o in ro nosuid nodev noexec bind rbind; do
		jq -e --arg o "$o" '.mountOptions | index($o)' <<<"$output" >/dev/null || fail "features lacks mount option $o"
	done
	for ns in cgroup ipc mount network pid user uts; do
		jq -e --arg n "$ns" '.linux.namespaces | index($n)' <<<"$output" >/dev/null || fail "features lacks namespace $ns"
	done
}

@test "features describes what hako implements" {
	skip_if_runc "features content (versions, time namespace, seccomp) is hako's own"
	run --separate-stderr runtime features
	assert_success
	assert_equal "$(jq -r .ociVersionMin <<<"$output")" 1.0.0
	[[ "$(jq -r .ociVersionMax <<<"$output")" == 1.[12].* ]]
	jq -e '.linux.namespaces | index("time")' <<<"$output" >/dev/null
	jq -e '.linux.capabilities | index("CAP_SYS_ADMIN")' <<<"$output" >/dev/null
	jq -e '.linux.cgroup.v1 == true and .linux.cgroup.v2 == true' <<<"$output" >/dev/null
}

@test "--root: state lives under the given root only" {
	set_args /init sleep 60
	runtime_create box
	[ -d "$STATE_ROOT/box" ]
	other=$TEST_DIR/other-root
	mkdir "$other"
	run "$HAKO_RUNTIME" --root "$other" state box
	assert_failure
	run "$HAKO_RUNTIME" --root "$other" list -q
	assert_success
	assert_output ""
}

@test "--root: a root that does not exist yet is created on create" {
	STATE_ROOT=$TEST_DIR/new/nested/root
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
	[ -d "$STATE_ROOT" ]
}

@test "--log --log-format json: an error is a JSON line with level and msg in the log" {
	run --separate-stderr runtime --log "$TEST_DIR/log.json" --log-format json create --bundle "$TEST_DIR/nosuch" box
	assert_failure
	[ -s "$TEST_DIR/log.json" ]
	last=$(tail -1 "$TEST_DIR/log.json")
	assert_equal "$(jq -r .level <<<"$last")" error
	[ -n "$(jq -r .msg <<<"$last")" ]
	# the user still sees the error on stderr
	[ -n "$stderr" ]
	check_no_leftovers
}

@test "--log --log-format text: the log is appended to, never truncated" {
	echo "earlier line" >"$TEST_DIR/log.txt"
	run runtime --log "$TEST_DIR/log.txt" --log-format text state nosuchbox
	assert_failure
	assert_equal "$(head -1 "$TEST_DIR/log.txt")" "earlier line"
	[ "$(wc -l <"$TEST_DIR/log.txt")" -ge 2 ]
}

@test "--debug is accepted and does not change the result" {
	set_args /init exit 4
	run --separate-stderr runtime --debug run --bundle "$BUNDLE" box
	assert_equal "$status" 4
}

@test "an unknown global option is an error" {
	run runtime --no-such-global-option list
	assert_failure
}

@test "create and start print nothing on success" {
	# /init sleep writes nothing either, so the files hold only the runtime's words
	set_args /init sleep 60
	runtime create --bundle "$BUNDLE" box </dev/null >"$TEST_DIR/create.out" 2>"$TEST_DIR/create.err"
	runtime start box >"$TEST_DIR/start.out" 2>"$TEST_DIR/start.err"
	assert_equal "$(cat "$TEST_DIR/create.out" "$TEST_DIR/create.err")" ""
	assert_equal "$(cat "$TEST_DIR/start.out" "$TEST_DIR/start.err")" ""
}
