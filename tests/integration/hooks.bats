#!/usr/bin/env bats
# Hooks (config.md "POSIX-platform Hooks"; runtime.md lifecycle steps).

load helpers

setup() {
	hako_setup
	HOOK=$TEST_DIR/hook.sh
	HOOK_LOG=$TEST_DIR/hook.log
	# hook.sh NAME [EXIT [SLEEP]]: append "NAME MNTNS STATE-JSON ENV" to the
	# log; with SLEEP, only sleep (the hook process itself, so a timeout
	# kills all of it).
	cat >"$HOOK" <<-EOF
		#!/bin/sh
		state=\$(cat)
		[ -n "\$3" ] && exec sleep "\$3"
		echo "\$1 \$(readlink /proc/self/ns/mnt) \$state \${HOOK_ENV:-}" >>"$HOOK_LOG"
		echo "hook \$1 says bye on stderr" >&2
		exit "\${2:-0}"
	EOF
	chmod 755 "$HOOK"
	update_config '.root.readonly = false'
}

teardown() {
	hako_teardown
}

# add_hook KIND NAME [EXIT [SLEEP]]: append hook.sh NAME... to hooks.KIND.
add_hook() {
	local kind=$1
	shift
	local args
	args=$(jq -cn '$ARGS.positional' --args hook.sh "$@")
	update_config '.hooks[$k] += [{"path": $p, "args": $a}]' "$BUNDLE" \
		--arg k "$kind" --arg p "$HOOK" --argjson a "$args"
}

# hook_state NAME: the state JSON the hook NAME got on stdin.
hook_state() {
	awk -v n="$1" '$1 == n { $1 = ""; $2 = ""; print; exit }' "$HOOK_LOG" | sed 's/^ *//; s/} .*$/}/'
}

hook_mntns() {
	awk -v n="$1" '$1 == n { print $2; exit }' "$HOOK_LOG"
}

hook_names() {
	awk '{ print $1 }' "$HOOK_LOG" 2>/dev/null | tr '\n' ' '
}

@test "config.md hooks: createRuntime runs during create, in the runtime namespace, with the state on stdin" {
	add_hook createRuntime cr
	set_args /init sleep 60
	runtime_create box
	assert_equal "$(hook_names)" "cr "
	state=$(hook_state cr)
	assert_equal "$(jq -r .id <<<"$state")" box
	assert_equal "$(jq -r .status <<<"$state")" creating
	assert_equal "$(jq -r .pid <<<"$state")" "$(container_pid box)"
	assert_equal "$(jq -r .bundle <<<"$state")" "$BUNDLE"
	assert_equal "$(jq -r .ociVersion <<<"$state")" "$(jq -r .ociVersion "$BUNDLE/config.json")"
	assert_equal "$(hook_mntns cr)" "$(host_ns mnt)"
}

@test "config.md hooks: prestart runs during create, in the runtime namespace" {
	add_hook prestart pre
	set_args /init sleep 60
	runtime_create box
	assert_equal "$(hook_names)" "pre "
	state=$(hook_state pre)
	assert_equal "$(jq -r .status <<<"$state")" creating
	assert_equal "$(jq -r .pid <<<"$state")" "$(container_pid box)"
	assert_equal "$(hook_mntns pre)" "$(host_ns mnt)"
}

@test "config.md hooks: createContainer runs during create, in the container's mount namespace" {
	add_hook createContainer cc
	set_args /init sleep 60
	runtime_create box
	assert_equal "$(hook_names)" "cc "
	pid=$(container_pid box)
	assert_equal "$(hook_mntns cc)" "$(readlink "/proc/$pid/ns/mnt")"
	assert_equal "$(jq -r .status <<<"$(hook_state cc)")" creating
}

@test "config.md hooks: startContainer runs in the container during start, before the user process" {
	update_config '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "cat >/start-hook.json; /init ns mnt >>/order"]}]'
	set_args /bin/sh -c 'echo user-process >>/order; /init sleep 60'
	runtime_create box
	[ ! -e "$BUNDLE/rootfs/start-hook.json" ]
	runtime start box
	wait_for_line "$BUNDLE/rootfs/order" user-process
	pid=$(container_pid box)
	assert_equal "$(head -1 "$BUNDLE/rootfs/order")" "$(readlink "/proc/$pid/ns/mnt")"
	assert_equal "$(sed -n 2p "$BUNDLE/rootfs/order")" user-process
	assert_equal "$(jq -r .id "$BUNDLE/rootfs/start-hook.json")" box
}

