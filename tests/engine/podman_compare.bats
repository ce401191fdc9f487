#!/usr/bin/env bats
# The engine's docker-compatible output checked against Debian's podman 4.3
# in the same test: the same image, the same commands, the same answers
# (exit codes, inspect fields, ps status). podman has a private root,
# drives runc (crun 1.8 refuses this host's hybrid cgroups) with limits this
# machine can set, and no network. Skipped where podman is not installed.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	command -v podman >/dev/null && command -v runc >/dev/null || skip "podman or runc is not installed"
	export PM_DIR=$BATS_FILE_TMPDIR/podman
	mkdir -p "$PM_DIR"/{root,runroot,tmp}
	export CONTAINERS_CONF=$PM_DIR/containers.conf
	cat >"$CONTAINERS_CONF" <<-EOF
		[containers]
		default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
		netns = "none"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$PM_DIR/events.log"
	EOF
	# podman keeps a blob-info cache in /var/lib/containers whatever --root
	# says: remove it afterwards if it is ours.
	[ -e /var/lib/containers ] || touch "$PM_DIR/made-var-lib-containers"
	make_rootfs "$BATS_FILE_TMPDIR/rootfs"
	tar -C "$BATS_FILE_TMPDIR/rootfs" -cf "$BATS_FILE_TMPDIR/rootfs.tar" .
	pm import -c 'CMD ["/bin/sh"]' "$BATS_FILE_TMPDIR/rootfs.tar" localhost/bb >/dev/null
}

teardown_file() {
	[ -n "${PM_DIR:-}" ] || return 0
	pm rm -af -t 0 >/dev/null 2>&1 || true
	pm rmi -af >/dev/null 2>&1 || true
	awk -v d="$PM_DIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	[ ! -e "$PM_DIR/made-var-lib-containers" ] || rm -rf /var/lib/containers
	rm -rf "$PM_DIR"
}

pm() {
	timeout 60 podman --runtime "$(command -v runc)" --root "$PM_DIR/root" --runroot "$PM_DIR/runroot" \
		--tmpdir "$PM_DIR/tmp" --storage-driver overlay "$@"
}

setup() {
	engine_setup
}

teardown() {
	pm rm -af -t 0 >/dev/null 2>&1 || true
	engine_teardown
}

@test "compare: run's exit codes (the command's, 125, 126, 127) are podman's" {
	local cmd want got
	for cmd in "sh -c 'exit 42'" "nosuchcommand" "/etc/passwd" "sh -c 'kill -KILL \$\$'"; do
		want=0
		eval "pm run --rm localhost/bb $cmd" >/dev/null 2>&1 || want=$?
		got=0
		eval "hako run --rm bb $cmd" >/dev/null 2>&1 || got=$?
		[ "$got" -eq "$want" ] || fail "\`run $cmd\`: hako $got, podman $want"
	done
	# an unknown image: the engine's own error
	run -125 pm run --rm localhost/no-such-image true
	run -125 hako run --rm --pull never no-such-image true
}

@test "compare: inspect of an exited container has podman's fields and values" {
	pm run --name c1 -m 64m -l team=a -e A=1 localhost/bb sh -c 'exit 3' || true
	hako run --name c1 -m 64m -l team=a -e A=1 bb sh -c 'exit 3' || true
	local f h p
	for f in '{{.State.Status}}' '{{.State.ExitCode}}' '{{.State.Running}}' \
		'{{.HostConfig.Memory}}' '{{.Config.Labels.team}}' '{{json .Config.Cmd}}' '{{.Path}}' '{{json .Args}}'; do
		p=$(pm inspect -f "$f" c1)
		h=$("$HAKO" inspect -f "$f" c1)
		[ "$h" = "$p" ] || fail "inspect -f '$f': hako '$h', podman '$p'"
	done
	# Name: docker's "/c1"; podman 4.3 prints "c1" there
	[ "$("$HAKO" inspect -f '{{.Name}}' c1)" = /c1 ]
	[ "$(pm inspect -f '{{.Name}}' c1)" = c1 ]
	# both keep the variable given with -e in the environment
	pm inspect -f '{{json .Config.Env}}' c1 | grep -q '"A=1"'
	"$HAKO" inspect -f '{{json .Config.Env}}' c1 | grep -q '"A=1"'
}

@test "compare: ps says Exited (N) and Up the way podman does" {
	pm run --name done localhost/bb sh -c 'exit 3' || true
	hako run --name done bb sh -c 'exit 3' || true
	pm run -d --name up localhost/bb sleep 60 >/dev/null
	hako run -d --name up bb sleep 60 >/dev/null
	# "done Exited (3) 1 second ago", "up Up Less than a second": the state
	# part must be the same, the time differs
	norm() { sort | sed -E 's/^([^ ]+ (Exited \([0-9]+\)|Up|Created)).*/\1/'; }
	p=$(pm ps -a --format '{{.Names}} {{.Status}}' | norm)
	h=$("$HAKO" ps -a --format '{{.Names}} {{.Status}}' | norm)
	[ "$h" = "$p" ] || fail "hako: $h; podman: $p"
	pm rm -f -t 0 up >/dev/null
}
