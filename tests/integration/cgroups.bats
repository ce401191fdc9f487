#!/usr/bin/env bats
# cgroups: every linux.resources field set and read back (from the host's
# cgroup files and from the container's /sys/fs/cgroup), update, pause and
# resume, ps, events, and that delete leaves no cgroup in any hierarchy
# (config-linux.md "Control groups", runc's update/pause/resume/ps/events).
#
# The development host is hybrid: v1 controllers under /sys/fs/cgroup/<ctl>
# and a cgroup2 mount at /sys/fs/cgroup/unified with only hugetlb.  The
# "v2:" tests run the runtime in a private mount namespace where
# /sys/fs/cgroup is that cgroup2 hierarchy alone (a cgroup v2 host as far as
# the runtime can tell): freeze, kill, devices (BPF), unified keys and
# CLONE_INTO_CGROUP there; memory/cpu/pids/io limits on v2 need a real v2
# host (the unit tests check their files against fixtures).

load helpers

V2_ROOT=/sys/fs/cgroup/unified

setup() {
	hako_setup
	V2NS=
	BFQ_RESTORE=
	# A runtime enables v2 controllers from the root down (hugetlb here):
	# put the root's subtree_control back as it was after each test.
	V2_ROOT_CONTROLLERS=$(cat "$V2_ROOT/cgroup.subtree_control" 2>/dev/null)
}

teardown() {
	v2_cleanup
	if [ -n "$BFQ_RESTORE" ]; then
		echo "${BFQ_RESTORE#* }" >"${BFQ_RESTORE% *}/queue/scheduler"
	fi
	hako_teardown
	local rc=$? c
	for c in $(cat "$V2_ROOT/cgroup.subtree_control" 2>/dev/null); do
		[[ " $V2_ROOT_CONTROLLERS " == *" $c "* ]] || echo "-$c" >"$V2_ROOT/cgroup.subtree_control" 2>/dev/null
	done
	return $rc
}

# Tests that change kernel-global state for a moment (a v1 hierarchy
# mounted in a private mount namespace, an unused loop device's io
# scheduler) run only when asked: other test runs on the same machine see it.
requires_host_state() {
	[ -n "${HAKO_TEST_HOST_STATE:-}" ] || skip "changes kernel-global state ($*): set HAKO_TEST_HOST_STATE=1"
}

# ---- helpers ----

# cg_path FILE: FILE in whichever of this test's cgroup dirs has it.
cg_path() {
	local d
	for d in $(test_cgroup_dirs); do
		if [ -e "$d/$1" ]; then
			echo "$d/$1"
			return 0
		fi
	done
	echo "no $1 in: $(test_cgroup_dirs | tr '\n' ' ')" >&2
	return 1
}

cg_cat() {
	local p
	p=$(cg_path "$1") || return 1
	cat "$p"
}

# requires_v1 CONTROLLER: skip unless a v1 hierarchy has CONTROLLER.
requires_v1() {
	awk -v c="$1" '$9 == "cgroup" { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) f = 1 }
		END { exit !f }' /proc/self/mountinfo || skip "no cgroup v1 $1 hierarchy on this host"
}

