#!/usr/bin/env bats
# Namespaces (config-linux.md "Namespaces", "User namespace mappings";
# config.md "Hostname", "Domainname").

load helpers

setup() {
	hako_setup
}

teardown() {
	hako_teardown
}

# ns_of_container TYPE: the namespace inode the container process sees.
ns_of_container() {
	set_args /init ns "$1"
	run runtime run --bundle "$BUNDLE" "ns-$1"
	assert_success
	[[ "$output" == "$1:["*"]" ]] || fail "unexpected ns output: $output"
}

# A namespace type the config names, and the name of its /proc/self/ns file.
new_ns() {
	local type=$1 file=$2
	update_config '.linux.namespaces |= (map(select(.type != $t)) + [{"type": $t}])' "$BUNDLE" --arg t "$type"
	ns_of_container "$file"
	[ "$output" != "$(host_ns "$file")" ] || fail "$type namespace is the host's: $output"
}

shared_ns() {
	local type=$1 file=$2
	update_config '.linux.namespaces |= map(select(.type != $t))' "$BUNDLE" --arg t "$type"
	ns_of_container "$file"
	assert_equal "$output" "$(host_ns "$file")"
}

runtime_supports_ns() {
	local types
	types=$("$HAKO_RUNTIME" features 2>/dev/null | jq -r '.linux.namespaces[]?' 2>/dev/null)
	grep -qx "$1" <<<"$types"
}

# An identity mapping: a new user namespace that still runs as host root, so
# that the rootfs in the test's 0700 temp dir stays reachable.
identity_userns='.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
	| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]'

@test "config-linux.md namespaces: a listed pid namespace is new, the process is pid 1" {
	new_ns pid pid
	set_args /init pid
	run runtime run --bundle "$BUNDLE" box
	assert_output 1
}

@test "config-linux.md namespaces: pid namespace not listed: the host's is inherited" {
	shared_ns pid pid
}

@test "config-linux.md namespaces: a listed network namespace is new, with only loopback" {
	new_ns network net
	set_args /init cat /proc/self/net/dev
	run runtime run --bundle "$BUNDLE" box
	assert_success
	# two header lines and lo
	assert_equal "$(tail -n +3 <<<"$output" | awk -F: '{gsub(/ /, "", $1); print $1}')" lo
}

@test "config-linux.md namespaces: network namespace not listed: the host's is inherited" {
	shared_ns network net
}

@test "config-linux.md namespaces: a listed mount namespace is new" {
	new_ns mount mnt
}

@test "config-linux.md namespaces: a listed ipc namespace is new" {
	new_ns ipc ipc
}

@test "config-linux.md namespaces: ipc namespace not listed: the host's is inherited" {
	# mqueue can only be mounted in an ipc namespace of one's own
	update_config '.mounts |= map(select(.type != "mqueue"))'
	shared_ns ipc ipc
}

@test "config-linux.md namespaces: a listed uts namespace is new" {
	new_ns uts uts
}

@test "config-linux.md namespaces: uts namespace not listed: the host's is inherited" {
	update_config 'del(.hostname)'
	shared_ns uts uts
}

@test "config-linux.md namespaces: a listed cgroup namespace is new, the container sees its cgroup as /" {
	new_ns cgroup cgroup
	set_args /init cgroup
	run runtime run --bundle "$BUNDLE" box
	assert_success
	# every hierarchy the container was put in is its root now
	run grep -E ':/.+$' <<<"$output"
	assert_failure
}

@test "config-linux.md namespaces: cgroup namespace not listed: the host's is inherited" {
	shared_ns cgroup cgroup
}

@test "config-linux.md namespaces: a listed user namespace is new" {
	update_config "$identity_userns"
	new_ns user user
}

@test "config-linux.md namespaces: user namespace not listed: the host's is inherited" {
	shared_ns user user
}

@test "config-linux.md namespaces: a listed time namespace is new" {
	runtime_supports_ns time || skip "the runtime does not list time in features"
	new_ns time time
}

@test "config-linux.md namespaces: time namespace not listed: the host's is inherited" {
	shared_ns time time
}

