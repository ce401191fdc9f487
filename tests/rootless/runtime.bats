#!/usr/bin/env bats
# hako-runtime as an ordinary user (issue #11): a test user made for this
# file, with subordinate ranges in /etc/subuid and /etc/subgid, runs the
# runtime in its own state root ($XDG_RUNTIME_DIR/hako-runtime) on bundles it
# owns.  The user, its files and its ranges are removed in teardown_file,
# whatever the tests did.

bats_load_library bats-support
bats_load_library bats-assert

HAKO_SRC=$(cd "$(dirname "$BATS_TEST_FILENAME")/../.." && pwd)
HAKO_BUILD=${HAKO_BUILD:-$HAKO_SRC/build}
HAKO_RUNTIME=${HAKO_RUNTIME:-$HAKO_BUILD/hako-runtime}
INIT_BIN=${INIT_BIN:-$HAKO_BUILD/tests/init}
RL_TIMEOUT=${HAKO_TEST_TIMEOUT:-10}
# Where setup_file leaves what teardown_file must undo (BATS_FILE_TMPDIR is
# root's and private: the user's files live in RL_HOME).
RL_RECORD=$BATS_FILE_TMPDIR/rootless.env

# ---- the test user ----

# A free subordinate range: above every range already given out.
free_range_start() {
	cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: '
		BEGIN { max = 200000 } NF == 3 && $2 + $3 > max { max = $2 + $3 }
		END { print int((max + 65535) / 65536) * 65536 }'
}

# Users of earlier runs that died before their teardown_file: named after the
# bats process that made them, removed when that process is gone.
remove_stale_users() {
	local name pid
	for name in $(awk -F: '$1 ~ /^hakorl[0-9]+$/ { print $1 }' /etc/passwd); do
		pid=${name#hakorl}
		[ -d "/proc/$pid" ] && continue
		remove_user "$name" "$(awk -F: -v u="$name" '$1 == u { print $2 "-" $2 + $3 - 1; exit }' /etc/subuid 2>/dev/null)" \
			"$(getent passwd "$name" | cut -d: -f6)"
	done
}

# remove_user NAME RANGE HOME: its processes (by pid), ranges, account, files.
remove_user() {
	local name=$1 range=$2 home=$3 uid pid
	uid=$(id -u "$name" 2>/dev/null) || uid=
	if [ -n "$uid" ]; then
		for pid in $(ps -e -o pid=,uid= | awk -v u="$uid" '$2 == u { print $1 }'); do
			kill -9 "$pid" 2>/dev/null
		done
	fi
	if [ -n "$range" ] && [ "$range" != "-" ]; then
		# Container processes run as subordinate ids: theirs too.
		local lo=${range%-*} hi=${range#*-}
		for pid in $(ps -e -o pid=,uid= | awk -v lo="$lo" -v hi="$hi" '$2 >= lo && $2 <= hi { print $1 }'); do
			kill -9 "$pid" 2>/dev/null
		done
		usermod -V "$range" -W "$range" "$name" 2>/dev/null
	fi
	userdel -f "$name" 2>/dev/null
	# userdel leaves the ranges of a user usermod could not edit: by name.
	sed -i "/^$name:/d" /etc/subuid /etc/subgid 2>/dev/null
	case $home in
	/tmp/hako-rootless.*) rm -rf --one-file-system "$home" ;;
	esac
}

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "creates a test user: run as root"
	command -v runuser >/dev/null || skip "runuser (util-linux) is missing"
	[ -x "$HAKO_RUNTIME" ] || fail "runtime $HAKO_RUNTIME not found"
	[ -x "$INIT_BIN" ] || fail "$INIT_BIN is missing: ninja -C build tests/init"
	remove_stale_users

	RL_USER=hakorl$$
	RL_HOME=$(mktemp -d /tmp/hako-rootless.XXXXXX)
	local had_subuid=0 had_subgid=0 start
	[ -e /etc/subuid ] && had_subuid=1
	[ -e /etc/subgid ] && had_subgid=1
	start=$(free_range_start)
	RL_RANGE=$start-$((start + 65535))
	# Written first: teardown_file undoes whatever part of this was done.
	cat >"$RL_RECORD" <<-EOF
		RL_USER=$RL_USER
		RL_HOME=$RL_HOME
		RL_RANGE=$RL_RANGE
		RL_SUBSTART=$start
		RL_HAD_SUBUID=$had_subuid
		RL_HAD_SUBGID=$had_subgid
	EOF
	chmod 755 "$RL_HOME"
	useradd -M -d "$RL_HOME" -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$RL_USER"
	# usermod edits the files but does not create them.
	[ -e /etc/subuid ] || install -m 644 /dev/null /etc/subuid
	[ -e /etc/subgid ] || install -m 644 /dev/null /etc/subgid
	usermod -v "$RL_RANGE" -w "$RL_RANGE" "$RL_USER"
	grep -q "^$RL_USER:$start:65536\$" /etc/subuid || fail "no subuid range for $RL_USER"

	# The runtime and a busybox rootfs, where the user can reach them.
	local busybox a rootfs=$RL_HOME/base/rootfs
	busybox=$(command -v busybox) || fail "busybox (busybox-static) is not installed"
	mkdir -p "$RL_HOME/bin" "$rootfs"/{bin,etc,proc,sys,dev,tmp,root,vol}
	cp "$HAKO_RUNTIME" "$RL_HOME/bin/hako-runtime"
	cp "$busybox" "$rootfs/bin/busybox"
	for a in sh true sleep echo cat ls id touch stat; do
		ln -s busybox "$rootfs/bin/$a"
	done
	cp "$INIT_BIN" "$rootfs/init"
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1:1:user:/:/bin/sh\n' >"$rootfs/etc/passwd"
	printf 'root:x:0:\nuser:x:1:\n' >"$rootfs/etc/group"
	chmod 1777 "$rootfs/tmp"
	mkdir -m 700 "$RL_HOME/run"
	chown -R "$RL_USER:$RL_USER" "$RL_HOME/base" "$RL_HOME/run"
	as_user_in "$RL_HOME/base" "$RL_HOME/bin/hako-runtime" spec --rootless || fail "spec --rootless failed"
}

