#!/usr/bin/env bats
# Load: many containers one after the other and many at once, through the
# runtime and through the engine, with the test shell's fds, a long-lived
# monitor's fds and RSS, mounts, cgroups and free memory compared before
# and after; and a log soak of the monitor.
#
# The counts default to what keeps this file near three minutes on a 2-core
# machine; the issue's full figures:
#   HAKO_LOAD_SEQ=1000 HAKO_LOAD_CONC=200 HAKO_SOAK_SECONDS=60 \
#     bats tests/reliability/load.bats
# (make reliability-full does that).

load helpers

SEQ=${HAKO_LOAD_SEQ:-100}
CONC=${HAKO_LOAD_CONC:-20}
SOAK=${HAKO_SOAK_SECONDS:-10}

setup() {
	hako_setup
	ENGINE=
}

teardown() {
	local rc=0
	if [ -n "$ENGINE" ]; then
		engine_teardown || rc=1
	fi
	hako_teardown || rc=1
	return $rc
}

# A figure for the TAP output (and the README).
note() {
	echo "# $*" >&3
}

fd_count() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

mem_available_kb() {
	awk '/^MemAvailable:/ { print $2 }' /proc/meminfo
}

vmrss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# A bundle sharing the base rootfs (read-only), with its own cgroup.
light_bundle() {
	local dir=$TEST_DIR/b/$1
	mkdir -p "$dir"
	jq --arg cg "$CGROUP_PARENT/$BATS_SUITE_TEST_NUMBER-$1" --arg root "$BASE_DIR/rootfs" '
		.process.terminal = false
		| .process.args = ["/init", "help"]
		| .root = { path: $root, readonly: true }
		| .linux.cgroupsPath = $cg' "$BASE_DIR/config.json" >"$dir/config.json"
}

