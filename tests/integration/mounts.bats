#!/usr/bin/env bats
# The root filesystem and mounts (config.md "Root", "Mounts"; config-linux.md
# "Masked Paths", "Readonly Paths", "Rootfs Mount Propagation").

load helpers

setup() {
	hako_setup
}

teardown() {
	hako_teardown
}

# mountinfo_line DEST: the container's mountinfo line for mount point DEST
# (the last one: the mount on top), from $output of `/init mounts`.
mountinfo_line() {
	awk -v d="$1" '$5 == d { line = $0 } END { print line }' <<<"$output"
}

# mount_opts LINE: per-mount options; fs_type LINE; super_opts LINE.
mount_opts() { awk '{ print $6 }' <<<"$1"; }
fs_type() { awk '{ for (i = 7; $i != "-"; i++) ; print $(i + 1) }' <<<"$1"; }
super_opts() { awk '{ for (i = 7; $i != "-"; i++) ; print $(i + 3) }' <<<"$1"; }
has_opt() { [[ ",$1," == *",$2,"* ]]; }

run_mounts() {
	set_args /init mounts
	run runtime run --bundle "$BUNDLE" box
	assert_success
}

@test "config.md mounts: a tmpfs is mounted with its options" {
	update_config '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev", "noexec", "size=1m", "mode=0700"]}]'
	run_mounts
	line=$(mountinfo_line /scratch)
	[ -n "$line" ] || fail "no mount at /scratch: $output"
	assert_equal "$(fs_type "$line")" tmpfs
	opts=$(mount_opts "$line")
	has_opt "$opts" nosuid
	has_opt "$opts" nodev
	has_opt "$opts" noexec
	has_opt "$opts" rw
	sopts=$(super_opts "$line")
	has_opt "$sopts" size=1024k
	has_opt "$sopts" mode=700
}

@test "config.md mounts: the mount point is created when the rootfs lacks it" {
	update_config '.mounts += [{"destination": "/a/b/c", "type": "tmpfs", "source": "tmpfs"}]'
	[ ! -e "$BUNDLE/rootfs/a" ]
	run_mounts
	[ -n "$(mountinfo_line /a/b/c)" ]
}

@test "config.md mounts: mounts are made in the listed order (a later one on top)" {
	update_config '.mounts += [
		{"destination": "/stack", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/stack/inner", "type": "tmpfs", "source": "tmpfs", "options": ["size=2m"]}]'
	run_mounts
	outer=$(mountinfo_line /stack)
	inner=$(mountinfo_line /stack/inner)
	has_opt "$(super_opts "$outer")" size=1024k
	has_opt "$(super_opts "$inner")" size=2048k
	# the inner mount's parent is the outer mount
	assert_equal "$(awk '{ print $2 }' <<<"$inner")" "$(awk '{ print $1 }' <<<"$outer")"
}

@test "config.md mounts: a read-only bind mount of a host directory" {
	mkdir "$TEST_DIR/data"
	echo hello >"$TEST_DIR/data/file"
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": $src, "options": ["bind", "ro"]}]' \
		"$BUNDLE" --arg src "$TEST_DIR/data"
	set_args /bin/sh -c '/init cat /data/file; /init write /data/new x; /init mounts'
	run runtime run --bundle "$BUNDLE" box
	assert_line hello
	assert_line --partial 'open `/data/new`: EROFS'
	has_opt "$(mount_opts "$(mountinfo_line /data)")" ro
	[ ! -e "$TEST_DIR/data/new" ]
}

@test "config.md mounts: a read-write bind mount writes through to the host" {
	mkdir "$TEST_DIR/data"
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": $src, "options": ["rbind", "rw"]}]' \
		"$BUNDLE" --arg src "$TEST_DIR/data"
	set_args /init write /data/new from-container
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_equal "$(cat "$TEST_DIR/data/new")" from-container
}

@test "config.md mounts: a bind mount of a single file" {
	echo filecontent >"$TEST_DIR/file"
	update_config '.mounts += [{"destination": "/etc/hostfile", "type": "bind", "source": $src, "options": ["bind", "ro"]}]' \
		"$BUNDLE" --arg src "$TEST_DIR/file"
	set_args /init cat /etc/hostfile
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output filecontent
}

@test "config.md mounts: a relative destination is relative to the container's /" {
	update_config '.mounts += [{"destination": "rel/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	run_mounts
	[ -n "$(mountinfo_line /rel/tmp)" ] || fail "no mount at /rel/tmp: $output"
}

@test "config.md mounts: nosuid, nodev, noexec and ro are visible in mountinfo" {
	mkdir "$TEST_DIR/data"
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": $src,
		"options": ["bind", "nosuid", "nodev", "noexec", "ro"]}]' "$BUNDLE" --arg src "$TEST_DIR/data"
	run_mounts
	opts=$(mount_opts "$(mountinfo_line /data)")
	for o in nosuid nodev noexec ro; do
		has_opt "$opts" "$o" || fail "/data lacks $o: $opts"
	done
}

