#!/usr/bin/env bats
# `hako run` and docker's flags, each checked from inside the container (or
# from the host through the container's own cgroup and namespaces), with
# docker's documented behaviour as the reference:
# https://docs.docker.com/engine/reference/commandline/run/

bats_require_minimum_version 1.5.0
load helpers

setup() {
	engine_setup
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	engine_teardown
}

# ---- attaching: -d, -i, -t ----

@test "run: the output and the exit code of the command come back" {
	run hako run bb sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	assert_line out
	assert_line err
}

@test "run -d prints the full ID and leaves the container running" {
	run hako run -d bb sleep 100
	assert_success
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	id=$output
	[ "$("$HAKO" inspect -f '{{.State.Status}} {{.State.Running}}' "$id")" = "running true" ]
	run hako ps -q
	assert_output "${id:0:12}"
}

@test "run -i passes stdin to the command; without -i stdin is empty" {
	run bash -c "printf 'one\ntwo\n' | timeout 30 $HAKO run -i bb sh -c 'cat; echo end'"
	assert_success
	assert_output $'one\ntwo\nend'
	run bash -c "echo hidden | timeout 30 $HAKO run bb sh -c 'cat; echo end'"
	assert_success
	assert_output end
}

# Wait (up to 10 s) for background pid $1 to end; its status in $st.
wait_bg() {
	for _ in $(seq 200); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$1" 2>/dev/null && kill -KILL "$1"
	st=0
	wait "$1" || st=$?
}

@test "run: signals to the client reach the container (--sig-proxy); --sig-proxy=false keeps them" {
	"$HAKO" run --name p bb sh -c 'trap "echo got-usr1; exit 5" USR1; echo ready; while :; do sleep 0.1; done' >proxy.out 2>&1 &
	client=$!
	for _ in $(seq 200); do grep -q ready proxy.out && break; sleep 0.05; done
	kill -USR1 "$client"
	wait_bg "$client"
	[ "$st" -eq 5 ]
	grep -qx got-usr1 proxy.out
	"$HAKO" run --sig-proxy=false --name q bb sh -c 'trap "echo got-usr1; exit 5" USR1; echo ready; while :; do sleep 0.1; done' >proxy2.out 2>&1 &
	client=$!
	for _ in $(seq 200); do grep -q ready proxy2.out && break; sleep 0.05; done
	kill -USR1 "$client"
	wait_bg "$client"
	sleep 0.3
	[ "$("$HAKO" inspect -f '{{.State.Status}}' q)" = running ]
	! grep -q got-usr1 proxy2.out
}

@test "run -t gives the command a terminal (TERM=xterm) through a real pty" {
	run_pty "$HAKO" run -t bb sh -c 'tty; echo "TERM=$TERM"; [ -t 0 ] && [ -t 1 ] && echo both-ttys'
	[ "$status" -eq 0 ]
	assert_line --regexp '^/dev/pts/[0-9]+$'
	assert_line TERM=xterm
	assert_line both-ttys
}

@test "run -t: the terminal has the client's size" {
	run_pty "$HAKO" run -t bb sh -c 'sleep 0.5; stty size'
	[ "$status" -eq 0 ]
	assert_line "30 100"
}

@test "run -t: the terminal has the client's size before the command starts" {
	run_pty "$HAKO" run -t bb stty size
	[ "$status" -eq 0 ]
	assert_line "30 100"
}

@test "run -it: what is typed reaches the command, its exit code comes back" {
	PTY_INPUT=$'hello\n' run_pty "$HAKO" run -it bb sh -c 'read x; echo "got:$x"; exit 4'
	[ "$status" -eq 4 ]
	assert_line --partial got:hello
}

# ---- --rm ----

# Nothing of container $1 (12-char ID) is left: no record, no name, no
# snapshot, no mount, no cgroup, no run state.
assert_gone() {
	local id=$1
	[ -z "$(ls "$HAKO_STORAGE/containers" | grep -v '^names$')" ] || fail "a container directory is left: $(ls "$HAKO_STORAGE/containers")"
	[ -z "$(ls "$HAKO_STORAGE/containers/names")" ] || fail "a name is left"
	[ -z "$(ls "$HAKO_STORAGE/snapshots" 2>/dev/null)" ] || fail "a snapshot is left"
	! grep -q " $HAKO_STORAGE/" /proc/self/mountinfo || fail "a mount is left"
	[ -z "$(ctr_cgroups_left "$id")" ] || fail "cgroups left: $(ctr_cgroups_left "$id")"
	[ -z "$(ls "$HAKO_RUN_ROOT" | grep -v '^runtime$')" ] || fail "run state left: $(ls "$HAKO_RUN_ROOT")"
	[ -z "$(ls "$HAKO_RUN_ROOT/runtime" 2>/dev/null | grep -v '^\.')" ] || fail "runtime state left"
	run hako ps -aq
	assert_output ""
}

