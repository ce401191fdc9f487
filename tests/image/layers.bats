#!/usr/bin/env bats
# Layer apply: metadata kept, whiteouts in overlayfs form (checked through a
# real overlay mount), compressions, and hostile tars refused with nothing
# written anywhere.

load helpers

setup() {
	image_setup
}

teardown() {
	if [ -n "${MNT:-}" ] && mountpoint -q "$MNT"; then
		umount "$MNT"
	fi
	rm -rf /tmp/hako-outside-test
}

# The unpacked directory of the top layer of image $1.
top_layer() {
	hako image inspect "$1" | jq -r '.[0].GraphDriver.Data.LowerDir' | cut -d: -f1
}

@test "a layer keeps ownership, modes, set-id bits, times, links, devices, fifos and xattrs" {
	run hako import "$FIXTURES/features.tar" features:1
	assert_success
	L=$(top_layer features:1)
	[ "$(stat -c '%u:%g %a' "$L/dir")" = "1234:5678 750" ]
	[ "$(stat -c '%Y' "$L/dir")" = 1000000000 ]
	[ "$(stat -c '%u:%g %a %Y %s' "$L/dir/file")" = "1234:5678 4755 1100000000 6" ]
	[ "$(stat -c '%h %i' "$L/dir/file")" = "$(stat -c '%h %i' "$L/dir/hardlink")" ]
	[ "$(stat -c '%h' "$L/dir/file")" = 2 ]
	[ "$(readlink "$L/dir/symlink")" = /no/such/target ]
	[ "$(stat -c '%u:%g' "$L/dir/symlink")" = "1234:5678" ]
	[ "$(stat -c '%F %t:%T %a' "$L/dev/null")" = "character special file 1:3 666" ]
	[ "$(stat -c '%F' "$L/dev/fifo")" = "fifo" ]
	[ "$(cat "$L/replaced")" = second ]
	[ ! -s "$L/empty" ]
	run getfattr --absolute-names --only-values -n user.hako "$L/dir/file"
	assert_success
	assert_output yes
}

@test "gzip, zstd and plain tar layers unpack to the same diff_id" {
	command -v zstd >/dev/null || fail "zstd is not installed"
	cp "$FIXTURES/features.tar" "$BATS_TEST_TMPDIR/l.tar"
	gzip -k "$BATS_TEST_TMPDIR/l.tar"
	zstd -q "$BATS_TEST_TMPDIR/l.tar"
	hako import "$BATS_TEST_TMPDIR/l.tar" plain:1
	hako import "$BATS_TEST_TMPDIR/l.tar.gz" gz:1
	hako import "$BATS_TEST_TMPDIR/l.tar.zst" zst:1
	want=sha256:$(sha256sum <"$FIXTURES/features.tar" | cut -d' ' -f1)
	for i in plain:1 gz:1 zst:1; do
		[ "$(hako image inspect $i | jq -r '.[0].RootFS.Layers[0]')" = "$want" ]
	done
	# one diff, unpacked once and shared
	[ "$(ls "$STORE/layers/sha256" | wc -l)" = 1 ]
}

