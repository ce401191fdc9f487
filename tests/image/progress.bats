#!/usr/bin/env bats
# Pull and push output: a table redrawn in place on a terminal (one line per
# layer: bar, bytes, rate, ETA), plain lines otherwise.

load helpers

setup_file() {
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR
	start_registry progress
}

teardown_file() {
	stop_registry progress
}

setup() {
	image_setup
	registry_address progress
}

# hako with stdout and stderr on a pty.
hako_tty() {
	timeout 120 python3 "$HAKO_SRC/tests/image/pty_run.py" "$HAKO" "$@"
}

# A two-layer image $1: 8 MB of random data, then a small file.
two_layers() {
	local dir=$BATS_TEST_TMPDIR/archive
	mkdir -p "$dir/a" "$dir/b"
	head -c 8000000 /dev/urandom >"$dir/a/big"
	echo small >"$dir/b/small"
	tar -C "$dir/a" -cf "$dir/l1.tar" big
	tar -C "$dir/b" -cf "$dir/l2.tar" small
	rm -rf "$dir/a" "$dir/b"
	printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' \
		"$(sha256sum <"$dir/l1.tar" | cut -d' ' -f1)" "$(sha256sum <"$dir/l2.tar" | cut -d' ' -f1)" >"$dir/config.json"
	printf '[{"Config":"config.json","RepoTags":["%s"],"Layers":["l1.tar","l2.tar"]}]' "$1" >"$dir/manifest.json"
	tar -C "$dir" -cf "$BATS_TEST_TMPDIR/two.tar" .
	hako load -i "$BATS_TEST_TMPDIR/two.tar" >/dev/null
}

BYTES='[0-9.]+[kMG]?B'

@test "on a terminal, push and pull draw one line per layer with a bar, bytes and rate" {
	command -v python3 >/dev/null || fail "python3 is not installed"
	two_layers two:1
	run hako_tty push two:1 "$REGISTRY/p/two:1"
	assert_success
	# redrawn in place: the cursor goes back up over the table
	[[ "$output" == *$'\033['[0-9]A* ]] || fail "no cursor movement in: $output"
	[[ "$output" =~ [0-9a-f]{12}:\ Pushing\ \[[=\>\ ]{30}\]\ +$BYTES/$BYTES\ +$BYTES/s ]] ||
		fail "no byte line in: $output"
	[ "$(grep -aoE '[0-9a-f]{12}: Pushed' <<<"$output" | sort -u | wc -l)" = 2 ]

	export HAKO_STORAGE=$BATS_TEST_TMPDIR/store2
	run hako_tty pull "$REGISTRY/p/two:1"
	assert_success
	[[ "$output" =~ [0-9a-f]{12}:\ Downloading\ \[[=\>\ ]{30}\]\ +$BYTES/$BYTES\ +$BYTES/s ]] ||
		fail "no byte line in: $output"
	[ "$(grep -aoE '[0-9a-f]{12}: Pull complete' <<<"$output" | sort -u | wc -l)" = 2 ]
	assert_output --partial "Digest: sha256:"
	[ "$(hako images -q | wc -l)" = 1 ]
}

@test "not on a terminal, pull prints plain lines with no escape sequences" {
	two_layers two:1
	hako push -q two:1 "$REGISTRY/p/plain:1" >/dev/null
	export HAKO_STORAGE=$BATS_TEST_TMPDIR/store2
	run hako pull "$REGISTRY/p/plain:1"
	assert_success
	[[ "$output" != *$'\033'* ]]
	[[ "$output" != *$'\r'* ]]
	[ "$(grep -cE '^[0-9a-f]{12}: Downloading$' <<<"$output")" = 2 ]
	[ "$(grep -cE '^[0-9a-f]{12}: Pull complete$' <<<"$output")" = 2 ]
}

@test "--quiet on a terminal prints only the result" {
	command -v python3 >/dev/null || fail "python3 is not installed"
	two_layers two:1
	hako push -q two:1 "$REGISTRY/p/quiet:1" >/dev/null
	export HAKO_STORAGE=$BATS_TEST_TMPDIR/store2
	run hako_tty pull -q "$REGISTRY/p/quiet:1"
	assert_success
	assert_output --regexp '^sha256:[0-9a-f]{64}'$'\r''?$'
}
