#!/usr/bin/env bats
# The commands that look into or copy out of a container, as docker
# documents them: exec, top, stats, port, cp, export, container prune.
# Checked from outside, like a user would.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	engine_setup
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	engine_teardown
}

# A running container $1 (sleeping), extra `run` flags after the name.
start_sleeper() {
	local name=$1
	shift
	run hako run -d --name "$name" "$@" bb sleep 1000
	assert_success
}

# Wait (up to 5 s) until the file $2 exists in container $1.
wait_ctr_file() {
	for _ in $(seq 100); do
		"$HAKO" exec "$1" test -e "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "$2 did not appear in $1"
}

# ---- exec ----

@test "exec: sees the container's filesystem and env, returns the command's exit code" {
	start_sleeper c1 -e FROM_RUN=yes -w /tmp
	run hako exec c1 sh -c 'echo data > /tmp/made-by-exec'
	assert_success
	run -7 hako exec c1 sh -c 'cat /tmp/made-by-exec; echo "FROM_RUN=$FROM_RUN"; pwd; exit 7'
	assert_line data
	assert_line FROM_RUN=yes
	assert_line /tmp
	# the file is in the container's root, not on the host
	[ ! -e /tmp/made-by-exec ]
}

@test "exec -e, -w: the process's environment and directory" {
	start_sleeper c1 -e KEEP=1 -e OVER=old
	export FROM_CALLER=caller-value
	run hako exec -e OVER=new -e ADDED=x -e FROM_CALLER -e UNSET_IN_CALLER -w /etc c1 \
		sh -c 'echo "$KEEP $OVER $ADDED $FROM_CALLER ${UNSET_IN_CALLER-unset}"; pwd'
	assert_success
	assert_line "1 new x caller-value unset"
	assert_line /etc
}

@test "exec -u resolves user[:group] from the container's /etc/passwd and /etc/group" {
	start_sleeper c1
	run hako exec -u user c1 sh -c 'id; echo "HOME=$HOME"'
	assert_success
	assert_line --regexp '^uid=1000\(user\) gid=1000\(user\) groups=.*100\(users\)'
	assert_line HOME=/home/user
	run hako exec -u user:users c1 id -g
	assert_output 100
	run hako exec -u 4242:4343 c1 sh -c 'echo $(id -u):$(id -g)'
	assert_output 4242:4343
	run -126 hako exec -u nosuchuser c1 id
	assert_output --partial "unable to find user nosuchuser"
	run -126 hako exec -u user:nosuchgroup c1 id
	assert_output --partial "unable to find group nosuchgroup"
}

@test "exec: 127 for a command not found, 126 for one that cannot be run, 1 for a stopped container" {
	start_sleeper c1
	run -127 hako exec c1 no-such-command
	assert_output --partial 'executable file not found'
	run -127 hako exec c1 /no/such/file
	run -126 hako exec c1 /etc/passwd
	run hako create --name c2 bb true
	run -1 hako exec c2 true
	assert_output --partial "is not running"
	run -1 hako exec no-such-container true
}

@test "exec -i passes stdin; without -i the process reads nothing" {
	start_sleeper c1
	run hako exec -i c1 sh -c 'read x; echo "got:$x"' <<<"hello"
	assert_success
	assert_output got:hello
	run hako exec c1 sh -c 'cat; echo "end"' <<<"hello"
	assert_success
	assert_output end
}

@test "exec -t: the process gets a terminal (a real pty, through script)" {
	start_sleeper c1
	# The result goes through a file in the container: `script` on a pipe
	# loses output now and then (TESTING.md), a file does not.
	run script -qec "$HAKO exec -t c1 sh -c 'tty > /tmp/tty; echo \$TERM >> /tmp/tty; [ -t 0 ] && [ -t 1 ] && echo both >> /tmp/tty; exit 3'" /dev/null </dev/null
	[ "$status" -eq 3 ]
	run hako exec c1 cat /tmp/tty
	assert_line --index 0 --regexp '^/dev/pts/[0-9]+$'
	assert_line --index 1 xterm
	assert_line --index 2 both
}

@test "exec -it: what is typed reaches the process, its output and exit code come back" {
	start_sleeper c1
	PTY_INPUT=$'typed\n' run_pty "$HAKO" exec -it c1 sh -c 'read x; echo "got:$x"; tty; exit 5'
	[ "$status" -eq 5 ]
	assert_line --partial got:typed
	assert_line --regexp '^/dev/pts/[0-9]+$'
}