teardown_file() {
	[ -e "$RL_RECORD" ] || return 0
	# shellcheck disable=SC1090
	. "$RL_RECORD"
	remove_user "$RL_USER" "$RL_RANGE" "$RL_HOME"
	# Files this setup created: gone with their last entry.
	[ "$RL_HAD_SUBUID" = 1 ] || [ -s /etc/subuid ] || rm -f /etc/subuid
	[ "$RL_HAD_SUBGID" = 1 ] || [ -s /etc/subgid ] || rm -f /etc/subgid
	local left=
	getent passwd "$RL_USER" >/dev/null && left+="user $RL_USER; "
	grep -qs "^$RL_USER:" /etc/subuid /etc/subgid && left+="ranges of $RL_USER; "
	[ -e "$RL_HOME" ] && left+="$RL_HOME; "
	rm -f "$RL_RECORD"
	[ -z "$left" ] || fail "teardown_file left: $left"
}

# as_user_in DIR CMD...: CMD as the test user in DIR, with its runtime dir.
as_user_in() {
	local dir=$1
	shift
	(cd "$dir" && timeout -k 2 "$RL_TIMEOUT" runuser -u "$RL_USER" -- env -i PATH=/usr/bin:/bin HOME="$RL_HOME" \
		XDG_RUNTIME_DIR="$RL_HOME/run" "$@" 3>&-)
}

# rt ARGS...: the runtime as the test user, default state root.
rt() {
	as_user_in "$BUNDLE" "$RL_HOME/bin/hako-runtime" "$@"
}

setup() {
	# shellcheck disable=SC1090
	. "$RL_RECORD"
	STATE=$RL_HOME/run/hako-runtime
	BUNDLE=$RL_HOME/t$BATS_TEST_NUMBER
	cp -a "$RL_HOME/base" "$BUNDLE"
	# A plain file, not the terminal; /init answers the questions.
	jq '.process.terminal = false | .process.args = ["/init", "ids"] | .root.readonly = false' \
		"$RL_HOME/base/config.json" >"$BUNDLE/config.json"
	chown -R "$RL_USER:$RL_USER" "$BUNDLE"
}

