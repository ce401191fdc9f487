#!/usr/bin/env bats
# The CVE regression suite: one test per known attack on runc and crun, each
# setting the attack up for real and checking that a canary on the host (a
# file or directory: names, types, sizes, modes, mtimes and contents) is
# unchanged afterwards.  Races run for a bounded time.  Tests of attacks
# through `exec` run once `$HAKO_RUNTIME exec --help` works.
#
#   bats tests/security/                     against build/hako-runtime
#   HAKO_RUNTIME=runc bats tests/security/   against runc (which ones fail
#                                            is in README's security section)

load ../integration/helpers
bats_require_minimum_version 1.5.0

PROBE_BIN=${PROBE_BIN:-$HAKO_BUILD/tests/probe}

setup() {
	hako_setup
	[ -x "$PROBE_BIN" ] || fail "$PROBE_BIN is missing: ninja -C build tests/probe"
	cp "$PROBE_BIN" "$BUNDLE/rootfs/probe"
	update_config '.root.readonly = false'
}

teardown() {
	hako_teardown
}

# ---- canaries ----

canary_state() {
	(cd "$1" && find . -printf '%p %y %s %m %T@\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

# canary DIR [FILE]: a host directory holding FILE (copied) or a small file,
# with old mtimes, and its snapshot next to it.
canary() {
	local d=$1
	mkdir -p "$d"
	if [ -n "${2:-}" ]; then
		cp "$2" "$d/"
	else
		echo "canary of: $BATS_TEST_DESCRIPTION" >"$d/file"
	fi
	find "$d" -exec touch -h -d '2001-02-03 04:05:06' {} +
	canary_state "$d" >"$d.snapshot"
}

assert_canary() {
	local now
	now=$(canary_state "$1")
	if [ "$now" != "$(cat "$1.snapshot")" ]; then
		fail "the host canary $1 changed: $(diff "$1.snapshot" <(echo "$now") | tr '\n' ' ')"
	fi
}

# ---- helpers ----

# The exec tests run once the runtime has exec: `exec --help` works, or at
# least exec does not say it is missing.
require_exec() {
	local out
	out=$("$HAKO_RUNTIME" exec --help 2>&1) && return 0
	if [[ "$out" == *"not implemented"* || "$out" == *"unknown command"* ]]; then
		skip "exec not implemented yet"
	fi
}

# attacker_bundle NAME: a second bundle with the probe; sets ATTACKER.
attacker_bundle() {
	make_bundle "$1"
	ATTACKER=$TEST_DIR/$1
	cp "$PROBE_BIN" "$ATTACKER/rootfs/probe"
	update_config '.root.readonly = false' "$ATTACKER"
}

# bind_volume BUNDLE HOSTDIR DEST: a read-write bind mount.
bind_volume() {
	update_config '.mounts += [{"destination": $d, "type": "bind", "source": $s, "options": ["rbind", "rw"]}]' \
		"$1" --arg d "$3" --arg s "$2"
}

# join_pid_ns BUNDLE PID: the container joins PID's pid namespace.
join_pid_ns() {
	update_config '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)' "$1" \
		--arg p "/proc/$2/ns/pid"
}

add_caps() {
	local c
	for c in "$@"; do
		update_config '.process.capabilities |= with_entries(.value += [$c])' "$BUNDLE" --arg c "$c"
	done
}

no_dev_tmpfs() {
	update_config '.mounts |= map(select(.destination != "/dev"))' "${1:-$BUNDLE}"
}

# ---- the runtime binary ----

# Some kernels (6.18 here) refuse to execve /proc/self/exe when the binary is
# not reachable from the process's root (ENOENT, for runc too): the shebang
# variants cannot be set up there, and say so instead of passing vacuously.
skip_if_no_proc_self_exe_exec() {
	if [[ "$output" == *"/evil"*"o such file or directory"* ]]; then
		skip "this kernel does not execve /proc/self/exe from inside the container (ENOENT)"
	fi
}

@test "CVE-2019-5736: a process in the container cannot write the runtime binary through /proc/PID/exe (create/start)" {
	# Until its execve the container process runs the runtime's image; a process in the same
	# pid namespace holds /proc/PID/exe and, once the image is gone, reopens it for writing.
	local rtdir=$TEST_DIR/rt rt
	canary "$rtdir" "$HAKO_RUNTIME"
	rt=$rtdir/$(basename "$HAKO_RUNTIME")
	local shared=$TEST_DIR/shared
	mkdir -p "$shared"
	# The attacker has CAP_SYS_PTRACE, so "non-dumpable" alone does not stop it.
	attacker_bundle attacker
	bind_volume "$ATTACKER" "$shared" /shared
	update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])' "$ATTACKER"
	update_config '.process.args = ["/bin/sh", "-c", "/probe grab-exe 20 >/shared/result"]' "$ATTACKER"
	BUNDLE=$ATTACKER runtime_run_detached attacker
	local apid
	apid=$(container_pid attacker)

	join_pid_ns "$BUNDLE" "$apid"
	set_args /init sleep 30
	HAKO_RUNTIME=$rt runtime_create box
	wait_for_line "$shared/result" '^(grabbed|open|none)'
	HAKO_RUNTIME=$rt runtime start box
	wait_for_line "$shared/result" '^(written|refused|none|open)'
	echo "attacker: $(cat "$shared/result")"
	if grep -q '^written' "$shared/result"; then fail "the runtime binary was written"; fi
	echo "# attacker: $(tr "\n" " " <"$shared/result")" >&3
	assert_canary "$rtdir"
	"$rt" --version >/dev/null
}