@test "exec -d: returns at once, the process runs on in the container" {
	start_sleeper c1
	run hako exec -d c1 sh -c 'sleep 0.3; echo done > /tmp/detached'
	assert_success
	assert_output ""
	wait_ctr_file c1 /tmp/detached
	# with a terminal too: somebody holds it until the process ends
	run hako exec -d -t c1 sh -c 'tty > /tmp/dtty.tmp; mv /tmp/dtty.tmp /tmp/dtty'
	assert_success
	wait_ctr_file c1 /tmp/dtty
	run hako exec c1 cat /tmp/dtty
	assert_output --regexp '^/dev/pts/[0-9]+$'
	# and a detached command that cannot start is still an error
	run -127 hako exec -d c1 no-such-command
}

@test "exec --privileged: the process has every capability, the container does not" {
	start_sleeper c1
	run hako exec c1 sh -c 'grep CapEff /proc/self/status'
	assert_success
	plain=$(awk '{ print $2 }' <<<"$output")
	run hako exec --privileged c1 sh -c 'grep CapEff /proc/self/status'
	assert_success
	priv=$(awk '{ print $2 }' <<<"$output")
	[ "$plain" != "$priv" ]
	# every capability the host kernel has
	[ "$priv" = "$(awk '/CapBnd/ { print $2 }' /proc/self/status)" ]
}

@test "exec in a container of another runtime (--runtime runc): its exec, docker's exit codes" {
	command -v runc >/dev/null || skip "runc is not installed"
	start_sleeper c1 --runtime "$(command -v runc)"
	run -3 hako exec -e X=1 -u user -w /tmp c1 sh -c 'echo "$X $(id -u) $HOME $(pwd)"; exit 3'
	assert_output "1 1000 /home/user /tmp"
	run -127 hako exec c1 no-such-command
	run -126 hako exec c1 /etc/passwd
	run hako top c1
	assert_line --regexp ' sleep 1000$'
	run hako stats --no-stream --format '{{.PIDs}}' c1
	assert_output 1
}

# ---- top, stats, port ----

@test "top: the container's processes in ps columns, the host's ps options" {
	start_sleeper c1
	run hako top c1
	assert_success
	assert_line --index 0 --regexp '^UID +PID +PPID +C +STIME +TTY +TIME +CMD$'
	assert_line --regexp ' sleep 1000$'
	pid=$(ctr_pid c1)
	assert_line --regexp "^[a-z0-9]+ +$pid +"
	[ "${#lines[@]}" -eq 2 ] # only the container's process, not the host's
	run hako top c1 -o pid,comm
	assert_success
	assert_line --index 0 --regexp '^ *PID +COMMAND$'
	assert_line --regexp "^ *$pid +sleep$"
	run hako exec -d c1 sleep 30
	run hako top c1
	[ "${#lines[@]}" -eq 3 ]
	run hako stop -t 0 c1
	run -1 hako top c1
	assert_output --partial "is not running"
}

@test "stats --no-stream: one sample with the --memory limit, MEM %, PIDS" {
	start_sleeper c1 --memory 64m
	run hako stats --no-stream c1
	assert_success
	assert_line --index 0 --regexp '^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$'
	assert_line --index 1 --regexp "^[0-9a-f]{12} +c1 +[0-9.]+% +[0-9.]+[KMG]?i?B / 64MiB +[0-9.]+% .* 1$"
	[ "${#lines[@]}" -eq 2 ]
	run hako stats --no-stream --format json c1
	assert_success
	[ "$(jq -r .Name <<<"$output")" = c1 ]
	[ "$(jq -r .PIDs <<<"$output")" = 1 ]
	[[ "$(jq -r .MemUsage <<<"$output")" == *" / 64MiB" ]]
	# without names: the running containers
	run hako create --name c2 bb true
	run hako stats --no-stream --format '{{.Name}}'
	assert_output c1
}

@test "stats: a busy container shows CPU use" {
	start_sleeper c1
	run hako exec -d c1 sh -c 'while :; do :; done'
	run hako stats --no-stream --format '{{.CPUPerc}}' c1
	assert_success
	[[ "$output" =~ ^[0-9]+\.[0-9]{2}%$ ]]
	[ "${output%%.*}" -ge 20 ]
}