teardown() {
	local id left=() pid
	if [ -d "$STATE" ]; then
		for id in $(ls "$STATE"); do
			rt delete --force "$id" >/dev/null 2>&1
		done
		left+=($(ls "$STATE"))
		[ "${#left[@]}" -eq 0 ] || echo "teardown: state left: ${left[*]}" >&2
	fi
	# Nothing of the user's may run between tests.
	local uid
	uid=$(id -u "$RL_USER")
	# Zombies are gone already: whoever inherited them reaps them in its time.
	for pid in $(ps -e -o pid=,uid=,stat= | awk -v u="$uid" -v lo="$RL_SUBSTART" \
		'($2 == u || ($2 >= lo && $2 < lo + 65536)) && $3 !~ /^Z/ { print $1 }'); do
		echo "teardown: process left: $(ps -o pid=,uid=,args= -p "$pid")" >&2
		left+=("$pid")
		kill -9 "$pid" 2>/dev/null
	done
	for d in "${RL_CGROUPS[@]}"; do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	[ -z "${RL_UNDO_V2:-}" ] || echo -hugetlb >"$RL_UNDO_V2/cgroup.subtree_control" 2>/dev/null
	rm -rf --one-file-system "$BUNDLE"
	[ "${#left[@]}" -eq 0 ]
}

# rt_bg CMD ID [ARGS...]: create or run --detach, with the container's
# stdio on files of the bundle (a container holding bats' pipe would hang
# the test); prints the runtime's stderr when it fails.
rt_bg() {
	local cmd=$1 id=$2 rc=0
	shift 2
	rt "$cmd" "$@" "$id" </dev/null >"$BUNDLE/stdout" 2>"$BUNDLE/stderr" || rc=$?
	[ "$rc" -eq 0 ] || cat "$BUNDLE/stderr"
	return "$rc"
}

# update_config 'jq filter' [jq args...]: edit the bundle's config.json.
update_config() {
	local filter=$1 tmp
	shift
	tmp=$(mktemp "$BUNDLE/config.XXXXXX")
	jq "$@" "$filter" "$BUNDLE/config.json" >"$tmp" || fail "update_config: jq failed on '$filter'"
	mv "$tmp" "$BUNDLE/config.json"
	chown "$RL_USER:$RL_USER" "$BUNDLE/config.json"
}

# The caller mapped to root, uid/gid 1.. on the subordinate range.
subid_maps() {
	local uid gid
	uid=$(id -u "$RL_USER")
	gid=$(id -g "$RL_USER")
	update_config '.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: $s, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}, {containerID: 1, hostID: $s, size: 65536}]' \
		--argjson u "$uid" --argjson g "$gid" --argjson s "$RL_SUBSTART"
}

# ---- tests ----

@test "spec --rootless: a user namespace mapping the caller to root, no network namespace, /sys bound" {
	local c=$RL_HOME/base/config.json uid
	uid=$(id -u "$RL_USER")
	run jq -c '[.linux.namespaces[].type] | sort' "$c"
	assert_output '["ipc","mount","pid","user","uts"]'
	run jq -c '.linux.uidMappings' "$c"
	assert_output "[{\"containerID\":0,\"hostID\":$uid,\"size\":1}]"
	run jq -r '.mounts[] | select(.destination == "/sys") | "\(.type) \(.source) \(.options | join(","))"' "$c"
	assert_output "none /sys rbind,nosuid,noexec,nodev,ro"
	run jq -c '.linux.resources' "$c"
	assert_output null
	run jq -r '[.mounts[].options // [] | .[] | select(startswith("gid="))] | length' "$c"
	assert_output 0
}

@test "run as the user: uid 0 inside, the user's own uid outside" {
	run rt run c1
	assert_success
	# The user's own group is the only one it has: root's inside.
	assert_output --regexp '^uid=0 gid=0 euid=0 egid=0 groups=0?$'
	[ -z "$(ls -A "$STATE")" ]
}

