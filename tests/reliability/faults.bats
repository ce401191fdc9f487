#!/usr/bin/env bats
# Fault injection: SIGKILL at the worst moments, then the ordinary cleanup
# commands must leave nothing behind.
#
# hako-runtime create is killed at each of its stages with strace's syscall
# tampering (`-e inject=SYSCALL:signal=KILL:when=N`), on the syscall that
# marks the stage in the runtime process itself, so that the kill lands
# exactly there and nothing in the shipped binary knows about the test:
#   before clone            clone3 #1
#   after cgroup creation   socketpair #1 (right after the cgroups are made)
#   cgroup join             openat of the first cgroup.procs (after clone)
#   after mounts            sendmsg #2 (HOOKS_DONE: the container process has
#                           made its mounts and waits for the hooks)
#   before the fifo opens   recvfrom #1 (after READY: the container process
#                           outlives the runtime and heads for exec.fifo)
# The engine's run client, monitor, pull and build are killed after random
# delays in bounded loops (HAKO_FAULT_RUNS, default 6 each).  A full disk is
# a small tmpfs as the storage root.

load helpers

FAULT_RUNS=${HAKO_FAULT_RUNS:-6}

setup() {
	hako_setup
	ENGINE=
}

teardown() {
	local rc=0
	stop_registry || true
	if [ -n "$ENGINE" ]; then
		engine_teardown || rc=1
	fi
	for m in "${TMPFS_MOUNTS[@]}"; do
		umount -l "$m" 2>/dev/null
	done
	hako_teardown || rc=1
	return $rc
}

engine() {
	engine_setup
	ENGINE=1
	TMPFS_MOUNTS=()
}

# ---------------------------------------------------------------- runtime

# kill_create ID SYSCALL WHEN [STRACE-OPTS...]: `create` of ID in $BUNDLE
# under strace, killed with SIGKILL at the WHEN-th SYSCALL it makes.
kill_create() {
	local id=$1 sc=$2 when=$3
	shift 3
	# stdio on files: a container process that outlives the runtime would
	# hold a pipe open.
	status=0
	timeout -k 2 20 strace -o "$TEST_DIR/strace.out" "$@" -e trace="$sc" \
		-e inject="$sc:signal=KILL:when=$when" \
		"$HAKO_RUNTIME" --root "$STATE_ROOT" create --bundle "$BUNDLE" "$id" \
		</dev/null >"$TEST_DIR/create.out" 2>&1 3>&- || status=$?
	# The runtime died of the injected signal, at that very syscall.
	grep -q "^$sc(.*= ?" "$TEST_DIR/strace.out" || grep -q "^$sc(.*unfinished" "$TEST_DIR/strace.out" ||
		fail "no $sc #$when in the trace: $(cat "$TEST_DIR/strace.out")"
	grep -q '+++ killed by SIGKILL +++' "$TEST_DIR/strace.out" ||
		fail "create was not killed at $sc #$when: $(tail -3 "$TEST_DIR/strace.out")"
	[ "$status" -eq 137 ] || fail "create exited $status, not 137 (SIGKILL)"
}

# After a kill: delete --force removes everything, and the id works again.
delete_leaves_nothing() {
	local id=$1 pid=${2:-}
	runtime delete --force "$id" || fail "delete --force $id failed"
	[ ! -e "$STATE_ROOT/$id" ] || fail "state dir left: $(ls "$STATE_ROOT/$id")"
	check_no_leftovers
	if [ -n "$pid" ]; then
		wait_for_exit "$pid" 5 || fail "container process $pid left"
	fi
	local procs
	procs=$(procs_rooted_under "$TEST_DIR/")
	[ -z "$procs" ] || fail "processes left in the bundle: $procs"
	procs=$(runtime_processes || true)
	[ -z "$procs" ] || fail "runtime processes left: $procs"
	# The next create of the same id works.
	runtime run --bundle "$BUNDLE" "$id" </dev/null >"$TEST_DIR/run.out" 2>&1 || fail "run after the kill: $(cat "$TEST_DIR/run.out")"
	check_no_leftovers
}

@test "runtime: create killed before clone: delete --force leaves nothing" {
	kill_create k1 clone3 1
	# State dir and cgroups exist, no container process was ever made.
	[ -d "$STATE_ROOT/k1" ]
	[ -n "$(test_cgroup_dirs)" ] || fail "the cgroups were made before clone"
	delete_leaves_nothing k1
}

@test "runtime: create killed right after the cgroups are made: delete --force leaves nothing" {
	kill_create k2 socketpair 1
	[ -n "$(test_cgroup_dirs)" ]
	[ ! -e "$STATE_ROOT/k2/state.json" ]
	delete_leaves_nothing k2
}

