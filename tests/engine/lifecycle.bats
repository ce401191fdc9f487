#!/usr/bin/env bats
# The container lifecycle as docker documents it: create, start, stop,
# kill, rm, wait, pause/unpause, restart, rename; and what people read
# about containers: ps, logs, inspect, exit codes.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	engine_setup
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	engine_teardown
}

# Wait (up to 10 s) until the log of $1 has a line $2.
wait_log() {
	for _ in $(seq 200); do
		"$HAKO" logs "$1" 2>/dev/null | grep -qx -- "$2" && return 0
		sleep 0.05
	done
	fail "no line '$2' in the log of $1"
}

# ---- create, start ----

@test "create: a container in state created, not running, only in ps -a" {
	run hako create --name c1 bb echo hello
	assert_success
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	id=$output
	[ "$("$HAKO" inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}' c1)" = "created false 0 0" ]
	run hako ps -q
	assert_output ""
	run hako ps -a --format '{{.ID}} {{.Names}} {{.Status}}'
	assert_output "${id:0:12} c1 Created"
	run hako logs c1
	assert_output ""
}

@test "start: runs a created container in the background; start -a attaches" {
	hako create --name c1 bb sh -c 'echo hello; exit 3' >/dev/null
	run hako start c1
	assert_success
	assert_output c1
	run hako wait c1
	assert_output 3
	run hako logs c1
	assert_output hello
	run hako start -a c1
	[ "$status" -eq 3 ]
	assert_output hello
	run hako start nosuch
	[ "$status" -ne 0 ]
}

@test "start -a -i: stdin of a container created with -i" {
	hako create -i --name c1 bb sh -c 'read x; echo "got:$x"' >/dev/null
	run bash -c "echo typed | timeout 30 $HAKO start -a -i c1"
	assert_success
	assert_output got:typed
}

@test "start: an exited container runs again on the same filesystem" {
	hako run --name c1 bb sh -c 'echo run >>/count; wc -l </count' >/dev/null
	run hako start -a c1
	assert_output 2
	run hako start -a c1
	assert_output 3
	run hako logs c1
	assert_output $'1\n2\n3'
}

@test "attach: the output of a running container from then on, and its exit code" {
	hako run -d --name c1 bb sh -c 'echo before; while [ ! -e /go ]; do sleep 0.05; done; echo after; exit 4' >/dev/null
	wait_log c1 before
	timeout 30 "$HAKO" attach c1 >attach.out 2>&1 &
	client=$!
	sleep 0.3
	merged=$("$HAKO" inspect -f '{{.GraphDriver.Data.MergedDir}}' c1)
	touch "$merged/go"
	st=0
	wait "$client" || st=$?
	[ "$st" -eq 4 ]
	[ "$(cat attach.out)" = after ]
	run hako attach c1
	[ "$status" -ne 0 ]
	assert_output --partial 'cannot attach to a stopped container'
}

@test "attach: stdin of a container run with -i" {
	hako run -d -i --name c1 bb sh -c 'read x; echo "got:$x"' >/dev/null
	run bash -c "echo typed | timeout 30 $HAKO attach c1"
	assert_success
	assert_output got:typed
}

# ---- stop, kill ----

@test "stop: SIGTERM, the trap runs, the exit code is the trap's" {
	hako run -d --name c1 bb sh -c 'trap "echo term; exit 9" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null
	wait_log c1 ready
	run hako stop c1
	assert_success
	assert_output c1
	[ "$("$HAKO" inspect -f '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}' c1)" = "exited false 9 0" ]
	run hako logs c1
	assert_line term
	# stopping a stopped container is fine (docker)
	run hako stop c1
	assert_success
}

@test "stop -t: SIGKILL after the timeout when the signal is ignored (137)" {
	# PID 1 of a pid namespace gets no signal it has no handler for
	hako run -d --name c1 bb sleep 100 >/dev/null
	SECONDS=0
	run hako stop -t 1 c1
	assert_success
	[ "$SECONDS" -le 5 ]
	[ "$("$HAKO" inspect -f '{{.State.ExitCode}}' c1)" = 137 ]
	hako run -d --name c2 bb sleep 100 >/dev/null
	run hako stop --time 0 c2
	assert_success
	[ "$("$HAKO" inspect -f '{{.State.ExitCode}}' c2)" = 137 ]
}

