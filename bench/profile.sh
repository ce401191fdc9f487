#!/bin/bash
# bench/profile.sh: where hako-runtime's time goes, next to crun and runc.
# Writes bench/results/profile.md (BENCH_OUT to change).  Needs root, strace
# and perf (installed by `make bench`); musl-gcc (musl-tools) is optional.
# Everything runs in the same cgroup-v1 wrapper as bench/run.sh (lib.sh), with
# warm starts (a no-op cgroup migration right before each) unless it says
# "isolated".  Takes about a minute.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(dirname "$HERE")
SELF=$HERE/profile.sh
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
HAKO=$(realpath "${HAKO_RUNTIME:-$SRC/build/hako-runtime}")
OUT=${BENCH_OUT:-$HERE/results}
N=${PROFILE_N:-60}
# Functions of hako-runtime the phase timeline probes (bench/timeline.awk).
TIMELINE_PROBES="main cgroup_prepare_set spawn hako_rootfs_mount release_fifo do_delete"
export HAKO OUT N TIMELINE_PROBES

# ------------------------------------------------------------------ helpers
# warm: a no-op migration of a short-lived shell (see harness.c `warm`).
WARM_CMD='sh -c "echo \$\$ > /sys/fs/cgroup/cpu/cgroup.procs"'

# counters LABEL CMD...: "| LABEL | CPU ms | ctx switches | page faults |
# migrations |" from perf stat -r N, with a warm step before each repetition
# (not counted).
counters() {
	local label=$1
	shift
	local f=$WORK/pstat.$$
	perf stat -x, -r "$N" --pre "$WARM_CMD" -o "$f" -e task-clock,context-switches,page-faults,cpu-migrations "$@" >/dev/null 2>&1 || true
	awk -F, -v l="$label" '
		$3 == "task-clock" { tc = $1 } $3 == "context-switches" { cs = $1 } $3 == "page-faults" { pf = $1 }
		$3 == "cpu-migrations" { mg = $1 }
		END { printf "%s\t%.2f\t%.0f\t%.0f\t%.0f\n", l, tc, cs, pf, mg }' "$f"
}