# Wait (up to 5 s) until `hako ps -a` is empty.
wait_no_containers() {
	for _ in $(seq 100); do
		[ -z "$("$HAKO" ps -aq)" ] && [ -z "$(ls "$HAKO_STORAGE/containers" | grep -v '^names$')" ] && return 0
		sleep 0.05
	done
	fail "the container was not removed"
}

@test "run --rm: nothing is left once the command has exited" {
	run hako run --rm --name gone bb cat /etc/hostname
	assert_success
	id=$output
	wait_no_containers
	assert_gone "$id"
}

@test "run --rm: the container is gone when run returns (docker waits for the removal)" {
	run hako run --rm bb cat /etc/hostname
	assert_success
	assert_gone "$output"
}

@test "run --rm -d: removed after the command exits" {
	run hako run --rm -d bb sh -c 'sleep 0.3'
	assert_success
	id=$output
	wait_no_containers
	assert_gone "${id:0:12}"
}

@test "run --rm: anonymous volumes go with the container, named ones stay" {
	run hako run --rm -v /anon -v keep:/named bb sh -c 'echo a >/anon/f; echo n >/named/f'
	assert_success
	wait_no_containers
	run hako volume ls -q
	assert_output keep
}

# ---- identity: --name, --hostname, -l ----

@test "run --name: the name finds the container, is unique, and must be valid" {
	hako run -d --name web bb sleep 100 >/dev/null
	[ "$("$HAKO" inspect -f '{{.Name}}' web)" = /web ]
	run hako ps --format '{{.Names}}'
	assert_output web
	run hako run -d --name web bb true
	[ "$status" -eq 125 ]
	assert_output --partial 'is already in use'
	run hako run --name 'bad name' bb true
	[ "$status" -eq 125 ]
	run hako run --name -x bb true
	[ "$status" -eq 125 ]
	run hako ps -aq
	[ "${#lines[@]}" -eq 1 ]
}

@test "run: the default hostname is the short ID, in /etc/hostname and /etc/hosts" {
	run hako run --rm bb sh -c 'hostname; cat /etc/hostname; grep -c "$(hostname)" /etc/hosts'
	assert_success
	[[ "${lines[0]}" =~ ^[0-9a-f]{12}$ ]]
	[ "${lines[1]}" = "${lines[0]}" ]
	[ "${lines[2]}" = 1 ]
}

@test "run --hostname sets the UTS name, /etc/hostname and /etc/hosts" {
	run hako run --rm --hostname box.example bb sh -c 'hostname; cat /etc/hostname; grep box.example /etc/hosts'
	assert_success
	assert_line --index 0 box.example
	assert_line --index 1 box.example
	assert_line --index 2 --regexp $'^127\\.0\\.1\\.1\tbox\\.example$'
	run hako run --rm -h short bb hostname
	assert_output short
}

@test "run -l/--label: the labels are in inspect's Config.Labels, ps filters on them" {
	import_busybox lbl 'LABEL from=image'
	hako run -d -l a=1 --label b= -l c lbl sleep 100 >/dev/null
	run hako inspect -f '{{json .Config.Labels}}' "$("$HAKO" ps -q)"
	assert_success
	[ "$(jq -S -c . <<<"$output")" = '{"a":"1","b":"","c":"","from":"image"}' ]
	hako run -d bb sleep 100 >/dev/null
	run hako ps -q --filter label=a=1
	[ "${#lines[@]}" -eq 1 ]
}

# ---- environment, working directory, user, entrypoint ----

