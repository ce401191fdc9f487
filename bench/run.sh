#!/bin/bash
# bench/run.sh: the hako benchmark suite (issue 6).
#
# Measures hako-runtime, crun and runc side by side, interleaved (every
# iteration runs each of them once, cycling through all orders, so that
# machine noise hits all of them alike), on one busybox-static bundle whose
# config.json is the same for the three runtimes:
#   (a) sequential `run` of /bin/true, warm and isolated starts
#   (b) the containerd path: create --pid-file, start, wait, delete
#   (c) N concurrent `run`s (50, 200): wall time, failures, leftovers
#   (d) peak RSS of the runtime process; smallest memory limit that starts
#   (e) the floor: unshare with the same namespaces + chroot + exec /bin/true
# and writes bench/results/latest.{md,png,tsv} and the table into
# bench/README.md.  See bench/README.md.
#
# Usage (as root): bench/run.sh          (or `make bench`)
# Knobs (environment): HAKO_RUNTIME, BENCH_SEQ, BENCH_ISO, BENCH_CD,
#   BENCH_CONC, BENCH_CONC_REPS, BENCH_HOST, BENCH_MEM_LADDER, BENCH_OUT,
#   BENCH_KEEP.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(dirname "$HERE")
SELF=$HERE/run.sh
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

# run.sh --wrap CMD...: CMD in the wrapped cgroup view (see lib.sh).
if [ "${1:-}" = --wrap ]; then
	shift
	setup_cgroup_view
	exec "$@"
fi

HAKO=$(realpath "${HAKO_RUNTIME:-$SRC/build/hako-runtime}")
SEQ=${BENCH_SEQ:-150}          # sequential runs per runtime (warm)
ISO=${BENCH_ISO:-20}           # isolated runs per runtime
ISO_GAP_MS=${BENCH_ISO_GAP_MS:-100}
CD=${BENCH_CD:-60}             # create/start/wait/delete cycles per runtime
CONC=${BENCH_CONC:-50 200}     # concurrency levels
CONC_REPS=${BENCH_CONC_REPS:-3}
HOSTN=${BENCH_HOST:-40}        # hako vs runc on the unwrapped (hybrid) host view
# Memory limits tried, smallest first (KiB).
MEM_LADDER=${BENCH_MEM_LADDER:-64 128 256 384 512 768 1024 1536 2048 3072 4096 6144 8192 16384 32768}
OUT=${BENCH_OUT:-$HERE/results}
STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-30}
export HAKO SEQ ISO ISO_GAP_MS CD CONC CONC_REPS HOSTN MEM_LADDER OUT STEP_TIMEOUT