@test "config.md hooks: poststart runs after start, in the runtime namespace" {
	skip_runc_gap "poststart hooks run at create, not after start (fixed in runc 1.2)"
	add_hook poststart ps
	set_args /init sleep 60
	runtime_create box
	assert_equal "$(hook_names)" ""
	runtime start box
	assert_equal "$(hook_names)" "ps "
	assert_equal "$(jq -r .pid <<<"$(hook_state ps)")" "$(container_pid box)"
	assert_equal "$(hook_mntns ps)" "$(host_ns mnt)"
}

@test "config.md hooks: poststart sees the container running" {
	skip_runc_gap "poststart hooks run at create, with status created"
	add_hook poststart ps
	set_args /init sleep 60
	runtime_create box
	runtime start box
	assert_equal "$(jq -r .status <<<"$(hook_state ps)")" running
}

@test "config.md hooks: poststop runs on delete, after the process stopped" {
	add_hook poststop stop
	set_args /init exit 0
	runtime_create box
	runtime start box
	wait_for_status box stopped
	assert_equal "$(hook_names)" ""
	run runtime delete box
	assert_success
	assert_equal "$(hook_names)" "stop "
	state=$(hook_state stop)
	assert_equal "$(jq -r .status <<<"$state")" stopped
	assert_equal "$(jq -r .id <<<"$state")" box
}

@test "config.md hooks: poststop runs on delete --force of a running container" {
	add_hook poststop stop
	set_args /init sleep 60
	runtime_create box
	runtime start box
	runtime delete --force box
	assert_equal "$(hook_names)" "stop "
}

@test "config.md hooks: poststop runs when a foreground run ends" {
	add_hook poststop stop
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_equal "$(hook_names)" "stop "
}

@test "runtime.md lifecycle: hooks run in lifecycle order, and in array order within a kind" {
	add_hook prestart pre1
	add_hook prestart pre2
	add_hook createRuntime cr
	add_hook createContainer cc
	add_hook poststart ps
	add_hook poststop stop
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
	# prestart and createRuntime are both step 5 (prestart is the older name)
	[[ "$(hook_names)" == "pre1 pre2 cr cc ps stop " || "$(hook_names)" == "cr pre1 pre2 cc ps stop " ]] ||
		fail "hook order: $(hook_names)"
}

@test "config.md hooks: env and args are passed to the hook" {
	update_config '.hooks.createRuntime = [{"path": $p, "args": ["hook.sh", "with-env"], "env": ["HOOK_ENV=from-config"]}]' \
		"$BUNDLE" --arg p "$HOOK"
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
	grep -q '^with-env .* from-config$' "$HOOK_LOG"
}

@test "config.md hooks: a failing createRuntime hook fails create and leaves nothing behind" {
	add_hook createRuntime bad 1
	set_args /init sleep 60
	run runtime_create box
	assert_failure
	assert_equal "$(hook_names)" "bad "
	run runtime state box
	assert_failure
	check_no_leftovers
}

@test "config.md hooks: a failing prestart hook fails create and leaves nothing behind" {
	add_hook prestart bad 1
	set_args /init sleep 60
	run runtime_create box
	assert_failure
	run runtime state box
	assert_failure
	check_no_leftovers
}

@test "config.md hooks: a failing createContainer hook fails create, the user process never runs" {
	add_hook createContainer bad 1
	set_args /init write /ran yes
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	[ ! -e "$BUNDLE/rootfs/ran" ]
	check_no_leftovers
}

@test "config.md hooks: after a failing create hook, poststop hooks still run" {
	add_hook createRuntime bad 1
	add_hook poststop stop
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	assert_equal "$(hook_names)" "bad stop "
	check_no_leftovers
}

@test "config.md hooks: a failing poststop hook is only a warning, delete succeeds" {
	add_hook poststop bad 1
	set_args /init exit 0
	runtime_create box
	runtime start box
	wait_for_status box stopped
	run runtime delete box
	assert_success
	assert_equal "$(hook_names)" "bad "
	run runtime state box
	assert_failure
}

@test "config.md hooks: a hook that outlives its timeout fails create" {
	update_config '.hooks.createRuntime = [{"path": $p, "args": ["hook.sh", "slow", "0", "10"], "timeout": 1}]' \
		"$BUNDLE" --arg p "$HOOK"
	set_args /init sleep 60
	start=$SECONDS
	run runtime_create box
	assert_failure
	[ $((SECONDS - start)) -lt 8 ] || fail "create took $((SECONDS - start))s with a 1s hook timeout"
	check_no_leftovers
}

@test "config.md hooks: a hook path that does not exist fails create" {
	update_config '.hooks.createRuntime = [{"path": "/does/not/exist"}]'
	set_args /init sleep 60
	run runtime_create box
	assert_failure
	check_no_leftovers
}