@test "run -e and --env-file: set, inherit, override the image's, skip the unset" {
	import_busybox envimg 'ENV FROM_IMAGE=img' 'ENV OVER=img'
	printf '# a comment\n\nFILE_A=a b\nFILE_INHERIT\nOVER=file\n' >env.list
	FILE_INHERIT=from-host INHERIT=host run hako run --rm --env-file env.list -e X=1 -e INHERIT -e NOT_SET \
		-e EMPTY= envimg env
	assert_success
	assert_line X=1
	assert_line INHERIT=host
	assert_line EMPTY=
	assert_line FROM_IMAGE=img
	assert_line OVER=file
	assert_line 'FILE_A=a b'
	assert_line FILE_INHERIT=from-host
	assert_line --regexp '^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$'
	assert_line HOME=/root
	refute_line --partial NOT_SET
	refute_line --partial '# a comment'
	run hako run --rm --env-file /nonexistent bb true
	[ "$status" -eq 125 ]
}

@test "run -w/--workdir: the command runs there; a missing directory is created" {
	run hako run --rm -w /tmp bb pwd
	assert_output /tmp
	run hako run --rm --workdir /made/by/docker bb sh -c 'pwd; stat -c "%U %a" .'
	assert_success
	assert_output $'/made/by/docker\nroot 755'
	run hako run --rm -w relative bb pwd
	[ "$status" -eq 125 ]
	import_busybox wdimg 'WORKDIR /srv'
	run hako run --rm wdimg pwd
	assert_output /srv
}

@test "run -u: users and groups by name and by id, from the image's passwd/group" {
	run hako run --rm -u user bb sh -c 'id; echo "HOME=$HOME"'
	assert_success
	assert_line 'uid=1000(user) gid=1000(user) groups=100(users)'
	assert_line HOME=/home/user
	run hako run --rm -u 1000 bb id
	assert_output 'uid=1000(user) gid=1000(user) groups=100(users)'
	run hako run --rm -u user:users bb id
	assert_output 'uid=1000(user) gid=100(users)'
	run hako run --rm -u 1000:65534 bb id
	assert_output 'uid=1000(user) gid=65534(nogroup)'
	run hako run --rm -u 4242 bb id
	assert_output 'uid=4242 gid=0(root)'
	run hako run --rm --user 4242:4343 bb id -u
	assert_output 4242
	run hako run --rm --user 4242:4343 bb id -g
	assert_output 4343
	run hako run --rm -u nosuch bb id
	[ "$status" -eq 125 ]
	assert_output --partial 'unable to find user nosuch'
	run hako run --rm -u user:nosuch bb id
	[ "$status" -eq 125 ]
	import_busybox userimg 'USER user'
	run hako run --rm userimg id -un
	assert_output user
	run hako run --rm -u root userimg id -un
	assert_output root
}

@test "run --entrypoint replaces the image's and resets its CMD" {
	# bb's CMD is /bin/sh: kept, echo would print it
	run hako run --rm --entrypoint echo bb
	assert_success
	assert_output ""
	run hako run --rm --entrypoint echo bb a b
	assert_output "a b"
	import_busybox epimg 'ENTRYPOINT ["echo", "ep"]' 'CMD ["default"]'
	run hako run --rm epimg
	assert_output "ep default"
	run hako run --rm epimg given
	assert_output "ep given"
	run hako run --rm --entrypoint "" epimg echo no-entrypoint
	assert_output no-entrypoint
	id=$(hako create --entrypoint /bin/echo epimg x)
	[ "$("$HAKO" inspect -f '{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Path}} {{json .Args}}' "$id")" \
		= '["/bin/echo"] ["x"] /bin/echo ["x"]' ]
}

# ---- mounts ----

@test "run -v host:ctr binds a host directory; data stays after rm; a missing one is made" {
	mkdir hostdir
	echo from-host >hostdir/in
	run hako run --rm -v "$PWD/hostdir:/data" bb sh -c 'cat /data/in; echo from-ctr >/data/out'
	assert_success
	assert_output from-host
	wait_no_containers
	[ "$(cat hostdir/out)" = from-ctr ]
	run hako run --rm -v "$PWD/new/dir:/data" bb sh -c 'echo x >/data/f'
	assert_success
	[ -f new/dir/f ]
	# a file, onto a path the image does not have
	echo file-content >afile
	run hako run --rm -v "$PWD/afile:/new/afile:ro" bb sh -c 'cat /new/afile; echo x >/new/afile'
	[ "$status" -ne 0 ]
	assert_line file-content
	assert_output --partial 'Read-only file system'
	[ "$(cat afile)" = file-content ]
}