@test "port: no port is published (no networking yet)" {
	start_sleeper c1
	run hako port c1
	assert_success
	assert_output ""
	run -1 hako port c1 80
	assert_output --partial "no public port '80/tcp'"
	run -1 hako port no-such-container
}

# ---- cp ----

@test "cp: a file and a directory into a running container and back, docker's naming rules" {
	start_sleeper c1
	mkdir -p src/sub
	echo one >src/a
	echo two >src/sub/b
	ln -s a src/link
	chmod 640 src/a
	run hako cp src/a c1:/tmp/
	assert_success
	run hako cp src/a c1:/tmp/renamed
	run hako cp src c1:/tmp/
	run hako exec c1 sh -c 'cat /tmp/a /tmp/renamed /tmp/src/sub/b; readlink /tmp/src/link; stat -c %a /tmp/a'
	assert_output $'one\none\ntwo\na\n640'
	# into an existing directory with src/. : the contents, not the directory
	run hako exec c1 mkdir /tmp/into
	run hako cp src/. c1:/tmp/into
	assert_success
	run hako exec c1 ls /tmp/into
	assert_output $'a\nlink\nsub'
	# and out again, a new name for a directory that does not exist yet
	run hako cp c1:/tmp/src out
	assert_success
	[ "$(cat out/a out/sub/b)" = $'one\ntwo' ]
	[ "$(readlink out/link)" = a ]
	run hako cp c1:/etc/passwd .
	assert_success
	grep -q '^user:x:1000' passwd
	# a directory onto a file, a file into a missing directory: refused
	run -1 hako cp c1:/tmp/src passwd
	run -1 hako cp c1:/etc/passwd nodir/
	run -1 hako cp c1:/no/such/file .
	assert_output --partial "could not find the file /no/such/file"
}

@test "cp: a running container's volumes are seen; -a keeps the owner, else root owns the copy" {
	start_sleeper c1 -v vol1:/data
	echo in-volume >f
	chown 1234:5678 f
	run hako cp f c1:/data/plain
	assert_success
	run hako cp -a f c1:/data/kept
	assert_success
	run hako exec c1 stat -c '%u:%g' /data/plain /data/kept
	assert_output $'0:0\n1234:5678'
	mp=$("$HAKO" volume inspect -f '{{.Mountpoint}}' vol1)
	[ "$(cat "$mp/plain")" = in-volume ]
	run hako cp c1:/data/kept back
	assert_success
	[ "$(cat back)" = in-volume ]
}

@test "cp: a stopped container's files, both ways, leaving no mount" {
	run hako create --name c1 bb cat /tmp/in
	assert_success
	echo from-host >in
	run hako cp in c1:/tmp/in
	assert_success
	! grep -q " $HAKO_STORAGE/" /proc/self/mountinfo
	run hako start -a c1
	assert_success
	assert_output from-host
	run hako cp c1:/tmp/in back
	assert_success
	[ "$(cat back)" = from-host ]
	! grep -q " $HAKO_STORAGE/" /proc/self/mountinfo
}

@test "cp -: a tar stream out of and into the container" {
	start_sleeper c1
	run hako exec c1 sh -c 'mkdir -p /srv/d && echo x > /srv/d/f'
	hako cp c1:/srv/d - >d.tar
	run tar -tf d.tar
	assert_line d/
	assert_line d/f
	mkdir t
	printf 'streamed\n' >t/g
	tar -C t -cf - g | hako cp - c1:/srv/d
	run hako exec c1 cat /srv/d/g
	assert_output streamed
	# the destination of a stream must be a directory
	run -1 hako cp - c1:/srv/d/g <d.tar
}

# The host file $BATS_TEST_TMPDIR/secret must not be read through a
# symlink of the container, nor a host file written.
escape_checks() {
	local ctr=$1 via
	for via in /escape /up /deep/escape; do
		run hako cp "$ctr:$via$BATS_TEST_TMPDIR/secret" got
		assert_failure
		[ ! -e got ]
	done
	# writing through them: the host directory stays as it was
	mkdir -p payloads
	echo evil >payloads/evil-payload
	for via in /escape /up /deep/escape; do
		run hako cp payloads/evil-payload "$ctr:$via$BATS_TEST_TMPDIR/"
		run hako cp payloads/evil-payload "$ctr:$via$BATS_TEST_TMPDIR/written"
		run hako cp payloads/evil-payload "$ctr:$via$BATS_TEST_TMPDIR/secret"
		[ ! -e evil-payload ] && [ ! -e written ]
		[ "$(cat secret)" = host-secret ]
	done
	# the symlink itself is what is copied, not the host's root
	run hako cp "$ctr:/escape" link-copy
	assert_success
	[ "$(readlink link-copy)" = / ]
	# through a symlink to /: the container's own /etc, never the host's
	run hako cp "$ctr:/escape/etc/passwd" ctr-passwd
	assert_success
	grep -q '^user:x:1000:1000:user:/home/user:/bin/sh$' ctr-passwd
	! cmp -s ctr-passwd /etc/passwd
	rm -rf link-copy ctr-passwd payloads
}

