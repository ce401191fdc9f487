#!/usr/bin/env bats
# podman 4.3 (through conmon) driving the runtime: `podman --runtime PATH`.
# conmon calls create --bundle --pid-file [--console-socket], start,
# exec --pid-file --process --detach, kill, pause, resume, update
# --resources=FILE, delete --force; --log-format=json because the runtime's
# name is listed in runtime_supports_json.
#
# Private --root, --runroot, --tmpdir and CONTAINERS_CONF; no network
# (--network none); conmon stays in our cgroup (cgroups = "no-conmon") and
# containers go below it (--cgroup-parent).

load helpers

setup_file() {
	compat_require podman conmon
	export PM_DIR=$BATS_FILE_TMPDIR/podman
	mkdir -p "$PM_DIR"/{root,runroot,tmp}
	export CG_RECORD=$PM_DIR/cgroups.created
	export CG_PARENT
	CG_PARENT=$(abs_cgroup_parent "hako-compat-podman-$$" "$CG_RECORD")
	export CONTAINERS_CONF=$PM_DIR/containers.conf
	local name
	name=$(basename "$COMPAT_RUNTIME")
	# Debian's podman cannot raise nofile to its default 1048576 without
	# CAP_SYS_RESOURCE here: lowered limits, or every runtime fails setrlimit.
	cat >"$CONTAINERS_CONF" <<-EOF
		[containers]
		default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
		cgroups = "no-conmon"
		netns = "none"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$PM_DIR/events.log"
		runtime_supports_json = ["$name", "crun", "runc", "kata", "runsc", "krun"]
		runtime_supports_nocgroups = ["$name", "crun", "krun"]
		runtime_supports_nocgroup = ["$name", "crun", "krun"]
	EOF
	# `podman load` keeps a blob-info cache in /var/lib/containers/cache
	# whatever --root says: remove it afterwards if it is ours.
	[ -e /var/lib/containers ] || touch "$PM_DIR/made-var-lib-containers"
	[ -e /var/lib/containers/cache ] || touch "$PM_DIR/made-cache"
	# podman's exit command (`container cleanup`) calls the runtime without
	# --runtime-flag: its default state dir appears, empty.
	[ -e /run/runc ] || touch "$PM_DIR/made-run-runc"
	[ -e /run/hako-runtime ] || touch "$PM_DIR/made-run-hako"
	build_image "$BATS_FILE_TMPDIR/image"
	p load -i "$BATS_FILE_TMPDIR/image/image.tar" >/dev/null || fail "podman load failed"
}

teardown_file() {
	[ -n "${PM_DIR:-}" ] || return 0
	p rm -af -t 0 >/dev/null 2>&1
	p rmi -af >/dev/null 2>&1
	# podman unmounts what it mounted; be sure before removing the dirs
	awk -v d="$PM_DIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	remove_abs_cgroups "$CG_PARENT" "$CG_RECORD"
	if [ -e "$PM_DIR/made-var-lib-containers" ]; then
		rm -rf /var/lib/containers
	elif [ -e "$PM_DIR/made-cache" ]; then
		rm -rf /var/lib/containers/cache
	fi
	[ -e "$PM_DIR/made-run-runc" ] && rmdir /run/runc 2>/dev/null
	[ -e "$PM_DIR/made-run-hako" ] && rmdir /run/hako-runtime 2>/dev/null
	rm -rf --one-file-system "$PM_DIR"
}

setup() {
	compat_require podman conmon
}

teardown() {
	p rm -af -t 0 >/dev/null 2>&1 || true
}

# The runtime's own state in our dir too (--root for every runtime call).
pm_flags() {
	echo --root "$PM_DIR/root" --runroot "$PM_DIR/runroot" --tmpdir "$PM_DIR/tmp" \
		--runtime "$COMPAT_RUNTIME" --runtime-flag "root=$PM_DIR/runtime-state"
}

p() {
	timeout -k 5 "$COMPAT_TIMEOUT" podman $(pm_flags) "$@"
}

