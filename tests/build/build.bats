#!/usr/bin/env bats
# hako build: a corpus of Containerfiles (tests/build/fixtures), each built
# from the busybox image imported as `bb` and checked by running the result.

load '../engine/helpers'

FIX=$BATS_TEST_DIRNAME/fixtures

setup() {
	engine_setup
}

teardown() {
	engine_teardown
	# Nothing of a build stays mounted or half-made.
	local left
	left=$(ls "$HAKO_STORAGE/snapshots" 2>/dev/null | grep '^build-' || true)
	[ -z "$left" ] || fail "build snapshots left: $left"
}

# Build fixture $1 (a directory) with extra args; the image ID in $output's
# last line.
build() {
	local dir=$1
	shift
	run hako build "$@" "$dir"
}

@test "build: variables, quotes, continuations and comments" {
	build "$FIX/basic" -t basic
	assert_success
	assert_line --partial "STEP 1/"
	run hako run --rm basic
	assert_success
	assert_line --index 0 'hello world|plain value|single $WHO|value with spaces|fallback|set|x|world'
	assert_line --index 1 'dollar \$HOME literal'
	# --build-arg reaches a global ARG (the FROM line) and a stage ARG.
	build "$FIX/basic" -t basic2 --build-arg WHO=there --build-arg BASE=bb
	assert_success
	run hako run --rm basic2
	assert_line --index 0 'hello there|plain value|single $WHO|value with spaces|fallback|set|x|there'
}

@test "build: the escape directive (backtick)" {
	build "$FIX/escape" -t esc
	assert_success
	run hako run --rm esc
	assert_success
	assert_line --index 0 'c:\windows\path'
	assert_line --index 1 'a$b'
}

@test "build: heredocs in RUN and COPY" {
	build "$FIX/heredoc" -t hd
	assert_success
	run hako run --rm hd
	assert_success
	assert_output "first
second
piped heredoc
name=heredoc
name=\${NAME}"
}

@test "build: .dockerignore with negations" {
	build "$FIX/ignore/ctx" -t ign
	assert_success
	run hako run --rm ign
	assert_success
	assert_output "/ctx/.dockerignore
/ctx/keep.log
/ctx/logs/important.log
/ctx/src/main.c"
}

@test "build: multi-stage COPY --from, unneeded stages skipped, --target" {
	build "$FIX/multistage" -t ms
	assert_success
	refute_output --partial "exit 1"
	run hako run --rm ms
	assert_success
	assert_output "built-in-stage-1
not-copied"
	# The image has no trace of the builder stage's tree.
	run hako run --rm ms ls /out
	assert_failure
	build "$FIX/multistage" -t ms-builder --target builder
	assert_success
	run hako run --rm ms-builder cat /out/artifact
	assert_output "built-in-stage-1"
	build "$FIX/multistage" --target nope
	assert_failure
	assert_output --partial "target stage \`nope\` could not be found"
}

@test "build: USER then RUN, WORKDIR relative files" {
	build "$FIX/user" -t usr
	assert_success
	run hako run --rm usr
	assert_success
	assert_line --index 0 "1000"
	assert_line --index 1 "user"
	assert_line --index 2 --partial "uid=0(root) gid=100(users)"
	assert_line --index 3 "0"
}