@test "kill: SIGKILL by default (137); -s sends another signal" {
	hako run -d --name c1 bb sh -c 'trap "echo usr1" USR1; echo ready; while :; do sleep 0.1; done' >/dev/null
	wait_log c1 ready
	run hako kill -s USR1 c1
	assert_success
	wait_log c1 usr1
	[ "$("$HAKO" inspect -f '{{.State.Status}}' c1)" = running ]
	run hako kill --signal SIGUSR1 c1
	assert_success
	run hako kill c1
	assert_success
	wait_status exited c1
	[ "$("$HAKO" inspect -f '{{.State.ExitCode}}' c1)" = 137 ]
	run hako kill c1
	[ "$status" -ne 0 ]
	assert_output --partial 'is not running'
	run hako kill -s NOSUCH c1
	[ "$status" -ne 0 ]
}

# ---- rm ----

@test "rm: refuses a running container, rm -f kills and removes it" {
	id=$(hako run -d --name c1 bb sleep 100)
	run hako rm c1
	[ "$status" -ne 0 ]
	assert_output --partial 'stop the container before removing or force remove'
	[ "$("$HAKO" inspect -f '{{.State.Status}}' c1)" = running ]
	run hako rm -f c1
	assert_success
	assert_output c1
	run hako inspect c1
	[ "$status" -ne 0 ]
	[ ! -d "$HAKO_STORAGE/containers/$id" ]
	[ -z "$(ctr_cgroups_left "$id")" ]
	# the name is free again
	hako run -d --name c1 bb sleep 100 >/dev/null
}

@test "rm: a stopped container; rm -v takes its anonymous volumes, not named ones" {
	hako create --name c1 -v /anon -v named:/n bb true >/dev/null
	hako start -a c1
	run hako volume ls -q
	[ "${#lines[@]}" -eq 2 ]
	run hako rm -v c1
	assert_success
	run hako volume ls -q
	assert_output named
	hako create --name c2 -v /anon2 bb true >/dev/null
	run hako rm c2
	assert_success
	run hako volume ls -q
	[ "${#lines[@]}" -eq 2 ]
	run hako rm nosuch
	[ "$status" -ne 0 ]
}

@test "rm: several at once; an error for one does not stop the others" {
	hako create --name a bb true >/dev/null
	hako create --name b bb true >/dev/null
	run hako rm a nosuch b
	[ "$status" -eq 1 ]
	assert_line a
	assert_line b
	run hako ps -aq
	assert_output ""
}

# ---- wait ----

@test "wait: blocks until the container exits and prints its code" {
	hako run -d --name c1 bb sh -c 'sleep 0.5; exit 12' >/dev/null
	SECONDS=0
	run hako wait c1
	assert_success
	assert_output 12
	run hako wait c1
	assert_output 12
	hako create --name c2 bb true >/dev/null
	hako start c2 >/dev/null
	run hako wait c2
	assert_output 0
}

# ---- pause, unpause ----

@test "pause/unpause: the freezer stops the processes; status paused" {
	hako run -d --name c1 bb sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n; sleep 0.05; done' >/dev/null
	sleep 0.3
	run hako pause c1
	assert_success
	[ "$("$HAKO" inspect -f '{{.State.Status}} {{.State.Paused}} {{.State.Running}}' c1)" = "paused true true" ]
	[ "$(cat "$(ctr_cgroup c1 freezer)/freezer.state")" = FROZEN ]
	run hako ps --format '{{.Status}}'
	assert_output --regexp '\(Paused\)$'
	merged=$("$HAKO" inspect -f '{{.GraphDriver.Data.MergedDir}}' c1)
	n1=$(cat "$merged/tmp/n")
	sleep 0.4
	[ "$(cat "$merged/tmp/n")" = "$n1" ]
	run hako pause c1
	[ "$status" -ne 0 ]
	run hako unpause c1
	assert_success
	[ "$("$HAKO" inspect -f '{{.State.Status}} {{.State.Paused}}' c1)" = "running false" ]
	sleep 0.4
	[ "$(cat "$merged/tmp/n")" -gt "$n1" ]
	run hako unpause c1
	[ "$status" -ne 0 ]
	# a paused container can be stopped and removed
	hako pause c1
	run hako rm -f c1
	assert_success
}