@test "CVE-2019-5736: in a new pid namespace, a process exec'd into the created container cannot write the runtime binary" {
	# Without a re-exec of the runtime, the container process leaves the runtime's image
	# before `create` returns (the exec stub): a process exec'd into the created container,
	# with CAP_SYS_PTRACE, finds pid 1 and holds its /proc/PID/exe across `start`.
	require_exec
	local rtdir=$TEST_DIR/rt rt
	canary "$rtdir" "$HAKO_RUNTIME"
	rt=$rtdir/$(basename "$HAKO_RUNTIME")
	local shared=$TEST_DIR/shared
	mkdir -p "$shared"
	bind_volume "$BUNDLE" "$shared" /shared
	set_args /init sleep 30
	HAKO_RUNTIME=$rt runtime_create box
	HAKO_RUNTIME=$rt runtime exec --detach --cap CAP_SYS_PTRACE box /bin/sh -c '/probe grab-exe 20 >/shared/result'
	wait_for_line "$shared/result" '^(grabbed|open|none)'
	HAKO_RUNTIME=$rt runtime start box
	wait_for_line "$shared/result" '^(written|refused|none|open)'
	echo "attacker: $(cat "$shared/result")"
	if grep -q '^written' "$shared/result"; then fail "the runtime binary was written"; fi
	if grep -qF "grabbed 1 $rt" "$shared/result"; then fail "pid 1 still ran the runtime binary after create"; fi
	echo "# attacker: $(tr "\n" " " <"$shared/result")" >&3
	assert_canary "$rtdir"
	"$rt" --version >/dev/null
}

@test "CVE-2019-5736: an entrypoint '#!/proc/self/exe' does not expose the runtime binary for writing" {
	# The kernel runs the shebang's interpreter /proc/self/exe: the runtime's own image, now
	# inside the container and dumpable; another container process grabs and rewrites it.
	local rtdir=$TEST_DIR/rt rt
	canary "$rtdir" "$HAKO_RUNTIME"
	rt=$rtdir/$(basename "$HAKO_RUNTIME")
	local shared=$TEST_DIR/shared
	mkdir -p "$shared"
	attacker_bundle attacker
	bind_volume "$ATTACKER" "$shared" /shared
	update_config '.process.args = ["/bin/sh", "-c", "/probe grab-exe 20 >/shared/result"]' "$ATTACKER"
	BUNDLE=$ATTACKER runtime_run_detached attacker
	local apid
	apid=$(container_pid attacker)

	printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil"
	chmod 755 "$BUNDLE/rootfs/evil"
	join_pid_ns "$BUNDLE" "$apid"
	set_args /evil
	local i
	for ((i = 0; i < 10; i++)); do
		HAKO_RUNTIME=$rt run runtime run --bundle "$BUNDLE" "box$i"
		skip_if_no_proc_self_exe_exec
		grep -q '^grabbed' "$shared/result" 2>/dev/null && break
	done
	wait_for_line "$shared/result" '^(written|refused|none|open)' 30
	echo "attacker: $(cat "$shared/result")"
	if grep -q '^written' "$shared/result"; then fail "the runtime binary was written"; fi
	echo "# attacker: $(tr "\n" " " <"$shared/result")" >&3
	assert_canary "$rtdir"
}