@test "the state root is \$XDG_RUNTIME_DIR/hako-runtime, the user's and private" {
	update_config '.process.args = ["/init", "sleep", "60"]'
	rt_bg run c1 --detach
	run stat -c '%U %a' "$STATE" "$STATE/c1"
	assert_output "$RL_USER 700
$RL_USER 700"
	run rt delete --force c1
	assert_success
	[ -z "$(ls -A "$STATE")" ]
	[ ! -e "/run/hako-runtime/c1" ]
}

@test "create, start, state, kill, delete as the user" {
	update_config '.process.args = ["/init", "sleep", "60"]'
	rt_bg create c1
	run rt state c1
	assert_success
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r .owner <<<"$output")" = "$RL_USER" ]
	pid=$(jq -r .pid <<<"$output")
	[ "$(stat -c %U "/proc/$pid")" = "$RL_USER" ]
	run rt start c1
	assert_success
	[ "$(rt state c1 | jq -r .status)" = running ]
	run rt exec c1 /init ids
	assert_success
	assert_output --regexp '^uid=0 gid=0 euid=0 egid=0 groups=0?$'
	run rt kill c1 KILL
	assert_success
	for i in $(seq 50); do
		[ "$(rt state c1 | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	[ "$(rt state c1 | jq -r .status)" = stopped ]
	run rt delete c1
	assert_success
	run rt state c1
	assert_failure
	assert_output --partial "does not exist"
	[ -z "$(ls -A "$STATE")" ]
	! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
}

@test "kill --all without a cgroup signals the init (SIGKILL takes the pid namespace)" {
	update_config '.process.args = ["/bin/sh", "-c", "sleep 60 & sleep 60"]'
	rt_bg run c1 --detach
	pid=$(rt state c1 | jq -r .pid)
	run rt kill --all c1 KILL
	assert_success
	for i in $(seq 50); do
		[ "$(rt state c1 | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	[ "$(rt state c1 | jq -r .status)" = stopped ]
	run rt delete c1
	assert_success
}

@test "list shows the user's containers only: its own state root" {
	update_config '.process.args = ["/init", "sleep", "60"]'
	rt_bg run mine --detach
	# A container of root's, in a root-owned state root.
	local rootstate=$BATS_TEST_TMPDIR/rootstate
	mkdir -m 700 "$rootstate"
	jq '.process.args = ["/init", "sleep", "60"] | .process.terminal = false' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/root.json"
	timeout 10 "$HAKO_RUNTIME" --root "$rootstate" --cgroup-manager disabled run --detach \
		--bundle "$BUNDLE" --config "$BATS_TEST_TMPDIR/root.json" roots </dev/null >/dev/null 2>&1
	run rt list -q
	assert_success
	assert_output mine
	# Root's state is not the user's to read.
	run rt --root "$rootstate" list
	assert_failure
	assert_output --partial "Permission denied"
	"$HAKO_RUNTIME" --root "$rootstate" delete --force roots
	run rt delete --force mine
	assert_success
	[ -z "$(ls -A "$STATE")" ]
}

@test "single map: a file made in the container on a bind mount is the user's on the host" {
	mkdir "$BUNDLE/vol-host"
	chown "$RL_USER:$RL_USER" "$BUNDLE/vol-host"
	update_config '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["rbind", "rw"]}]
		| .process.args = ["/init", "write", "/vol/made-inside", "hi"]' --arg s "$BUNDLE/vol-host"
	run rt run c1
	assert_success
	run stat -c '%U %G' "$BUNDLE/vol-host/made-inside"
	assert_output "$RL_USER $RL_USER"
}

@test "subordinate map (newuidmap): uid 1 inside is the first subordinate uid on the host" {
	command -v newuidmap >/dev/null || skip "newuidmap (uidmap) is not installed"
	subid_maps
	mkdir -m 777 "$BUNDLE/vol-host"
	update_config '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["rbind", "rw"]}]
		| .process.user = {uid: 1, gid: 1}
		| .process.args = ["/bin/sh", "-c", "id; echo hi > /vol/by-uid-1"]' --arg s "$BUNDLE/vol-host"
	run rt run c1
	assert_success
	assert_output --regexp '^uid=1\(user\) gid=1\(user\)( groups=1\(user\))?$'
	run stat -c '%u %g' "$BUNDLE/vol-host/by-uid-1"
	assert_output "$RL_SUBSTART $RL_SUBSTART"
	# And root inside is still the user.
	update_config '.process.user = {uid: 0, gid: 0} | .process.args = ["/init", "write", "/vol/by-root", "hi"]'
	run rt run c2
	assert_success
	run stat -c '%U' "$BUNDLE/vol-host/by-root"
	assert_output "$RL_USER"
}

@test "a map beyond the user's ranges is refused by newuidmap, with what to fix, and nothing is left" {
	command -v newuidmap >/dev/null || skip "newuidmap (uidmap) is not installed"
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 0, size: 1}]'
	run rt run c1
	assert_failure
	assert_output --partial "linux.uidMappings: rootless: "
	assert_output --partial "newuidmap"
	assert_output --partial "/etc/subuid"
	[ -z "$(ls -A "$STATE" 2>/dev/null)" ]
}