@test "cp stays inside the rootfs: symlinks to / and ../../.. do not reach the host (running container)" {
	echo host-secret >secret
	start_sleeper c1
	run hako exec c1 sh -c 'ln -s / /escape && ln -s ../../../../../.. /up && mkdir /deep && ln -s ../../.. /deep/escape'
	assert_success
	escape_checks c1
	# an archive with ../ names and a symlink followed by a file under it
	python3 - <<EOF
import io, tarfile
with tarfile.open("evil.tar", "w") as t:
    for name in ("../../../../../..$BATS_TEST_TMPDIR/dotdot", "/$BATS_TEST_TMPDIR/absolute"):
        i = tarfile.TarInfo(name); data = b"evil\n"; i.size = len(data); t.addfile(i, io.BytesIO(data))
    i = tarfile.TarInfo("hostroot"); i.type = tarfile.SYMTYPE; i.linkname = "/"; t.addfile(i)
    i = tarfile.TarInfo("hostroot$BATS_TEST_TMPDIR/via-link"); data = b"evil\n"; i.size = len(data)
    t.addfile(i, io.BytesIO(data))
EOF
	run hako exec c1 mkdir /x
	run hako cp - c1:/x <evil.tar
	[ ! -e dotdot ] && [ ! -e absolute ] && [ ! -e via-link ]
	[ "$(cat secret)" = host-secret ]
	# what the archive held landed inside the container
	run hako exec c1 cat "/x$BATS_TEST_TMPDIR/dotdot"
	assert_output evil
}

@test "cp stays inside the rootfs: symlinks to / and ../../.. do not reach the host (stopped container)" {
	echo host-secret >secret
	run hako run --name c1 bb sh -c 'ln -s / /escape && ln -s ../../../../../.. /up && mkdir /deep && ln -s ../../.. /deep/escape'
	assert_success
	escape_checks c1
	! grep -q " $HAKO_STORAGE/" /proc/self/mountinfo
}

# ---- export ----

@test "export: the container's files as a tar, without what was deleted from the image" {
	start_sleeper c1
	run hako exec c1 sh -c 'echo new > /root/added && rm /bin/vi && mkdir -p /srv && echo x > /srv/f'
	assert_success
	hako export c1 >c1.tar
	run tar -tf c1.tar
	assert_success
	assert_line root/added
	assert_line bin/sh
	assert_line srv/f
	refute_line bin/vi
	refute_line --partial .wh.
	[ "$(tar -xOf c1.tar root/added)" = new ]
	# a stopped one, to a file with -o: the same merged view
	run hako stop -t 0 c1
	run hako export -o c1-stopped.tar c1
	assert_success
	run tar -tf c1-stopped.tar
	assert_line root/added
	refute_line bin/vi
	refute_line --partial .wh.
	! grep -q " $HAKO_STORAGE/" /proc/self/mountinfo
	run -1 hako export -o x.tar no-such-container
	[ ! -e x.tar ]
}

# ---- container prune ----

@test "container prune removes only the stopped containers" {
	start_sleeper running
	run hako run --name exited bb true
	run hako create --name created bb true
	exited=$("$HAKO" inspect -f '{{.Id}}' exited)
	created=$("$HAKO" inspect -f '{{.Id}}' created)
	run hako container prune -f
	assert_success
	assert_line "Deleted Containers:"
	assert_line "$exited"
	assert_line "$created"
	assert_line --regexp '^Total reclaimed space: '
	run hako ps -a --format '{{.Names}}'
	assert_output running
	# without -f it asks, and "no" keeps everything
	run hako stop -t 0 running
	run hako container prune <<<"n"
	run hako ps -aq
	[ -n "$output" ]
}