@test "config.md mounts: a destination that is a symlink is resolved inside the rootfs" {
	# /etc-link -> /etc must land on the rootfs' /etc, never the host's.
	ln -s /etc "$BUNDLE/rootfs/etc-link"
	update_config '.mounts += [{"destination": "/etc-link", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	set_args /bin/sh -c '/init mounts; echo ===; /init ls /etc'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	# the tmpfs covers the container's /etc, now empty
	[ -n "$(mountinfo_line /etc)" ] || fail "the tmpfs is not on the container's /etc"
	assert_equal "${output##*===}" ""
}

@test "config.md mounts: a symlink to a host path cannot take a mount out of the rootfs" {
	mkdir "$TEST_DIR/outside"
	ln -s "$TEST_DIR/outside" "$BUNDLE/rootfs/escape"
	update_config '.mounts += [{"destination": "/escape/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	set_args /init mounts
	run runtime run --bundle "$BUNDLE" box
	# Either the runtime refused, or the mount is inside the container's tree.
	if [ "$status" -eq 0 ]; then
		[ -n "$(mountinfo_line "$TEST_DIR/outside/sub")" ] || fail "no tmpfs on the in-rootfs path: $output"
	fi
	[ ! -e "$TEST_DIR/outside/sub" ]
}

@test "config.md root: root.readonly makes the rootfs read-only" {
	update_config '.root.readonly = true'
	set_args /bin/sh -c '/init write /newfile x; /init mounts'
	run runtime run --bundle "$BUNDLE" box
	assert_line --partial 'open `/newfile`: EROFS'
	has_opt "$(mount_opts "$(mountinfo_line /)")" ro
}

@test "config.md root: without readonly the rootfs is writable" {
	update_config '.root.readonly = false'
	set_args /init write /newfile x
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_equal "$(cat "$BUNDLE/rootfs/newfile")" x
}

@test "config.md root: root.path relative to the bundle" {
	mv "$BUNDLE/rootfs" "$BUNDLE/other-root"
	update_config '.root.path = "other-root"'
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
}

@test "config.md root: an absolute root.path outside the bundle" {
	mv "$BUNDLE/rootfs" "$TEST_DIR/elsewhere"
	update_config '.root.path = $p' "$BUNDLE" --arg p "$TEST_DIR/elsewhere"
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
}

@test "config.md root: the process sees the rootfs as / (pivot_root or chroot)" {
	touch "$BUNDLE/rootfs/marker"
	set_args /init ls /
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line marker
	assert_line init
}

@test "create --no-pivot: the container still gets the rootfs as /" {
	touch "$BUNDLE/rootfs/marker"
	set_args /init ls /
	run runtime run --no-pivot --bundle "$BUNDLE" box
	assert_success
	assert_line marker
}

@test "config.md mounts: /proc is a procfs" {
	run_mounts
	assert_equal "$(fs_type "$(mountinfo_line /proc)")" proc
}

@test "config.md mounts: /sys is a read-only sysfs, /dev a tmpfs with devpts, shm and mqueue" {
	run_mounts
	line=$(mountinfo_line /sys)
	assert_equal "$(fs_type "$line")" sysfs
	has_opt "$(mount_opts "$line")" ro
	assert_equal "$(fs_type "$(mountinfo_line /dev)")" tmpfs
	assert_equal "$(fs_type "$(mountinfo_line /dev/pts)")" devpts
	assert_equal "$(fs_type "$(mountinfo_line /dev/shm)")" tmpfs
	assert_equal "$(fs_type "$(mountinfo_line /dev/mqueue)")" mqueue
}