@test "CVE-2019-5736 through exec: '#!/proc/self/exe' run by exec does not expose the runtime binary" {
	# As above, with the runtime joining a running container: the exec'd process is the
	# runtime's image until its execve, and the container's own processes race for it.
	require_exec
	local rtdir=$TEST_DIR/rt rt
	canary "$rtdir" "$HAKO_RUNTIME"
	rt=$rtdir/$(basename "$HAKO_RUNTIME")
	local shared=$TEST_DIR/shared
	mkdir -p "$shared"
	bind_volume "$BUNDLE" "$shared" /shared
	printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil"
	chmod 755 "$BUNDLE/rootfs/evil"
	set_args /bin/sh -c '/probe grab-exe 30 >/shared/result; sleep 30'
	HAKO_RUNTIME=$rt runtime_run_detached box
	local i
	for ((i = 0; i < 10; i++)); do
		HAKO_RUNTIME=$rt run runtime exec box /evil
		skip_if_no_proc_self_exe_exec
		grep -q '^grabbed' "$shared/result" 2>/dev/null && break
	done
	wait_for_line "$shared/result" '^(written|refused|none|open)' 40
	echo "attacker: $(cat "$shared/result")"
	if grep -q '^written' "$shared/result"; then fail "the runtime binary was written"; fi
	echo "# attacker: $(tr "\n" " " <"$shared/result")" >&3
	assert_canary "$rtdir"
}

# ---- the runtime's process in the container (CVE-2016-9962) ----

# The attacker script: every way into another process of the pid namespace.
# Any success is a line "ok WHAT" in /shared/result.
write_fd_attacker() {
	cat >"$1/rootfs/attack.sh" <<-'EOF'
		# A success counts only if $p is still not the user's program: it may
		# have exec'd /init meanwhile, and may then rightly be looked at.
		leak() {
			e=$(readlink "$p/exe" 2>/dev/null)
			case "$e" in /bin/busybox|/init|/probe) ;; *) echo "ok $1 (exe '$e')" >>/shared/result ;; esac
		}
		end=$(( $(busybox date +%s) + ${1:-4} ))
		while [ "$(busybox date +%s)" -lt "$end" ]; do
			for p in /proc/[0-9]*; do
				pid=${p#/proc/}
				[ "$pid" = 1 ] || [ "$pid" = $$ ] && continue
				exe=$(readlink "$p/exe" 2>/dev/null)
				case "$exe" in /bin/busybox|/init|/probe) continue ;; esac
				echo "try $pid $exe" >>/shared/tried
				# Listing fd numbers is allowed to the same uid; following them is not.
				for n in 0 1 2 3 4 5 6 7 8 9 10 11 12; do
					readlink "$p/fd/$n" >/dev/null 2>&1 && leak "readlink $p/fd/$n"
				done
				ls "$p/root/" >/dev/null 2>&1 && leak "ls $p/root"
				ls "$p/cwd/" >/dev/null 2>&1 && leak "ls $p/cwd"
				cat "$p/environ" >/dev/null 2>&1 && leak "environ $p"
				for n in 3 4 5 6 7 8 9 10 11 12; do
					(echo pwned >>"$p/fd/$n") 2>/dev/null && leak "write $p/fd/$n"
				done
			done
		done
		echo done >>/shared/result
	EOF
}