@test "run -v host:ctr:ro: the container cannot write; inspect says RW false" {
	mkdir hostdir
	id=$(hako create -v "$PWD/hostdir:/data:ro" bb sh -c 'echo x >/data/f')
	run hako start -a "$id"
	[ "$status" -ne 0 ]
	assert_output --partial 'Read-only file system'
	[ ! -e hostdir/f ]
	run hako inspect -f '{{json .Mounts}}' "$id"
	[ "$(jq -c '.[0] | [.Type, .Source, .Destination, .RW]' <<<"$output")" = "[\"bind\",\"$PWD/hostdir\",\"/data\",false]" ]
}

@test "run -v name:/path: a named volume keeps its data across containers" {
	run hako run --rm -v data:/v bb sh -c 'echo kept >/v/f'
	assert_success
	wait_no_containers
	run hako run --rm -v data:/v bb cat /v/f
	assert_output kept
	run hako run --rm --mount type=volume,source=data,target=/w bb cat /w/f
	assert_output kept
	run hako run --rm -v data:/v:ro bb sh -c 'cat /v/f; touch /v/g'
	[ "$status" -ne 0 ]
	assert_line kept
	assert_output --partial 'Read-only file system'
	run hako volume ls -q
	assert_output data
}

@test "run --mount type=bind: readonly, and a missing source is an error (unlike -v)" {
	mkdir src
	echo hi >src/f
	run hako run --rm --mount type=bind,source="$PWD/src",target=/m,readonly bb sh -c 'cat /m/f; touch /m/g'
	[ "$status" -ne 0 ]
	assert_line hi
	assert_output --partial 'Read-only file system'
	run hako run --rm --mount type=bind,src="$PWD/src",dst=/m bb sh -c 'touch /m/g'
	assert_success
	[ -f src/g ]
	run hako run --rm --mount type=bind,source="$PWD/missing",target=/m bb true
	[ "$status" -eq 125 ]
	[ ! -e missing ]
}

@test "run --mount type=tmpfs and --tmpfs: size, mode, noexec by default" {
	run hako run --rm --mount type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=0700 bb sh -c \
		'df -k /t | tail -1; stat -c %a /t; grep " /t " /proc/mounts'
	assert_success
	assert_line --index 0 --regexp '^tmpfs +1024 '
	assert_line --index 1 700
	assert_line --index 2 --partial noexec
	run hako run --rm --tmpfs /run/x:size=2m bb sh -c 'df -k /run/x | tail -1; cp /bin/busybox /run/x/; /run/x/busybox true'
	[ "$status" -eq 126 ]
	assert_line --index 0 --regexp '^tmpfs +2048 '
	run hako run --rm --tmpfs /run/x:exec bb sh -c 'cp /bin/busybox /run/x/ && /run/x/busybox true'
	assert_success
}

@test "run --read-only: the root cannot be written; volumes and tmpfs still can" {
	run hako run --rm --read-only bb touch /x
	[ "$status" -eq 1 ]
	assert_output --partial 'Read-only file system'
	run hako run --rm --read-only bb touch /tmp/x
	[ "$status" -eq 1 ]
	run hako run --rm --read-only --tmpfs /tmp -v /vol bb sh -c 'touch /tmp/x /vol/x /dev/shm/x && echo ok'
	assert_output ok
	id=$(hako create --read-only bb true)
	[ "$("$HAKO" inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$id")" = true ]
}

@test "run: an image VOLUME becomes an anonymous volume, seeded from the image" {
	import_busybox volimg 'VOLUME /home/user'
	id=$(hako create volimg sh -c 'stat -c "%u %a" /home/user; touch /home/user/mine')
	run hako inspect -f '{{json .Mounts}}' "$id"
	[ "$(jq -r '.[0] | [.Type, .Destination, .RW] | map(tostring) | join(" ")' <<<"$output")" = "volume /home/user true" ]
	run hako start -a "$id"
	assert_output "1000 755"
	run hako rm -v "$id"
	run hako volume ls -q
	assert_output ""
}

@test "run: a create that fails leaves no anonymous volume behind" {
	run hako run --rm -v /anon --device /nonexistent bb true
	[ "$status" -eq 125 ]
	run hako volume ls -q
	assert_output ""
	run hako ps -aq
	assert_output ""
}

# ---- resources: the container's own cgroup ----

@test "run --memory: the limit is in the container's memory cgroup and in inspect" {
	id=$(hako run -d --memory 64m bb sleep 100)
	cg=$(ctr_cgroup "$id" memory)
	[[ "$cg" == */hako-${id:0:12} ]]
	[ "$(cat "$cg/memory.limit_in_bytes")" = 67108864 ]
	run hako run --rm -m 32m bb cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	assert_output 33554432
	# docker's minimum: below it the container would die before its command
	run hako run --rm -m 1k bb true
	[ "$status" -eq 125 ]
	assert_output --partial 'minimum memory limit allowed is 6MB'
	[ "$("$HAKO" inspect -f '{{.HostConfig.Memory}}' "$id")" = 67108864 ]
}

