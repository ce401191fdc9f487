#!/bin/bash
# Run every test: the unit tests (meson test) and the integration tests
# (bats, with the CVE regression suite in tests/security), then print one
# closing line, "N passed, M failed, K skipped".
# Builds nothing: run `ninja -C build` first.  Exits non-zero on any failure.
#
#   tests/run.sh                        everything, against build/hako-runtime
#   HAKO_RUNTIME=runc tests/run.sh      check the integration tests against runc
#   tests/run.sh -f hostname            bats options and files are passed on
#   HAKO_SKIP_UNIT=1 tests/run.sh       integration tests only
#
# Runs as root, without a terminal; the integration tests need bats, jq,
# busybox-static, runc (for the reference config.json) and build/tests/init.

set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${HAKO_BUILD:-$src/build}
export HAKO_BUILD=$build

passed=0
failed=0
skipped=0
failures=()
log_dir=$(mktemp -d /tmp/hako-tests.XXXXXX)
trap 'rm -rf "$log_dir"' EXIT

# Unit tests: meson's own summary lines ("Ok: N", "Fail: N", ...).
if [ -z "${HAKO_SKIP_UNIT:-}" ]; then
	if [ -d "$build/meson-info" ] && command -v meson >/dev/null; then
		echo "# unit tests: meson test -C $build"
		meson test -C "$build" --no-rebuild --print-errorlogs </dev/null 2>&1 | tee "$log_dir/meson.out"
		count() { awk -v k="$1" '$0 ~ "^" k ":" { print $NF; exit }' "$log_dir/meson.out"; }
		ok=$(count Ok)
		xfail=$(count "Expected Fail")
		fail=$(count Fail)
		xpass=$(count "Unexpected Pass")
		skip=$(count Skipped)
		timeout=$(count Timeout)
		if [ -z "$ok$fail" ]; then
			echo "# meson test produced no summary"
			failed=$((failed + 1))
			failures+=("meson test (no summary)")
		else
			passed=$((passed + ${ok:-0} + ${xfail:-0}))
			failed=$((failed + ${fail:-0} + ${xpass:-0} + ${timeout:-0}))
			skipped=$((skipped + ${skip:-0}))
			while read -r name; do
				failures+=("unit: $name")
			done < <(awk '/^ *[0-9]+\/[0-9]+ / && ($3 == "FAIL" || $3 == "TIMEOUT" || $3 == "UNEXPECTEDPASS") { print $2 }' "$log_dir/meson.out")
		fi
	else
		echo "# unit tests: no meson build in $build, not run"
	fi
fi

# Integration tests: one bats run over every file, TAP on stdout.
bats_args=()
have_files=
for a in "$@"; do
	[[ "$a" == *.bats || -d "$a" ]] && have_files=1
	bats_args+=("$a")
done
[ -n "$have_files" ] || bats_args+=("$here"/integration/*.bats "$here"/security/*.bats "$here"/image/*.bats "$here"/engine/*.bats "$here"/reliability/*.bats "$here"/rootless/*.bats "$here"/build/*.bats "$here"/compat/*.bats)

# The tests name their cgroups after this tag: what is left with it after the
# run is a leak, whatever test made it.
export HAKO_TEST_RUN_TAG=${HAKO_TEST_RUN_TAG:-run$$}
echo "# integration tests: bats against ${HAKO_RUNTIME:-$build/hako-runtime}"
start=$SECONDS
bats --tap "${bats_args[@]}" </dev/null 2>&1 | tee "$log_dir/bats.out"
echo "# integration tests took $((SECONDS - start))s"

bats_ok=$(grep -cE '^ok [0-9]+ ' "$log_dir/bats.out" | head -1)
bats_skip=$(grep -E '^ok [0-9]+ ' "$log_dir/bats.out" | grep -ciE ' # skip( |$)')
bats_fail=$(grep -cE '^not ok [0-9]+ ' "$log_dir/bats.out")
passed=$((passed + bats_ok - bats_skip))
skipped=$((skipped + bats_skip))
failed=$((failed + bats_fail))
while read -r line; do
	failures+=("$line")
done < <(grep -E '^not ok [0-9]+ ' "$log_dir/bats.out")
# bats itself failing (syntax error, missing file) without any "not ok" line
planned=$(grep -m1 -oE '^1\.\.[0-9]+' "$log_dir/bats.out" | cut -d. -f3)
if [ -z "$planned" ] || [ "$planned" -ne $((bats_ok + bats_fail)) ]; then
	echo "# bats planned ${planned:-?} tests but reported $((bats_ok + bats_fail))"
	failed=$((failed + 1))
	failures+=("bats: incomplete run")
fi

# Leftover cgroups of this run, in any hierarchy.
leaks=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "hako-test-$HAKO_TEST_RUN_TAG" 2>/dev/null)
if [ -n "$leaks" ]; then
	echo "# cgroups left behind by this run:"
	echo "$leaks" | sed 's/^/#   /'
	while read -r d; do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done <<<"$leaks"
	failed=$((failed + 1))
	failures+=("leftover cgroups")
fi

if [ "${#failures[@]}" -gt 0 ]; then
	echo "# failed:"
	printf '#   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