prun() {
	p run --cgroup-parent "$CG_PARENT" "$@"
}

start_sleeper() {
	prun -d --name "$1" "$IMAGE_NAME" /init sleep 3600 >/dev/null || fail "podman run -d failed"
}

@test "podman: run, with the output and the exit code of the container" {
	run prun --rm "$IMAGE_NAME" /bin/sh -c 'echo hello; echo pid $$; exit 3'
	assert_equal "$status" 3
	assert_line hello
	assert_line "pid 1"
}

@test "podman: run -d, exec, stop, rm" {
	start_sleeper box
	run p exec box /bin/sh -c 'ps -o pid,args; exit 4'
	assert_equal "$status" 4
	assert_line --regexp '^ +1 +/init sleep 3600$'
	run p exec --user 1000:1000 --env FOO=bar --workdir /tmp box /bin/sh -c '/init ids; echo $FOO; pwd'
	assert_success
	assert_line --regexp '^uid=1000 gid=1000 '
	assert_line bar
	assert_line /tmp
	run p stop -t 1 box
	assert_success
	run p inspect -f '{{.State.Status}}' box
	assert_output exited
	run p rm box
	assert_success
}

@test "podman: run -it gives the container a terminal" {
	run in_pty podman $(pm_flags) run --cgroup-parent "$CG_PARENT" --rm -it "$IMAGE_NAME" \
		/bin/sh -c '/init isatty 0; exit 6'
	assert_equal "$status" 6
	assert_line --regexp '^yes /dev/pts/[0-9]+$'
}

@test "podman: exec -it gives the exec'd process a terminal" {
	start_sleeper box
	run in_pty podman $(pm_flags) exec -it box /init isatty 1
	assert_success
	assert_line --regexp '^yes /dev/pts/[0-9]+$'
}

@test "podman: pause and unpause" {
	runtime_supports pause || skip "the runtime has no pause yet"
	start_sleeper box
	run p pause box
	assert_success
	assert_equal "$(p inspect -f '{{.State.Status}}' box)" paused
	run p exec box true
	assert_failure
	run p unpause box
	assert_success
	assert_equal "$(p inspect -f '{{.State.Status}}' box)" running
}

@test "podman: update changes the container's limits" {
	runtime_supports update || skip "the runtime has no update yet"
	start_sleeper box
	run p update --cpu-period 100000 --cpu-quota 50000 box
	assert_success
	pid=$(p inspect -f '{{.State.Pid}}' box)
	cg=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ { print $3 }' /proc/$pid/cgroup)
	if [ -n "$cg" ]; then
		mnt=$(awk '$9 == "cgroup" && $NF ~ /(^|,)cpu(,|$)/ { print $5; exit }' /proc/self/mountinfo)
		assert_equal "$(cat "$mnt$cg/cpu.cfs_quota_us")" 50000
	else
		cg=$(awk -F: '$1 == 0 { print $3 }' /proc/$pid/cgroup)
		mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
		assert_equal "$(cat "$mnt$cg/cpu.max")" "50000 100000"
	fi
}

@test "podman: logs shows what the container wrote" {
	prun -d --name box "$IMAGE_NAME" /bin/sh -c 'echo to-stdout; echo to-stderr >&2' >/dev/null
	run p wait box
	assert_output 0
	run p logs box
	assert_success
	assert_line to-stdout
	assert_line to-stderr
}

@test "podman: kill sends the signal, wait gets 128+signal" {
	start_sleeper box
	run p kill -s KILL box
	assert_success
	run p wait box
	assert_output 137
}

@test "podman: a failing container reports the runtime's error" {
	run -127 prun --rm "$IMAGE_NAME" /no/such/binary
	assert_output --partial /no/such/binary
	run p ps -aq
	assert_output ""
}

@test "podman: exec into a stopped container fails" {
	prun --name box "$IMAGE_NAME" true
	run p exec box true
	assert_failure
	assert_output --partial "running"
}