@test "run --memory-swap: memory+swap in memsw; needs --memory, not below it" {
	id=$(hako run -d -m 64m --memory-swap 128m bb sleep 100)
	cg=$(ctr_cgroup "$id" memory)
	[ -e "$cg/memory.memsw.limit_in_bytes" ] || skip "no swap accounting on this kernel"
	[ "$(cat "$cg/memory.memsw.limit_in_bytes")" = 134217728 ]
	[ "$("$HAKO" inspect -f '{{.HostConfig.MemorySwap}}' "$id")" = 134217728 ]
	run hako run --rm -m 64m --memory-swap 32m bb true
	[ "$status" -eq 125 ]
	run hako run --rm --memory-swap 32m bb true
	[ "$status" -eq 125 ]
	run hako run --rm -m 64m --memory-swap -1 bb true
	assert_success
}

@test "run --cpus, --cpu-shares: CFS quota/period and shares of the cpu cgroup" {
	id=$(hako run -d --cpus 0.5 --cpu-shares 512 bb sleep 100)
	cg=$(ctr_cgroup "$id" cpu)
	[ "$(cat "$cg/cpu.cfs_quota_us")" = 50000 ]
	[ "$(cat "$cg/cpu.cfs_period_us")" = 100000 ]
	[ "$(cat "$cg/cpu.shares")" = 512 ]
	[ "$("$HAKO" inspect -f '{{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}}' "$id")" = "500000000 512" ]
	run hako run --rm --cpus 1.5 bb cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us
	assert_output 150000
	run hako run --rm --cpus -1 bb true
	[ "$status" -eq 125 ]
	run hako run --rm --cpus "$(($(nproc) + 1))" bb true
	[ "$status" -eq 125 ]
	assert_output --partial 'range of CPUs'
}

@test "run --cpuset-cpus: the cpuset cgroup and the process's affinity" {
	cpu=$(($(nproc) - 1))
	id=$(hako run -d --cpuset-cpus "$cpu" bb sleep 100)
	[ "$(cat "$(ctr_cgroup "$id" cpuset)/cpuset.cpus")" = "$cpu" ]
	run hako run --rm --cpuset-cpus "$cpu" bb grep Cpus_allowed_list /proc/self/status
	assert_output --regexp "^Cpus_allowed_list:[[:space:]]+$cpu\$"
}

@test "run --pids-limit: pids.max, and forks past it fail" {
	id=$(hako run -d --pids-limit 20 bb sleep 100)
	[ "$(cat "$(ctr_cgroup "$id" pids)/pids.max")" = 20 ]
	run hako run --rm --pids-limit 3 bb sh -c 'sleep 2 & sleep 2 & sleep 2 & sleep 2 & wait'
	assert_output --partial "can't fork"
	run hako run --rm --pids-limit -1 bb cat /sys/fs/cgroup/pids/pids.max
	assert_output max
}

@test "run --ulimit: soft and hard limits lower than the host's" {
	run hako run --rm --ulimit nofile=100:200 bb sh -c 'ulimit -n; ulimit -Hn'
	assert_success
	assert_output $'100\n200'
	run hako run --rm --ulimit nofile=150 bb sh -c 'ulimit -n; ulimit -Hn'
	assert_output $'150\n150'
	run hako run --rm --ulimit nproc=50:60 bb sh -c 'ulimit -u; ulimit -Hu'
	assert_output $'50\n60'
	run hako run --rm --ulimit nofile=200:100 bb true
	[ "$status" -eq 125 ]
	run hako run --rm --ulimit bogus=1 bb true
	[ "$status" -eq 125 ]
	# no --ulimit: the caller's limits (docker passes the daemon's)
	run hako run --rm bb sh -c 'ulimit -n'
	assert_output "$(ulimit -n)"
}

# ---- security ----

@test "run: docker's default capabilities, no others" {
	run hako run --rm bb sh -c 'grep -E "^Cap(Eff|Bnd)" /proc/self/status'
	# CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
	# NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
	assert_output $'CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb'
}