# ---- restart, rename ----

@test "restart: stops and starts again (new pid, new StartedAt)" {
	hako run -d --name c1 bb sh -c 'echo started; trap "exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
	wait_log c1 started
	pid1=$(ctr_pid c1)
	t1=$("$HAKO" inspect -f '{{.State.StartedAt}}' c1)
	run hako restart -t 2 c1
	assert_success
	assert_output c1
	[ "$("$HAKO" inspect -f '{{.State.Status}}' c1)" = running ]
	[ "$(ctr_pid c1)" != "$pid1" ]
	[ "$("$HAKO" inspect -f '{{.State.StartedAt}}' c1)" != "$t1" ]
	for _ in $(seq 100); do [ "$("$HAKO" logs c1 | grep -c started)" = 2 ] && break; sleep 0.05; done
	[ "$("$HAKO" logs c1 | grep -c started)" = 2 ]
	hako create --name c2 bb sleep 100 >/dev/null
	run hako restart c2
	assert_success
	[ "$("$HAKO" inspect -f '{{.State.Status}}' c2)" = running ]
}

@test "rename: the new name finds it, the old one is free; a taken name is refused" {
	id=$(hako run -d --name old bb sleep 100)
	hako create --name other bb true >/dev/null
	run hako rename old new
	assert_success
	[ "$("$HAKO" inspect -f '{{.Id}} {{.Name}}' new)" = "$id /new" ]
	run hako inspect old
	[ "$status" -ne 0 ]
	run hako rename new other
	[ "$status" -ne 0 ]
	assert_output --partial 'already in use'
	[ "$("$HAKO" inspect -f '{{.Name}}' "$id")" = /new ]
	run hako rename new 'bad name'
	[ "$status" -ne 0 ]
	hako create --name old bb true >/dev/null
}

# ---- ps ----

@test "ps: docker's columns; running only without -a; -q, --no-trunc" {
	id=$(hako run -d --name up bb sleep 100)
	hako run --name down bb sh -c 'exit 2' || true
	run hako ps
	assert_success
	assert_line --index 0 --regexp '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$'
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 1 --regexp "^${id:0:12} +bb +\"sleep 100\" +.* +Up .* +up$"
	run hako ps -a
	[ "${#lines[@]}" -eq 3 ]
	assert_line --regexp '^[0-9a-f]{12} +bb +"sh -c exit 2" +.* +Exited \(2\) .* +down$'
	run hako ps -q
	assert_output "${id:0:12}"
	run hako ps -q --no-trunc
	assert_output "$id"
	run hako ps -aq
	[ "${#lines[@]}" -eq 2 ]
	# newest first
	run hako ps -a --format '{{.Names}}'
	assert_output $'down\nup'
	run hako ps -a -n 1 --format '{{.Names}}'
	assert_output down
}

@test "ps --filter: status, name, id, label, exited, ancestor" {
	up=$(hako run -d --name up -l role=web bb sleep 100)
	hako run --name down bb sh -c 'exit 2' || true
	hako create --name fresh bb true >/dev/null
	run hako ps -a --filter status=exited --format '{{.Names}}'
	assert_output down
	run hako ps -a --filter status=created --format '{{.Names}}'
	assert_output fresh
	run hako ps -a --filter name=fre --format '{{.Names}}'
	assert_output fresh
	run hako ps -a --filter id="${up:0:6}" --format '{{.Names}}'
	assert_output up
	run hako ps -a -f label=role=web --format '{{.Names}}'
	assert_output up
	run hako ps -a -f label=role --format '{{.Names}}'
	assert_output up
	run hako ps -a -f exited=2 --format '{{.Names}}'
	assert_output down
	run hako ps -a -f ancestor=bb -q
	[ "${#lines[@]}" -eq 3 ]
	run hako ps -a -f status=exited -f name=up -q
	assert_output ""
}