# A block device of this host, MAJ MIN.
block_dev() {
	local d
	for d in /sys/block/*/dev; do
		tr ':' ' ' <"$d"
		return 0
	done
	skip "no block device"
}

# start_with_script 'SHELL SCRIPT': run the script as the container process
# (detached; stdout and stderr in $BUNDLE/stdout, $BUNDLE/stderr).
start_with_script() {
	printf '%s\n' "$1" >"$BUNDLE/rootfs/script.sh"
	set_args /bin/sh /script.sh
	runtime_run_detached box
}

# ---- memory ----

@test "config-linux.md memory: limit, reservation, swap and swappiness are set (host and container)" {
	requires_v1 memory
	[ -e "$(cg_parent_file memory memory.memsw.limit_in_bytes)" ] || skip "no swap accounting"
	update_config '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432, "swap": 134217728, "swappiness": 30}'
	start_with_script 'cd /sys/fs/cgroup/memory && cat memory.limit_in_bytes memory.soft_limit_in_bytes memory.memsw.limit_in_bytes memory.swappiness; echo end; exec /init sleep 60'
	wait_for_line "$BUNDLE/stdout" '^end$'
	assert_equal "$(cg_cat memory.limit_in_bytes)" 67108864
	assert_equal "$(cg_cat memory.soft_limit_in_bytes)" 33554432
	assert_equal "$(cg_cat memory.memsw.limit_in_bytes)" 134217728
	assert_equal "$(cg_cat memory.swappiness)" 30
	assert_equal "$(head -4 "$BUNDLE/stdout" | tr '\n' ' ')" "67108864 33554432 134217728 30 "
}

# The host's memory hierarchy dir of the test itself, for probing which
# files this kernel has.
cg_parent_file() {
	local d
	for d in $(cgroup_parent_dirs); do
		case $d in */$1/*) echo "${d%/*}/$2" ;; esac
	done
}

@test "config-linux.md memory: disableOOMKiller and useHierarchy are set" {
	requires_v1 memory
	update_config '.linux.resources.memory = {"limit": 67108864, "disableOOMKiller": true, "useHierarchy": true}'
	set_args /init sleep 60
	runtime_run_detached box
	run cg_cat memory.oom_control
	assert_line "oom_kill_disable 1"
	assert_equal "$(cg_cat memory.use_hierarchy)" 1
}

@test "config-linux.md memory: kernelTCP is set; kernel is accepted (ignored by kernels since 6.1, as by runc)" {
	requires_v1 memory
	update_config '.linux.resources.memory = {"kernel": 50331648, "kernelTCP": 16777216}'
	set_args /init sleep 60
	runtime_run_detached box
	if ! is_runc; then # runc 1.1 sets neither
		assert_equal "$(cg_cat memory.kmem.tcp.limit_in_bytes)" 16777216
	fi
	kmem=$(cg_cat memory.kmem.limit_in_bytes)
	# A kernel before 6.1 applies it; a later one (and runc 1.1) leaves it unlimited.
	[ "$kmem" = 50331648 ] || [ "$kmem" -gt 4611686018427387904 ]
}

@test "config-linux.md memory: a process that exceeds the limit is OOM-killed" {
	requires_v1 memory
	update_config '.root.readonly = false | .linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	start_with_script 'sh -c "x=\$(head -c 120m /dev/zero | tr \"\\000\" a); echo survived"
echo "child exit $?"
exec /init sleep 60'
	wait_for_line "$BUNDLE/stdout" "^child exit" 30
	assert_equal "$(cat "$BUNDLE/stdout")" "child exit 137"
	run cg_cat memory.oom_control
	assert_line --regexp '^oom_kill [1-9]'
}

@test "config-linux.md memory: checkBeforeUpdate refuses a limit below the current usage" {
	requires_v1 memory
	skip_runc_gap "memory.checkBeforeUpdate is runtime-spec 1.2"
	update_config '.linux.resources.memory = {"limit": 67108864}'
	set_args /init sleep 60
	runtime_run_detached box
	run runtime update --resources - box <<<'{"memory": {"limit": 4096, "checkBeforeUpdate": true}}'
	assert_failure
	assert_output --partial "checkBeforeUpdate"
	assert_equal "$(cg_cat memory.limit_in_bytes)" 67108864
}

# ---- cpu, cpuset ----

@test "config-linux.md cpu: shares, quota, period and burst are set (host and container)" {
	requires_v1 cpu
	update_config '.linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000, "burst": 10000}'
	start_with_script 'cd /sys/fs/cgroup/cpu && cat cpu.shares cpu.cfs_quota_us cpu.cfs_period_us; echo end; exec /init sleep 60'
	wait_for_line "$BUNDLE/stdout" '^end$'
	assert_equal "$(cg_cat cpu.shares)" 512
	assert_equal "$(cg_cat cpu.cfs_quota_us)" 50000
	assert_equal "$(cg_cat cpu.cfs_period_us)" 100000
	assert_equal "$(head -3 "$BUNDLE/stdout" | tr '\n' ' ')" "512 50000 100000 "
	if ! is_runc; then # runc 1.1 does not know cpu.burst
		assert_equal "$(cg_cat cpu.cfs_burst_us)" 10000
	fi
}

@test "config-linux.md cpu: idle is set" {
	requires_v1 cpu
	skip_runc_gap "cpu.idle is runtime-spec 1.1"
	cg_parent_file cpu cpu.idle | xargs test -e || skip "no cpu.idle in this kernel"
	update_config '.linux.resources.cpu = {"idle": 1}'
	set_args /init sleep 60
	runtime_run_detached box
	assert_equal "$(cg_cat cpu.idle)" 1
}

@test "config-linux.md cpu: realtimeRuntime and realtimePeriod are set" {
	requires_v1 cpu
	local parent
	for parent in $(cgroup_parent_dirs); do
		case $parent in */cpu/*) break ;; esac
	done
	[ -e "${parent%/*}/cpu.rt_runtime_us" ] || skip "no RT group scheduling in this kernel"
	# A child's RT budget comes out of its parent's: give the run's parent one.
	mkdir -p "$parent"
	echo 100000 >"$parent/cpu.rt_runtime_us"
	update_config '.linux.resources.cpu = {"realtimePeriod": 500000, "realtimeRuntime": 20000}'
	set_args /init sleep 60
	runtime_run_detached box
	assert_equal "$(cg_cat cpu.rt_period_us)" 500000
	assert_equal "$(cg_cat cpu.rt_runtime_us)" 20000
}

@test "config-linux.md cpu: cpus and mems are set (host and container)" {
	requires_v1 cpuset
	update_config '.linux.resources.cpu = {"cpus": "0", "mems": "0"}'
	start_with_script 'cat /sys/fs/cgroup/cpuset/cpuset.cpus /sys/fs/cgroup/cpuset/cpuset.mems; echo end; exec /init sleep 60'
	wait_for_line "$BUNDLE/stdout" '^end$'
	assert_equal "$(cg_cat cpuset.cpus)" 0
	assert_equal "$(cg_cat cpuset.mems)" 0
	assert_equal "$(head -2 "$BUNDLE/stdout" | tr '\n' ' ')" "0 0 "
}

# ---- pids ----

@test "config-linux.md pids: limit is set (host and container)" {
	requires_v1 pids
	update_config '.linux.resources.pids = {"limit": 42}'
	start_with_script 'cat /sys/fs/cgroup/pids/pids.max; exec /init sleep 60'
	wait_for_line "$BUNDLE/stdout" '^42$'
	assert_equal "$(cg_cat pids.max)" 42
}

@test "config-linux.md pids: a fork bomb stops at the limit" {
	requires_v1 pids
	update_config '.linux.resources.pids = {"limit": 16}'
	# Bounded at 200 forks in case the limit did not hold.
	start_with_script '(i=0; while [ $i -lt 200 ]; do /init sleep 60 & i=$((i+1)); done) 2>&1 | head -1
echo "bomb over"
exec /init sleep 60'
	wait_for_line "$BUNDLE/stdout" '^bomb over$'
	grep -q "fork" "$BUNDLE/stdout" || fail "no fork failure: $(cat "$BUNDLE/stdout")"
	[ "$(cg_cat pids.current)" -le 16 ]
	run cg_cat pids.events
	assert_output --regexp '^max [1-9]'
}

# ---- blockIO ----

@test "config-linux.md blockIO: throttle read/write bps/iops are set" {
	requires_v1 blkio
	read -r maj min < <(block_dev)
	update_config '.linux.resources.blockIO = {
		"throttleReadBpsDevice": [{"major": $maj, "minor": $min, "rate": 1048576}],
		"throttleWriteBpsDevice": [{"major": $maj, "minor": $min, "rate": 2097152}],
		"throttleReadIOPSDevice": [{"major": $maj, "minor": $min, "rate": 100}],
		"throttleWriteIOPSDevice": [{"major": $maj, "minor": $min, "rate": 200}]}' "$BUNDLE" --argjson maj "$maj" --argjson min "$min"
	start_with_script 'cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device; exec /init sleep 60'
	wait_for_line "$BUNDLE/stdout" "^$maj:$min 1048576$"
	assert_equal "$(cg_cat blkio.throttle.read_bps_device)" "$maj:$min 1048576"
	assert_equal "$(cg_cat blkio.throttle.write_bps_device)" "$maj:$min 2097152"
	assert_equal "$(cg_cat blkio.throttle.read_iops_device)" "$maj:$min 100"
	assert_equal "$(cg_cat blkio.throttle.write_iops_device)" "$maj:$min 200"
}

@test "config-linux.md blockIO: weight is set (CFQ's blkio.weight or BFQ's blkio.bfq.weight)" {
	requires_v1 blkio
	update_config '.linux.resources.blockIO = {"weight": 300}'
	set_args /init sleep 60
	run runtime_run_detached box
	if [ "$status" -ne 0 ] && [[ "$output" == *weight* ]]; then
		skip "no blkio weight files on this host: $output"
	fi
	assert_success
	run cg_cat blkio.weight
	[ "$status" -eq 0 ] || run cg_cat blkio.bfq.weight
	assert_output --regexp '(^| )300$'
}

# BFQ takes per-device weights only for a device that uses BFQ.
bfq_dev() {
	local d
	for d in /sys/block/*; do
		grep -q '\[bfq\]' "$d/queue/scheduler" 2>/dev/null && { tr ':' ' ' <"$d/dev"; return 0; }
	done
	return 1
}

# An unbound loop device switched to BFQ for the test (restored in teardown).
bfq_loop_dev() {
	local d old
	for d in /sys/block/loop*; do
		[ -e "$d/loop/backing_file" ] && continue
		old=$(sed 's/.*\[\(.*\)\].*/\1/' "$d/queue/scheduler")
		echo bfq >"$d/queue/scheduler" 2>/dev/null || continue
		BFQ_RESTORE="$d $old"
		tr ':' ' ' <"$d/dev"
		return 0
	done
	return 1
}