@test "config-linux.md namespaces: a namespace path is joined (network namespace made by unshare)" {
	background unshare --net sleep 60
	wait_for_exit_or_ns() { local i; for ((i = 0; i < 100; i++)); do
		[ "$(readlink "/proc/$BG_PID/ns/net")" != "$(host_ns net)" ] && return 0; sleep 0.02; done; return 1; }
	wait_for_exit_or_ns
	nspath=/proc/$BG_PID/ns/net
	update_config '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' "$BUNDLE" --arg p "$nspath"
	ns_of_container net
	assert_equal "$output" "$(readlink "$nspath")"
}

@test "config-linux.md namespaces: a namespace path is joined (ipc and uts of another container)" {
	set_args /init sleep 60
	runtime_create first
	pid=$(container_pid first)

	make_bundle second
	BUNDLE=$TEST_DIR/second
	update_config 'del(.hostname)
		| .linux.namespaces |= map(if .type == "ipc" or .type == "uts" then .path = "/proc/\($pid)/ns/\(.type)" else . end)' \
		"$BUNDLE" --arg pid "$pid"
	set_args /bin/sh -c '/init ns ipc; /init ns uts; /init hostname'
	run runtime run --bundle "$BUNDLE" second
	assert_success
	assert_equal "${lines[0]}" "$(readlink "/proc/$pid/ns/ipc")"
	assert_equal "${lines[1]}" "$(readlink "/proc/$pid/ns/uts")"
	assert_equal "${lines[2]}" "$(jq -r .hostname "$TEST_DIR/bundle/config.json")"
}

@test "config-linux.md namespaces: a path to a namespace of the wrong type is an error" {
	update_config '.linux.namespaces |= map(if .type == "ipc" then .path = "/proc/self/ns/net" else . end)'
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	check_no_leftovers
}

@test "config.md hostname: the container's hostname is set in its uts namespace" {
	update_config '.hostname = "box.example"'
	set_args /init hostname
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output box.example
	[ "$(hostname)" != box.example ]
}

@test "config.md domainname: the container's domainname is set in its uts namespace" {
	skip_runc_gap "runtime-spec 1.0.2 has no domainname; runc ignores it"
	update_config '.domainname = "example.org"'
	set_args /init domainname
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output example.org
}

@test "hostname without a uts namespace is an error (it would rename the host), as runc does" {
	update_config '.hostname = "box" | .linux.namespaces |= map(select(.type != "uts"))'
	set_args /init hostname
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	check_no_leftovers
}

@test "config-linux.md user namespace mappings: uid_map and gid_map show the mappings" {
	# The mapped root (host uid 100000) must be able to reach the rootfs.
	chmod 755 "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$TEST_DIR"
	chown -R 100000:100000 "$BUNDLE/rootfs"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 1000}]'
	set_args /bin/sh -c '/init cat /proc/self/uid_map; /init cat /proc/self/gid_map; /init ids'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_equal "$(awk 'NR <= 2 { print $1, $2, $3 }' <<<"$output")" $'0 100000 65536\n0 200000 1000'
	assert_line 'uid=0 gid=0 euid=0 egid=0 groups='
}

@test "config-linux.md user namespace mappings: the process runs as the mapped host uid" {
	chmod 755 "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$TEST_DIR"
	chown -R 100000:100000 "$BUNDLE/rootfs"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	set_args /init sleep 60
	runtime_create box
	pid=$(container_pid box)
	assert_equal "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" 100000
	assert_equal "$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")" 100000
}

@test "config-linux.md sysctl: namespaced sysctls are set in the container's namespaces" {
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4242"}'
	set_args /bin/sh -c '/init sysctl net.ipv4.ip_forward; /init sysctl kernel.msgmax'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_equal "$output" $'1\n4242'
	assert_equal "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_fwd"
	[ "$(cat /proc/sys/kernel/msgmax)" != 4242 ]
}

@test "config-linux.md sysctl: a network sysctl without a network namespace is refused" {
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
	set_args /init exit 0
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	assert_equal "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_fwd"
	check_no_leftovers
}

@test "config-linux.md sysctl: a sysctl that no namespace isolates is refused" {
	update_config '.linux.sysctl = {"vm.swappiness": "10"}'
	set_args /init exit 0
	before=$(cat /proc/sys/vm/swappiness)
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	assert_equal "$(cat /proc/sys/vm/swappiness)" "$before"
	check_no_leftovers
}