@test "runtime: create killed joining the cgroup (after clone): delete --force leaves nothing" {
	# -P for every hierarchy: the first cgroup.procs create opens, in
	# whichever hierarchy it joins first, is the container's own.
	local d popts=()
	for d in $(cgroup_parent_dirs); do
		popts+=(-P "$d/$BATS_SUITE_TEST_NUMBER-bundle/cgroup.procs")
	done
	kill_create k3 openat 1 "${popts[@]}"
	grep -q 'cgroup.procs' "$TEST_DIR/strace.out"
	delete_leaves_nothing k3
}

@test "runtime: create killed after the mounts (at HOOKS_DONE): delete --force leaves nothing" {
	kill_create k4 sendmsg 2
	[ "$(jq -r .status "$STATE_ROOT/k4/state.json")" = creating ]
	local pid
	pid=$(jq -r .pid "$STATE_ROOT/k4/state.json")
	delete_leaves_nothing k4 "$pid"
}

@test "runtime: create killed after READY, before exec.fifo opens: delete --force kills the container" {
	kill_create k5 recvfrom 1
	local pid
	pid=$(jq -r .pid "$STATE_ROOT/k5/state.json")
	# The container process outlived the runtime (no pdeathsig after READY).
	kill -0 "$pid" || fail "the container process died with the runtime"
	delete_leaves_nothing k5 "$pid"
}

@test "runtime: the container process killed at pivot_root: create fails and cleans up itself" {
	run timeout -k 2 20 strace -f -o "$TEST_DIR/strace.out" -e trace=pivot_root \
		-e inject=pivot_root:signal=KILL:when=1 \
		"$HAKO_RUNTIME" --root "$STATE_ROOT" create --bundle "$BUNDLE" k6 </dev/null 3>&-
	assert_failure
	assert_output --partial "create \`k6\`"
	grep -q '+++ killed by SIGKILL +++' "$TEST_DIR/strace.out"
	check_no_leftovers
	[ -z "$(procs_rooted_under "$TEST_DIR/")" ]
}

# ---------------------------------------------------------------- engine

@test "engine: hako run killed at random points; rm -f and system check leave nothing" {
	engine
	local i pid d log=$BATS_TEST_TMPDIR/kills
	for i in $(seq "$FAULT_RUNS"); do
		"$HAKO" run --name k$i bb sh -c 'echo hi; sleep 30' </dev/null >/dev/null 2>&1 3>&- &
		pid=$!
		d=$(rand_below 600)
		sleep_ms "$d"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "run $i killed after ${d}ms" >>"$log"
	done
	local ids
	ids=$(engine_known_ids)
	ENGINE_IDS=$ids
	local all
	all=$(hako ps -aq --no-trunc)
	[ -z "$all" ] || hako rm -f $all >/dev/null
	local left
	left=$(engine_leftovers $ids)
	[ -z "$left" ] || fail "left after rm -f: $left ($(cat "$log" | tr '\n' ';'))"
	run hako system check
	assert_success
	run hako run --rm --name k1 bb echo next
	assert_success
	assert_output next
	# A monitor whose client was killed between the monitor's report and
	# the client's attach must not wait for an attach that never comes: it
	# watches the client's pidfd (monitor.c) and is gone with rm -f.
	local strays
	strays=$(engine_procs)
	if [ -n "$strays" ]; then
		kill -KILL $strays 2>/dev/null || true
		fail "monitor(s) $strays of killed clients outlived rm -f"
	fi
}

@test "engine: the monitor killed (by its record's pid) at random points; rm -f leaves nothing" {
	engine
	local i mon pid d ids=
	for i in $(seq "$FAULT_RUNS"); do
		run hako run -d --name m$i bb sh -c 'i=0; while [ $i -lt 100000 ]; do echo line $i; i=$((i+1)); done; sleep 30'
		assert_success
		ids+="$output "
		mon=$(monitor_pid m$i)
		pid=$(ctr_pid m$i)
		d=$(rand_below 300)
		sleep_ms "$d"
		kill -KILL "$mon"
		wait_for_exit "$mon" 5
		# The record notices the dead monitor: exited, the container gone.
		run hako inspect -f '{{.State.Status}}' m$i
		assert_output exited
		wait_for_exit "$pid" 5 || fail "container process $pid of m$i outlived its monitor's refresh"
	done
	ENGINE_IDS=$ids
	hako rm -f $(hako ps -aq --no-trunc) >/dev/null
	local left
	left=$(engine_leftovers $ids)
	[ -z "$left" ] || fail "left after rm -f: $left"
	run hako run --rm bb echo next
	assert_output next
}