@test "config-linux.md blockIO: weightDevice is set" {
	requires_v1 blkio
	local maj min dev
	if ! dev=$(bfq_dev); then
		requires_host_state "an unused loop device's io scheduler set to bfq"
		# not $(...): bfq_loop_dev sets BFQ_RESTORE for teardown
		bfq_loop_dev >"$TEST_DIR/bfqdev" || skip "no block device can use BFQ"
		dev=$(cat "$TEST_DIR/bfqdev")
	fi
	read -r maj min <<<"$dev"
	update_config '.linux.resources.blockIO = {"weightDevice": [{"major": $maj, "minor": $min, "weight": 500}]}' \
		"$BUNDLE" --argjson maj "$maj" --argjson min "$min"
	set_args /init sleep 60
	runtime_run_detached box
	run cat "$(dirname "$(cg_path cgroup.procs)")"/blkio*weight_device
	assert_output --partial "$maj:$min 500"
}

@test "config-linux.md blockIO: leafWeight is refused where the kernel has no leaf weight" {
	requires_v1 blkio
	cg_parent_file blkio blkio.leaf_weight | xargs test -e 2>/dev/null && skip "this kernel has CFQ leaf weights"
	update_config '.linux.resources.blockIO = {"leafWeight": 300}'
	set_args /init sleep 60
	run runtime_run_detached box
	assert_failure
	is_runc || assert_output --partial "blockIO.leafWeight"
	check_no_leftovers
}