@test "the user cannot gain host root: a root-owned file bound read-write stays unwritable" {
	echo secret >"$BUNDLE/root-file"
	chown root:root "$BUNDLE/root-file"
	chmod 644 "$BUNDLE/root-file"
	mkdir "$BUNDLE/root-dir"
	chmod 755 "$BUNDLE/root-dir"
	# Every capability there is, in the container's user namespace.
	update_config '.mounts += [{destination: "/rootfile", type: "bind", source: $f, options: ["bind", "rw"]},
	                           {destination: "/rootdir", type: "bind", source: $d, options: ["bind", "rw"]}]
		| .process.capabilities = {bounding: $all, effective: $all, permitted: $all}
		| .process.noNewPrivileges = false
		| .process.args = ["/bin/sh", "-c",
		    "echo pwned > /rootfile; echo write=$?; chmod 666 /rootfile; echo chmod=$?; touch /rootdir/x; echo touch=$?; /init stat /rootfile"]' \
		--arg f "$BUNDLE/root-file" --arg d "$BUNDLE/root-dir" \
		--argjson all "$(jq -c '[.process.capabilities.bounding[]] + ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_SYS_ADMIN","CAP_SETUID"] | unique' "$BUNDLE/config.json")"
	run rt run c1
	assert_success
	assert_line "write=1"
	assert_line "chmod=1"
	assert_line "touch=1"
	# Host root is not mapped: the file's owner shows as nobody (65534).
	assert_line --regexp '^file 0?644 65534 65534 '
	assert_output --partial "Permission denied"
	run cat "$BUNDLE/root-file"
	assert_output secret
	[ ! -e "$BUNDLE/root-dir/x" ]
}

@test "linux.resources without a delegated cgroup: refused, naming the field, nothing left" {
	update_config '.linux.resources = {memory: {limit: 33554432}}'
	run rt run c1
	assert_failure
	assert_output --partial "linux.resources.memory: cannot be applied: rootless: no cgroup is delegated"
	update_config '.linux.resources = {pids: {limit: 10}}'
	run rt run c1
	assert_failure
	assert_output --partial "linux.resources.pids:"
	[ -z "$(ls -A "$STATE" 2>/dev/null)" ]
	# The rootless spec's default device rules ask nothing of a cgroup.
	update_config '.linux.resources = {devices: [{allow: false, access: "rwm"}]}'
	run rt run c1
	assert_success
}

@test "no user namespace: refused with what rootless mode needs" {
	update_config '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
	run rt run c1
	assert_failure
	assert_output --partial "rootless: a container needs a user namespace"
	[ -z "$(ls -A "$STATE" 2>/dev/null)" ]
}

