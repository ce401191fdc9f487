#!/bin/bash
# bench/report.sh WORK OUT HAKO: turn the harness output of bench/run.sh
# ($WORK/data/*.tsv) into OUT/latest.md and OUT/latest.png, and put the
# table into bench/README.md (between the results markers).
set -euo pipefail
WORK=$1
OUT=$2
HAKO=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
D=$WORK/data
RUNTIMES=(hako crun runc)
MD=$OUT/latest.md
PNG=$OUT/latest.png

# stats REGEX FILE...: "n median p90 mean min max failures" (ms) of the steps
# whose label matches REGEX; failed steps are counted, not timed.
stats() {
	local re=$1 fails
	shift
	fails=$(awk -F'\t' -v re="$re" '$1 ~ re && $3 != 0 { f++ } END { print f + 0 }' "$@")
	awk -F'\t' -v re="$re" '$1 ~ re && $3 == 0 { printf "%.6f\n", $2 / 1e6 }' "$@" | sort -g |
		awk -v f="$fails" '{ v[NR] = $1; s += $1 }
		END { if (NR == 0) { print 0, "nan", "nan", "nan", "nan", "nan", f; exit }
		      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      k = int(0.9 * NR); if (k < 0.9 * NR) k++; if (k < 1) k = 1
		      print NR, m, v[k], s / NR, v[1], v[NR], f }'
}
# field N of a stats line
fld() { awk -v n="$2" '{ print $n }' <<<"$1"; }
# ratio A B: A/B with two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "nan" || b == "nan") print "n/a"; else printf "%.2f", a / b }'; }
# the same unrounded, for the target checks
rawratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "nan" || b == "nan") print "n/a"; else printf "%.6f", a / b }'; }
f2() { awk -v a="$1" 'BEGIN { if (a == "nan") print "n/a"; else printf "%.2f", a }'; }
f1() { awk -v a="$1" 'BEGIN { if (a == "nan") print "n/a"; else printf "%.1f", a }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "n/a" && b != "n/a" && a + 0 <= b + 0) }'; }
mark() { if "$@"; then echo "**met**"; else echo "not met"; fi; }

# Per-iteration sums of the containerd path: "cdsum/RT/I <TAB> ns <TAB> status".
awk -F'\t' '$1 ~ /^cd\// { split($1, p, "/"); k = "cdsum/" p[2] "/" p[3]; s[k] += $2; if ($3 != 0) bad[k] = 1 }
	END { for (k in s) printf "%s\t%d\t%d\t0\t\n", k, s[k], bad[k] ? 1 : 0 }' "$D/cd.tsv" >"$D/cdsum.tsv"

declare -A SEQ ISO CDS HOST
for rt in floor "${RUNTIMES[@]}"; do
	SEQ[$rt]=$(stats "^seq/$rt/" "$D/seq.tsv")
	ISO[$rt]=$(stats "^iso/$rt/" "$D/iso.tsv")
done
for rt in "${RUNTIMES[@]}"; do CDS[$rt]=$(stats "^cdsum/$rt/" "$D/cdsum.tsv"); done
for rt in hako runc; do HOST[$rt]=$(stats "^host/$rt/" "$D/host.tsv"); done

med() { fld "$1" 2; }
hs=$(med "${SEQ[hako]}") cs=$(med "${SEQ[crun]}") rs=$(med "${SEQ[runc]}") fs=$(med "${SEQ[floor]}")
ho=$(awk -v a="$hs" -v f="$fs" 'BEGIN { printf "%.3f", a - f }')
co=$(awk -v a="$cs" -v f="$fs" 'BEGIN { printf "%.3f", a - f }')
ro=$(awk -v a="$rs" -v f="$fs" 'BEGIN { printf "%.3f", a - f }')

hako_ver=$("$HAKO" --version 2>/dev/null | head -2 | paste -sd' ' -)
crun_ver=$(crun --version | head -2 | paste -sd' ' -)
runc_ver=$(runc --version | head -1)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)