# ---- hugetlb, network, rdma (what this host has of them) ----

@test "config-linux.md hugepageLimits: set on whichever hierarchy has hugetlb (v2 on this host)" {
	ls /sys/kernel/mm/hugepages/hugepages-2048kB >/dev/null 2>&1 || skip "no 2MB huge pages"
	skip_runc_gap "runc's v1 manager has no hugetlb on a hybrid host whose hugetlb is on cgroup2"
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
	set_args /init sleep 60
	runtime_run_detached box
	run cg_cat hugetlb.2MB.limit_in_bytes
	[ "$status" -eq 0 ] || run cg_cat hugetlb.2MB.max
	assert_output 4194304
}

@test "config-linux.md hugepageLimits: an unknown page size is an error naming it" {
	skip_if_runc "message wording"
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "3MB", "limit": 4194304}]'
	set_args /init sleep 60
	run runtime_run_detached box
	assert_failure
	assert_output --partial '`3MB` is not a huge page size'
	check_no_leftovers
}

# A private mount namespace with a v1 net_cls,net_prio hierarchy mounted in
# the test dir (this host mounts none).  While it exists the hierarchy shows
# in every process's /proc/self/cgroup, and it outlives its last mount if a
# cgroup is left in it: opt-in, and everything below it is removed before
# the umount, whatever happened.
@test "config-linux.md network: classID and priorities are set (net_cls, net_prio)" {
	requires_host_state "a v1 net_cls,net_prio hierarchy, mounted in a private mount namespace"
	grep -q '^net_cls' /proc/cgroups || skip "no net_cls controller in this kernel"
	awk '$9 == "cgroup" && $NF ~ /net_cls/' /proc/self/mountinfo | grep -q . && skip "net_cls already mounted"
	mkdir -p "$TEST_DIR/netcg"
	update_config '.linux.resources.network = {"classID": 1048577, "priorities": [{"name": "lo", "priority": 7}]}'
	set_args /init sleep 60
	run unshare --mount --propagation private sh -c '
		mnt=$1 rt=$2 root=$3 bundle=$4
		mount -t cgroup -o net_cls,net_prio hako-net "$mnt" || exit 99
		cleanup() {
			"$rt" --root "$root" delete --force box >/dev/null 2>&1
			for p in $(find "$mnt" -mindepth 2 -name cgroup.procs -exec cat {} +); do kill -9 "$p"; done
			# rmdir, then wait for the kernel to release the cgroups: a
			# hierarchy unmounted with a child left is never destroyed.
			for i in $(seq 50); do
				find "$mnt" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
				[ -z "$(find "$mnt" -mindepth 1 -type d)" ] && [ "$(awk "\$1 == \"net_cls\" { print \$3 }" /proc/cgroups)" = 1 ] && break
				sleep 0.1
			done
			umount "$mnt"
		}
		trap cleanup EXIT
		"$rt" --root "$root" run --detach --bundle "$bundle" box </dev/null >/dev/null 2>"$bundle/stderr" || { cat "$bundle/stderr"; exit 98; }
		d=$(find "$mnt" -mindepth 1 -type d -name "*-bundle")
		cat "$d/net_cls.classid"; grep "^lo " "$d/net_prio.ifpriomap"
		"$rt" --root "$root" delete --force box
		left=$(find "$mnt" -mindepth 1 -type d -name "*-bundle")
		[ -z "$left" ] || echo "left: $left"' sh "$TEST_DIR/netcg" "$HAKO_RUNTIME" "$STATE_ROOT" "$BUNDLE"
	for ((i = 0; i < 50; i++)); do
		grep -q net_cls /proc/self/cgroup || break
		sleep 0.1
	done
	[ "$status" -ne 99 ] || skip "cannot mount a net_cls,net_prio hierarchy here: $output"
	! grep -q net_cls /proc/self/cgroup || fail "the net_cls hierarchy outlived the test"
	assert_success
	assert_output "1048577
lo 7"
}

