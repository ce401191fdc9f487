#!/usr/bin/env bats
# Many `hako` commands at once on one storage, and state that survives the
# loss of every process (a host reboot): there is no daemon to serialize
# anything, only files, flock and symlink(2).

bats_require_minimum_version 1.5.0
load helpers

setup() {
	engine_setup
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	engine_teardown
}

@test "two run --name x at once: exactly one wins, the other exits 125" {
	for round in 1 2 3 4 5; do
		timeout 30 "$HAKO" run -d --name "x$round" bb sleep 100 >a.out 2>a.err &
		a=$!
		timeout 30 "$HAKO" run -d --name "x$round" bb sleep 100 >b.out 2>b.err &
		b=$!
		sa=0 sb=0
		wait "$a" || sa=$?
		wait "$b" || sb=$?
		# one 0 and one 125
		[ $((sa + sb)) -eq 125 ] && [ $((sa * sb)) -eq 0 ] || fail "round $round: statuses $sa and $sb"
		grep -q 'is already in use' a.err b.err
		run hako ps -a --filter "name=x$round" -q
		[ "${#lines[@]}" -eq 1 ]
		winner=$(cat a.out b.out)
		[ "$("$HAKO" inspect -f '{{.Id}} {{.State.Status}}' "x$round")" = "$winner running" ]
	done
	# the loser left nothing: one record, one snapshot per container
	[ "$(ls "$HAKO_STORAGE/containers" | grep -vc '^names$')" -eq 5 ]
	[ "$(ls "$HAKO_STORAGE/snapshots" | wc -l)" -eq 5 ]
}

@test "many run --rm at once: all succeed, nothing is left" {
	pids=()
	for i in $(seq 6); do
		timeout 60 "$HAKO" run --rm bb sh -c "echo hi$i" >"out$i" 2>&1 &
		pids+=($!)
	done
	for i in $(seq 6); do
		wait "${pids[$((i - 1))]}" || fail "run $i failed: $(cat "out$i")"
		[ "$(cat "out$i")" = "hi$i" ]
	done
	for _ in $(seq 100); do
		[ -z "$(ls "$HAKO_STORAGE/containers" | grep -v '^names$')" ] && break
		sleep 0.05
	done
	[ -z "$(ls "$HAKO_STORAGE/containers" | grep -v '^names$')" ]
	[ -z "$(ls "$HAKO_STORAGE/snapshots")" ]
}

@test "rm -f during run is safe: run ends, nothing is left" {
	for delay in 0 0.02 0.05 0.1 0.2 0.4; do
		timeout 30 "$HAKO" run --name r bb sleep 30 >run.out 2>&1 &
		runner=$!
		sleep "$delay"
		# the name may not exist yet: retry until rm finds it
		for _ in $(seq 100); do
			"$HAKO" rm -f r >/dev/null 2>&1 && break
			sleep 0.02
		done
		st=0
		wait "$runner" || st=$?
		# killed (137) or refused before it started (125): never a hang (124)
		[ "$st" -ne 124 ] || fail "delay $delay: run hung"
		run hako ps -aq
		assert_output ""
		! grep -q " $HAKO_STORAGE/" /proc/self/mountinfo || fail "delay $delay: a mount is left"
		[ -z "$(ls "$HAKO_STORAGE/containers" | grep -v '^names$')" ] || fail "delay $delay: a record is left"
		[ -z "$(ls "$HAKO_STORAGE/containers/names")" ] || fail "delay $delay: a name is left"
		[ -z "$(ls "$HAKO_STORAGE/snapshots")" ] || fail "delay $delay: a snapshot is left"
		[ -z "$(engine_procs)" ] || fail "delay $delay: processes left"
	done
}

@test "two rm -f of one container at once: it is removed once, cleanly" {
	id=$(hako run -d --name r bb sleep 100)
	ENGINE_IDS=$id
	timeout 30 "$HAKO" rm -f r >a.out 2>&1 &
	a=$!
	timeout 30 "$HAKO" rm -f r >b.out 2>&1 &
	b=$!
	sa=0 sb=0
	wait "$a" || sa=$?
	wait "$b" || sb=$?
	[ "$sa" -ne 124 ] && [ "$sb" -ne 124 ]
	[ "$sa" -eq 0 ] || [ "$sb" -eq 0 ]
	run hako ps -aq
	assert_output ""
	[ ! -d "$HAKO_STORAGE/containers/$id" ]
	[ -z "$(ctr_cgroups_left "$id")" ]
}