n_seq=$(fld "${SEQ[hako]}" 1)
{
	echo "# hako-runtime benchmark: latest results"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC') (measuring took ${BENCH_ELAPSED:-?} s)"
	echo "- machine: $(nproc) CPUs ($cpu), $mem, kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME");" \
		"load average $(cat "$WORK/loadavg.start" 2>/dev/null || echo ?) at the start, $(cat "$WORK/loadavg.end" 2>/dev/null || echo ?) at the end" \
		"(other jobs share this machine: the interleaving spreads their noise evenly)"
	echo "- versions: $hako_ver; $crun_ver; $runc_ver; $(unshare --version)"
	echo "- workload: busybox-static rootfs, \`/bin/true\`, runc's default config.json (namespaces:" \
		"$(jq -r '[.linux.namespaces[].type] | join(", ")' "$WORK/b/seq/config.json"); read-only root;" \
		"terminal false), relative cgroupsPath; the same config.json for the three runtimes."
	echo "- **wrapper (all runtimes alike)**: crun 1.8 refuses this host's hybrid cgroup layout, so every" \
		"runtime, and the floor, runs in a private mount + cgroup namespace (\`unshare --mount --cgroup\`) whose" \
		"/sys/fs/cgroup is a tmpfs holding the v1 hierarchies only (no cgroup2 \`unified\`), mounted afresh" \
		"so that their root is the bench's own cgroup. The host is not changed. The *host view* row" \
		"below is hako and runc without the wrapper (hybrid: 9 v1 hierarchies + cgroup2)."
	warm_stats=$(stats "^warm/" "$D/seq.tsv")
	echo "- **starts are warm** unless marked *isolated*: right before each measured start the harness" \
		"does a no-op v1 cgroup migration of itself (writes its pid to its own cgroup.procs), as on a host that" \
		"starts containers continuously. A v1 cgroup join that follows a few idle ms waits for an RCU grace" \
		"period (cgroup_threadgroup_rwsem); the warm step absorbs it (here: median" \
		"$(f2 "$(fld "$warm_stats" 2)") ms, p90 $(f2 "$(fld "$warm_stats" 3)") ms, outside the timing)," \
		"so no runtime pays it because of what ran before it. *Isolated* starts (${ISO_GAP_MS:-100} ms idle before" \
		"each, no warm step) pay it: both are shown."
	echo "- state roots (\`--root\`) on a tmpfs, as /run is on most hosts (on this machine /run is on the" \
		"root ext4 file system; see bench/README.md for what that costs)."
	echo "- interleaved: every iteration runs each runtime once, cycling through all orders;" \
		"times are wall-clock per runtime command, spawned and reaped by bench/harness.c (a subreaper)."
	echo
	echo "## (a) + (e) sequential \`run\` of /bin/true ($n_seq runs each, warm)"
	echo
	echo "| runtime | median ms | p90 ms | mean ms | min ms | containers/s | over floor (median) ms | failures |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for rt in floor "${RUNTIMES[@]}"; do
		s=${SEQ[$rt]}
		over=$(awk -v a="$(fld "$s" 2)" -v f="$fs" 'BEGIN { printf "%.2f", a - f }')
		[ "$rt" = floor ] && over="-"
		cps=$(awk -v m="$(fld "$s" 4)" 'BEGIN { if (m == "nan" || m == 0) print "n/a"; else printf "%.0f", 1000 / m }')
		name=$rt
		[ "$rt" = floor ] && name="floor (unshare + chroot + exec)"
		echo "| $name | $(f2 "$(fld "$s" 2)") | $(f2 "$(fld "$s" 3)") | $(f2 "$(fld "$s" 4)") | $(f2 "$(fld "$s" 5)") | $cps | $over | $(fld "$s" 7) |"
	done
	echo
	echo "Ratios of medians: **hako/crun $(ratio "$hs" "$cs")**, **hako/runc $(ratio "$hs" "$rs")**," \
		"**hako/floor $(ratio "$hs" "$fs")** (crun/floor $(ratio "$cs" "$fs"), runc/floor $(ratio "$rs" "$fs"))." \
		"Overhead over the floor: hako $(f2 "$ho") ms, crun $(f2 "$co") ms, runc $(f2 "$ro") ms" \
		"(hako/crun overhead $(ratio "$ho" "$co"))."
	echo
	echo "Isolated starts (${ISO_GAP_MS:-100} ms idle before each, $(fld "${ISO[hako]}" 1) runs each):"
	echo
	echo "| runtime | median ms | p90 ms | failures |"
	echo "|---|---:|---:|---:|"
	for rt in floor "${RUNTIMES[@]}"; do
		s=${ISO[$rt]}
		echo "| $rt | $(f2 "$(fld "$s" 2)") | $(f2 "$(fld "$s" 3)") | $(fld "$s" 7) |"
	done
	echo
	echo "Ratios of isolated medians: hako/crun $(ratio "$(med "${ISO[hako]}")" "$(med "${ISO[crun]}")")," \
		"hako/runc $(ratio "$(med "${ISO[hako]}")" "$(med "${ISO[runc]}")")," \
		"hako/floor $(ratio "$(med "${ISO[hako]}")" "$(med "${ISO[floor]}")")."
	echo
	echo "Host view (no wrapper, hybrid layout), warm, $(fld "${HOST[hako]}" 1) runs each:" \
		"hako median $(f2 "$(med "${HOST[hako]}")") ms (p90 $(f2 "$(fld "${HOST[hako]}" 3)"))," \
		"runc $(f2 "$(med "${HOST[runc]}")") ms (p90 $(f2 "$(fld "${HOST[runc]}" 3)")); hako/runc" \
		"$(ratio "$(med "${HOST[hako]}")" "$(med "${HOST[runc]}")"); failures $(fld "${HOST[hako]}" 7)/$(fld "${HOST[runc]}" 7)."
	echo
	echo "## (b) containerd path: create --pid-file, start, wait for exit, delete ($(fld "${CDS[hako]}" 1) cycles each, warm)"
	echo
	echo "Medians per step in ms; the sum is the median of the per-cycle sums."
	echo
	echo "| runtime | create | start | wait | delete | sum (median) | sum p90 | failures |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for rt in "${RUNTIMES[@]}"; do
		row="| $rt "
		for st in create start wait delete; do
			row+="| $(f2 "$(med "$(stats "^cd/$rt/[0-9]+/$st\$" "$D/cd.tsv")")") "
		done
		s=${CDS[$rt]}
		echo "$row| $(f2 "$(fld "$s" 2)") | $(f2 "$(fld "$s" 3)") | $(fld "$s" 7) |"
	done
	echo
	echo "Ratios of the sums: **hako/crun $(ratio "$(med "${CDS[hako]}")" "$(med "${CDS[crun]}")")**," \
		"**hako/runc $(ratio "$(med "${CDS[hako]}")" "$(med "${CDS[runc]}")")**."
	echo
	echo "## (c) concurrent \`run\`s"
	echo
	echo "All N started at once (\`run\`, each its own bundle and cgroup), wall time until the last exits;" \
		"after each batch the state root, the cgroups below the bench parent, the mounts and the" \
		"processes are checked for leftovers (and removed)."
	echo
	echo "| N | runtime | wall s (median of reps) | containers/s | failures | leftovers |"
	echo "|---:|---|---:|---:|---:|---:|"
	# shellcheck disable=SC2013 # numbers, one a line
	for n in $(awk -F'\t' '$1 ~ /^conc\// { split($1, p, "/"); print p[3] }' "$D/conc.tsv" | sort -n -u); do
		for rt in "${RUNTIMES[@]}"; do
			w=$(awk -F'\t' -v re="^conc/$rt/$n/" '$1 ~ re { printf "%.6f\n", $2 / 1e9 }' "$D/conc.tsv" | sort -g |
				awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
			fails=$(awk -F'\t' -v re="^conc/$rt/$n/" '$1 ~ re { f += $3 } END { print f + 0 }' "$D/conc.tsv")
			left=$(awk -F'\t' -v re="^conc/$rt/$n/" '$1 ~ re { c++ } END { print c + 0 }' "$D/leftovers.tsv")
			cps=$(awk -v w="$w" -v n="$n" 'BEGIN { if (w == "nan" || w == 0) print "n/a"; else printf "%.0f", n / w }')
			echo "| $n | $rt | $(f2 "$w") | $cps | $fails | $left |"
			eval "CONC_${rt}_$n=\$w CONCF_${rt}_$n=\$fails CONCL_${rt}_$n=\$left"
		done
	done
	echo
	echo "## (d) memory"
	echo
	echo "Peak RSS is wait4's ru_maxrss (as \`/usr/bin/time -f %M\`): the runtime process and the children" \
		"it reaped (runc's \`runc init\` re-exec, hako's and crun's forked container process before exec)." \
		"The memory limit is linux.resources.memory.limit (memory.limit_in_bytes of the container's v1" \
		"cgroup); a limit counts when create + start + exit 0 of /bin/true succeed and the cgroup showed" \
		"the limit."
	echo
	echo "| runtime | peak RSS run KiB (median / max) | peak RSS create KiB (median / max) | smallest memory limit that starts |"
	echo "|---|---:|---:|---|"
	for rt in floor "${RUNTIMES[@]}"; do
		rss_run=$(awk -F'\t' -v re="^seq/$rt/" '$1 ~ re { print $4 }' "$D/seq.tsv" | sort -n |
			awk '{ v[NR] = $1 } END { if (NR) printf "%d / %d", v[int((NR + 1) / 2)], v[NR]; else print "n/a" }')
		if [ "$rt" = floor ]; then
			echo "| floor | $rss_run | - | - |"
			continue
		fi
		rss_cr=$(awk -F'\t' -v re="^cd/$rt/[0-9]+/create\$" '$1 ~ re { print $4 }' "$D/cd.tsv" | sort -n |
			awk '{ v[NR] = $1 } END { if (NR) printf "%d / %d", v[int((NR + 1) / 2)], v[NR]; else print "n/a" }')
		lim=$(awk -F'\t' -v rt="$rt" '
			{ split($1, p, "/"); if (p[2] != rt) next; k = p[3]; seen[k] = 1
			  if (p[4] == "create" || p[4] == "start" || p[4] == "wait") { if ($3 != 0 && !bad[k]) { bad[k] = 1; why[k] = p[4] == "wait" ? ($3 == 137 ? "container OOM-killed" : "container exit " $3) : p[4] " failed" } }
			  if (p[4] == "limit") val[k] = $5 }
			END { n = 0; for (k in seen) ks[++n] = k + 0
			      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (ks[j] < ks[i]) { t = ks[i]; ks[i] = ks[j]; ks[j] = t }
			      applied = 0; other = ""
			      for (i = 1; i <= n; i++) { k = ks[i]; if (bad[k] || val[k] == "unreadable") continue
			          if (val[k] == k * 1024) applied = 1; else other = val[k] }
			      if (!applied) { if (other != "") printf "not supported yet (memory.limit_in_bytes stays %s)", other
			                      else printf "n/a (no successful start)"; exit }
			      for (i = 1; i <= n; i++) { k = ks[i]; if (!bad[k] && val[k] == k * 1024) {
			          fails = ""; for (j = i + 1; j <= n; j++) if (bad[ks[j]]) fails = fails " " ks[j]
			          below = i > 1 ? sprintf("; at %d KiB: %s", ks[i - 1], why[ks[i - 1]]) : ""
			          printf "%d KiB%s%s", k, below, fails == "" ? "" : " (but failed at" fails " KiB)"; exit } }
			      printf "none up to %d KiB", ks[n] }' "$D/mem.tsv")
		echo "| $rt | $rss_run | $rss_cr | $lim |"
		eval "LIM_$rt=\$lim"
		eval "RSS_$rt=\$(cut -d' ' -f1 <<<\"\$rss_run\")"
	done
	echo
	echo "## Leftovers"
	echo
	if [ -s "$D/leftovers.tsv" ]; then
		echo "| phase | runtime | what | detail |"
		echo "|---|---|---|---|"
		awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$D/leftovers.tsv" | head -40
		echo
		echo "($(wc -l <"$D/leftovers.tsv") in all; removed by the bench.)"
	else
		echo "None: no state dir, cgroup, mount or process was left behind by any phase (checked after every" \
			"concurrent batch, after the wrapped phases and at the end in the host view)."
	fi
	echo
	echo "## Targets of issue 6 (ratios in this run)"
	echo
	hcr=$(rawratio "$hs" "$cs") hrr=$(rawratio "$hs" "$rs") ovr=$(rawratio "$ho" "$co")
	cdr=$(rawratio "$(med "${CDS[hako]}")" "$(med "${CDS[crun]}")")
	r3() { awk -v a="$1" 'BEGIN { if (a == "n/a") print a; else printf "%.3f", a }'; }
	echo "| target | measured | status |"
	echo "|---|---|---|"
	echo "| run: hako median <= 0.8 x crun | $(r3 "$hcr") | $(mark le "$hcr" 0.8) |"
	echo "| run: hako median <= 0.4 x runc | $(r3 "$hrr") | $(mark le "$hrr" 0.4) |"
	echo "| run: hako overhead over floor < 0.5 x crun's | $(r3 "$ovr") | $(mark awk -v a="$ovr" 'BEGIN { exit !(a != "n/a" && a + 0 < 0.5) }') |"
	echo "| create+start+wait+delete: hako <= 0.8 x crun | $(r3 "$cdr") | $(mark le "$cdr" 0.8) |"
	w_h=${CONC_hako_200:-nan} w_c=${CONC_crun_200:-nan}
	echo "| 200 concurrent: no failures, no leftovers, wall <= crun | failures ${CONCF_hako_200:-?}, leftovers ${CONCL_hako_200:-?}, wall $(f2 "$w_h") s vs crun $(f2 "$w_c") s | $(mark awk -v f="${CONCF_hako_200:-1}" -v l="${CONCL_hako_200:-1}" -v a="$w_h" -v b="$w_c" 'BEGIN { exit !(f == 0 && l == 0 && a != "nan" && b != "nan" && a + 0 <= b + 0) }') |"
	echo "| peak RSS (run, median) hako <= crun | ${RSS_hako:-?} KiB vs ${RSS_crun:-?} KiB | $(mark le "${RSS_hako:-n/a}" "${RSS_crun:-n/a}") |"
	echo "| starts under a 512 KiB memory limit | ${LIM_hako:-?} | $(mark awk -v l="${LIM_hako:-}" 'BEGIN { exit !(l ~ /^[0-9]+ KiB/ && l + 0 <= 512) }') |"
	echo
	echo "![latency distributions](latest.png)"
	echo
	echo "Raw per-step data: [latest.tsv](latest.tsv) (label, ns, status, maxrss KiB, extra)."
} >"$MD"

# ---- plot: CDFs of the sequential run latency and of the containerd-path sum
P=$WORK/plot
mkdir -p "$P"
for rt in floor "${RUNTIMES[@]}"; do
	awk -F'\t' -v re="^seq/$rt/" '$1 ~ re && $3 == 0 { printf "%.6f\n", $2 / 1e6 }' "$D/seq.tsv" | sort -g |
		awk '{ v[NR] = $1 } END { for (i = 1; i <= NR; i++) print v[i], i / NR }' >"$P/seq-$rt.dat"
	awk -F'\t' -v re="^iso/$rt/" '$1 ~ re && $3 == 0 { printf "%.6f\n", $2 / 1e6 }' "$D/iso.tsv" | sort -g |
		awk '{ v[NR] = $1 } END { for (i = 1; i <= NR; i++) print v[i], i / NR }' >"$P/iso-$rt.dat"
done
for rt in "${RUNTIMES[@]}"; do
	awk -F'\t' -v re="^cdsum/$rt/" '$1 ~ re && $3 == 0 { printf "%.6f\n", $2 / 1e6 }' "$D/cdsum.tsv" | sort -g |
		awk '{ v[NR] = $1 } END { for (i = 1; i <= NR; i++) print v[i], i / NR }' >"$P/cd-$rt.dat"
done
gnuplot <<EOF
set terminal pngcairo size 1400,520 font "DejaVu Sans,10"
set output "$PNG"
set multiplot layout 1,2 title "hako-runtime vs crun vs runc, $(date -u +%Y-%m-%d), $(nproc) CPUs, kernel $(uname -r) (all in the same cgroup-v1 wrapper)"
set logscale x
set grid xtics mxtics ytics
set key bottom right
set ylabel "fraction of runs <= x"
set xlabel "ms (log scale)"
set yrange [0:1.02]
set style line 1 lc rgb "#777777" lw 2
set style line 2 lc rgb "#d62728" lw 2
set style line 3 lc rgb "#1f77b4" lw 2
set style line 4 lc rgb "#2ca02c" lw 2
set title "sequential run of /bin/true: CDF (solid warm, dashed isolated)"
plot "$P/seq-floor.dat" u 1:2 w steps ls 1 t "floor", \
     "$P/seq-hako.dat" u 1:2 w steps ls 2 t "hako-runtime", \
     "$P/seq-crun.dat" u 1:2 w steps ls 3 t "crun", \
     "$P/seq-runc.dat" u 1:2 w steps ls 4 t "runc", \
     "$P/iso-floor.dat" u 1:2 w steps ls 1 dt 2 notitle, \
     "$P/iso-hako.dat" u 1:2 w steps ls 2 dt 2 notitle, \
     "$P/iso-crun.dat" u 1:2 w steps ls 3 dt 2 notitle, \
     "$P/iso-runc.dat" u 1:2 w steps ls 4 dt 2 notitle
set title "containerd path create + start + wait + delete: CDF of the sum"
plot "$P/cd-hako.dat" u 1:2 w steps ls 2 t "hako-runtime", \
     "$P/cd-crun.dat" u 1:2 w steps ls 3 t "crun", \
     "$P/cd-runc.dat" u 1:2 w steps ls 4 t "runc"
unset multiplot
EOF

# ---- bench/README.md: the latest table between the markers
readme=$HERE/README.md
if [ "$(realpath "$OUT")" = "$HERE/results" ] && [ -f "$readme" ] && grep -q '<!-- results:begin -->' "$readme"; then
	{
		sed -n '1,/<!-- results:begin -->/p' "$readme"
		echo
		sed -e '1d' -e 's/^## /### /' -e 's|(latest\.png)|(results/latest.png)|' -e 's|(latest\.tsv)|(results/latest.tsv)|' "$MD"
		echo
		sed -n '/<!-- results:end -->/,$p' "$readme"
	} >"$readme.new"
	mv "$readme.new" "$readme"
fi
