#!/usr/bin/env bats
# Snapshots: `hako image mount` gives an image's layers as a writable overlay
# (what a container's rootfs will be); `hako image umount` takes it away.

load helpers

setup() {
	image_setup
}

teardown() {
	# whatever a failed test left mounted under its own store
	if [ -d "$STORE/snapshots" ]; then
		for m in "$STORE"/snapshots/*/merged; do
			while mountpoint -q "$m" 2>/dev/null; do umount "$m" || break; done
		done
	fi
}

# A docker-archive of $2 layers named $1: layer N adds /layers/N.
many_layers_archive() {
	local name=$1 n=$2 dir=$BATS_TEST_TMPDIR/archive i ids="" files=""
	mkdir -p "$dir/src"
	for i in $(seq "$n"); do
		rm -rf "$dir/src/layers"
		mkdir -p "$dir/src/layers"
		echo "$i" >"$dir/src/layers/$i"
		tar -C "$dir/src" -cf "$dir/layer$i.tar" layers
		ids="$ids${ids:+,}\"sha256:$(sha256sum <"$dir/layer$i.tar" | cut -d' ' -f1)\""
		files="$files${files:+,}\"layer$i.tar\""
	done
	printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
		"$ids" >"$dir/config.json"
	printf '[{"Config":"config.json","RepoTags":["%s"],"Layers":[%s]}]' "$name" "$files" >"$dir/manifest.json"
	rm -rf "$dir/src"
	tar -C "$dir" -cf "$BATS_TEST_TMPDIR/$n.tar" .
	hako load -i "$BATS_TEST_TMPDIR/$n.tar" >/dev/null
}

# Three layers: busybox with /data/{a,b} and /opq/x; a whiteout of /data/a;
# an opaque /opq holding only z.
three_layers() {
	command -v umoci >/dev/null || fail "umoci is not installed"
	local R=$BATS_TEST_TMPDIR/rootfs L=$BATS_TEST_TMPDIR/layout
	make_rootfs "$R"
	mkdir -p "$R/data" "$R/opq" "$BATS_TEST_TMPDIR/newopq"
	echo a >"$R/data/a"
	echo b >"$R/data/b"
	echo x >"$R/opq/x"
	echo z >"$BATS_TEST_TMPDIR/newopq/z"
	umoci init --layout "$L"
	umoci new --image "$L:t"
	umoci insert --image "$L:t" "$R" /
	umoci insert --image "$L:t" --whiteout /data/a
	umoci insert --image "$L:t" --opaque "$BATS_TEST_TMPDIR/newopq" /opq
	hako load -i "$L" >/dev/null
	hako tag "$(hako images -q)" three:1
}

# Checks through the merged dir $1 of a three:1 snapshot.
check_three() {
	local m=$1
	[ -x "$m/bin/busybox" ]
	[ ! -e "$m/data/a" ]
	[ "$(cat "$m/data/b")" = b ]
	[ "$(ls "$m/opq")" = z ]
}

@test "image mount shows the layers merged, with whiteouts and opaque dirs applied" {
	three_layers
	run hako image mount three:1 --name c1
	assert_success
	assert_output "$STORE/snapshots/c1/merged"
	m=$output
	mountpoint -q "$m"
	check_three "$m"
	# the merged root has the image's mode, not the 0700 of a fresh dir
	[ "$(stat -c %a "$m")" = "$(stat -c %a "$BATS_TEST_TMPDIR/rootfs")" ]
	run hako image mount
	assert_success
	assert_line --regexp "^c1 +[0-9a-f]{12} +yes +$m\$"
}

@test "writes land in the snapshot's upper dir and the layers stay untouched" {
	three_layers
	m=$(hako image mount three:1 --name c1)
	lower=$(hako image inspect three:1 | jq -r '.[0].GraphDriver.Data.LowerDir')
	before=$(echo "$lower" | tr : '\n' | xargs -I{} find {} -printf '%p %s %m\n' | sort | sha256sum)
	echo new >"$m/newfile"
	echo changed >"$m/data/b"
	rm "$m/opq/z"
	[ "$(cat "$STORE/snapshots/c1/upper/newfile")" = new ]
	[ "$(cat "$STORE/snapshots/c1/upper/data/b")" = changed ]
	after=$(echo "$lower" | tr : '\n' | xargs -I{} find {} -printf '%p %s %m\n' | sort | sha256sum)
	[ "$before" = "$after" ]
	# a second snapshot of the same image does not see the first one's writes
	m2=$(hako image mount three:1 --name c2)
	[ ! -e "$m2/newfile" ]
	[ "$(cat "$m2/data/b")" = b ]
	hako image umount c1 c2
}

@test "image umount leaves nothing mounted and nothing on disk" {
	three_layers
	m=$(hako image mount three:1 --name c1)
	id=$(basename "$(dirname "$(hako image mount three:1)")")
	run hako image umount c1 "$id"
	assert_success
	if mountpoint -q "$m"; then fail "$m is still mounted"; fi
	if grep -q " $STORE/snapshots" /proc/self/mountinfo; then fail "a snapshot is still mounted"; fi
	[ -z "$(ls "$STORE/snapshots")" ]
	run hako image mount
	assert_success
	assert_output --regexp '^ID +IMAGE +MOUNTED +MERGED$'
	run hako image umount c1
	assert_failure
	assert_output --partial "snapshot \`c1\`: No such file or directory"
}

@test "a mounted snapshot keeps its layers when its image is removed and pruned" {
	three_layers
	m=$(hako image mount three:1 --name c1)
	hako rmi three:1
	hako image prune -a
	[ "$(ls "$STORE/layers/sha256" | wc -l)" = 3 ]
	check_three "$m"
	hako system check
	hako image umount c1
	hako image prune -a
	[ -z "$(ls "$STORE/layers/sha256")" ]
}

@test "an image of 60 layers mounts (lower dirs beyond a page)" {
	many_layers_archive many:1 60
	lower=$(hako image inspect many:1 | jq -r '.[0].GraphDriver.Data.LowerDir')
	[ "${#lower}" -gt 4096 ]
	m=$(hako image mount many:1 --name big)
	[ "$(ls "$m/layers" | wc -l)" = 60 ]
	[ "$(cat "$m/layers/1")" = 1 ]
	[ "$(cat "$m/layers/60")" = 60 ]
	hako image umount big
	if mountpoint -q "$m"; then fail "$m is still mounted"; fi
}

@test "a store whose paths are longer than fsconfig takes as a string (255 bytes) mounts" {
	export HAKO_STORAGE=$BATS_TEST_TMPDIR/$(printf 'd%.0s' {1..200})/$(printf 'e%.0s' {1..100})
	STORE=$HAKO_STORAGE
	import_busybox bb:1
	m=$(hako image mount bb:1 --name c1)
	[ "${#m}" -gt 300 ]
	[ -x "$m/bin/busybox" ]
	echo hi >"$m/new"
	[ "$(cat "$STORE/snapshots/c1/upper/new")" = hi ]
	hako image umount c1
}

@test "without lowerdir+ (kernels before 6.8) a short list mounts and a long one fails clearly" {
	three_layers
	many_layers_archive many:1 60
	export HAKO_TEST_OVERLAY_LEGACY=1
	m=$(hako image mount three:1 --name small)
	check_three "$m"
	run hako image mount many:1 --name big
	assert_failure
	assert_output --regexp "snapshot \`big\`: overlay: 60 layers need [0-9]+ bytes of mount options, beyond the kernel's limit of 4096"
	# the failed snapshot left nothing behind
	[ ! -e "$STORE/snapshots/big" ]
	hako image umount small
}

@test "image mount refuses bad IDs, a taken ID and an unknown image" {
	import_busybox bb:1
	run hako image mount bb:1 --name ../x
	assert_failure
	assert_output --partial "invalid snapshot ID \`../x\`"
	hako image mount bb:1 --name c1 >/dev/null
	run hako image mount bb:1 --name c1
	assert_failure
	assert_output --partial "snapshot \`c1\` already exists"
	run hako image mount nosuch:1
	assert_failure
	assert_output --partial "nosuch"
	hako image umount c1
}

@test "image mount and umount say in --help that they are low-level" {
	run hako image mount --help
	assert_success
	assert_output --partial "Low-level"
	run hako --help
	assert_output --partial "image mount IMAGE [--name ID]   low-level"
}