@test "run --cap-drop: the operation is denied; --cap-add grants one" {
	run hako run --rm bb chown 1000 /tmp
	assert_success
	run hako run --rm --cap-drop chown bb chown 1000 /tmp
	[ "$status" -eq 1 ]
	assert_output --partial 'Operation not permitted'
	run hako run --rm bb ip link set lo down
	[ "$status" -ne 0 ]
	run hako run --rm --cap-add NET_ADMIN bb ip link set lo down
	assert_success
	run hako run --rm --cap-drop ALL bb grep CapEff /proc/self/status
	assert_output $'CapEff:\t0000000000000000'
	run hako run --rm --cap-drop ALL --cap-add cap_kill bb grep CapEff /proc/self/status
	assert_output $'CapEff:\t0000000000000020'
	run hako run --rm --cap-add NOPE bb true
	[ "$status" -eq 125 ]
}

@test "run --privileged: every capability we have, no seccomp, rw /sys, all devices" {
	host_bnd=$(awk '/^CapBnd/ { print $2 }' /proc/self/status)
	run hako run --rm --privileged bb sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status;
		mkdir -p /mnt/t && mount -t tmpfs t /mnt/t && echo mounted; grep " /sys " /proc/mounts;
		mknod /dev/x b 7 7 && : </dev/x && echo opened'
	assert_success
	assert_line "CapEff:	$host_bnd"
	assert_line "Seccomp:	0"
	assert_line mounted
	assert_line --regexp '^sysfs /sys sysfs rw,'
	assert_line opened
	[ "$("$HAKO" run --rm bb sh -c 'grep " /sys " /proc/mounts | cut -d" " -f4 | cut -d, -f1')" = ro ]
}

@test "run: the default seccomp profile denies unshare and mount" {
	run hako run --rm bb grep '^Seccomp:' /proc/self/status
	assert_output "Seccomp:	2"
	# creating a user namespace needs no capability: only the filter stops it
	run hako run --rm bb unshare -U true
	[ "$status" -ne 0 ]
	assert_output --partial 'Operation not permitted'
	run hako run --rm --security-opt seccomp=unconfined bb unshare -U true
	assert_success
	# even with CAP_SYS_ADMIN, docker's profile allows mount only then
	run hako run --rm --cap-add SYS_ADMIN bb sh -c 'mkdir -p /mnt/t && mount -t tmpfs t /mnt/t && echo mounted'
	assert_output mounted
	run hako run --rm bb sh -c 'mkdir -p /mnt/t && mount -t tmpfs t /mnt/t'
	[ "$status" -ne 0 ]
}

@test "run --security-opt seccomp=unconfined / a custom profile file" {
	run hako run --rm --security-opt seccomp=unconfined bb grep '^Seccomp:' /proc/self/status
	assert_output "Seccomp:	0"
	cat >profile.json <<-'EOF'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
	EOF
	run hako run --rm --security-opt seccomp="$PWD/profile.json" bb sh -c 'touch /f && echo touched; mkdir /d'
	[ "$status" -eq 1 ]
	assert_line touched
	assert_output --partial 'Permission denied'
	run hako run --rm --security-opt seccomp="$PWD/missing.json" bb true
	[ "$status" -eq 125 ]
	echo '{"defaultAction": "SCMP_ACT_NOPE"}' >bad.json
	run hako run --rm --security-opt seccomp="$PWD/bad.json" bb true
	[ "$status" -eq 125 ]
	run hako run --rm --security-opt bogus=1 bb true
	[ "$status" -eq 125 ]
}

@test "run --security-opt no-new-privileges sets NoNewPrivs" {
	run hako run --rm bb grep '^NoNewPrivs:' /proc/self/status
	assert_output "NoNewPrivs:	0"
	run hako run --rm --security-opt no-new-privileges bb grep '^NoNewPrivs:' /proc/self/status
	assert_output "NoNewPrivs:	1"
	run hako run --rm --security-opt no-new-privileges:true bb grep '^NoNewPrivs:' /proc/self/status
	assert_output "NoNewPrivs:	1"
}