@test "config-linux.md rdma: without an rdma controller the limit is an error, not ignored" {
	grep -q '^rdma' /proc/cgroups && skip "this kernel has the rdma controller"
	update_config '.linux.resources.rdma = {"mlx5_0": {"hcaHandles": 3, "hcaObjects": 10000}}'
	set_args /init sleep 60
	run runtime_run_detached box
	assert_failure
	is_runc || assert_output --partial 'linux.resources.rdma: no mounted cgroup hierarchy has the `rdma` controller'
	check_no_leftovers
}

@test "config-linux.md unified: keys are written on the cgroup2 hierarchy of a hybrid host" {
	[ -d /sys/fs/cgroup/unified ] || skip "no cgroup2 mount at /sys/fs/cgroup/unified"
	skip_runc_gap "runc 1.1 refuses linux.resources.unified on a hybrid host"
	update_config '.linux.resources.unified = {"cgroup.max.descendants": "5", "cgroup.max.depth": "2"}'
	start_with_script 'cat /sys/fs/cgroup/unified/cgroup.max.descendants; exec /init sleep 60'
	wait_for_line "$BUNDLE/stdout" '^5$'
	assert_equal "$(cg_cat cgroup.max.descendants)" 5
	assert_equal "$(cg_cat cgroup.max.depth)" 2
}

@test "config-linux.md unified: a key that is no cgroup file is an error" {
	skip_if_runc "message wording"
	[ -d /sys/fs/cgroup/unified ] || skip "no cgroup2 mount"
	update_config '.linux.resources.unified = {"nosuch.file": "1"}'
	set_args /init sleep 60
	run runtime_run_detached box
	assert_failure
	assert_output --partial '`nosuch.file`: no such file'
	check_no_leftovers
}

# ---- update ----

@test "update: flags change memory, cpu, cpuset and pids of a running container" {
	requires_v1 memory
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "cpu": {"shares": 512}, "pids": {"limit": 50}}'
	set_args /init sleep 60
	runtime_run_detached box
	run runtime update --memory 100m --cpu-share 300 --cpu-quota 30000 --cpu-period 100000 \
		--cpuset-cpus 0 --pids-limit 20 box
	assert_success
	assert_equal "$(cg_cat memory.limit_in_bytes)" 104857600
	assert_equal "$(cg_cat cpu.shares)" 300
	assert_equal "$(cg_cat cpu.cfs_quota_us)" 30000
	assert_equal "$(cg_cat cpuset.cpus)" 0
	assert_equal "$(cg_cat pids.max)" 20
}

@test "update: --resources - reads linux.resources JSON on stdin (containerd)" {
	requires_v1 memory
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 50}}'
	set_args /init sleep 60
	runtime_run_detached box
	run runtime update --resources - box <<<'{"memory": {"limit": 134217728, "swap": 268435456}, "pids": {"limit": 77}, "cpu": {"shares": 256}}'
	assert_success
	assert_equal "$(cg_cat memory.limit_in_bytes)" 134217728
	assert_equal "$(cg_cat memory.memsw.limit_in_bytes)" 268435456
	assert_equal "$(cg_cat pids.max)" 77
	assert_equal "$(cg_cat cpu.shares)" 256
	# lowering both again: memsw must be written after the limit
	run runtime update --resources - box <<<'{"memory": {"limit": 33554432, "swap": 67108864}}'
	assert_success
	assert_equal "$(cg_cat memory.limit_in_bytes)" 33554432
	assert_equal "$(cg_cat memory.memsw.limit_in_bytes)" 67108864
}

@test "update: --resources=FILE (podman) and the new limit is seen inside" {
	requires_v1 pids
	update_config '.linux.resources.pids = {"limit": 50}'
	set_args /init sleep 60
	runtime_run_detached box
	echo '{"pids": {"limit": 33}}' >"$TEST_DIR/res.json"
	run runtime update --resources="$TEST_DIR/res.json" box
	assert_success
	assert_equal "$(cg_cat pids.max)" 33
}

@test "update: values the config binder refuses are errors with the field named" {
	skip_if_runc "message wording"
	set_args /init sleep 60
	runtime_run_detached box
	run runtime update --resources - box <<<'{"pids": {"limit": "many"}}'
	assert_failure
	assert_output --partial 'linux.resources.pids.limit'
	run runtime update --memory lots box
	assert_failure
	assert_output --partial 'invalid size'
}