@test "build: files deleted from a lower layer are gone (whiteouts, opaque dirs)" {
	build "$FIX/delete" -t del
	assert_success
	run hako run --rm del
	assert_success
	assert_line --partial "/gone: No such file"
	assert_line --partial "/bin/vi: No such file"
	assert_line "g"
	refute_line "f"
	assert_line "y"
	# The layer of the deletions carries OCI whiteouts.
	hako save --format oci-archive -o "$BATS_TEST_TMPDIR/del.tar" del
	mkdir "$BATS_TEST_TMPDIR/x"
	tar -C "$BATS_TEST_TMPDIR/x" -xf "$BATS_TEST_TMPDIR/del.tar"
	local found=
	for l in "$BATS_TEST_TMPDIR"/x/blobs/sha256/*; do
		tar -tzf "$l" 2>/dev/null | grep -q '^\.wh\.gone$' && found=1
	done
	[ -n "$found" ] || fail "no .wh.gone in any layer"
}

@test "build: COPY globs, directories, --chown, --chmod, relative dest, symlinked source" {
	build "$FIX/copy" -t cp
	assert_success
	run hako run --rm cp
	assert_success
	assert_output "one.txt
two.txt
/copied-dir/d.md
/copied-dir/nested/n.txt
1000:100 640
1234:1234 644
one.txt
two.txt
one"
}

@test "build: ADD extracts a local tar, refuses a URL" {
	build "$FIX/add" -t add
	assert_success
	run hako run --rm add
	assert_success
	assert_output "inside
plain
file.txt"
	mkdir "$BATS_TEST_TMPDIR/url"
	printf 'FROM bb\nADD https://example.com/x.tar /x\n' >"$BATS_TEST_TMPDIR/url/Containerfile"
	build "$BATS_TEST_TMPDIR/url"
	assert_failure
	assert_output --partial "Containerfile:2: ADD: source \`https://example.com/x.tar\`: remote sources are not supported"
}

@test "build: config instructions land in the image config" {
	build "$FIX/config" -t cfg --label extra=yes
	assert_success
	run hako image inspect cfg
	assert_success
	local c
	c=$(echo "$output" | jq -c '.[0].Config')
	[ "$(jq -c .Labels <<<"$c")" = '{"org.example.name":"config test","version":"1","extra":"yes"}' ]
	[ "$(jq -c .ExposedPorts <<<"$c")" = '{"80/tcp":{},"53/udp":{}}' ]
	[ "$(jq -c .Volumes <<<"$c")" = '{"/data":{},"/cache":{},"/logs":{}}' ]
	[ "$(jq -r .WorkingDir <<<"$c")" = /srv ]
	[ "$(jq -r .User <<<"$c")" = user:users ]
	[ "$(jq -r .StopSignal <<<"$c")" = SIGINT ]
	[ "$(jq -c .Shell <<<"$c")" = '["/bin/sh","-ec"]' ]
	[ "$(jq -c .Entrypoint <<<"$c")" = '["/bin/echo"]' ]
	[ "$(jq -c .Cmd <<<"$c")" = '["default","args"]' ]
	[ "$(jq -c .Healthcheck <<<"$c")" = '{"Test":["CMD-SHELL","wget -q localhost || exit 1"],"Interval":30000000000,"Timeout":5000000000,"Retries":3}' ]
	[ "$(jq -c .OnBuild <<<"$c")" = '["RUN echo triggered > /tmp/onbuild"]' ]
	jq -e '.Env | index("K=v")' <<<"$c"
	run hako run --rm cfg
	assert_output "default args"
}

@test "build: ONBUILD triggers run in the child build" {
	build "$FIX/config" -t parent
	assert_success
	build "$FIX/onbuild" -t child
	assert_success
	run hako run --rm child
	assert_success
	assert_output "triggered"
}

@test "build: a second build is all cache hits; a changed file rebuilds from its step; --no-cache" {
	local ctx=$BATS_TEST_TMPDIR/cache
	mkdir "$ctx"
	cat >"$ctx/Containerfile" <<-'EOF'
		FROM bb
		ENV A=1
		COPY first.txt /first.txt
		RUN cat /first.txt > /copy-of-first
		COPY second.txt /second.txt
		RUN cat /proc/sys/kernel/random/uuid > /stamp
		CMD cat /copy-of-first /second.txt /stamp
	EOF
	echo 1 >"$ctx/first.txt"
	echo 2 >"$ctx/second.txt"
	build "$ctx" -t cached
	assert_success
	local id1=${lines[-1]}
	run hako run --rm cached
	local stamp1=${lines[2]}
	build "$ctx" -t cached
	assert_success
	[ "$(grep -c 'Using cache' <<<"$output")" -eq 6 ]
	[ "${lines[-1]}" = "$id1" ]
	# A change to the second file: the steps before it come from the cache.
	echo 2b >"$ctx/second.txt"
	build "$ctx" -t cached
	assert_success
	[ "$(grep -c 'Using cache' <<<"$output")" -eq 3 ]
	run hako run --rm cached
	assert_line --index 0 "1"
	assert_line --index 1 "2b"
	[ "${lines[2]}" != "$stamp1" ]
	build "$ctx" -t cached --no-cache
	assert_success
	refute_output --partial "Using cache"
}

@test "build: SOURCE_DATE_EPOCH gives byte-identical layers and image" {
	local ctx=$BATS_TEST_TMPDIR/repro
	mkdir "$ctx"
	printf 'FROM bb\nCOPY f /f\nRUN echo built > /b && mkdir -p /d && touch /d/x\nENV X=1\n' >"$ctx/Containerfile"
	echo data >"$ctx/f"
	SOURCE_DATE_EPOCH=1700000000 run hako build --no-cache -q "$ctx"
	assert_success
	local id1=$output
	sleep 1
	SOURCE_DATE_EPOCH=1700000000 run hako build --no-cache -q "$ctx"
	assert_success
	[ "$output" = "$id1" ]
	run hako build --no-cache -q --timestamp 1700000000 "$ctx"
	[ "$output" = "$id1" ]
	run hako image inspect "$id1"
	[ "$(jq -r '.[0].Created' <<<"$output")" = "2023-11-14T22:13:20Z" ]
}

@test "build: bad input fails with file:line and tags nothing" {
	local ctx=$BATS_TEST_TMPDIR/bad
	mkdir "$ctx"
	printf 'FROM bb\nRUN true\nFROBNICATE x\n' >"$ctx/Containerfile"
	build "$ctx" -t bad
	assert_failure
	assert_output --partial "Containerfile:3: unknown instruction: FROBNICATE"
	printf 'FROM bb\nENV A="unterminated\n' >"$ctx/Containerfile"
	build "$ctx" -t bad
	assert_failure
	assert_output --partial "Containerfile:2: ENV: unterminated double quote"
	printf 'FROM bb\nCOPY --from=nostage /x /x\n' >"$ctx/Containerfile"
	build "$ctx" -t bad
	assert_failure
	assert_output --partial "Containerfile:2: COPY: --from=nostage: no such stage or image"
	printf 'FROM bb\nCOPY ../outside /x\n' >"$ctx/Containerfile"
	build "$ctx" -t bad
	assert_failure
	assert_output --partial "Containerfile:2: COPY: source \`../outside\`: outside the build context"
	ln -s /etc/passwd "$ctx/escape"
	printf 'FROM bb\nCOPY escape /x\n' >"$ctx/Containerfile"
	build "$ctx" -t bad
	assert_failure
	assert_output --partial "points outside the build context"
	printf 'FROM bb\nRUN echo done-before\nRUN exit 2\nCMD x\n' >"$ctx/Containerfile"
	build "$ctx" -t bad
	[ "$status" -eq 1 ]
	assert_output --partial "Containerfile:3: RUN: exit code 2"
	run hako image inspect bad
	assert_failure
	printf 'FROM nosuchimage\n' >"$ctx/Containerfile"
	build "$ctx"
	assert_failure
	assert_output --partial "Containerfile:1: FROM: base image \`nosuchimage\`"
}

@test "build: -f, --iidfile, -q, a context tar on stdin" {
	local ctx=$BATS_TEST_TMPDIR/misc
	mkdir "$ctx"
	printf 'FROM bb\nCOPY hello /hello\nCMD ["cat", "/hello"]\n' >"$ctx/Other.file"
	echo hi-from-context >"$ctx/hello"
	run hako build -q -f "$ctx/Other.file" --iidfile "$BATS_TEST_TMPDIR/iid" -t misc "$ctx"
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/iid")" ]
	mv "$ctx/Other.file" "$ctx/Dockerfile"
	run bash -c "tar -C '$ctx' -cf - . | '$HAKO' build -q -t fromstdin -"
	assert_success
	run hako run --rm fromstdin
	assert_output "hi-from-context"
}