@test "CVE-2016-9962: a container process cannot use the fds of the runtime's process in its namespace (create)" {
	# runc's init joined the container dumpable, holding host fds: a container process
	# could ptrace it or open /proc/PID/fd/N.  Here: the created container's process.
	local canary_dir=$TEST_DIR/log
	canary "$canary_dir"
	local shared=$TEST_DIR/shared
	mkdir -p "$shared"
	attacker_bundle attacker
	bind_volume "$ATTACKER" "$shared" /shared
	write_fd_attacker "$ATTACKER"
	update_config '.process.args = ["/bin/sh", "-c", "while [ ! -e /shared/go ]; do sleep 0.05; done; sh /attack.sh 3"]' "$ATTACKER"
	BUNDLE=$ATTACKER runtime_run_detached attacker
	join_pid_ns "$BUNDLE" "$(container_pid attacker)"
	set_args /init sleep 30
	# The runtime's log file is a host fd the container process may hold.
	runtime --log "$canary_dir/file" create --bundle "$BUNDLE" box </dev/null >/dev/null 2>&1
	canary_state "$canary_dir" >"$canary_dir.snapshot"
	touch "$shared/go"
	wait_for_line "$shared/result" '^done' 20
	grep -q '^try' "$shared/tried" || fail "the attacker never saw the container process"
	run cat "$shared/result"
	refute_line --regexp '^ok'
	assert_canary "$canary_dir"
}

@test "CVE-2016-9962 through exec: a container process cannot use the fds of the joining runtime process" {
	# The original: `runc exec` entered the container dumpable with host fds open, and a
	# process inside ptraced it or opened /proc/PID/fd/N to reach the host.
	require_exec
	local canary_dir=$TEST_DIR/log
	canary "$canary_dir"
	local shared=$TEST_DIR/shared
	mkdir -p "$shared"
	bind_volume "$BUNDLE" "$shared" /shared
	write_fd_attacker "$BUNDLE"
	set_args /bin/sh -c 'sh /attack.sh 6; sleep 30'
	runtime_run_detached box
	local i
	for ((i = 0; i < 10; i++)); do
		runtime --log "$canary_dir/file" exec box /init sleep 0.3 </dev/null >/dev/null 2>&1 || true
	done
	canary_state "$canary_dir" >"$canary_dir.after-exec"
	wait_for_line "$shared/result" '^done' 20
	run cat "$shared/result"
	refute_line --regexp '^ok'
}

# ---- /proc ----

# A host directory laid out as the /proc files a runtime writes or reads.
fake_proc() {
	canary "$1"
	mkdir -p "$1/self/attr" "$1/self/fd" "$1/sys/kernel" "$1/thread-self"
	echo 0 >"$1/self/oom_score_adj"
	echo deny >"$1/self/setgroups"
	echo 1 >"$1/sys/kernel/cap_last_cap"
	: >"$1/self/attr/exec"
	find "$1" -exec touch -h -d '2001-02-03 04:05:06' {} +
	canary_state "$1" >"$1.snapshot"
}

@test "CVE-2019-16884: a fake /proc mounted over the real one is refused" {
	# A volume mounted on /proc (a directory of ordinary files) received what the runtime
	# meant for procfs: LSM labels, oom_score_adj; cap_last_cap and setgroups were read from it.
	local fake=$TEST_DIR/fakeproc
	fake_proc "$fake"
	update_config '.process.oomScoreAdj = 100 | .process.user = {"uid": 1000, "gid": 1000}
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	bind_volume "$BUNDLE" "$fake" /proc
	set_args /init caps
	run runtime run --bundle "$BUNDLE" box
	assert_canary "$fake"
	if [ "$status" -eq 0 ]; then
		# Not refused: then nothing may have been taken from the fake.
		assert_line --regexp '^CapBnd:[[:space:]]+0+$'
	fi
	is_runc || assert_failure
}

@test "CVE-2023-27561: a /proc that is a symlink in the image is refused" {
	# The image's /proc was a symlink into a volume: procfs went wherever it pointed, and the
	# volume's fake files were what the runtime later wrote to through /proc.
	local fake=$TEST_DIR/fakeproc
	fake_proc "$fake"
	rmdir "$BUNDLE/rootfs/proc"
	mkdir -p "$BUNDLE/rootfs/vol/fakeproc"
	ln -s /vol/fakeproc "$BUNDLE/rootfs/proc"
	update_config '.process.oomScoreAdj = 100 | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	# The volume comes after /proc: procfs lands under it, the volume covers it.
	bind_volume "$BUNDLE" "$fake" /vol
	update_config '.mounts |= map(if .destination == "/vol" then .destination = "/vol/fakeproc" else . end)'
	set_args /init cat /proc/self/oom_score_adj
	run runtime run --bundle "$BUNDLE" box
	assert_canary "$fake"
	if [ "$status" -eq 0 ]; then
		assert_output 100
	fi
	is_runc || assert_failure
}

