# bench/timeline.awk: phases of a hako-runtime `run` from `perf script -F
# comm,pid,time,event` of uprobes on main, cgroup_prepare_set, spawn,
# hako_rootfs_mount (in the container process), release_fifo and do_delete
# plus the sched exec/fork/exit tracepoints (bench/profile.sh records them);
# prints the median (p10, p90) of each phase over all runs.
{
	comm = $1; pid = $2; t = $3; sub(/:$/, "", t); ev = $4; sub(/:$/, "", ev)
	sub(/^hkbench[0-9]+:/, "", ev); sub(/^sched:sched_process_/, "", ev)
	t *= 1000
	if (comm == "hako-runtime" && ev == "exec") { run++; parent = pid; child = ""; delete T; T["exec"] = t; next }
	if (!run) next
	if (ev == "fork" && pid == parent) { T["forked"] = t; next }
	# The container process leaves the runtime's image through the sealed
	# exec stub (a memfd) at the end of create, and the stub execs /bin/true.
	if (ev == "exec" && comm ~ /^memfd:/) { T["stub_exec"] = t; next }
	if (comm == "true" && ev == "exec") { T["true_exec"] = t; child = pid; next }
	if (pid == child && ev == "exit") { T["true_exit"] = t; next }
	if (pid == parent && ev == "exit") { T["exit"] = t; emit(); next }
	if (ev != "fork" && ev != "exec" && ev != "exit" && !(ev in T)) T[ev] = t
}
function d(a, b, name) { if ((a in T) && (b in T)) { v[name, run] = T[b] - T[a]; names[name] = 1 } }
function emit() {
	d("exec", "main", "1. exec of hako-runtime -> main(): ld.so + glibc init")
	d("main", "cgroup_prepare_set", "2. parse config, state dir, seccomp")
	d("cgroup_prepare_set", "spawn", "3. cgroup_prepare: the container's cgroups, device rules")
	d("spawn", "forked", "4. clone3 with the new namespaces (kernel)")
	d("forked", "hako_rootfs_mount", "5. cgroup join, GO (container: keyring, hostname)")
	d("hako_rootfs_mount", "stub_exec", "6. container setup: mounts, pivot_root, masks, caps, exec of the stub")
	d("stub_exec", "release_fifo", "7. READY -> start (state.json)")
	d("release_fifo", "true_exec", "8. start: exec.fifo released, the stub execs /bin/true")
	d("true_exec", "true_exit", "9. /bin/true itself (static glibc init)")
	d("true_exit", "do_delete", "10. container exit -> reaped (kernel namespace teardown)")
	d("do_delete", "exit", "11. delete: cgroup rmdir, state dir, exit")
	d("exec", "exit", "total (sum of the medians differs)")
}
END {
	print "| phase | median ms | p10 | p90 | n |"
	print "|---|---:|---:|---:|---:|"
	n = 0
	for (k in names) keys[++n] = k
	# numeric order of the phase numbers, the total last
	for (i = 2; i <= n; i++) { x = keys[i]; for (j = i - 1; j >= 1 && rank(keys[j]) > rank(x); j--) keys[j + 1] = keys[j]; keys[j + 1] = x }
	for (q = 1; q <= n; q++) {
		k = keys[q]; m = 0; delete a
		for (r = 1; r <= run; r++) if ((k, r) in v) a[++m] = v[k, r]
		for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
		printf "| %s | %.3f | %.3f | %.3f | %d |\n", k, (m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2), a[int(m * 0.1) + 1], a[int(m * 0.9)], m
	}
}
function rank(k) { return k ~ /^[0-9]/ ? k + 0 : 1000 }
