# bench/timeline.awk: phases of a hako-runtime `run` from `perf script -F
# comm,pid,time,event` of uprobes on main, spawn, create_handshake,
# hako_container_start and hako_container_delete plus the sched
# exec/fork/exit tracepoints (bench/profile.sh records them); prints the
# median (p10, p90) of each phase over all runs.
{
	comm = $1; pid = $2; t = $3; sub(/:$/, "", t); ev = $4; sub(/:$/, "", ev)
	sub(/^hkbench[0-9]+:/, "", ev); sub(/^sched:sched_process_/, "", ev)
	t *= 1000
	if (comm == "hako-runtime" && ev == "exec") { run++; parent = pid; child = ""; delete T; T["exec"] = t; next }
	if (!run) next
	if (ev == "fork" && pid == parent) { T["forked"] = t; next }
	if (comm == "true" && ev == "exec") { T["true_exec"] = t; child = pid; next }
	if (pid == child && ev == "exit") { T["true_exit"] = t; next }
	if (pid == parent && ev == "exit") { T["exit"] = t; emit(); next }
	if (pid == parent) T[ev] = t
}
function d(a, b, name) { if ((a in T) && (b in T)) { v[name, run] = T[b] - T[a]; names[name] = 1 } }
function emit() {
	d("exec", "main", "1. exec of hako-runtime -> main(): ld.so + glibc init")
	d("main", "spawn", "2. main -> spawn: parse config, state dir, cgroup_prepare")
	d("spawn", "forked", "3. clone3 with the new namespaces (kernel)")
	d("forked", "create_handshake", "4. cgroup_enter (warm) + state.json with the pid")
	d("create_handshake", "hako_container_start", "5. container setup until READY (mounts, pivot_root, caps)")
	d("hako_container_start", "true_exec", "6. start: state, exec.fifo released, execve")
	d("true_exec", "true_exit", "7. /bin/true itself (static glibc init)")
	d("true_exit", "hako_container_delete", "8. container exit -> reaped (kernel namespace teardown)")
	d("hako_container_delete", "exit", "9. delete: cgroup rmdir, state dir, exit")
	d("exec", "exit", "total (sum of the medians differs)")
}
END {
	print "| phase | median ms | p10 | p90 | n |"
	print "|---|---:|---:|---:|---:|"
	n = 0
	for (k in names) keys[++n] = k
	for (i = 2; i <= n; i++) { x = keys[i]; for (j = i - 1; j >= 1 && keys[j] > x; j--) keys[j + 1] = keys[j]; keys[j + 1] = x }
	for (q = 1; q <= n; q++) {
		k = keys[q]; m = 0; delete a
		for (r = 1; r <= run; r++) if ((k, r) in v) a[++m] = v[k, r]
		for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
		printf "| %s | %.3f | %.3f | %.3f | %d |\n", k, (m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2), a[int(m * 0.1) + 1], a[int(m * 0.9)], m
	}
}