# ---- mount destinations and the symlink-exchange races ----

# start_swapper N TARGET SECS: an attacker container swapping $vol/eK with a
# symlink to TARGET; $vol is mounted at /vol in both containers.
start_swapper() {
	attacker_bundle swapper
	bind_volume "$ATTACKER" "$VOL" /vol
	update_config '.process.args = ["/probe", "swap", "/vol", $n, $t, $s]' "$ATTACKER" \
		--arg n "$1" --arg t "$2" --arg s "$3"
	BUNDLE=$ATTACKER runtime_run_detached swapper
	wait_for_line "$ATTACKER/stdout" swapping
}

@test "CVE-2021-30465: a mount destination swapped with a symlink mid-create never mounts outside the container" {
	# Another container swaps a volume directory for a symlink to a host path between the
	# runtime's check and its mount(2): the mount follows the symlink out of the rootfs.
	local canary_dir=$TEST_DIR/canary
	canary "$canary_dir"
	VOL=$TEST_DIR/vol
	mkdir -p "$VOL"
	start_swapper 6 "$canary_dir" 30
	bind_volume "$BUNDLE" "$VOL" /vol
	local k
	for ((k = 0; k < 6; k++)); do
		update_config '.mounts += [{"destination": "/vol/e\($k)", "type": "tmpfs", "source": "tmpfs", "options": ["size=128k"]}]' \
			"$BUNDLE" --argjson k "$k"
	done
	# Every tmpfs asked for must be a mount inside the container.
	set_args /bin/sh -c 'grep -c "size=128k" /proc/self/mountinfo; true'
	local i ok=0 failed=0
	for ((i = 0; i < 60; i++)); do
		run runtime run --bundle "$BUNDLE" "box$i"
		if [ "$status" -eq 0 ]; then
			ok=$((ok + 1))
			[ "$output" = 6 ] || fail "run $i: $output of 6 tmpfs mounts are in the container"
		else
			failed=$((failed + 1))
			[ "$failed" -gt 1 ] || echo "# $output" >&3
		fi
	done
	echo "# $ok runs, $failed refused" >&3
	assert_canary "$canary_dir"
	[ -z "$(ls -A "$canary_dir" | grep -v '^file$')" ]
}

@test "CVE-2024-45310: a volume parent swapped with a symlink never makes the runtime create host directories" {
	# The runtime creates missing mount points (mkdir -p); a parent directory swapped for a
	# symlink to a host path makes it create empty directories there.
	local canary_dir=$TEST_DIR/canary
	canary "$canary_dir"
	VOL=$TEST_DIR/vol
	mkdir -p "$VOL"
	start_swapper 6 "$canary_dir" 30
	bind_volume "$BUNDLE" "$VOL" /vol
	local k
	for ((k = 0; k < 6; k++)); do
		update_config '.mounts += [{"destination": "/vol/e\($k)/made-by-runtime/x", "type": "tmpfs", "source": "tmpfs"}]' \
			"$BUNDLE" --argjson k "$k"
	done
	set_args /init exit 0
	local i
	for ((i = 0; i < 60; i++)); do
		runtime run --bundle "$BUNDLE" "box$i" >/dev/null 2>&1 || true
	done
	assert_canary "$canary_dir"
}

# ---- /dev ----

@test "CVE-2025-31133: maskedPaths are masked with the real /dev/null, not what a symlink there points to" {
	# The container's /dev/null was replaced by a symlink; masking bind-mounted its target
	# (procfs files such as core_pattern) over the masked path, writable by the container.
	local canary_dir=$TEST_DIR/canary
	canary "$canary_dir"
	no_dev_tmpfs
	bind_volume "$BUNDLE" "$canary_dir" /vol
	rm -f "$BUNDLE/rootfs/dev/null"
	ln -s /vol/file "$BUNDLE/rootfs/dev/null"
	update_config '.linux.maskedPaths = ["/proc/keys"] | .linux.readonlyPaths = []'
	set_args /bin/sh -c 'echo pwned >/proc/keys; echo "masked: [$(cat /proc/keys)]"'
	run runtime run --bundle "$BUNDLE" box
	assert_canary "$canary_dir"
	if [ "$status" -eq 0 ]; then
		assert_line "masked: []"
	fi
}