@test "config.md mounts: a cgroup mount shows the container's own cgroup" {
	run_mounts
	# the container's cgroups are below the test's own cgroup: the mounts'
	# roots end in this bundle's cgroupsPath
	cgpath=$(jq -r .linux.cgroupsPath "$BUNDLE/config.json")
	lines=$(awk '$5 ~ "^/sys/fs/cgroup/" && $4 != "/"' <<<"$output")
	[ -n "$lines" ] || fail "no cgroup mounts: $output"
	while read -r l; do
		[[ "$(awk '{ print $4 }' <<<"$l")" == *"/$cgpath" ]] || fail "cgroup mount root is not the container's: $l"
	done <<<"$lines"
}

@test "config-linux.md maskedPaths: masked files read as empty, masked dirs list as empty" {
	mkdir "$BUNDLE/rootfs/secretdir"
	echo secret >"$BUNDLE/rootfs/secretdir/file"
	echo secret >"$BUNDLE/rootfs/etc/secret"
	update_config '.linux.maskedPaths += ["/etc/secret", "/secretdir", "/does/not/exist"]'
	set_args /bin/sh -c 'echo "[$(/init cat /etc/secret)]"; echo "[$(/init ls /secretdir)]"; echo "[$(/init cat /proc/keys)]"'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_equal "$output" $'[]\n[]\n[]'
}

@test "config-linux.md maskedPaths: the default masked paths are covered" {
	run_mounts
	for p in /proc/kcore /proc/keys /proc/timer_list /sys/firmware; do
		[ -e "$p" ] || continue
		[ -n "$(mountinfo_line "$p")" ] || fail "$p is not masked"
	done
}

@test "config-linux.md readonlyPaths: paths are read-only in the container" {
	update_config '.root.readonly = false | .linux.readonlyPaths += ["/data"]'
	mkdir "$BUNDLE/rootfs/data"
	set_args /bin/sh -c '/init write /data/f x; /init write /proc/sys/kernel/domainname x; /init write /ok x && echo wrote'
	run runtime run --bundle "$BUNDLE" box
	assert_line --partial 'open `/data/f`: EROFS'
	assert_line --partial 'open `/proc/sys/kernel/domainname`: EROFS'
	assert_line wrote
}

@test "config-linux.md readonlyPaths: a missing path is ignored" {
	update_config '.linux.readonlyPaths += ["/does/not/exist"]'
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_success
}

# Put the bundle on a shared mount, start a container, then mount something
# on the host under its rootfs: whether the container sees it is what
# rootfsPropagation decides.
propagation_case() {
	local prop=$1 shared=$TEST_DIR/shared
	mkdir "$shared"
	mount -t tmpfs -o size=16m tmpfs "$shared"
	OWN_MOUNTS+=("$shared")
	mount --make-shared "$shared"
	make_bundle pb "$shared"
	BUNDLE=$shared/pb
	mkdir "$BUNDLE/rootfs/mnt/late" -p
	update_config '.linux.rootfsPropagation = $p' "$BUNDLE" --arg p "$prop"
	set_args /init sleep 60
	runtime_create box
	pid=$(container_pid box)
	mount -t tmpfs -o size=1m late "$BUNDLE/rootfs/mnt/late"
	OWN_MOUNTS+=("$BUNDLE/rootfs/mnt/late")
	sleep 0.1
	seen=$(awk '$5 == "/mnt/late"' "/proc/$pid/mountinfo")
}

@test "config-linux.md rootfsPropagation: slave lets host mounts under the rootfs into the container" {
	# runc 1.1 applies a non-recursive MS_SLAVE to / and then makes the
	# rootfs' shared parent private, so nothing propagates ("rslave" would).
	skip_runc_gap "rootfsPropagation=slave does not let host mounts in"
	propagation_case slave
	[ -n "$seen" ] || fail "host mount did not propagate: $(cat "/proc/$pid/mountinfo")"
}

@test "config-linux.md rootfsPropagation: private keeps host mounts out of the container" {
	propagation_case private
	[ -z "$seen" ] || fail "host mount propagated into a private rootfs: $seen"
}

@test "config-linux.md rootfsPropagation: an unknown value is an error" {
	update_config '.linux.rootfsPropagation = "sideways"'
	set_args /init exit 0
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	check_no_leftovers
}