@test "concurrent stop, kill and wait on one container" {
	hako run -d --name c bb sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done' >/dev/null
	timeout 30 "$HAKO" wait c >wait.out &
	w=$!
	timeout 30 "$HAKO" stop c >/dev/null &
	s=$!
	timeout 30 "$HAKO" stop c >/dev/null &
	s2=$!
	wait "$s"
	wait "$s2"
	wait "$w"
	[ "$(cat wait.out)" = 3 ]
	[ "$("$HAKO" inspect -f '{{.State.Status}} {{.State.ExitCode}}' c)" = "exited 3" ]
}

@test "a reboot (the monitor killed -9): ps -a shows exited, start works again" {
	id=$(hako run -d --name r bb sh -c 'echo boot >>/boots; echo started; trap "exit 0" TERM; while :; do sleep 0.1; done')
	for _ in $(seq 100); do "$HAKO" logs r | grep -q started && break; sleep 0.05; done
	mon=$(monitor_pid r)
	pid=$(ctr_pid r)
	[ "$mon" -gt 1 ] && [ "$pid" -gt 1 ]
	[ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = "$mon" ]
	kill -KILL "$mon"
	run hako ps -a --format '{{.Names}} {{.State}}'
	assert_output "r exited"
	# the first command that sees the monitor gone also ends the container
	# (docker kills containers at a restart without live-restore)
	for _ in $(seq 100); do
		st=$(ps -o stat= -p "$pid" 2>/dev/null) || true
		[ -z "$st" ] || [[ "$st" == Z* ]] && break
		sleep 0.05
	done
	[ -z "$st" ] || [[ "$st" == Z* ]] || fail "the container process $pid is still running ($st)"
	run hako ps -q
	assert_output ""
	[ "$("$HAKO" inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Pid}}' r)" = "exited false 0" ]
	# what the lost monitor had mounted and created is cleaned
	! grep -q " $HAKO_STORAGE/" /proc/self/mountinfo
	[ -z "$(ctr_cgroups_left "$id")" ]
	# and it starts again, with its filesystem and its log
	run hako start r
	assert_success
	[ "$("$HAKO" inspect -f '{{.State.Status}}' r)" = running ]
	for _ in $(seq 100); do [ "$("$HAKO" logs r | grep -c started)" = 2 ] && break; sleep 0.05; done
	[ "$("$HAKO" logs r | grep -c started)" = 2 ]
	run hako stop r
	assert_success
	merged_boots=$("$HAKO" inspect -f '{{.GraphDriver.Data.UpperDir}}' r)/boots
	[ "$(cat "$merged_boots")" = $'boot\nboot' ]
	[ "$("$HAKO" inspect -f '{{.State.ExitCode}}' r)" = 0 ]
}

@test "a reboot of several containers: every one exited, every one restartable" {
	for n in a b c; do hako run -d --name "$n" bb sleep 100 >/dev/null; done
	for n in a b c; do kill -KILL "$(monitor_pid "$n")"; done
	for n in a b c; do wait_status exited "$n"; done
	run hako ps -q
	assert_output ""
	run hako start a b c
	assert_success
	assert_output $'a\nb\nc'
	for n in a b c; do [ "$("$HAKO" inspect -f '{{.State.Status}}' "$n")" = running ]; done
}

@test "commands on other containers go on while one is being created" {
	hako run -d --name busy bb sleep 100 >/dev/null
	for i in 1 2 3; do
		timeout 30 "$HAKO" run -d --name "n$i" bb sleep 100 >/dev/null &
	done
	for _ in 1 2 3 4 5; do
		hako ps -a >/dev/null
		hako inspect busy >/dev/null
	done
	wait
	run hako ps -q
	[ "${#lines[@]}" -eq 4 ]
}