@test "update: --l3-cache-schema is refused (no Intel RDT)" {
	set_args /init sleep 60
	runtime_run_detached box
	run runtime update --l3-cache-schema 'L3:0=f' box
	assert_failure
}

@test "update: a container that does not exist is an error" {
	run runtime update --pids-limit 10 nosuch
	assert_failure
}

# ---- pause, resume ----

counter_script='i=0; while true; do i=$((i+1)); echo $i >/count.new; mv /count.new /count; sleep 0.05; done'

# counter_script's rootfs needs mv (not in helpers' applet list).
with_counter() {
	ln -sf busybox "$BUNDLE/rootfs/bin/mv"
	update_config '.root.readonly = false'
	set_args /bin/sh -c "$counter_script"
}

# The counter (written atomically by counter_script).
count() {
	cat "$BUNDLE/rootfs/count"
}

@test "pause freezes the container (a counter stops) and resume thaws it; state says paused/running" {
	with_counter
	runtime_run_detached box
	wait_for_line "$BUNDLE/rootfs/count" '^[0-9]+$'
	run runtime pause box
	assert_success
	assert_equal "$(container_status box)" paused
	if cg_path freezer.state >/dev/null 2>&1; then
		assert_equal "$(cg_cat freezer.state)" FROZEN
	else
		assert_equal "$(cg_cat cgroup.freeze)" 1
	fi
	a=$(count)
	sleep 0.5
	b=$(count)
	assert_equal "$b" "$a"
	run runtime resume box
	assert_success
	assert_equal "$(container_status box)" running
	sleep 0.5
	c=$(count)
	[ "$c" -gt "$b" ]
}

@test "pause of a paused or stopped container and resume of a running one fail" {
	set_args /init sleep 60
	runtime_run_detached box
	run runtime resume box
	assert_failure
	runtime pause box
	run runtime pause box
	assert_failure
	runtime resume box
	runtime kill box KILL
	wait_for_status box stopped
	run runtime pause box
	assert_failure
}

@test "kill --all KILL on a paused container kills every process" {
	update_config '.linux.namespaces -= [{"type": "pid"}]'
	set_args /bin/sh -c '/init sleep 60 & /init sleep 60; wait'
	runtime_run_detached box
	for ((i = 0; i < 100; i++)); do
		[ "$(cg_cat cgroup.procs | wc -l)" -eq 3 ] && break
		sleep 0.05
	done
	runtime pause box
	run runtime kill --all box KILL
	assert_success
	wait_for_status box stopped
	for ((i = 0; i < 100; i++)); do
		[ -z "$(cg_cat cgroup.procs)" ] && break
		sleep 0.05
	done
	[ -z "$(cg_cat cgroup.procs)" ]
}

@test "kill KILL on a paused container stops it" {
	set_args /init sleep 60
	runtime_run_detached box
	runtime pause box
	run runtime kill box KILL
	assert_success
	wait_for_status box stopped
}

@test "delete --force removes a paused container and its cgroups in every hierarchy" {
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 20}}'
	set_args /init sleep 60
	runtime_run_detached box
	[ -n "$(test_cgroup_dirs)" ]
	runtime pause box
	run runtime delete --force box
	assert_success
	[ -z "$(test_cgroup_dirs)" ] || fail "left: $(test_cgroup_dirs)"
	run runtime state box
	assert_failure
}

# ---- ps ----

@test "ps --format json prints the pids of the container's cgroup (containerd)" {
	update_config '.linux.namespaces -= [{"type": "pid"}]'
	set_args /bin/sh -c '/init sleep 60 & /init sleep 60; wait'
	runtime_run_detached box
	for ((i = 0; i < 100; i++)); do
		[ "$(cg_cat cgroup.procs | wc -l)" -eq 3 ] && break
		sleep 0.05
	done
	run runtime ps --format json box
	assert_success
	assert_equal "$(jq -c 'sort' <<<"$output")" "$(cg_cat cgroup.procs | sort -n | jq -sc .)"
	jq -e "index($(container_pid box))" <<<"$output" >/dev/null
}

@test "ps prints ps -ef's header and the container's processes only" {
	set_args /init sleep 60
	runtime_run_detached box
	pid=$(container_pid box)
	run runtime ps box
	assert_success
	assert_line --index 0 --regexp '^UID +PID +PPID'
	assert_equal "${#lines[@]}" 2
	[ "$(awk '{print $2}' <<<"${lines[1]}")" = "$pid" ]
}

@test "ps passes the arguments after the id to ps" {
	set_args /init sleep 60
	runtime_run_detached box
	pid=$(container_pid box)
	run runtime ps box -o pid,comm
	assert_success
	assert_line --index 0 --regexp '^ *PID +COMMAND'
	assert_line --index 1 --regexp "^ *$pid +init"
}

# ---- events ----

