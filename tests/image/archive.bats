#!/usr/bin/env bats
# save / load / import against the peers: skopeo and umoci read what hako
# writes, hako reads what they write.

load helpers

setup() {
	image_setup
	command -v skopeo >/dev/null || fail "skopeo is not installed"
	command -v umoci >/dev/null || fail "umoci is not installed"
	import_busybox busybox:1
}

@test "an oci-archive from hako save is read by skopeo and unpacked by umoci" {
	run hako save --format oci-archive -o "$BATS_TEST_TMPDIR/img.tar" busybox:1
	assert_success
	run skopeo inspect "oci-archive:$BATS_TEST_TMPDIR/img.tar:1"
	assert_success
	[ "$(echo "$output" | jq -r .Digest)" = "$(hako image inspect busybox:1 | jq -r '.[0].Metadata.ManifestDigest')" ]
	skopeo copy -q "oci-archive:$BATS_TEST_TMPDIR/img.tar:1" "oci:$BATS_TEST_TMPDIR/layout:copied"
	umoci unpack --image "$BATS_TEST_TMPDIR/layout:copied" "$BATS_TEST_TMPDIR/bundle" >/dev/null
	[ -x "$BATS_TEST_TMPDIR/bundle/rootfs/bin/busybox" ]
	[ "$(jq -c .process.args "$BATS_TEST_TMPDIR/bundle/config.json")" = '["/bin/sh"]' ]
	# umoci also reads the archive's layout directly
	mkdir "$BATS_TEST_TMPDIR/direct"
	tar -C "$BATS_TEST_TMPDIR/direct" -xf "$BATS_TEST_TMPDIR/img.tar"
	umoci unpack --image "$BATS_TEST_TMPDIR/direct:1" "$BATS_TEST_TMPDIR/bundle2" >/dev/null
	[ -x "$BATS_TEST_TMPDIR/bundle2/rootfs/bin/busybox" ]
}

@test "a docker-archive from hako save is read by skopeo" {
	hako save -o "$BATS_TEST_TMPDIR/img.tar" busybox:1
	run skopeo inspect "docker-archive:$BATS_TEST_TMPDIR/img.tar"
	assert_success
	[ "$(echo "$output" | jq -r '.Layers | length')" = 1 ]
	skopeo copy -q "docker-archive:$BATS_TEST_TMPDIR/img.tar" "oci:$BATS_TEST_TMPDIR/layout:x"
	umoci unpack --image "$BATS_TEST_TMPDIR/layout:x" "$BATS_TEST_TMPDIR/bundle" >/dev/null
	[ -x "$BATS_TEST_TMPDIR/bundle/rootfs/bin/busybox" ]
	[ "$(tar -xOf "$BATS_TEST_TMPDIR/img.tar" manifest.json | jq -r '.[0].RepoTags[0]')" = busybox:1 ]
}

@test "a docker-archive and an oci-archive written by skopeo load" {
	hako save --format oci-archive -o "$BATS_TEST_TMPDIR/src.tar" busybox:1
	skopeo copy -q "oci-archive:$BATS_TEST_TMPDIR/src.tar:1" "docker-archive:$BATS_TEST_TMPDIR/d.tar:localhost/sk/busybox:2"
	skopeo copy -q "oci-archive:$BATS_TEST_TMPDIR/src.tar:1" "oci-archive:$BATS_TEST_TMPDIR/o.tar:latest"
	export HAKO_STORAGE=$BATS_TEST_TMPDIR/store2
	run hako load -i "$BATS_TEST_TMPDIR/d.tar"
	assert_success
	assert_output "Loaded image: localhost/sk/busybox:2"
	run hako load -i "$BATS_TEST_TMPDIR/o.tar"
	assert_success
	assert_output --regexp "^Loaded image ID: sha256:[0-9a-f]{64}$"
	run hako images
	assert_line --regexp '^localhost/sk/busybox +2 '
	run hako system check
	assert_success
	L=$(hako image inspect localhost/sk/busybox:2 | jq -r '.[0].GraphDriver.Data.LowerDir')
	[ -x "$L/bin/busybox" ]
}

@test "save to stdout and load from stdin round-trip the image" {
	id=$(hako image inspect busybox:1 | jq -r '.[0].Id')
	hako save busybox:1 | HAKO_STORAGE=$BATS_TEST_TMPDIR/s2 hako load
	[ "$(HAKO_STORAGE=$BATS_TEST_TMPDIR/s2 hako image inspect busybox:1 | jq -r '.[0].Id')" = "$id" ]
	hako save --format oci-archive busybox:1 | gzip | HAKO_STORAGE=$BATS_TEST_TMPDIR/s3 hako load -q
	[ "$(HAKO_STORAGE=$BATS_TEST_TMPDIR/s3 hako image inspect busybox:1 | jq -r '.[0].Id')" = "$id" ]
}

@test "save of several images shares their blobs, and a failed save leaves no file" {
	hako tag busybox:1 busybox:2
	hako save --format oci-archive -o "$BATS_TEST_TMPDIR/two.tar" busybox:1 busybox:2
	[ "$(tar -xOf "$BATS_TEST_TMPDIR/two.tar" index.json | jq '.manifests | length')" = 2 ]
	[ "$(tar -tf "$BATS_TEST_TMPDIR/two.tar" | grep -c '^blobs/sha256/.')" = 3 ]
	run hako save -o "$BATS_TEST_TMPDIR/bad.tar" busybox:1 nosuch:1
	assert_failure
	assert_output --partial "no such image"
	[ ! -e "$BATS_TEST_TMPDIR/bad.tar" ]
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep tmp)" ]
}

@test "load refuses garbage and archives whose blobs do not match their digests" {
	head -c 4096 /dev/urandom >"$BATS_TEST_TMPDIR/junk"
	run hako load -i "$BATS_TEST_TMPDIR/junk"
	assert_failure
	echo '{}' >"$BATS_TEST_TMPDIR/notar"
	run hako load -i "$BATS_TEST_TMPDIR/notar"
	assert_failure
	# an OCI layout with a tampered layer blob
	hako save --format oci-archive -o "$BATS_TEST_TMPDIR/o.tar" busybox:1
	mkdir "$BATS_TEST_TMPDIR/o"
	tar -C "$BATS_TEST_TMPDIR/o" -xf "$BATS_TEST_TMPDIR/o.tar"
	m=$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/o/index.json")
	layer=$(jq -r '.layers[0].digest' "$BATS_TEST_TMPDIR/o/blobs/sha256/${m#sha256:}")
	echo tamper >>"$BATS_TEST_TMPDIR/o/blobs/sha256/${layer#sha256:}"
	export HAKO_STORAGE=$BATS_TEST_TMPDIR/store2
	run hako load -i "$BATS_TEST_TMPDIR/o"
	assert_failure
	assert_output --partial "expected"
	[ "$(hako images -q)" = "" ]
}