# no_growth BEFORE AFTER: every name=value of AFTER at most BEFORE's.
no_growth() {
	local kv k v b
	for kv in $2; do
		k=${kv%%=*} v=${kv#*=}
		b=$(tr ' ' '\n' <<<"$1" | awk -F= -v k="$k" '$1 == k { print $2 }')
		[ "$v" -le "$b" ] || fail "$k grew: $1 -> $2"
	done
}

# What must not grow: the test shell's fds, the host's mounts, this test's
# cgroups and state dirs.
snapshot_counts() {
	echo "fds=$(fd_count $$) mounts=$(wc -l </proc/self/mountinfo) cgroups=$(test_cgroup_dirs | wc -l) state=$(ls "$STATE_ROOT" | wc -l)"
}

@test "load: $SEQ sequential containers through the runtime leak nothing" {
	local i before after mem0 mem1 t0=$SECONDS
	light_bundle seq
	before=$(snapshot_counts)
	mem0=$(mem_available_kb)
	for i in $(seq "$SEQ"); do
		runtime run --bundle "$TEST_DIR/b/seq" "s$i" </dev/null >/dev/null 2>"$TEST_DIR/err" ||
			fail "container $i: $(cat "$TEST_DIR/err")"
	done
	after=$(snapshot_counts)
	mem1=$(mem_available_kb)
	note "runtime: $SEQ sequential in $((SECONDS - t0))s; before: $before; after: $after; MemAvailable ${mem0}k -> ${mem1}k"
	no_growth "$before" "$after"
	check_no_leftovers
	# Free memory may move with the rest of the machine: only a loss of
	# more than 64 MiB counts (a leak of a page a container would be 4 MiB
	# at 1,000).
	[ $((mem0 - mem1)) -lt 65536 ] || fail "MemAvailable fell by $(((mem0 - mem1) / 1024)) MiB"
}

@test "load: $CONC concurrent containers through the runtime leak nothing" {
	local i before after pids=() rc=0 t0=$SECONDS
	for i in $(seq "$CONC"); do light_bundle "c$i"; done
	before=$(snapshot_counts)
	for i in $(seq "$CONC"); do
		runtime run --bundle "$TEST_DIR/b/c$i" "c$i" </dev/null >/dev/null 2>"$TEST_DIR/err$i" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || { rc=1; echo "c$((i + 1)): $(cat "$TEST_DIR/err$((i + 1))")" >&2; }
	done
	after=$(snapshot_counts)
	note "runtime: $CONC concurrent in $((SECONDS - t0))s; before: $before; after: $after"
	[ "$rc" -eq 0 ] || fail "some containers failed"
	no_growth "$before" "$after"
	check_no_leftovers
}

# The engine's counts: the test shell's fds, mounts, snapshots, records,
# and a long-lived monitor's fds and RSS.
engine_counts() {
	echo "fds=$(fd_count $$) mounts=$(wc -l </proc/self/mountinfo) snapshots=$(ls "$HAKO_STORAGE/snapshots" | wc -l) records=$(ls "$HAKO_STORAGE/containers" | wc -l) monitor_fds=$(fd_count "$MON")"
}

start_long_lived() {
	run hako run -d --name long bb sleep 600
	assert_success
	MON=$(monitor_pid long)
	[ "$MON" -gt 0 ]
}

@test "load: $SEQ sequential and $CONC concurrent containers through the engine leak nothing" {
	engine
	start_long_lived
	local i before after mid rss0 rss1 mem0 mem1 pids=() rc=0 t0=$SECONDS
	# One run first: what the first container makes once (the name index,
	# the seccomp cache) is not a leak.
	hako run --rm bb true
	before=$(engine_counts)
	rss0=$(vmrss_kb "$MON")
	mem0=$(mem_available_kb)
	for i in $(seq "$SEQ"); do
		"$HAKO" run --rm bb true </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" ||
			fail "container $i: $(cat "$BATS_TEST_TMPDIR/err")"
	done
	mid=$(engine_counts)
	note "engine: $SEQ sequential in $((SECONDS - t0))s; before: $before; after: $mid"
	t0=$SECONDS
	for i in $(seq "$CONC"); do
		"$HAKO" run --rm bb true </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err$i" 3>&- &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || { rc=1; echo "c$((i + 1)): $(cat "$BATS_TEST_TMPDIR/err$((i + 1))")" >&2; }
	done
	after=$(engine_counts)
	rss1=$(vmrss_kb "$MON")
	mem1=$(mem_available_kb)
	note "engine: $CONC concurrent in $((SECONDS - t0))s; after: $after; long-lived monitor RSS ${rss0}k -> ${rss1}k; MemAvailable ${mem0}k -> ${mem1}k"
	[ "$rc" -eq 0 ] || fail "some containers failed"
	no_growth "$before" "$mid"
	no_growth "$before" "$after"
	[ "$rss0" = "$rss1" ] || fail "the long-lived monitor's RSS moved: ${rss0}k -> ${rss1}k"
	[ $((mem0 - mem1)) -lt 65536 ] || fail "MemAvailable fell by $(((mem0 - mem1) / 1024)) MiB"
	run hako ps -aq
	assert_output "$(hako ps -aq --filter name=long)"
}

@test "load: a log soak: rotation keeps complete, continuous logs; the monitor's RSS stays flat" {
	engine
	run hako run -d --name soak --log-opt max-size=1m --log-opt max-file=3 bb \
		sh -c 'i=0; while :; do echo "seq $i"; i=$((i + 1)); done'
	assert_success
	local mon i rss samples=() t
	mon=$(monitor_pid soak)
	for ((t = 0; t < SOAK; t++)); do
		sleep 1
		samples+=("$(vmrss_kb "$mon")")
	done
	hako stop -t 1 soak >/dev/null
	local log dir
	log=$(hako inspect -f '{{.LogPath}}' soak)
	dir=${log%/*}
	# max-file=3: json.log, .1, .2 and nothing more.
	[ -s "$log" ] && [ -s "$log.1" ] && [ -s "$log.2" ] || fail "rotation: $(ls -l "$dir")"
	[ ! -e "$log.3" ] || fail "more files than max-file: $(ls "$dir")"
	for f in "$log" "$log.1" "$log.2"; do
		# A file is rotated when a write would pass max-size.
		[ "$(stat -c %s "$f")" -le $((1024 * 1024 + 16384)) ] || fail "$f is larger than max-size"
	done
	# Oldest first, every line a JSON object, the numbers continuous.
	cat "$log.2" "$log.1" "$log" | jq -j '.log' >"$BATS_TEST_TMPDIR/lines" ||
		fail "a log line is not JSON"
	# The stop may cut the last line short: only complete lines count.
	[ -z "$(tail -c 1 "$BATS_TEST_TMPDIR/lines")" ] || sed -i '$d' "$BATS_TEST_TMPDIR/lines"
	local first last n gaps
	first=$(head -1 "$BATS_TEST_TMPDIR/lines" | awk '{ print $2 }')
	read -r n gaps last < <(awk -v first="$first" '
		$1 != "seq" { bad++ } { if ($2 != first + NR - 1) gaps++ }
		END { print NR, gaps + bad + 0, $2 }' "$BATS_TEST_TMPDIR/lines")
	[ "$first" -gt 0 ] || fail "nothing was rotated away (first kept line is seq 0)"
	note "log soak ${SOAK}s: lines seq $first..$last kept ($n lines in 3 files), monitor VmRSS samples (kB): ${samples[*]}"
	[ "$gaps" -eq 0 ] || fail "$gaps lines missing or out of order between seq $first and $last"
	# RSS flat: after the first second, within 256 kB.
	local min=${samples[1]} max=${samples[1]}
	for rss in "${samples[@]:1}"; do
		((rss < min)) && min=$rss
		((rss > max)) && max=$rss
	done
	[ $((max - min)) -le 256 ] || fail "the monitor's RSS moved by $((max - min)) kB: ${samples[*]}"
}

engine() {
	engine_setup
	ENGINE=1
}