# The runtimes in iteration $1: the ($1 mod n!)-th permutation.
declare -A PERMS_CACHE
order() {
	local i=$1
	shift
	if [ -z "${PERMS_CACHE[$*]:-}" ]; then
		PERMS_CACHE[$*]=$(perms "$@" | paste -sd, -)
	fi
	local -a p
	IFS=, read -r -a p <<<"${PERMS_CACHE[$*]}"
	# shellcheck disable=SC2086 # one word per runtime
	printf '%s\n' ${p[$((i % ${#p[@]}))]}
}
# Fill the cache in this shell (order runs in $(...) subshells).
for _l in "floor hako crun runc" "hako crun runc" "hako runc"; do
	# shellcheck disable=SC2086
	PERMS_CACHE[$_l]=$(perms $_l | paste -sd, -)
done

# step RT LABEL ID BUNDLE: the plan line of `run` (or the floor).
run_step() {
	local rt=$1 label=$2 id=$3 bundle=$4
	if [ "$rt" = floor ]; then
		printf 'run\t%s\t%s\n' "$label" "$(cat "$WORK/floor.cmd")"
	else
		printf 'run\t%s\t%s\trun\t--bundle\t%s\t%s\n' "$label" "$(rt_cmd "$rt")" "$bundle" "$id"
	fi
}

# ------------------------------------------------------------ the inner part
# Runs in the wrapped view; writes $WORK/data/*.tsv.
inner() {
	setup_cgroup_view
	local hb="$WORK/hb" logf="$WORK/runtime.log" i rt n rep warm
	warm=$(wrapped_warm_file)
	local all=(floor "${RUNTIMES[@]}")

	log "warm-up"
	{
		for i in 1 2 3; do
			for rt in "${all[@]}"; do
				run_step "$rt" "warmup/$rt/$i" "hb-$rt-w$i" "$WORK/b/seq"
			done
		done
	} | "$hb" "$logf" "$STEP_TIMEOUT" >"$WORK/data/warmup.tsv"

	log "(a,e) sequential run of /bin/true, warm starts: $SEQ x ${#all[@]}"
	{
		for ((i = 1; i <= SEQ; i++)); do
			for rt in $(order "$i" "${all[@]}"); do
				printf 'warm\twarm/%s/%d\t%s\n' "$rt" "$i" "$warm"
				run_step "$rt" "seq/$rt/$i" "hb-$rt-s$i" "$WORK/b/seq"
			done
		done
	} | "$hb" "$logf" "$STEP_TIMEOUT" >"$WORK/data/seq.tsv"

	log "(a) sequential run, isolated (${ISO_GAP_MS} ms idle before each): $ISO x ${#all[@]}"
	{
		for ((i = 1; i <= ISO; i++)); do
			for rt in $(order "$i" "${all[@]}"); do
				printf 'sleep\t%d\n' "$ISO_GAP_MS"
				run_step "$rt" "iso/$rt/$i" "hb-$rt-i$i" "$WORK/b/seq"
			done
		done
	} | "$hb" "$logf" "$STEP_TIMEOUT" >"$WORK/data/iso.tsv"

	log "(b) containerd path create/start/wait/delete, warm: $CD x ${#RUNTIMES[@]}"
	{
		for ((i = 1; i <= CD; i++)); do
			for rt in $(order "$i" "${RUNTIMES[@]}"); do
				local c id="hb-$rt-c$i" pidf="$WORK/pid/cd-$rt-$i"
				c=$(rt_cmd "$rt")
				printf 'warm\twarm/%s/%d\t%s\n' "$rt" "$i" "$warm"
				printf 'run\tcd/%s/%d/create\t%s\tcreate\t--bundle\t%s\t--pid-file\t%s\t%s\n' "$rt" "$i" "$c" "$WORK/b/cd" "$pidf" "$id"
				printf 'run\tcd/%s/%d/start\t%s\tstart\t%s\n' "$rt" "$i" "$c" "$id"
				printf 'waitpid\tcd/%s/%d/wait\t%s\n' "$rt" "$i" "$pidf"
				printf 'run\tcd/%s/%d/delete\t%s\tdelete\t%s\n' "$rt" "$i" "$c" "$id"
			done
		done
	} | "$hb" "$logf" "$STEP_TIMEOUT" >"$WORK/data/cd.tsv"

	log "(c) concurrent runs: N in ${CONC:-(none)}, $CONC_REPS rep(s)"
	for n in $CONC; do
		for ((rep = 1; rep <= CONC_REPS; rep++)); do
			for rt in $(order "$rep" "${RUNTIMES[@]}"); do
				{
					printf 'warm\twarm/%s/%d\t%s\n' "$rt" "$rep" "$warm"
					for ((i = 1; i <= n; i++)); do
						printf 'bg\tconc/%s/%d/%d\t%s\trun\t--bundle\t%s\thb-%s-n%d-r%d-%d\n' "$rt" "$n" "$rep" "$(rt_cmd "$rt")" "$WORK/b/conc/$i" "$rt" "$n" "$rep" "$i"
					done
					printf 'join\tconc/%s/%d/%d\n' "$rt" "$n" "$rep"
				} | "$hb" "$logf" "$((STEP_TIMEOUT * 2))" >>"$WORK/data/conc.tsv"
				leftovers_check "conc/$rt/$n/$rep" "$rt" >>"$WORK/data/leftovers.tsv"
			done
		done
	done

	log "(d) smallest memory limit that starts: ladder $MEM_LADDER KiB"
	{
		local kib k=0
		for kib in $MEM_LADDER; do
			k=$((k + 1))
			for rt in $(order "$k" "${RUNTIMES[@]}"); do
				local c id="hb-$rt-m$kib" pidf="$WORK/pid/mem-$rt-$kib"
				c=$(rt_cmd "$rt")
				printf 'run\tmem/%s/%d/create\t%s\tcreate\t--bundle\t%s\t--pid-file\t%s\t%s\n' "$rt" "$kib" "$c" "$WORK/b/mem-$kib" "$pidf" "$id"
				printf 'read\tmem/%s/%d/limit\t%s\n' "$rt" "$kib" "/sys/fs/cgroup/memory/$PARENT/mem/memory.limit_in_bytes"
				printf 'run\tmem/%s/%d/start\t%s\tstart\t%s\n' "$rt" "$kib" "$c" "$id"
				printf 'waitpid\tmem/%s/%d/wait\t%s\n' "$rt" "$kib" "$pidf"
				printf 'read\tmem/%s/%d/failcnt\t%s\n' "$rt" "$kib" "/sys/fs/cgroup/memory/$PARENT/mem/memory.failcnt"
				printf 'run\tmem/%s/%d/delete\t%s\tdelete\t--force\t%s\n' "$rt" "$kib" "$c" "$id"
			done
		done
	} | "$hb" "$logf" 10 >"$WORK/data/mem.tsv"

	# Whatever is left now is a leak of one of the phases above.
	for rt in "${RUNTIMES[@]}"; do
		leftovers_check "end-of-wrapped" "$rt" >>"$WORK/data/leftovers.tsv"
	done
}

# leftovers_check PHASE RT: print "PHASE RT what detail" for every state dir,
# cgroup below the bench parent, mount or process left behind, then remove it
# so that the next phase starts clean.  Wrapped view.
leftovers_check() {
	local phase=$1 rt=$2 d id c line p
	for d in "$WORK/state/$rt"/*; do
		[ -e "$d" ] || continue
		id=${d##*/}
		printf '%s\t%s\tstate-dir\t%s\n' "$phase" "$rt" "$id"
		$(rt_cmd_sp "$rt") delete --force "$id" >/dev/null 2>&1 || rm -rf "$d"
	done
	# Cgroups below the bench parent (the pre-created parents excepted).
	for d in /sys/fs/cgroup/*/"$PARENT"; do
		[ -d "$d" ] || continue
		while read -r c; do
			[ -n "$c" ] || continue
			case ${c#"$d"/} in conc | "") continue ;; esac
			printf '%s\t%s\tcgroup\t%s\n' "$phase" "$rt" "${c#/sys/fs/cgroup/}"
			rmdir "$c" 2>/dev/null || true
		done < <(find "$d" -mindepth 1 -depth -type d 2>/dev/null)
	done
	# Mounts of the bench's files (the state tmpfs itself excepted).
	while read -r line; do
		printf '%s\t%s\tmount\t%s\n' "$phase" "$rt" "$line"
	done < <(awk -v w="$WORK" 'index($0, w) && $5 != w "/state" { print $5 }' /proc/self/mountinfo)
	# Processes: runtimes (their command line names the bench's state root)
	# and container processes (in a cgroup below the bench parent).
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" != "$$" ] || continue
		if grep -q -F "$WORK/state/" "$p/cmdline" 2>/dev/null || grep -q -E "/$PARENT(/|$)" "$p/cgroup" 2>/dev/null; then
			printf '%s\t%s\tprocess\t%s %s\n' "$phase" "$rt" "${p#/proc/}" "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-80)"
		fi
	done
	return 0
}

if [ "${1:-}" = --inner ]; then
	WORK=$2
	PARENT=$3
	inner
	exit 0
fi

# ---------------------------------------------------------- the main part
# In a private mount namespace (the state tmpfs lives there and goes with it;
# the cgroup view is still the host's), everything but the checks above.
main() {
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	bench_prepare
	mkbundle "$WORK/b/seq" "$PARENT/seq"
	mkbundle "$WORK/b/cd" "$PARENT/cd"
	mkbundle "$WORK/b/host" "$PARENT/host"
	local n i kib maxn=0 rt
	for n in $CONC; do [ "$n" -gt "$maxn" ] && maxn=$n; done
	for ((i = 1; i <= maxn; i++)); do mkbundle "$WORK/b/conc/$i" "$PARENT/conc/$i"; done
	for kib in $MEM_LADDER; do
		mkbundle "$WORK/b/mem-$kib" "$PARENT/mem" ".linux.resources.memory = {limit: $((kib * 1024))}"
	done
	: >"$WORK/data/conc.tsv"
	: >"$WORK/data/leftovers.tsv"

	local t_start t_end warm
	t_start=$(date +%s)
	cut -d' ' -f1-3 /proc/loadavg >"$WORK/loadavg.start"
	# ---- host view (no wrapper; hybrid layout): hako and runc only
	log "host view (hybrid cgroups, no wrapper): hako vs runc, $HOSTN x 2, warm"
	warm=$(host_warm_file)
	{
		for ((i = 1; i <= HOSTN; i++)); do
			for rt in $(order "$i" hako runc); do
				printf 'warm\twarm/%s/%d\t%s\n' "$rt" "$i" "$warm"
				run_step "$rt" "host/$rt/$i" "hb-$rt-h$i" "$WORK/b/host"
			done
		done
	} | "$WORK/hb" "$WORK/runtime.log" "$STEP_TIMEOUT" >"$WORK/data/host.tsv"

	# ---- everything else in the wrapped view
	timeout --foreground 480 unshare --mount --cgroup --propagation private "$SELF" --inner "$WORK" "$PARENT" ||
		die "the wrapped benchmark failed (see above)"
	t_end=$(date +%s)
	cut -d' ' -f1-3 /proc/loadavg >"$WORK/loadavg.end"

	final_leftovers >>"$WORK/data/leftovers.tsv"

	mkdir -p "$OUT"
	cat "$WORK/data"/{host,seq,iso,cd,conc,mem}.tsv >"$OUT/latest.tsv"
	BENCH_ELAPSED=$((t_end - t_start)) "$HERE/report.sh" "$WORK" "$OUT" "$HAKO"
	log "wrote $OUT/latest.md, $OUT/latest.png, $OUT/latest.tsv"
}

# Final leftover check, host view: state dirs, cgroups (v1 and v2), mounts
# (ours and the host's), processes.
final_leftovers() {
	local rt d c f p
	for rt in "${RUNTIMES[@]}"; do
		for d in "$WORK/state/$rt"/*; do [ -e "$d" ] && printf 'final\t%s\tstate-dir\t%s\n' "$rt" "${d##*/}"; done
	done
	while read -r d; do
		[ -d "$d" ] || continue
		while read -r c; do
			case ${c#"$d"/} in conc) continue ;; esac
			printf 'final\t-\tcgroup\t%s\n' "${c#/sys/fs/cgroup/}"
		done < <(find "$d" -mindepth 1 -type d 2>/dev/null)
	done < <(host_parent_dirs)
	for f in /proc/self/mountinfo /proc/1/mountinfo; do
		awk -v w="$WORK" -v f="$f" 'index($0, w) && $5 != w "/state" { print "final\t-\tmount\t" f ": " $5 }' "$f"
	done
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" != "$$" ] || continue
		if grep -q -F "$WORK/state/" "$p/cmdline" 2>/dev/null || grep -q -E "/$PARENT(/|$)" "$p/cgroup" 2>/dev/null; then
			printf 'final\t-\tprocess\t%s\n' "${p#/proc/}"
		fi
	done
	return 0
}

if [ "${1:-}" = --main ]; then
	main
	exit 0
fi

# ------------------------------------------------------------ entry point
[ "$(id -u)" = 0 ] || die "run as root (containers, namespaces, cgroups)"
for c in crun runc busybox jq gcc gnuplot unshare timeout; do
	command -v "$c" >/dev/null || die "$c is missing: make bench installs the dependencies"
done
[ -x "$HAKO" ] || die "$HAKO not found: build it first (make build)"
if ldd "$(command -v busybox)" >/dev/null 2>&1; then die "busybox is not static: install busybox-static"; fi
exec unshare --mount --propagation private "$SELF" --main