@test "a delegated cgroup v2 subtree is used, limits apply there, the rest are refused" {
	local v2
	v2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	[ -n "$v2" ] || skip "no cgroup2 mount"
	# The delegation systemd gives a user session: a subtree the user owns,
	# the runtime running in it (shell/) and the containers beside it.
	local deleg=$v2/hako-rootless-$$-$BATS_TEST_NUMBER
	RL_CGROUPS=("$deleg")
	mkdir "$deleg" "$deleg/shell"
	chown "$RL_USER:$RL_USER" "$deleg" "$deleg"/cgroup.{procs,subtree_control,threads} \
		"$deleg/shell" "$deleg/shell"/cgroup.{procs,threads}
	local rel=${deleg#"$v2"}
	update_config '.linux.cgroupsPath = $p | .process.args = ["/init", "cgroup"]' --arg p "$rel/ctr"
	run sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$deleg/shell" \
		runuser -u "$RL_USER" -- env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$RL_HOME/run" \
		sh -c 'cd "$1" && exec "$2" run c1' sh "$BUNDLE" "$RL_HOME/bin/hako-runtime"
	assert_success
	assert_line "0::$rel/ctr"
	[ ! -e "$deleg/ctr" ]

	# A controller the host offers on v2 (hugetlb here), enabled down to the
	# delegated subtree as an administrator would: the limit is written.
	local page
	page=$(ls /sys/kernel/mm/hugepages 2>/dev/null | sort -t- -k2 -n | head -1 | sed 's/hugepages-//; s/kB$//')
	if grep -qw hugetlb "$v2/cgroup.controllers" && [ -n "$page" ]; then
		local sz=$((page / 1024))MB
		# Turned off again by teardown if it was off (and nobody else uses it).
		if ! grep -qw hugetlb "$v2/cgroup.subtree_control"; then
			RL_UNDO_V2=$v2
			echo +hugetlb >"$v2/cgroup.subtree_control"
		fi
		echo +hugetlb >"$deleg/cgroup.subtree_control" 2>/dev/null ||
			{ echo "cannot enable hugetlb in $deleg" >&2; return 1; }
		update_config '.linux.resources = {hugepageLimits: [{pageSize: $s, limit: 4194304}]}
			| .process.args = ["/init", "sleep", "60"]' --arg s "$sz"
		run sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$deleg/shell" \
			runuser -u "$RL_USER" -- env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$RL_HOME/run" \
			sh -c 'cd "$1" && "$2" run --detach c2 </dev/null >/dev/null 2>"$1/stderr" || { cat "$1/stderr"; exit 1; }' sh "$BUNDLE" "$RL_HOME/bin/hako-runtime"
		assert_success
		run cat "$deleg/ctr/hugetlb.$sz.max"
		assert_output 4194304
		run rt delete --force c2
		assert_success
		[ ! -e "$deleg/ctr" ]
	fi

	# A controller the subtree does not have: refused, naming field and controller.
	local ctl field
	for ctl in memory pids; do
		grep -qw "$ctl" "$deleg/cgroup.controllers" || break
	done
	if ! grep -qw "$ctl" "$deleg/cgroup.controllers"; then
		case $ctl in
		memory) field='memory: {limit: 33554432}' ;;
		pids) field='pids: {limit: 10}' ;;
		esac
		update_config ".linux.resources = {$field}"
		run sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$deleg/shell" \
			runuser -u "$RL_USER" -- env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$RL_HOME/run" \
			sh -c 'cd "$1" && exec "$2" run c3' sh "$BUNDLE" "$RL_HOME/bin/hako-runtime"
		assert_failure
		assert_output --partial "linux.resources.$ctl: rootless: the \`$ctl\` controller is not delegated"
	fi
	[ -z "$(ls -A "$STATE" 2>/dev/null)" ]
	[ -z "$(find "$deleg" -mindepth 1 -type d ! -path "$deleg/shell")" ]
}

@test "--cgroup-manager disabled refuses limits too, naming the field (as root)" {
	local rootstate=$BATS_TEST_TMPDIR/rootstate
	jq '.linux.resources = {cpu: {shares: 512}} | .process.args = ["/init", "ids"]' "$BUNDLE/config.json" \
		>"$BATS_TEST_TMPDIR/root.json"
	run timeout 10 "$HAKO_RUNTIME" --root "$rootstate" --cgroup-manager disabled run \
		--bundle "$BUNDLE" --config "$BATS_TEST_TMPDIR/root.json" c1
	assert_failure
	assert_output --partial "linux.resources.cpu: cannot be applied: the cgroup manager is disabled"
	[ -z "$(ls -A "$rootstate" 2>/dev/null)" ]
}