@test "events --stats gives plausible numbers" {
	requires_v1 memory
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 50}}'
	set_args /bin/sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec /init sleep 60'
	runtime_run_detached box
	sleep 0.5
	run runtime events --stats box
	assert_success
	ev=$output
	assert_equal "$(jq -r .type <<<"$ev")" stats
	assert_equal "$(jq -r .id <<<"$ev")" box
	[ "$(jq .data.memory.usage.usage <<<"$ev")" -gt 0 ]
	[ "$(jq .data.memory.usage.usage <<<"$ev")" -le 67108864 ]
	assert_equal "$(jq .data.memory.usage.limit <<<"$ev")" 67108864
	assert_equal "$(jq .data.pids.current <<<"$ev")" 1
	assert_equal "$(jq .data.pids.limit <<<"$ev")" 50
	[ "$(jq .data.cpu.usage.total <<<"$ev")" -gt 1000000 ]
	jq -e '.data.hugetlb and .data.blkio and (.data.memory.raw | type == "object")' <<<"$ev" >/dev/null
}

@test "events streams a stats event per interval and ends when the container stops" {
	set_args /init sleep 60
	runtime_run_detached box
	background timeout 20 "$HAKO_RUNTIME" --root "$STATE_ROOT" events --interval 200ms box
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c '"type":"stats"' "$TEST_DIR/bg.out" 2>/dev/null)" -ge 3 ] && break
		sleep 0.05
	done
	[ "$(grep -c '"type":"stats"' "$TEST_DIR/bg.out")" -ge 3 ]
	if is_runc; then
		return 0 # runc's events keeps running after the container stops
	fi
	runtime kill box KILL
	wait_for_exit "$BG_PID" 5 || fail "events did not exit after the container stopped"
}

@test "events reports an OOM kill" {
	requires_v1 memory
	update_config '.root.readonly = false | .linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	start_with_script 'while [ ! -e /go ]; do sleep 0.1; done
sh -c "x=\$(head -c 120m /dev/zero | tr \"\\000\" a)"
exec /init sleep 60'
	background timeout 20 "$HAKO_RUNTIME" --root "$STATE_ROOT" events --interval 1s box
	wait_for_line "$TEST_DIR/bg.out" '"type":"stats"'
	touch "$BUNDLE/rootfs/go"
	wait_for_line "$TEST_DIR/bg.out" '"type":"oom"'
	assert_equal "$(grep '"type":"oom"' "$TEST_DIR/bg.out" | head -1 | jq -r .id)" box
}

# ---- delete ----

@test "delete leaves no cgroup in any hierarchy, with every controller used" {
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "cpu": {"shares": 512, "cpus": "0"}, "pids": {"limit": 20}}'
	set_args /init sleep 60
	runtime_run_detached box
	n=$(test_cgroup_dirs | wc -l)
	[ "$n" -eq "$(cgroup_parent_dirs | wc -l)" ] || fail "not in every hierarchy: $(test_cgroup_dirs)"
	runtime kill box KILL
	wait_for_status box stopped
	runtime delete box
	[ -z "$(test_cgroup_dirs)" ] || fail "left: $(test_cgroup_dirs)"
}

# ---- cgroup v2, on the cgroup2 hierarchy of this host ----

# v2_start: a mount namespace where /sys/fs/cgroup is the cgroup2 hierarchy
# alone; v2 CMD... runs in it.
v2_start() {
	[ -d /sys/fs/cgroup/unified ] || skip "no cgroup2 mount at /sys/fs/cgroup/unified"
	background unshare --mount --propagation private sh -c \
		'umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec sleep 600'
	V2NS=$BG_PID
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(awk '$5 == "/sys/fs/cgroup" { print $9 }' "/proc/$V2NS/mountinfo" 2>/dev/null)" = cgroup2 ] && return 0
		sleep 0.05
	done
	fail "no cgroup2-only mount namespace: $(cat "$TEST_DIR/bg.err")"
}

v2() {
	nsenter --mount="/proc/$V2NS/ns/mnt" -- "$@"
}

v2_runtime() {
	v2 timeout -k 2 "$HAKO_TEST_TIMEOUT" "$HAKO_RUNTIME" --root "$STATE_ROOT" "$@" 3>&-
}

# Containers made in the namespace are deleted from it (outside, their
# cgroup paths do not exist).
v2_cleanup() {
	[ -n "$V2NS" ] || return 0
	local id
	for id in $(ls "$STATE_ROOT" 2>/dev/null); do
		v2_runtime delete --force "$id" >/dev/null 2>&1
	done
}

v2_run_detached() {
	v2_runtime run --detach --bundle "$BUNDLE" box </dev/null >"$BUNDLE/stdout" 2>"$BUNDLE/stderr" || {
		cat "$BUNDLE/stderr"
		return 1
	}
}