@test "ps --format json: one object per line with docker's keys; templates" {
	id=$(hako run -d --name up -l k=v bb sleep 100)
	run hako ps --format json
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r '[.ID, .Names, .Image, .State, .Labels, .Command] | join("|")' <<<"$output")" = "${id:0:12}|up|bb|running|k=v|\"sleep 100\"" ]
	[ "$(jq -r 'keys | join(",")' <<<"$output")" = "Command,CreatedAt,ID,Image,Labels,Mounts,Names,Ports,RunningFor,State,Status" ]
	[[ "$(jq -r .Status <<<"$output")" == Up* ]]
	run hako ps --format '{{.ID}}\t{{.Names}}'
	assert_output "${id:0:12}	up"
	# a table has docker's titles and tabwriter's alignment
	run hako ps --format 'table {{.Names}}'
	assert_output $'NAMES\nup'
	run hako ps --format 'table {{.ID}}\t{{.Names}}\t{{.State}}'
	assert_output "CONTAINER ID   NAMES     STATE
${id:0:12}   up        running"
	run hako ps --format '{{json .}}'
	[ "$(jq -r .Names <<<"$output")" = up ]
}

# ---- logs ----

@test "logs: stdout and stderr apart, in order; -t timestamps; --tail" {
	hako run --name c1 bb sh -c 'for i in 1 2 3 4 5; do echo "out$i"; done; echo err >&2' >/dev/null 2>&1
	run --separate-stderr hako logs c1
	assert_success
	assert_output $'out1\nout2\nout3\nout4\nout5'
	[ "$stderr" = err ]
	run hako logs --tail 2 c1
	assert_output $'out5\nerr'
	run hako logs -n 1 c1
	assert_output err
	run hako logs --tail 0 c1
	assert_output ""
	run hako logs --tail all c1
	[ "${#lines[@]}" -eq 6 ]
	run hako logs -t --tail 1 c1
	assert_output --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+Z err$'
	# docker's json-file lines
	logpath=$("$HAKO" inspect -f '{{.LogPath}}' c1)
	[ "$(head -1 "$logpath" | jq -r '[.log, .stream] | join("|")')" = $'out1\n|stdout' ]
	head -1 "$logpath" | jq -e '.time | test("^[0-9-]+T[0-9:.]+Z$")'
}

@test "logs -f follows the output until the container exits" {
	hako run -d --name c1 bb sh -c 'echo first; sleep 1; echo second; sleep 0.5; echo third' >/dev/null
	wait_log c1 first
	SECONDS=0
	run hako logs -f c1
	assert_success
	assert_output $'first\nsecond\nthird'
	[ "$SECONDS" -ge 1 ]
	# on an exited container -f returns at once
	run hako logs -f c1
	assert_output $'first\nsecond\nthird'
}

@test "logs -f streams lines as they come, before the container exits" {
	hako run -d --name c1 bb sh -c 'echo first; trap "exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
	wait_log c1 first
	timeout 20 "$HAKO" logs -f c1 >follow.out &
	follower=$!
	for _ in $(seq 100); do grep -qx first follow.out && break; sleep 0.05; done
	grep -qx first follow.out
	kill -0 "$follower"
	hako stop c1 >/dev/null
	wait "$follower"
}

@test "logs --since: only what came after" {
	hako run -d --name c1 bb sh -c 'echo early; sleep 2; echo late' >/dev/null
	hako wait c1 >/dev/null
	run hako logs --since 1s c1
	assert_output late
	run hako logs --since 1m c1
	assert_output $'early\nlate'
}

