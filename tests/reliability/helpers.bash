# Shared setup for the reliability tests (faults.bats, load.bats): the
# runtime helpers of tests/integration (bundles, private state root, leak
# checks), the registry of tests/image and the engine helpers of
# tests/engine, plus the before/after listings the fault and load tests
# compare.

load '../integration/helpers'
load '../image/helpers'
load '../engine/helpers'

# Mounts of the host whose mount point is under $1.
mounts_under() {
	awk -v d="$1" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo
}

# Processes whose root directory is (below) $1: container processes of
# bundles or snapshots under it, whatever their cgroup or parent.
procs_rooted_under() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		[[ "$r" == "$1"* ]] && echo "${p#/proc/}"
	done
	return 0
}

# Every id the engine's private storage and run root know of, whatever
# state it is in (record, snapshot, runtime state, run dir).
engine_known_ids() {
	{
		ls "$HAKO_STORAGE/containers" 2>/dev/null | grep -v '^names$'
		ls "$HAKO_STORAGE/snapshots" 2>/dev/null
		ls "$HAKO_RUN_ROOT/runtime" 2>/dev/null
		ls "$HAKO_RUN_ROOT" 2>/dev/null | grep -E '^[0-9a-f]{64}$'
	} | grep -E '^[0-9a-f]{64}$' | sort -u
	return 0
}

# What a removed container may leave in the engine's storage: records,
# snapshots, names (dangling or not), runtime state, run dirs, mounts,
# temp files.  Prints one line per problem.
engine_leftovers() {
	local f id
	for f in "$HAKO_STORAGE"/containers/*; do
		[ -e "$f" ] || continue
		[ "${f##*/}" = names ] && continue
		echo "container dir: ${f##*/}"
	done
	for f in "$HAKO_STORAGE"/containers/names/*; do
		[ -L "$f" ] || continue
		if [ -e "$HAKO_STORAGE/containers/$(readlink "$f")" ]; then
			echo "name: ${f##*/}"
		else
			echo "dangling name: ${f##*/} -> $(readlink "$f")"
		fi
	done
	for f in "$HAKO_STORAGE"/snapshots/*; do
		[ -e "$f" ] && echo "snapshot: ${f##*/}"
	done
	for f in "$HAKO_RUN_ROOT"/runtime/*; do
		[ -e "$f" ] && [[ "${f##*/}" != .* ]] && echo "runtime state: ${f##*/}"
	done
	for f in "$HAKO_RUN_ROOT"/*; do
		[[ "${f##*/}" =~ ^[0-9a-f]{64}$ ]] && echo "run dir: ${f##*/}"
	done
	mounts_under "$HAKO_STORAGE/" | sed 's/^/mount: /'
	for id in "$@"; do
		ctr_cgroups_left "$id" | sed 's/^/cgroup: /'
	done
	procs_rooted_under "$HAKO_STORAGE/" | sed 's/^/process: /'
	return 0
}

# Files of the content store that a verified store never holds: temp
# files and temp dirs (left by a killed writer until the next gc).
store_temp_files() {
	find "$HAKO_STORAGE/tmp" -mindepth 1 -maxdepth 1 2>/dev/null
}

# A random integer in [0, $1).
rand_below() {
	echo $((RANDOM % $1))
}

# sleep_ms N
sleep_ms() {
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}