@test "v2: the container's cgroup is on cgroup2, the process is born in it (CLONE_INTO_CGROUP)" {
	v2_start
	skip_if_runc "runc 1.1 joins after clone"
	set_args /init sleep 60
	# strace without -f: the runtime's own clone3, not the container's wait.
	v2 strace -o "$TEST_DIR/strace" -e trace=clone3 -e signal=none \
		"$HAKO_RUNTIME" --root "$STATE_ROOT" run --detach --bundle "$BUNDLE" box </dev/null >/dev/null 2>&1
	pid=$(v2_runtime state box | jq -r .pid)
	dir=$(dirname "$(cg_path cgroup.procs)")
	[[ "$dir" == /sys/fs/cgroup/unified/* ]]
	grep -qx "$pid" "$dir/cgroup.procs"
	assert_equal "$(awk -F: '$1 == 0 { print $3 }' "/proc/$pid/cgroup")" "${dir#/sys/fs/cgroup/unified}"
	grep -q 'CLONE_INTO_CGROUP' "$TEST_DIR/strace" || fail "no clone3 with CLONE_INTO_CGROUP: $(cat "$TEST_DIR/strace")"
}

@test "v2: pause and resume use cgroup.freeze" {
	v2_start
	with_counter
	v2_run_detached
	wait_for_line "$BUNDLE/rootfs/count" '^[0-9]+$'
	v2_runtime pause box
	assert_equal "$(v2_runtime state box | jq -r .status)" paused
	assert_equal "$(cg_cat cgroup.freeze)" 1
	run cg_cat cgroup.events
	assert_line "frozen 1"
	a=$(count)
	sleep 0.4
	assert_equal "$(count)" "$a"
	v2_runtime resume box
	assert_equal "$(v2_runtime state box | jq -r .status)" running
	sleep 0.4
	[ "$(count)" -gt "$a" ]
}

@test "v2: kill --all KILL empties the cgroup (cgroup.kill), also when paused" {
	v2_start
	update_config '.linux.namespaces -= [{"type": "pid"}]'
	set_args /bin/sh -c '/init sleep 60 & /init sleep 60; wait'
	v2_run_detached
	for ((i = 0; i < 100; i++)); do
		[ "$(cg_cat cgroup.procs | wc -l)" -eq 3 ] && break
		sleep 0.05
	done
	v2_runtime pause box
	run v2_runtime kill --all box KILL
	assert_success
	for ((i = 0; i < 100; i++)); do
		[ -z "$(cg_cat cgroup.procs)" ] && break
		sleep 0.05
	done
	[ -z "$(cg_cat cgroup.procs)" ]
	run v2_runtime delete --force box
	assert_success
	[ -z "$(test_cgroup_dirs)" ]
}

@test "v2: devices are filtered by a BPF program (allowed access works, the rest is EPERM)" {
	v2_start
	# b 7:0 may be read, not written; b 7:1 is not allowed at all; the
	# default devices (null) stay usable.  Unbound loop devices: reading may
	# fail, but never with EPERM once the filter allows it.
	update_config '.linux.devices = [{"path": "/dev/loopa", "type": "b", "major": 7, "minor": 0, "fileMode": 432},
			{"path": "/dev/loopb", "type": "b", "major": 7, "minor": 1, "fileMode": 432}]
		| .linux.resources.devices = [{"allow": false, "access": "rwm"},
			{"allow": true, "type": "b", "major": 7, "minor": 0, "access": "r"}]'
	set_args /bin/sh -c 'echo "read=$(/init cat /dev/loopa 2>&1)"; echo "write=$(/init write /dev/loopa x 2>&1)";
		echo "other=$(/init cat /dev/loopb 2>&1)"; echo null=$(head -c 1 /dev/null | wc -c)'
	run v2_runtime run --bundle "$BUNDLE" box
	refute_line --regexp '^read=.*EPERM'
	assert_line --regexp '^write=.*open `/dev/loopa`: EPERM'
	assert_line --regexp '^other=.*open `/dev/loopb`: EPERM'
	assert_line "null=0"
}

@test "v2: unified keys and ps, events, update on the cgroup2 hierarchy" {
	v2_start
	update_config '.linux.resources.unified = {"cgroup.max.descendants": "4"}'
	set_args /init sleep 60
	v2_run_detached
	assert_equal "$(cg_cat cgroup.max.descendants)" 4
	run v2_runtime ps --format json box
	assert_success
	assert_equal "$output" "[$(v2_runtime state box | jq -r .pid)]"
	run v2_runtime update --resources - box <<<'{"unified": {"cgroup.max.descendants": "6"}}'
	assert_success
	assert_equal "$(cg_cat cgroup.max.descendants)" 6
	run v2_runtime events --stats box
	assert_success
	assert_equal "$(jq -r .type <<<"$output")" stats
	v2_runtime delete --force box
	[ -z "$(test_cgroup_dirs)" ]
}