# median of the harness times (ms) of LABEL in FILE
hmedian() {
	awk -F'\t' -v l="$1" '$1 == l && $3 == 0 { print $2 / 1e6 }' "$2" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# top syscalls of strace -c files: "| syscall | hako | crun | runc |".
syscall_table() {
	awk '
	FNR == 1 { f++; name[f] = FILENAME; sub(/.*\//, "", name[f]); sub(/\.c$/, "", name[f]) }
	/^[ 0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+/ {
		n = split($0, a, " "); sc = a[n]; calls = (n == 6) ? a[4] : a[4]
		if (sc == "total") { tot[f] = calls; next }
		c[sc, f] = calls; s[sc] += calls; seen[sc] = 1 }
	END {
		printf "| syscall |"; for (i = 1; i <= f; i++) printf " %s |", name[i]; printf "\n|---|"
		for (i = 1; i <= f; i++) printf "---:|"; printf "\n"
		printf "| **total** |"; for (i = 1; i <= f; i++) printf " **%d** |", tot[i]; printf "\n"
		m = 0; for (k in seen) keys[++m] = k
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (s[keys[j]] > s[keys[i]]) { t = keys[i]; keys[i] = keys[j]; keys[j] = t }
		for (i = 1; i <= m && i <= 40; i++) { printf "| %s |", keys[i]; for (j = 1; j <= f; j++) printf " %d |", c[keys[i], j]; printf "\n" } }' "$@"
}

# strace -c's per-syscall lines are "% time, seconds, usecs/call, calls,
# [errors,] syscall"; normalise them to "calls syscall".
sc_counts() {
	awk '/^ *[0-9]+\.[0-9]+ +[0-9.]+ +[0-9]+ +[0-9]+/ { n = split($0, a, " "); print a[4], a[n] }' "$1"
}

# categories of a strace -f log: what the syscalls are about.
categorize() {
	awk '
	{ line = $0; sub(/^[0-9]+ +/, "", line); sub(/^[0-9:.]+ +/, "", line)
	  if (line ~ /^<\.\.\./ || line ~ /^\+\+\+/ || line ~ /^---/) next
	  sc = line; sub(/\(.*/, "", sc)
	  cat = "other"
	  if (line ~ /\/sys\/fs\/cgroup/ && sc != "openat2" && sc != "mount") cat = "cgroupfs (mkdir, open, write, rmdir under /sys/fs/cgroup)"
	  else if (line ~ /"\/proc\/(self|[0-9]+)\/(mountinfo|cgroup|stat|status)"/) cat = "/proc reads (mountinfo, cgroup, stat)"
	  else if (sc ~ /^(mount|umount2|pivot_root|openat2|mkdirat|mknodat|symlinkat|fchdir|chroot|mount_setattr|open_tree|move_mount|fsopen|fsconfig|fsmount|statfs|fstatfs)$/) cat = "rootfs (mount, openat2 walks, mkdirat, mknodat, pivot_root)"
	  else if (line ~ /(state\.json|exec\.fifo|config\.json|"cgroups"|status|\/state\/)/ || sc ~ /^(flock|renameat|renameat2|rename|mkfifoat|unlinkat|rmdir)$/) cat = "state dir (state.json, fifo, lock, config copy)"
	  else if (sc ~ /^(mmap|mprotect|munmap|brk|arch_prctl|set_tid_address|set_robust_list|rseq|prlimit64|getrandom|pread64|access)$/ || line ~ /\.so/) cat = "process start (loader, libc init)"
	  else if (sc ~ /^(clone|clone3|fork|vfork|execve|execveat|wait4|waitid|exit_group|exit|sendmsg|recvmsg|socketpair|read|write|poll|ppoll|epoll_wait|epoll_ctl|epoll_create1|signalfd4|kill|pidfd_open|pidfd_send_signal|close_range)$/) cat = "process, sync, I/O (clone, exec, sync socket, wait)"
	  else if (sc ~ /^(prctl|capget|capset|setresuid|setresgid|setgroups|sethostname|setdomainname|keyctl|umask|seccomp|personality|setsid|ioctl)$/) cat = "process attributes (caps, prctl, ids, keyring)"
	  else if (sc ~ /^(openat|close|newfstatat|fstat|statx|readlink|readlinkat|getdents64|lseek|fcntl|faccessat2|faccessat|chdir|getcwd|dup2|dup3)$/) cat = "files (open, stat, close, readlink)"
	  n[cat]++; t++ }
	END { for (k in n) printf "%d\t%s\n", n[k], k; printf "%d\ttotal\n", t }' "$1"
}

# ------------------------------------------------------------------ inner
inner() {
	setup_cgroup_view
	local warm=/sys/fs/cgroup/cpu/cgroup.procs b=$WORK/b/p rt i
	local -a c
	local P=$WORK/prof
	mkdir -p "$P"
	cd "$WORK"
	for rt in "${RUNTIMES[@]}"; do
		for i in 1 2 3; do $(rt_cmd_sp "$rt") run --bundle "$b" "w-$rt-$i" >/dev/null 2>&1 || true; done
	done

	log "wall time ($N interleaved warm runs each) and perf stat counters"
	# The same hako binary from a read-only bind mount: its binary needs no
	# protection there (CVE-2019-5736), so the container process execs the
	# user process directly instead of through the sealed exec stub; the
	# difference is what the stub costs.
	mkdir -p "$WORK/robin"
	cp "$HAKO" "$WORK/robin/hako-runtime"
	mount --bind "$WORK/robin" "$WORK/robin"
	mount -o remount,bind,ro "$WORK/robin"
	local -A CMD=([floor]="$(cat "$WORK/floor.cmd")"
		[hako]="$(rt_cmd hako)	run	--bundle	$b	ps-hako"
		[crun]="$(rt_cmd crun)	run	--bundle	$b	ps-crun"
		[runc]="$(rt_cmd runc)	run	--bundle	$b	ps-runc"
		[hako-ro]="$WORK/robin/hako-runtime	--root	$WORK/state/hako	run	--bundle	$b	ps-ro")
	local names=(floor hako crun runc hako-ro) k
	for ((i = 0; i < N; i++)); do
		for ((k = 0; k < ${#names[@]}; k++)); do
			rt=${names[$(((i + k) % ${#names[@]}))]}
			printf 'warm\tw\t%s\nrun\t%s\t%s\n' "$warm" "$rt" "${CMD[$rt]}"
		done
	done | "$WORK/hb" "$WORK/runtime.log" >"$P/wall.tsv"
	{
		echo "| runtime | wall ms/run (median, interleaved) | CPU (task-clock) ms | context switches | page faults | cpu migrations |"
		echo "|---|---:|---:|---:|---:|---:|"
		for rt in "${names[@]}"; do
			local -a argv
			IFS=$'\t' read -r -a argv <<<"${CMD[$rt]}"
			counters "$rt" "${argv[@]}" | awk -F'\t' -v w="$(hmedian "$rt" "$P/wall.tsv")" \
				'{ n = $1; if (n == "hako-ro") n = "hako, binary on a read-only mount (no exec stub)"
				   printf "| %s | %s | %s | %s | %s | %s |\n", n, w, $2, $3, $4, $5 }'
		done
	} >"$P/perfstat.md"
	umount "$WORK/robin"

	log "strace -f -c of run, create, start, delete"
	for rt in "${RUNTIMES[@]}"; do
		IFS=$'\t' read -r -a c <<<"$(rt_cmd "$rt")"
		sh -c "echo \$\$ > $warm"
		strace -f -c -o "$P/$rt.c" "${c[@]}" run --bundle "$b" "sc-$rt" >/dev/null 2>&1 || true
		strace -f -o "$P/$rt.log" "${c[@]}" run --bundle "$b" "sl-$rt" >/dev/null 2>&1 || true
		# create under strace -f follows the container process into its
		# wait: run it in the background, start from outside, then delete.
		sh -c "echo \$\$ > $warm"
		strace -f -c -o "$P/$rt-create.c" "${c[@]}" create --bundle "$b" --pid-file "$P/$rt.pid" "sp-$rt" >/dev/null 2>&1 &
		local spid=$! k
		for ((k = 0; k < 500; k++)); do [ -s "$P/$rt.pid" ] && break; sleep 0.01; done
		strace -f -c -o "$P/$rt-start.c" "${c[@]}" start "sp-$rt" >/dev/null 2>&1 || true
		wait "$spid" || true
		sleep 0.05
		strace -f -c -o "$P/$rt-delete.c" "${c[@]}" delete "sp-$rt" >/dev/null 2>&1 || "${c[@]}" delete --force "sp-$rt" >/dev/null 2>&1 || true
	done

	log "strace -f -tt -T of a warm hako run"
	sh -c "echo \$\$ > $warm"
	IFS=$'\t' read -r -a c <<<"$(rt_cmd hako)"
	strace -f -tt -T -o "$P/hako.tt" "${c[@]}" run --bundle "$b" tt-hako >/dev/null 2>&1 || true
	log "isolated hako run: the cgroup join, traced alone"
	sleep 0.2
	strace -f -T -e trace=write -o "$P/hako-iso.write" "${c[@]}" run --bundle "$b" iso-hako >/dev/null 2>&1 || true

	log "no-op cgroup migration: isolated vs warm"
	{
		for i in 1 2 3 4 5; do
			printf 'sleep\t100\nwarm\tidle/%d\t%s\nwarm\tagain/%d\t%s\n' "$i" "$warm" "$i" "$warm"
		done
	} | "$WORK/hb" "$WORK/runtime.log" >"$P/gp.tsv"

	log "perf record: 200 warm runs of hako and crun"
	for rt in hako crun; do
		perf record -q -F 10000 -e cpu-clock -g -o "$P/perf.$rt" -- sh -c "for i in \$(seq 200); do echo \$\$ > $warm; $(rt_cmd_sp "$rt") run --bundle $b pr-$rt >/dev/null 2>&1; done" >/dev/null 2>&1 || true
	done

	log "uprobe timeline of 150 warm hako runs"
	# uprobes on the file the runtime runs from (the measured copy: it does
	# not re-execute itself, the container process leaves its image through
	# the exec stub), in the runtime and in the container process until then.
	local grp=hkbench$$ f missing="" bin=$HAKO
	trap 'perf probe -q -d "'"$grp"':*" >/dev/null 2>&1 || true' EXIT
	for f in $TIMELINE_PROBES; do
		perf probe -q -x "$bin" -a "$grp:$f=$f" >/dev/null 2>&1 || missing+=" $f"
	done
	if [ -z "$missing" ]; then
		perf record -q -e "$grp:*" -e sched:sched_process_exec -e sched:sched_process_exit -e sched:sched_process_fork \
			-o "$P/perf.timeline" -- sh -c "for i in \$(seq 150); do echo \$\$ > $warm; $bin --root $WORK/state/hako run --bundle $b tl >/dev/null 2>&1; done" >/dev/null 2>&1 || true
		perf script -i "$P/perf.timeline" -F comm,pid,time,event 2>/dev/null | awk -f "$HERE/timeline.awk" >"$P/timeline.md"
	else
		echo "(skipped: no symbol for$missing in this build)" >"$P/timeline.md"
	fi
	perf probe -q -d "$grp:*" >/dev/null 2>&1 || true

	log "state root on ext4 (this machine's /run) vs tmpfs"
	mkdir -p "$WORK/disk-state"
	# Interleaved, warm: tmpfs and ext4 roots alternate for each runtime.
	for ((i = 0; i < N; i++)); do
		for rt in hako crun; do
			printf 'warm\tw\t%s\nrun\t%s/tmpfs\t%s\trun\t--bundle\t%s\tfs-%s\n' "$warm" "$rt" "$(rt_cmd "$rt")" "$b" "$rt"
			printf 'warm\tw\t%s\nrun\t%s/ext4\t%s\t--root\t%s\trun\t--bundle\t%s\tfs-%s\n' "$warm" "$rt" "$(rt_cmd "$rt" | cut -f1)" "$WORK/disk-state/$rt" "$b" "$rt"
		done
	done | "$WORK/hb" "$WORK/runtime.log" >"$P/statefs.tsv"
	{
		echo "| runtime | state on tmpfs: median ms/run | state on ext4 | difference | failures |"
		echo "|---|---:|---:|---:|---:|"
		for rt in hako crun; do
			awk -F'\t' -v rt="$rt" '
				function med(arr, m,   i, j, x) { for (i = 2; i <= m; i++) { x = arr[i]; for (j = i - 1; j >= 1 && arr[j] > x; j--) arr[j + 1] = arr[j]; arr[j + 1] = x }
					return m % 2 ? arr[(m + 1) / 2] : (arr[m / 2] + arr[m / 2 + 1]) / 2 }
				$1 == rt "/tmpfs" { if ($3 == 0) a[++na] = $2 / 1e6; else f++ }
				$1 == rt "/ext4" { if ($3 == 0) b[++nb] = $2 / 1e6; else f++ }
				END { ma = med(a, na); mb = med(b, nb); printf "| %s | %.2f | %.2f | %+.2f ms | %d |\n", rt, ma, mb, mb - ma, f }' "$P/statefs.tsv"
		done
	} >"$P/statefs.md"
}

if [ "${1:-}" = --inner ]; then
	WORK=$2
	PARENT=$3
	inner
	exit 0
fi

# ------------------------------------------------------------------ main
main() {
	trap bench_cleanup EXIT
	bench_prepare
	mkbundle "$WORK/b/p" "$PARENT/p"
	unshare --mount --cgroup --propagation private "$SELF" --inner "$WORK" "$PARENT"
	local P=$WORK/prof
	mkdir -p "$OUT"

	log "process start cost and loader statistics"
	local t=$WORK/t
	mkdir -p "$t"
	echo 'int main(void){return 0;}' >"$t/t.c"
	gcc -O2 -o "$t/glibc-dynamic" "$t/t.c"
	gcc -O2 -static -o "$t/glibc-static" "$t/t.c"
	command -v musl-gcc >/dev/null && musl-gcc -O2 -static -o "$t/musl-static" "$t/t.c"
	local exe
	{
		echo "| program | wall per exec (perf stat -r 300) |"
		echo "|---|---:|"
		for exe in "$t"/glibc-dynamic "$t"/glibc-static "$t"/musl-static "$HAKO --version" "$(command -v crun) --version"; do
			[ -e "${exe%% *}" ] || continue
			# shellcheck disable=SC2086
			perf stat -r 300 $exe 2>&1 >/dev/null | awk -v e="${exe##*/}" '/elapsed/ { printf "| %s | %.3f ms |\n", e, $1 * 1000 }'
		done
	} >"$P/exec.md"
	perf record -q -F 20000 -e cpu-clock -o "$P/perf.exec" -- sh -c "for i in \$(seq 200); do $t/glibc-dynamic; done" >/dev/null 2>&1 || true
	LD_DEBUG=statistics "$HAKO" --version 2>&1 >/dev/null | grep -E 'total startup|relocation|load objects' | sed 's/^ *[0-9]*: *//' >"$P/ld-hako.txt" || true
	LD_DEBUG=statistics crun --version 2>&1 >/dev/null | grep -E 'total startup|relocation|load objects' | sed 's/^ *[0-9]*: *//' >"$P/ld-crun.txt" || true

	report >"$OUT/profile.md"
	log "wrote $OUT/profile.md"
}

report() {
	set +e +o pipefail
	local P=$WORK/prof rt
	echo "# hako-runtime profile: where the time of \`run /bin/true\` goes"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); $("$HAKO" --version | head -2 | paste -sd' ' -); $(crun --version | head -1); $(runc --version | head -1)"
	echo "- the cgroup-v1 wrapper of bench/run.sh for all runtimes; state roots on tmpfs; warm starts" \
		"(a no-op cgroup migration right before each) unless marked isolated."
	echo "- hardware counters (instructions, cycles) are not available in this VM: \`perf stat -e instructions true\`" \
		"says <not supported>; software counters and cpu-clock sampling are used instead."
	echo
	echo "## Phases of a warm hako \`run\` (uprobes + sched tracepoints, 150 runs)"
	echo
	echo "Timestamps from uprobes on $(echo $TIMELINE_PROBES | sed 's/ /, /g') (hako_rootfs_mount in the" \
		"container process, the others in the runtime) and the exec/fork/exit tracepoints (a few µs each):" \
		"the container process execs the sealed exec stub (\`memfd:hako-runt\`) at the end of create, and" \
		"the stub execs /bin/true at start."
	echo
	cat "$P/timeline.md"
	echo
	echo "## perf stat: CPU and wall time per run ($N runs each)"
	echo
	cat "$P/perfstat.md"
	echo
	echo "## Syscalls of one \`run\` (strace -f -c, the container process included)"
	echo
	syscall_table "$P/hako.c" "$P/crun.c" "$P/runc.c"
	echo
	echo "### By step"
	echo
	echo "| step | hako syscalls | crun syscalls | runc syscalls |"
	echo "|---|---:|---:|---:|"
	local st
	for st in create start delete; do
		echo "| $st$([ $st = create ] && echo " (with the container process until its exit)") | $(sc_counts "$P/hako-$st.c" | awk '$2 == "total" { print $1 }') | $(sc_counts "$P/crun-$st.c" | awk '$2 == "total" { print $1 }') | $(sc_counts "$P/runc-$st.c" | awk '$2 == "total" { print $1 }') |"
	done
	echo
	echo "### What the syscalls of one \`run\` are for"
	echo
	echo "| category | hako | crun | runc |"
	echo "|---|---:|---:|---:|"
	join -t$'\t' -a1 -a2 -e0 -o 0,1.1,2.1 -1 2 -2 2 \
		<(categorize "$P/hako.log" | sort -t$'\t' -k2) <(categorize "$P/crun.log" | sort -t$'\t' -k2) |
		join -t$'\t' -a1 -a2 -e0 -o 0,1.2,1.3,2.1 -1 1 -2 2 - <(categorize "$P/runc.log" | sort -t$'\t' -k2) |
		sort -t$'\t' -k2 -rn | awk -F'\t' '{ printf "| %s | %d | %d | %d |\n", $1, $2, $3, $4 }'
	echo
	echo "### hako: files opened more than once in one \`run\`"
	echo
	echo '```'
	grep -o 'openat([^"]*"[^"]*"' "$P/hako.log" | sed 's/.*"\(.*\)"/\1/' |
		sed -E 's#/sys/fs/cgroup/[^/]+/#/sys/fs/cgroup/<hierarchy>/#' | sort | uniq -c | sort -rn | awk '$1 > 1' | head -20
	echo "openat2 (RESOLVE_IN_ROOT walks): $(grep -c 'openat2(' "$P/hako.log") calls; most frequent paths:"
	grep -o 'openat2([^"]*"[^"]*"' "$P/hako.log" | sed 's/.*"\(.*\)"/\1/' | sort | uniq -c | sort -rn | head -8
	echo '```'
	echo
	echo "## The slowest syscalls of a hako \`run\` (strace -f -T; strace slows every syscall, and the start is never warm under strace: the slow write of a pid to cgroup.procs is the RCU grace period)"
	echo
	echo '```'
	sed -E 's/^(.*)<([0-9.]+)>$/\2 \1/;t;d' "$P/hako.tt" | sort -rn | head -15 | cut -c1-160
	echo '```'
	echo
	echo "Isolated start (200 ms idle before), only write(2) traced: the slowest writes"
	echo
	echo '```'
	sed -E 's/^(.*)<([0-9.]+)>$/\2 \1/;t;d' "$P/hako-iso.write" | sort -rn | head -3 | cut -c1-140
	echo '```'
	echo
	echo "A no-op v1 cgroup migration (own pid into own cgroup.procs), ms:"
	echo "after 100 ms idle: $(awk -F'\t' '$1 ~ /^idle/ { printf "%.2f ", $2 / 1e6 }' "$P/gp.tsv");" \
		"right after another: $(awk -F'\t' '$1 ~ /^again/ { printf "%.3f ", $2 / 1e6 }' "$P/gp.tsv")"
	echo
	echo "## perf record (cpu-clock, 200 warm runs): where the CPU time goes"
	echo
	for rt in hako crun; do
		echo "### $rt: share of samples by program and object"
		echo
		echo '```'
		perf report -i "$P/perf.$rt" --no-children --sort comm,dso -q -g none 2>/dev/null | awk 'NF' | head -10
		echo '```'
		echo
		echo "$rt: kernel entry points (children %, top 14)"
		echo
		echo '```'
		perf report -i "$P/perf.$rt" --children --sort sym -q -g none 2>/dev/null |
			grep -E '\[k\] (__x64_sys_|__do_sys_|asm_exc_page_fault)' | head -14
		echo '```'
		echo
	done
	echo "hako: kernel functions under those entry points worth knowing (children %)"
	echo
	echo '```'
	perf report -i "$P/perf.hako" --children --sort sym -q -g none 2>/dev/null |
		grep -E '\[k\] (copy_net_ns|cgroup_mkdir|cgroup_rmdir|__cgroup1_procs_write|cgroup_attach_task|ext4_|ext4_rename|ext4_writepages|proc_single_show|show_mountinfo|seq_read_iter|path_openat|do_new_mount|alloc_vfsmnt|namespace_unlock|synchronize_rcu_expedited|copy_mnt_ns|create_new_namespaces|exit_mmap|copy_process|do_pivot_root|load_elf_binary|do_sendfile)' | head -30
	echo '```'
	echo
	echo "## Process start: glibc's CPU feature probing"
	echo
	echo "Every glibc process (dynamic or static) runs init_cpu_features/init_cacheinfo at start," \
		"which executes CPUID many times; in this VM CPUID traps to the hypervisor. Samples of 200 runs" \
		"of an empty glibc-dynamic program, by symbol:"
	echo
	echo '```'
	perf script -i "$P/perf.exec" -F comm,ip,sym,dso 2>/dev/null | awk '$1 == "glibc-dynamic" { $1 = ""; $2 = ""; n[$0]++; t++ }
		END { for (k in n) printf "%5.1f%% %s\n", 100 * n[k] / t, k }' | sort -rn | head -8
	echo '```'
	echo
	cat "$P/exec.md"
	echo
	echo "LD_DEBUG=statistics, hako-runtime --version:"
	echo
	echo '```'
	cat "$P/ld-hako.txt"
	echo '```'
	echo
	echo "crun --version:"
	echo
	echo '```'
	cat "$P/ld-crun.txt"
	echo '```'
	echo
	echo "## State root on ext4 vs tmpfs"
	echo
	cat "$P/statefs.md"
}

if [ "${1:-}" = --main ]; then
	main
	exit 0
fi

[ "$(id -u)" = 0 ] || die "run as root"
for c in crun runc busybox jq gcc strace perf unshare; do
	command -v "$c" >/dev/null || die "$c is missing (make bench installs it)"
done
[ -x "$HAKO" ] || die "$HAKO not found: build it first"
exec unshare --mount --propagation private "$SELF" --main
