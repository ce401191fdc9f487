#!/usr/bin/env bats
# docker 20.10 (Debian's docker.io) driving the runtime: a private dockerd
# with `--add-runtime hako=PATH` and `docker run --runtime hako`.  dockerd
# runs its own containerd, whose runc v2 shim calls the runtime (the name
# `runc` is reserved by dockerd: the runtime is always registered as `hako`,
# whatever COMPAT_RUNTIME points at).
#
# Private data root, exec root, socket and daemon.json; no iptables, no
# bridge; containers below our cgroup (--cgroup-parent).

load helpers

DOCKER=/usr/bin/docker

setup_file() {
	compat_require dockerd "$DOCKER"
	export DK_DIR=$BATS_FILE_TMPDIR/docker
	export DK_SOCK=$DK_DIR/docker.sock
	mkdir -p "$DK_DIR"/{data,exec}
	[ -d /run/containerd ] || touch "$DK_DIR/made-run-containerd"
	[ -d /run/docker ] || touch "$DK_DIR/made-run-docker"
	export CG_RECORD=$DK_DIR/cgroups.created
	export CG_PARENT
	CG_PARENT=$(abs_cgroup_parent "hako-compat-docker-$$" "$CG_RECORD")
	echo '{}' >"$DK_DIR/daemon.json"
	dockerd --config-file "$DK_DIR/daemon.json" --data-root "$DK_DIR/data" --exec-root "$DK_DIR/exec" \
		--pidfile "$DK_DIR/docker.pid" -H "unix://$DK_SOCK" --iptables=false --ip6tables=false \
		--bridge=none --cgroup-parent "$CG_PARENT" --exec-opt native.cgroupdriver=cgroupfs \
		--add-runtime "hako=$COMPAT_RUNTIME" </dev/null >"$DK_DIR/dockerd.log" 2>&1 3>&- &
	echo $! >"$DK_DIR/dockerd.bg.pid"
	wait_until 30 "$DOCKER" -H "unix://$DK_SOCK" version || fail "dockerd did not start: $(tail -5 "$DK_DIR/dockerd.log")"
	build_image "$BATS_FILE_TMPDIR/image"
	d load -i "$BATS_FILE_TMPDIR/image/image.tar" >/dev/null || fail "docker load failed"
}

teardown_file() {
	[ -n "${DK_DIR:-}" ] || return 0
	d rm -f $(d ps -aq) >/dev/null 2>&1
	d rmi -f "$IMAGE_NAME" >/dev/null 2>&1
	stop_pid "$(cat "$DK_DIR/dockerd.bg.pid" 2>/dev/null)" 20
	awk -v d="$DK_DIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	[ -e "$DK_DIR/made-run-containerd" ] && rm -rf /run/containerd
	[ -e "$DK_DIR/made-run-docker" ] && rm -rf /run/docker
	remove_abs_cgroups "$CG_PARENT" "$CG_RECORD"
	rm -rf --one-file-system "$DK_DIR"
}

setup() {
	compat_require dockerd "$DOCKER"
}

teardown() {
	local ids
	ids=$(d ps -aq 2>/dev/null)
	[ -z "$ids" ] || d rm -f $ids >/dev/null 2>&1 || true
}

d() {
	timeout -k 5 "$COMPAT_TIMEOUT" "$DOCKER" -H "unix://$DK_SOCK" "$@"
}

drun() {
	d run --runtime hako --network none "$@"
}

start_sleeper() {
	drun -d --name "$1" "$IMAGE_NAME" /init sleep 3600 >/dev/null || fail "docker run -d failed"
}

@test "docker: run, with the output and the exit code of the container" {
	run drun --rm "$IMAGE_NAME" /bin/sh -c 'echo hello; echo pid $$; exit 3'
	assert_equal "$status" 3
	assert_line hello
	assert_line "pid 1"
}

@test "docker: the container runs under the runtime (runtime name in inspect)" {
	start_sleeper box
	run d inspect -f '{{.HostConfig.Runtime}}' box
	assert_output hako
}

@test "docker: run -d, exec, stop, rm" {
	start_sleeper box
	run d exec box /bin/sh -c 'ps -o pid,args; exit 4'
	assert_equal "$status" 4
	assert_line --regexp '^ +1 +/init sleep 3600$'
	run d exec --user 1000:1000 --env FOO=bar --workdir /tmp box /bin/sh -c '/init ids; echo $FOO; pwd'
	assert_success
	assert_line --regexp '^uid=1000 gid=1000 '
	assert_line bar
	assert_line /tmp
	run d stop -t 1 box
	assert_success
	run d inspect -f '{{.State.Status}}' box
	assert_output exited
	run d rm box
	assert_success
}

@test "docker: run -it gives the container a terminal" {
	run in_pty "$DOCKER" -H "unix://$DK_SOCK" run --runtime hako --network none --rm -it "$IMAGE_NAME" \
		/bin/sh -c '/init isatty 0; exit 6'
	assert_equal "$status" 6
	assert_line --regexp '^yes /dev/pts/[0-9]+$'
}

@test "docker: exec -it gives the exec'd process a terminal" {
	start_sleeper box
	run in_pty "$DOCKER" -H "unix://$DK_SOCK" exec -it box /init isatty 1
	assert_success
	assert_line --regexp '^yes /dev/pts/[0-9]+$'
}

@test "docker: top lists the container's processes" {
	runtime_supports ps || skip "the runtime has no ps yet"
	start_sleeper box
	run d top box
	assert_success
	assert_output --partial "/init sleep 3600"
}

@test "docker: pause and unpause" {
	runtime_supports pause || skip "the runtime has no pause yet"
	start_sleeper box
	run d pause box
	assert_success
	assert_equal "$(d inspect -f '{{.State.Status}}' box)" paused
	run d unpause box
	assert_success
	assert_equal "$(d inspect -f '{{.State.Status}}' box)" running
}

@test "docker: update changes the container's limits" {
	runtime_supports update || skip "the runtime has no update yet"
	start_sleeper box
	run d update --cpu-period 100000 --cpu-quota 50000 box
	assert_success
	pid=$(d inspect -f '{{.State.Pid}}' box)
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

@test "docker: logs shows what the container wrote" {
	drun -d --name box "$IMAGE_NAME" /bin/sh -c 'echo to-stdout; echo to-stderr >&2' >/dev/null
	run d wait box
	assert_output 0
	run d logs box
	assert_success
	assert_line to-stdout
	assert_line to-stderr
}

@test "docker: kill sends the signal, wait gets 128+signal" {
	start_sleeper box
	run d kill -s KILL box
	assert_success
	run d wait box
	assert_output 137
}

@test "docker: a failing container reports the runtime's error" {
	run -127 drun --rm "$IMAGE_NAME" /no/such/binary
	assert_output --partial /no/such/binary
	run d ps -aq
	assert_output ""
}

@test "docker: exec into a stopped container fails" {
	drun --name box "$IMAGE_NAME" true
	run d exec box true
	assert_failure
	assert_output --partial "not running"
}