@test "logs: --log-opt max-size/max-file rotate the json-file log" {
	hako run --name c1 --log-opt max-size=1k --log-opt max-file=3 bb sh -c \
		'i=0; while [ $i -lt 300 ]; do echo "line$i"; i=$((i+1)); done' >/dev/null
	logpath=$("$HAKO" inspect -f '{{.LogPath}}' c1)
	[ -f "$logpath.1" ] && [ -f "$logpath.2" ]
	[ ! -e "$logpath.3" ]
	for f in "$logpath" "$logpath.1" "$logpath.2"; do
		[ "$(stat -c %s "$f")" -le 1200 ]
	done
	run hako logs c1
	assert_success
	[ "${lines[-1]}" = line299 ]
	[ "${#lines[@]}" -lt 300 ]
	[ "${#lines[@]}" -gt 20 ]
	# in order, with no gap
	first=${lines[0]#line}
	[ "$(printf '%s\n' "${lines[@]}")" = "$(seq "$first" 299 | sed 's/^/line/')" ]
	[ "$("$HAKO" inspect -f '{{json .HostConfig.LogConfig}}' c1)" = '{"Type":"json-file","Config":{"max-size":"1k","max-file":"3"}}' ]
	run hako run --rm --log-opt max-file=0 bb true
	[ "$status" -eq 125 ]
	run hako run --rm --log-opt nope=1 bb true
	[ "$status" -eq 125 ]
}

# ---- inspect ----

@test "inspect: docker's fields for a created, a running and an exited container" {
	mkdir hostdir
	id=$(hako create --name c1 -e FOO=bar -m 64m -v "$PWD/hostdir:/data" -v vol:/vol bb sh -c 'sleep 100')
	run hako inspect c1
	assert_success
	j=$output
	[ "$(jq -r 'length' <<<"$j")" = 1 ]
	[ "$(jq -r '.[0].Id' <<<"$j")" = "$id" ]
	[ "$(jq -r '.[0].Name' <<<"$j")" = /c1 ]
	[ "$(jq -r '.[0].State.Status' <<<"$j")" = created ]
	[ "$(jq -c '.[0].Config.Cmd' <<<"$j")" = '["sh","-c","sleep 100"]' ]
	[ "$(jq -r '.[0].Config.Image' <<<"$j")" = bb ]
	[ "$(jq -r '.[0].Image' <<<"$j")" = "$("$HAKO" image inspect bb | jq -r '.[0].Id')" ]
	jq -e '.[0].Config.Env | index("FOO=bar")' <<<"$j"
	[ "$(jq -r '.[0].HostConfig.Memory' <<<"$j")" = 67108864 ]
	[ "$(jq -r '.[0].Path + " " + (.[0].Args | join(" "))' <<<"$j")" = "sh -c sleep 100" ]
	[ "$(jq -c '[.[0].Mounts[] | [.Type, .Destination, .RW]] | sort' <<<"$j")" = '[["bind","/data",true],["volume","/vol",true]]' ]
	[ "$(jq -r '.[0].Mounts[] | select(.Type == "volume") | .Name' <<<"$j")" = vol ]
	jq -e '.[0] | has("Hako") | not' <<<"$j"
	jq -e '.[0].Created | test("^[0-9-]+T[0-9:.]+Z$")' <<<"$j"

	hako start c1 >/dev/null
	run hako inspect c1
	j=$output
	[ "$(jq -r '.[0].State | [.Status, .Running, .Paused, (.Pid > 0)] | map(tostring) | join(" ")' <<<"$j")" = "running true false true" ]
	[ "$(jq -r '.[0].State.FinishedAt' <<<"$j")" = 0001-01-01T00:00:00Z ]
	hako kill c1 >/dev/null
	wait_status exited c1
	run hako inspect c1
	j=$output
	[ "$(jq -r '.[0].State | [.Status, .Running, .ExitCode, .Pid] | map(tostring) | join(" ")' <<<"$j")" = "exited false 137 0" ]
	jq -e '.[0].State.FinishedAt | test("^[0-9-]+T[0-9:.]+Z$") and (startswith("0001") | not)' <<<"$j"
	# several at once; a format for each
	hako create --name c2 bb true >/dev/null
	run hako inspect -f '{{.Name}} {{.State.Status}}' c1 c2
	assert_output $'/c1 exited\n/c2 created'
	run hako inspect c1 nosuch
	[ "$status" -ne 0 ]
}

@test "inspect: by name, full ID, ID prefix, /name" {
	id=$(hako create --name c1 bb true)
	for q in c1 /c1 "$id" "${id:0:12}" "${id:0:5}"; do
		[ "$("$HAKO" inspect -f '{{.Id}}' "$q")" = "$id" ]
	done
}

# ---- exit codes ----

@test "exit codes: the container's code in run, start -a, wait, inspect and ps" {
	run hako run --name c1 bb sh -c 'exit 77'
	[ "$status" -eq 77 ]
	run hako wait c1
	assert_output 77
	[ "$("$HAKO" inspect -f '{{.State.ExitCode}}' c1)" = 77 ]
	run hako ps -a --format '{{.Status}}'
	assert_output --regexp '^Exited \(77\) '
	run hako start -a c1
	[ "$status" -eq 77 ]
	run hako start -a nosuch
	[ "$status" -ne 0 ]
}