@test "run --device: the node appears under its new name and is usable; access modes" {
	run hako run --rm --device /dev/null:/dev/mynull bb sh -c 'stat -c "%F %t,%T" /dev/mynull; echo x >/dev/mynull && echo wrote'
	assert_success
	assert_line 'character special file 1,3'
	assert_line wrote
	[ -b /dev/loop7 ] || skip "no /dev/loop7 for the access checks"
	# not one of the default devices: only --device lets it be opened
	run hako run --rm bb sh -c 'mknod /dev/x b 7 7 && : </dev/x'
	[ "$status" -ne 0 ]
	assert_output --partial 'Operation not permitted'
	run hako run --rm --device /dev/loop7:/dev/myloop:r bb sh -c 'stat -c "%F %t,%T" /dev/myloop; : </dev/myloop && echo read; : >/dev/myloop'
	[ "$status" -ne 0 ]
	assert_line 'block special file 7,7'
	assert_line read
	assert_output --partial 'Operation not permitted'
	run hako run --rm --device /dev/loop7:/dev/myloop bb sh -c ': >/dev/myloop && echo wrote'
	assert_output wrote
	run hako run --rm --device /nonexistent bb true
	[ "$status" -eq 125 ]
}

# ---- processes and namespaces ----

@test "run --init: PID 1 is hako-init, the command its child; the exit code passes" {
	run hako run --rm --init bb sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo "me=$$"'
	assert_success
	assert_line --index 0 --regexp '^/sbin/hako-init '
	refute_line me=1
	run hako run --rm --init bb sh -c 'exit 5'
	[ "$status" -eq 5 ]
	run hako run --rm bb sh -c 'echo "me=$$"'
	assert_output me=1
	# an orphan is reaped by the init, not left a zombie
	run hako run --rm --init bb sh -c '(sleep 0.1 &) ; sleep 0.5; ps -o stat,comm | grep -c "^Z" || true'
	assert_output 0
}

@test "run --stop-signal, --stop-timeout: stop sends that signal, the trap sees it" {
	hako run -d --name s --stop-signal USR1 --stop-timeout 5 bb sh -c \
		'trap "echo got-USR1; exit 7" USR1; echo ready; while :; do sleep 0.1; done' >/dev/null
	for _ in $(seq 100); do "$HAKO" logs s | grep -q ready && break; sleep 0.05; done
	[ "$("$HAKO" inspect -f '{{.Config.StopSignal}} {{.Config.StopTimeout}}' s)" = "USR1 5" ]
	run hako stop s
	assert_success
	run hako logs s
	assert_line got-USR1
	[ "$("$HAKO" inspect -f '{{.State.ExitCode}}' s)" = 7 ]
}

@test "run --stop-timeout: a container that ignores the signal is killed after it" {
	hako run -d --name s --stop-timeout 1 bb sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null
	for _ in $(seq 100); do "$HAKO" logs s | grep -q ready && break; sleep 0.05; done
	SECONDS=0
	run hako stop s
	assert_success
	[ "$SECONDS" -ge 1 ] && [ "$SECONDS" -le 4 ]
	[ "$("$HAKO" inspect -f '{{.State.ExitCode}}' s)" = 137 ]
}

@test "run --pid host sees the host's processes; --pid container:NAME shares one" {
	run hako run --rm --pid host bb sh -c "[ -d /proc/$$ ] && echo sees-host"
	assert_output sees-host
	run hako run --rm bb sh -c "[ -d /proc/$$ ] || echo isolated"
	assert_output isolated
	hako run -d --name target bb sleep 100 >/dev/null
	run hako run --rm --pid container:target bb ps -o comm
	assert_line sleep
	run hako run --rm --pid container:nosuch bb true
	[ "$status" -eq 125 ]
}

@test "run --ipc host|container:NAME joins that IPC namespace" {
	run hako run --rm --ipc host bb readlink /proc/self/ns/ipc
	assert_output "$(readlink /proc/self/ns/ipc)"
	run hako run --rm bb readlink /proc/self/ns/ipc
	refute_output "$(readlink /proc/self/ns/ipc)"
	hako run -d --name target bb sleep 100 >/dev/null
	run hako run --rm --ipc container:target bb readlink /proc/self/ns/ipc
	assert_output "$(readlink "/proc/$(ctr_pid target)/ns/ipc")"
}

@test "run --uts host: the host's name" {
	run hako run --rm --uts host bb hostname
	assert_output "$(hostname)"
	run hako run --rm --uts host bb readlink /proc/self/ns/uts
	assert_output "$(readlink /proc/self/ns/uts)"
}

@test "run --sysctl sets namespaced kernel parameters" {
	run hako run --rm --sysctl net.ipv4.ip_forward=1 --sysctl kernel.shm_rmid_forced=1 bb \
		cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced
	assert_success
	assert_output $'1\n1'
	run hako run --rm --sysctl nonsense bb true
	[ "$status" -eq 125 ]
}