@test "CVE-2025-52565: /dev/console and /dev/pts symlinks do not redirect the console bind mount" {
	# The runtime bind-mounts the pty on /dev/console; a symlink at /dev/console (or a
	# /dev/pts pointing elsewhere) redirected the mount, or the file it creates, to a target of choice.
	local canary_dir=$TEST_DIR/canary
	canary "$canary_dir"
	local sock=$TEST_DIR/console.sock variant
	update_config '.process.terminal = true'
	no_dev_tmpfs
	bind_volume "$BUNDLE" "$canary_dir" /vol
	set_args /bin/sh -c 'echo pwned >/dev/console; /init stat /dev/console'
	for variant in console pts; do
		rm -rf "$BUNDLE/rootfs/dev/console" "$BUNDLE/rootfs/dev/pts"
		mkdir -p "$BUNDLE/rootfs/dev/pts"
		if [ "$variant" = console ]; then
			ln -s /vol/console-target "$BUNDLE/rootfs/dev/console"
		else
			rmdir "$BUNDLE/rootfs/dev/pts"
			ln -s /vol "$BUNDLE/rootfs/dev/pts"
		fi
		rm -f "$sock"
		"$INIT_BIN" recvtty "$sock" </dev/null >"$TEST_DIR/tty-$variant.out" 2>&1 3>&- &
		BG_PIDS+=($!)
		local i
		for ((i = 0; i < 100; i++)); do
			[ -S "$sock" ] && break
			sleep 0.02
		done
		if runtime_create "box-$variant" --console-socket "$sock" >/dev/null; then
			runtime start "box-$variant"
			wait_for_status "box-$variant" stopped || true
		fi
		runtime delete --force "box-$variant" >/dev/null 2>&1 || true
		assert_canary "$canary_dir"
	done
}

@test "a /dev symlink in the image pointing at a host directory keeps device setup in the container" {
	# An image whose /dev is a symlink to a host path: a runtime following it creates device
	# nodes, the console or the /dev/pts mount point on the host.
	local canary_dir=$TEST_DIR/canary variant
	canary "$canary_dir"
	for variant in tmpfs-dev image-dev relative; do
		make_bundle "b-$variant"
		local b=$TEST_DIR/b-$variant
		rm -rf "$b/rootfs/dev"
		case $variant in
		tmpfs-dev) ln -s "$canary_dir" "$b/rootfs/dev" ;;
		image-dev)
			no_dev_tmpfs "$b"
			ln -s "$canary_dir" "$b/rootfs/dev"
			;;
		relative)
			no_dev_tmpfs "$b"
			ln -s "../../../../../../../../../../..$canary_dir" "$b/rootfs/dev"
			;;
		esac
		update_config '.process.args = ["/init", "ls", "/dev"]' "$b"
		BUNDLE=$b runtime run --bundle "$b" "box-$variant" >/dev/null 2>&1 || true
		assert_canary "$canary_dir"
	done
}

# ---- cgroups ----

@test "CVE-2023-25809: /sys/fs/cgroup is read-only in a user namespace without a cgroup namespace" {
	# With a user namespace but no cgroup namespace, runc bind-mounted the host's cgroup
	# hierarchies writable: the container could create cgroups and move processes on the host.
	update_config '.linux.namespaces |= map(select(.type != "cgroup")) + [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]'
	cat >"$BUNDLE/rootfs/attack.sh" <<-'EOF'
		while IFS=: read -r id ctrl path; do
			case $ctrl in
			"") bases="/sys/fs/cgroup/unified /sys/fs/cgroup" ;;
			name=*) bases="/sys/fs/cgroup/${ctrl#name=}" ;;
			*) bases="/sys/fs/cgroup/$ctrl" ;;
			esac
			for b in $bases; do
				for d in "$b$path" "$b"; do
					mkdir "$d/hako-pwned-25809" 2>&1 && echo "made $d/hako-pwned-25809"
				done
			done
		done </proc/self/cgroup
		echo attack done
	EOF
	set_args /bin/sh /attack.sh
	run runtime run --bundle "$BUNDLE" box
	local left
	left=$(find /sys/fs/cgroup -maxdepth 12 -type d -name hako-pwned-25809 2>/dev/null)
	for d in $left; do rmdir "$d"; done
	[ -z "$left" ] || fail "the container created host cgroups: $left"
	refute_line --partial made
	# The hierarchies were there to attack, and read-only:
	assert_line --partial "Read-only file system"
}