# A 12 MiB image of random data (incompressible: the pull takes a while)
# pushed to a private registry as $REGISTRY/big:1.
push_big_image() {
	local dir=$BATS_TEST_TMPDIR/bigroot
	make_rootfs "$dir"
	head -c $((12 << 20)) /dev/urandom >"$dir/blob"
	tar -C "$dir" -cf "$BATS_TEST_TMPDIR/big.tar" .
	"$HAKO" import -c 'CMD ["/bin/sh"]' "$BATS_TEST_TMPDIR/big.tar" big:1 >/dev/null
	start_registry
	hako push big:1 "$REGISTRY/big:1" >/dev/null
	rm -rf "$dir" "$BATS_TEST_TMPDIR/big.tar"
}

@test "engine: hako pull killed at random points; the store stays consistent and the next pull works" {
	engine
	push_big_image
	local i pid d
	for i in $(seq "$FAULT_RUNS"); do
		export HAKO_STORAGE=$BATS_TEST_TMPDIR/pull$i
		"$HAKO" pull "$REGISTRY/big:1" </dev/null >/dev/null 2>&1 3>&- &
		pid=$!
		d=$(rand_below 800)
		sleep_ms "$d"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		# No blob that does not verify, no image naming a missing blob.
		run hako system check
		assert_success
		# The next pull completes (resuming what it can) and runs.
		run hako pull "$REGISTRY/big:1"
		assert_success
		run hako system check
		assert_success
		run hako run --rm "$REGISTRY/big:1" sh -c 'test -s /blob && echo ok'
		assert_output ok
		# What the killed pull left in tmp/ goes with the next gc.
		hako image prune >/dev/null
		[ -z "$(store_temp_files)" ] || fail "temp files left after prune: $(store_temp_files)"
		rm -rf "$HAKO_STORAGE"
	done
}

@test "engine: hako build killed at random points; no build snapshot, mount or temp file stays" {
	engine
	local i pid d fix=$BATS_TEST_DIRNAME/../build/fixtures/multistage
	for i in $(seq "$FAULT_RUNS"); do
		"$HAKO" build --no-cache -t b$i "$fix" </dev/null >/dev/null 2>&1 3>&- &
		pid=$!
		d=$(rand_below 1500)
		sleep_ms "$d"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# Containers and snapshots a killed build left are collected by prune.
	local all
	all=$(hako ps -aq --no-trunc)
	[ -z "$all" ] || hako rm -f $all >/dev/null
	hako system prune -f >/dev/null 2>&1 || hako image prune >/dev/null
	run hako system check
	assert_success
	local left
	left=$(engine_leftovers $(engine_known_ids))
	[ -z "$left" ] || fail "left after a killed build and prune: $left"
	[ -z "$(store_temp_files)" ] || fail "temp files left: $(store_temp_files)"
	run hako build -t after "$fix"
	assert_success
	run hako system check
	assert_success
	# As for `hako run`: a build's RUN step starts its container waiting for
	# the build to attach; a killed build must not leave its monitor waiting.
	local strays
	strays=$(engine_procs)
	if [ -n "$strays" ]; then
		kill -KILL $strays 2>/dev/null || true
		fail "monitor(s) $strays of killed builds outlived them"
	fi
}

# ---------------------------------------------------------------- full disk

# A tmpfs of $1 MiB as this test's storage root.
small_storage() {
	local dir=$BATS_TEST_TMPDIR/small
	mkdir -p "$dir"
	mount -t tmpfs -o size="$1"m tmpfs "$dir"
	TMPFS_MOUNTS+=("$dir")
	export HAKO_STORAGE=$dir/store
}

@test "engine: a full disk during pull: ENOSPC named, the store consistent" {
	engine
	push_big_image
	small_storage 8
	run hako pull "$REGISTRY/big:1"
	assert_failure
	assert_output --partial "No space left on device"
	run hako system check
	assert_success
	[ -z "$(store_temp_files)" ] || fail "temp files left: $(store_temp_files)"
	run hako images -q
	assert_output ""
}

@test "engine: a full disk during build: ENOSPC named, the store consistent" {
	engine
	small_storage 8
	import_busybox bb
	local ctx=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$ctx"
	head -c $((12 << 20)) /dev/urandom >"$ctx/big"
	printf 'FROM bb\nCOPY big /big\n' >"$ctx/Containerfile"
	run hako build -t full "$ctx"
	assert_failure
	assert_output --partial "No space left on device"
	run hako system check
	assert_success
	[ -z "$(ls "$HAKO_STORAGE/snapshots" 2>/dev/null)" ] || fail "snapshots left: $(ls "$HAKO_STORAGE/snapshots")"
	[ -z "$(mounts_under "$HAKO_STORAGE/")" ]
	run hako images --format '{{.Repository}}'
	refute_output --partial full
}