@test "run --shm-size: the size of /dev/shm (64m by default)" {
	run hako run --rm bb sh -c 'df -k /dev/shm | tail -1'
	assert_output --regexp '^shm +65536 '
	run hako run --rm --shm-size 32m bb sh -c 'df -k /dev/shm | tail -1'
	assert_output --regexp '^shm +32768 '
	id=$(hako create --shm-size 32m bb true)
	[ "$("$HAKO" inspect -f '{{.HostConfig.ShmSize}}' "$id")" = 33554432 ]
}

# ---- images and runtimes ----

@test "run --pull never: a missing image is an error, nothing is created" {
	run hako run --pull never --rm nosuch/image:1 true
	[ "$status" -eq 125 ]
	assert_output --partial 'nosuch/image:1'
	run hako run --pull never --rm bb echo present
	assert_output present
	run hako run --pull sometimes bb true
	[ "$status" -eq 125 ]
	run hako ps -aq
	assert_output ""
}

@test "run --platform: the local image must match it" {
	arch=$("$HAKO" image inspect bb | jq -r '.[0].Architecture')
	[ -n "$arch" ] && [ "$arch" != null ]
	run hako run --rm --platform "linux/$arch" bb echo ok
	assert_output ok
	other=arm64
	[ "$arch" != arm64 ] || other=amd64
	run hako run --rm --pull never --platform "linux/$other" bb true
	[ "$status" -eq 125 ]
	assert_output --partial 'does not match the specified platform'
	run hako run --rm --platform nonsense bb true
	[ "$status" -eq 125 ]
}

@test "run --network none: a private network namespace with loopback up; host: the host's" {
	run hako run --rm bb sh -c 'ls /sys/class/net; ip -o link show lo'
	assert_line --index 0 lo
	assert_line --index 1 --partial 'UP'
	run hako run --rm --network none bb readlink /proc/self/ns/net
	refute_output "$(readlink /proc/self/ns/net)"
	run hako run --rm --network host bb readlink /proc/self/ns/net
	assert_output "$(readlink /proc/self/ns/net)"
}

@test "run --userns: host is the only mode yet, others are refused" {
	run hako run --rm --userns host bb true
	assert_success
	run hako run --rm --userns private bb true
	[ "$status" -eq 125 ]
}

@test "run --runtime PATH hands the bundle to that OCI runtime (runc)" {
	runc=$(command -v runc) || skip "runc is not installed"
	run hako run --rm --runtime "$runc" bb sh -c 'echo via-runc'
	assert_success
	assert_output via-runc
	[ -d "$HAKO_RUN_ROOT/runtime-runc" ]
}

@test "run --runtime: not an executable is an error" {
	run hako run --rm --runtime /nonexistent bb true
	[ "$status" -eq 125 ]
	run hako run --rm --runtime runc bb true
	[ "$status" -eq 125 ]
}

# ---- exit codes (docker's) ----

@test "run: exit codes 125 (engine), 126 (cannot invoke), 127 (not found), else the command's" {
	run hako run --no-such-flag bb true
	[ "$status" -eq 125 ]
	run -127 hako run --rm bb /no/such/command
	run -127 hako run --rm bb nosuchcommand
	run hako run --rm bb /etc/passwd
	[ "$status" -eq 126 ]
	run hako run --rm bb /tmp
	[ "$status" -eq 126 ]
	run hako run --rm bb sh -c 'exit 42'
	[ "$status" -eq 42 ]
	run hako run --rm bb sh -c 'sh -c "kill -KILL \$\$"; echo "child: $?"'
	assert_line "child: 137"
	run hako run --rm bb true
	[ "$status" -eq 0 ]
}

@test "run: a command that is not found leaves an exited container with 127 (without --rm)" {
	run -127 hako run --name nf bb nosuchcommand
	assert_output --partial 'nosuchcommand'
	wait_status exited nf 5
	[ "$("$HAKO" inspect -f '{{.State.ExitCode}}' nf)" = 127 ]
	"$HAKO" inspect -f '{{.State.Error}}' nf | grep -q nosuchcommand
}

@test "run: when run has failed to start the command, the record already says so" {
	# not `i`: bats' `run` sets it
	for n in 1 2 3 4 5; do
		run -127 hako run --name "nf$n" bb nosuchcommand
		[ "$("$HAKO" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "nf$n")" = "exited 127" ]
	done
}
