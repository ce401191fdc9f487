#!/bin/bash
# The sanitizer job: a gcc build with ASan + UBSan (+ LSan) in its own build
# dir, the unit tests (with the fuzz corpora and regressions replayed) and a
# representative subset of the bats suites against it.  Any sanitizer
# report fails the run, including one from a process whose exit status no
# test looks at (the engine's monitor, a forked helper): every report goes
# to a file under $log_dir, and the job fails when there is one.
#
#   scripts/sanitize.sh                  the default subset (below)
#   scripts/sanitize.sh tests/engine/run.bats   other bats files instead
#
# The static helpers (tests/init, tests/probe, hako-init) are built without
# sanitizers: ASan cannot link -static, and they run inside containers.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
build=${SANITIZE_BUILD:-$src/build-sanitize}
cd "$src"

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || exit 1
fi
ninja -C "$build" >/dev/null || ninja -C "$build" || exit 1

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(tests/integration/lifecycle.bats tests/integration/errors.bats
	tests/integration/exec.bats tests/image/layers.bats tests/image/store.bats tests/engine/lifecycle.bats)

log_dir=$(mktemp -d /tmp/hako-sanitize.XXXXXX)
chmod 0777 "$log_dir" # rootless tests run the binaries as another user
# halt_on_error: the first report kills the process (a test then fails too);
# leaks are checked at the exit of every sanitized process that exits with
# exit() (not _exit() after a fork, nor execve: the container side).
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:disable_coredump=1:log_exe_name=1:log_path=$log_dir/asan
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$log_dir/ubsan
export LSAN_OPTIONS=${LSAN_OPTIONS:-}
# the static test helpers come from this build too (not sanitized)
export HAKO_INIT_PATH=$build/src/engine/init/hako-init

start=$SECONDS
HAKO_BUILD=$build tests/run.sh "${suites[@]}"
rc=$?
reports=$(find "$log_dir" -type f | sort)
if [ -n "$reports" ]; then
	echo "# sanitizer reports:"
	for f in $reports; do
		echo "## $f"
		cat "$f"
	done
	rc=1
fi
echo "# sanitize: $(echo "$reports" | grep -c .) sanitizer reports, tests exit $rc, $((SECONDS - start))s"
rm -rf "$log_dir"
exit $rc