# ---- process.cwd ----

@test "CVE-2024-21626: process.cwd /proc/self/fd/N never lands in a host directory (create)" {
	# runc leaked a host directory fd into the container process; cwd /proc/self/fd/N made
	# that host directory the working directory, and ../.. walked the host.
	local canary_dir=$TEST_DIR/canary
	canary "$canary_dir"
	echo "state-root canary" >"$STATE_ROOT/canary"
	local before
	before=$(stat -c '%Y %s' "$STATE_ROOT/canary")
	# From a host directory, enough ../ reach / and the canary's absolute path.
	local script='/init cwd; for up in "" ../ ../../ ../../../ ../../../../ ../../../../../ ../../../../../../ ../../../../../../../ ../../../../../../../../; do echo pwned >>"${up}canary"; echo pwned >>"${up}${CANARY#/}/file"; done 2>/dev/null; true'
	update_config '.process.env += ["CANARY=" + $c]' "$BUNDLE" --arg c "$canary_dir"
	set_args /bin/sh -c "$script"
	local n
	for n in 3 4 5 6 7 8 9 10 11 12; do
		update_config '.process.cwd = $c' "$BUNDLE" --arg c "/proc/self/fd/$n"
		run runtime run --bundle "$BUNDLE" "box$n"
		if [ "$status" -eq 0 ]; then
			[[ "${lines[0]}" != *unreachable* ]] || fail "fd $n: the cwd is outside the container: ${lines[0]}"
		fi
	done
	assert_canary "$canary_dir"
	assert_equal "$(stat -c '%Y %s' "$STATE_ROOT/canary")" "$before"
}

@test "CVE-2024-21626 through exec: exec --cwd /proc/self/fd/N never lands in a host directory" {
	# The same leak in `runc exec`: the joining process held a host directory fd, and a cwd
	# through /proc/self/fd/N put the exec'd process outside the container.
	require_exec
	local canary_dir=$TEST_DIR/canary
	canary "$canary_dir"
	set_args /init sleep 60
	runtime_run_detached box
	local n script
	script='/init cwd; for up in "" ../ ../../ ../../../ ../../../../ ../../../../../ ../../../../../../ ../../../../../../../ ../../../../../../../../; do echo pwned >>"${up}'"${canary_dir#/}"'/file"; done 2>/dev/null; true'
	for n in 3 4 5 6 7 8 9 10 11 12; do
		run runtime exec --cwd "/proc/self/fd/$n" box /bin/sh -c "$script"
		if [ "$status" -eq 0 ]; then
			[[ "${lines[0]}" != *unreachable* ]] || fail "fd $n: the cwd is outside the container: ${lines[0]}"
		fi
	done
	assert_canary "$canary_dir"
}

# ---- capabilities through exec ----

@test "CVE-2022-29162: exec --cap does not put the capability in the inheritable set" {
	# runc exec --cap added the capability to the inheritable set too: a non-root process then
	# gained it from any binary with inheritable file capabilities, e.g. to write host files.
	require_exec
	command -v setcap >/dev/null || skip "setcap (libcap2-bin) is not installed"
	local canary_dir=$TEST_DIR/canary
	canary "$canary_dir"
	chmod 644 "$canary_dir/file"
	bind_volume "$BUNDLE" "$canary_dir" /vol
	cp "$BUNDLE/rootfs/init" "$BUNDLE/rootfs/dacwriter"
	setcap cap_dac_override+ei "$BUNDLE/rootfs/dacwriter"
	canary_state "$canary_dir" >"$canary_dir.snapshot"
	set_args /init sleep 60
	runtime_run_detached box
	run runtime exec --user 1000:1000 --cap CAP_DAC_OVERRIDE box /init caps
	assert_success
	local inh
	inh=$(awk '$1 == "CapInh:" { print $2 }' <<<"$output")
	assert_equal "$inh" 0000000000000000
	run runtime exec --user 1000:1000 --cap CAP_DAC_OVERRIDE box /dacwriter write /vol/file pwned
	assert_canary "$canary_dir"
}
