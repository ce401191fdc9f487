#!/usr/bin/env bats
# Devices (config-linux.md "Devices", "Default Devices"; runtime-linux.md
# "Dev symbolic links").

load helpers

setup() {
	hako_setup
}

teardown() {
	hako_teardown
}

@test "config-linux.md default devices: null zero full random urandom tty are char devices 0666" {
	set_args /bin/sh -c 'for d in null zero full random urandom tty; do echo "$d $(/init stat /dev/$d)"; done'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line "null chr 0666 0 0 1:3"
	assert_line "zero chr 0666 0 0 1:5"
	assert_line "full chr 0666 0 0 1:7"
	assert_line "random chr 0666 0 0 1:8"
	assert_line "urandom chr 0666 0 0 1:9"
	assert_line "tty chr 0666 0 0 5:0"
}

@test "config-linux.md default devices: they work (read zero, write null)" {
	set_args /bin/sh -c '/init write /dev/null discarded && head -c 4 /dev/zero | wc -c && head -c 8 /dev/urandom | wc -c'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_equal "$(tr -d ' ' <<<"$output")" $'4\n8'
}

@test "config-linux.md devices: a listed char device is created with fileMode, uid and gid" {
	update_config '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
		"fileMode": 416, "uid": 1000, "gid": 1001}]'
	set_args /init stat /dev/mynull
	run runtime run --bundle "$BUNDLE" box
	assert_success
	# 416 = 0640
	assert_output "chr 0640 1000 1001 1:3"
}

@test "config-linux.md devices: block devices and fifos are created too" {
	update_config '.linux.devices = [
		{"path": "/dev/myblk", "type": "b", "major": 7, "minor": 200, "fileMode": 384},
		{"path": "/dev/myfifo", "type": "p", "fileMode": 420}]'
	set_args /bin/sh -c '/init stat /dev/myblk; /init stat /dev/myfifo'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line --index 0 "blk 0600 0 0 7:200"
	assert_line --index 1 --regexp '^fifo 0644 0 0 '
}

@test "config-linux.md devices: a device in a subdirectory of /dev gets its directory" {
	update_config '.linux.devices = [{"path": "/dev/sub/dir/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 438}]'
	set_args /init stat /dev/sub/dir/mynull
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output "chr 0666 0 0 1:3"
}

@test "config-linux.md devices: a listed device is usable when the device cgroup allows it" {
	update_config '.linux.devices = [{"path": "/dev/myzero", "type": "c", "major": 1, "minor": 5, "fileMode": 438}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"}]'
	set_args /bin/sh -c 'head -c 3 /dev/myzero | wc -c'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_equal "$(tr -d ' ' <<<"$output")" 3
}

@test "config-linux.md devices: the device cgroup denies a device it does not allow" {
	# The node exists (linux.devices) but no rule of linux.resources.devices
	# allows b 7:0: open fails with EPERM (not ENXIO, the "no such device").
	update_config '.linux.devices = [{"path": "/dev/myloop", "type": "b", "major": 7, "minor": 0, "fileMode": 432}]
		| .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
	set_args /init cat /dev/myloop
	run runtime run --bundle "$BUNDLE" box
	assert_failure
	assert_output --partial 'open `/dev/myloop`: EPERM'
}

@test "config-linux.md default devices: /dev/ptmx is a symlink to pts/ptmx" {
	set_args /init readlink /dev/ptmx
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output pts/ptmx
}

@test "runtime-linux.md dev symbolic links: /dev/fd, stdin, stdout, stderr point into /proc/self/fd" {
	set_args /bin/sh -c 'for l in fd stdin stdout stderr; do echo "$l $(/init readlink /dev/$l)"; done'
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_line "fd /proc/self/fd"
	assert_line "stdin /proc/self/fd/0"
	assert_line "stdout /proc/self/fd/1"
	assert_line "stderr /proc/self/fd/2"
}

@test "the host's devices are not in the container's /dev" {
	set_args /init ls /dev
	run runtime run --bundle "$BUNDLE" box
	assert_success
	for d in $(ls /dev); do
		case $d in
		null | zero | full | random | urandom | tty | ptmx | pts | shm | mqueue | fd | stdin | stdout | stderr | console | core) ;;
		*) refute_line "$d" ;;
		esac
	done
}

@test "config-linux.md devices: a device path outside /dev via a symlink stays in the rootfs" {
	# /dev is a tmpfs; a device node elsewhere goes through the rootfs.
	ln -s /etc "$BUNDLE/rootfs/devlink"
	update_config '.root.readonly = false
		| .linux.devices = [{"path": "/devlink/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 438}]'
	set_args /init stat /etc/mynull
	run runtime run --bundle "$BUNDLE" box
	assert_success
	assert_output "chr 0666 0 0 1:3"
	[ ! -e /etc/mynull ]
}