@test "whiteouts and opaque directories work through the overlay mount" {
	command -v umoci >/dev/null || fail "umoci is not installed"
	R=$BATS_TEST_TMPDIR/rootfs
	make_rootfs "$R"
	mkdir -p "$R/data" "$R/opq" "$BATS_TEST_TMPDIR/newopq"
	echo a >"$R/data/a"
	echo b >"$R/data/b"
	echo x >"$R/opq/x"
	echo z >"$BATS_TEST_TMPDIR/newopq/z"
	L=$BATS_TEST_TMPDIR/layout
	umoci init --layout "$L"
	umoci new --image "$L:t"
	umoci insert --image "$L:t" "$R" /
	umoci insert --image "$L:t" --whiteout /data/a
	umoci insert --image "$L:t" --opaque "$BATS_TEST_TMPDIR/newopq" /opq

	run hako load -i "$L"
	assert_success
	assert_output --partial "Loaded image ID: sha256:"
	id=$(hako images -q)
	hako tag "$id" wh:1
	lower=$(hako image inspect wh:1 | jq -r '.[0].GraphDriver.Data.LowerDir')
	[ "$(echo "$lower" | tr : '\n' | wc -l)" = 3 ]
	layer2=$(echo "$lower" | cut -d: -f2)
	layer3=$(echo "$lower" | cut -d: -f1)
	# the overlayfs forms: a 0/0 character device, an opaque xattr
	[ "$(stat -c '%F %t:%T' "$layer2/data/a")" = "character special file 0:0" ]
	[ "$(getfattr --absolute-names --only-values -n trusted.overlay.opaque "$layer3/opq")" = y ]
	[ ! -e "$layer3/opq/.wh..wh..opq" ]

	MNT=$BATS_TEST_TMPDIR/mnt
	mkdir -p "$MNT"
	mount -t overlay overlay -o "lowerdir=$lower" "$MNT"
	[ ! -e "$MNT/data/a" ]
	[ "$(cat "$MNT/data/b")" = b ]
	[ "$(ls "$MNT/opq")" = z ]
	[ -x "$MNT/bin/busybox" ]
	umount "$MNT"
}

# Each hostile fixture, the message it must produce.
hostile_cases() {
	cat <<-EOF
		absolute absolute name
		dotdot \`..\` in name
		dotdot-deep \`..\` in name
		symlink-abs refusing to go through symlink \`evil\`
		symlink-rel refusing to go through symlink \`evil\`
		symlink-nested refusing to go through symlink \`evil\`
		hardlink-abs hard link: entry \`/etc/passwd\`: absolute name
		hardlink-dotdot \`..\` in name
		hardlink-via-symlink refusing to go through symlink \`evil\`
		huge beyond the layer limit
	EOF
}

@test "hostile tars are refused and nothing is written outside the layer" {
	mkdir -p /tmp/hako-outside-test "$BATS_TEST_TMPDIR/outside"
	echo secret >"$BATS_TEST_TMPDIR/outside/secret"
	links_before=$(stat -c %h /etc/passwd)
	while read -r name msg; do
		run hako import "$FIXTURES/hostile-$name.tar" "hostile:$name"
		[ "$status" -eq 1 ] || fail "hostile-$name.tar was accepted"
		[[ "$output" == *"$msg"* ]] || fail "hostile-$name.tar: \`$output\` does not say \`$msg\`"
	done < <(hostile_cases)
	[ -z "$(find /tmp/hako-outside-test "$BATS_TEST_TMPDIR" -name pwned)" ]
	[ "$(stat -c %h /etc/passwd)" = "$links_before" ]
	[ "$(ls "$STORE/layers/sha256")" = "" ]
	[ "$(ls "$STORE/tmp")" = "" ]
	[ "$(hako images -q)" = "" ]
	# what the failed imports stored is unreferenced: prune frees it
	hako image prune
	[ "$(ls "$STORE/blobs/sha256")" = "" ]
}

@test "a layer whose content does not match its diff_id is refused" {
	import_busybox bb:1
	# an archive whose config lies about the layer: swap in another diff_id
	hako save -o "$BATS_TEST_TMPDIR/a.tar" bb:1
	mkdir "$BATS_TEST_TMPDIR/a"
	tar -C "$BATS_TEST_TMPDIR/a" -xf "$BATS_TEST_TMPDIR/a.tar"
	cfg=$(jq -r '.[0].Config' "$BATS_TEST_TMPDIR/a/manifest.json")
	jq '.rootfs.diff_ids[0] = "sha256:'"$(printf 0%.0s {1..64})"'"' "$BATS_TEST_TMPDIR/a/$cfg" >"$BATS_TEST_TMPDIR/cfg"
	cp "$BATS_TEST_TMPDIR/cfg" "$BATS_TEST_TMPDIR/a/$cfg"
	export HAKO_STORAGE=$BATS_TEST_TMPDIR/store2
	run hako load -i "$BATS_TEST_TMPDIR/a"
	assert_failure
	assert_output --partial "diff_id mismatch"
	[ "$(hako images -q)" = "" ]
}
