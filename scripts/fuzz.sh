#!/bin/bash
# Build the libFuzzer targets (fuzz/) with clang, ASan and UBSan in their
# own build dir, run each for a bounded time and print the execs of each.
#
#   scripts/fuzz.sh                      every target, FUZZ_SECONDS (30) each
#   FUZZ_SECONDS=300 scripts/fuzz.sh layer img_ref
#
# The corpus each run grows is kept in $FUZZ_BUILD/corpus/TARGET (the seeds
# in fuzz/corpus/TARGET are read, never written).  A crash, leak, UB report
# or timeout leaves its input in $FUZZ_BUILD/artifacts/TARGET/ and fails
# the run; fix it, then copy the input to fuzz/regressions/TARGET/ so that
# `meson test` replays it for good.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$src/build-fuzz}
seconds=${FUZZ_SECONDS:-30}
cd "$src"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in fuzz/fuzz_*.c; do
		t=${f#fuzz/fuzz_}
		targets+=("${t%.c}")
	done
fi

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debugoptimized >/dev/null || exit 1
fi
ninja -C "$build" "${targets[@]/#/fuzz/fuzz_}" >/dev/null || ninja -C "$build" "${targets[@]/#/fuzz/fuzz_}" || exit 1

# Any sanitizer report is a failure: abort with the input saved.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}

failed=0
total=0
printf '%-14s %12s %10s %8s  %s\n' target execs execs/s corpus result
for t in "${targets[@]}"; do
	corpus=$build/corpus/$t
	art=$build/artifacts/$t
	log=$build/fuzz-$t.log
	mkdir -p "$corpus" "$art"
	seeds=()
	[ -d "fuzz/corpus/$t" ] && seeds+=("fuzz/corpus/$t")
	[ -d "fuzz/regressions/$t" ] && seeds+=("fuzz/regressions/$t")
	"$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$art/" "$corpus" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	execs=$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$log")
	rate=$(awk '/^stat::average_exec_per_sec:/ { print $2 }' "$log")
	units=$(find "$corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc): $(grep -m1 -E 'ERROR: |runtime error|^fuzz: ' "$log"), see $log"
		failed=$((failed + 1))
	fi
	total=$((total + ${execs:-0}))
	printf '%-14s %12s %10s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$units" "$result"
done
echo "# ${#targets[@]} fuzzers, ${seconds}s each, $total execs in all, $failed failed"
[ "$failed" -eq 0 ]
