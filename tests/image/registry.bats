#!/usr/bin/env bats
# pull and push against a real registry (docker-registry on 127.0.0.1, plain
# HTTP: loopback registries are insecure by default, as in docker), with
# skopeo as the other client; multi-platform indexes; crash safety.

load helpers

setup_file() {
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR
	start_registry
}

teardown_file() {
	stop_registry
}

setup() {
	image_setup
	registry_address
}

skopeo_() {
	timeout 120 skopeo "$@"
}

@test "hako push, skopeo pull; a second push skips what the registry has" {
	import_busybox busybox:1
	run hako push busybox:1 "$REGISTRY/hako/busybox:1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Pushed$'
	assert_line --regexp '^1: digest: sha256:[0-9a-f]{64} size: [0-9]+$'
	skopeo_ copy -q --src-tls-verify=false "docker://$REGISTRY/hako/busybox:1" "oci:$BATS_TEST_TMPDIR/l:1"
	umoci unpack --image "$BATS_TEST_TMPDIR/l:1" "$BATS_TEST_TMPDIR/b" >/dev/null
	[ -x "$BATS_TEST_TMPDIR/b/rootfs/bin/busybox" ]
	run hako push busybox:1 "$REGISTRY/hako/busybox:1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Layer already exists$'
	# push by its own name
	hako tag busybox:1 "$REGISTRY/hako/self:v2"
	run hako push -q "$REGISTRY/hako/self:v2"
	assert_success
	assert_output --regexp '^sha256:[0-9a-f]{64}$'
}

@test "skopeo push, hako pull; the pulled image is the same and unpacked" {
	import_busybox busybox:1
	id=$(hako image inspect busybox:1 | jq -r '.[0].Id')
	hako save --format oci-archive -o "$BATS_TEST_TMPDIR/img.tar" busybox:1
	skopeo_ copy -q --dest-tls-verify=false "oci-archive:$BATS_TEST_TMPDIR/img.tar:1" "docker://$REGISTRY/sk/busybox:3"
	export HAKO_STORAGE=$BATS_TEST_TMPDIR/store2
	run hako pull "$REGISTRY/sk/busybox:3"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Pull complete$'
	assert_line --regexp '^Digest: sha256:[0-9a-f]{64}$'
	[ "$(hako image inspect "$REGISTRY/sk/busybox:3" | jq -r '.[0].Id')" = "$id" ]
	L=$(hako image inspect "$REGISTRY/sk/busybox:3" | jq -r '.[0].GraphDriver.Data.LowerDir')
	[ -x "$L/bin/busybox" ]
	# again: nothing to download
	run hako pull "$REGISTRY/sk/busybox:3"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Already exists$'
	# by digest
	digest=$(skopeo_ inspect --tls-verify=false "docker://$REGISTRY/sk/busybox:3" | jq -r .Digest)
	run hako pull -q "$REGISTRY/sk/busybox@$digest"
	assert_success
	assert_output "$id"
	run hako system check
	assert_success
}

@test "errors from the registry are clear" {
	run hako pull "$REGISTRY/nosuch/image:1"
	assert_failure
	assert_output --partial "manifest unknown"
	run hako pull "127.0.0.1:1/x:1"
	assert_failure
	assert_output --partial "registry 127.0.0.1:1"
	run hako push nosuch:1 "$REGISTRY/x:1"
	assert_failure
	assert_output --partial "no such image"
}

# An OCI layout holding an index of two platforms (amd64 from the busybox
# import, arm64 the same layer under another config), in $1.
make_multiarch_layout() {
	local dir=$1 m cfg arm_cfg arm_m idx
	hako save --format oci-archive -o "$BATS_TEST_TMPDIR/one.tar" busybox:1
	mkdir -p "$dir"
	tar -C "$dir" -xf "$BATS_TEST_TMPDIR/one.tar"
	m=$(jq -r '.manifests[0].digest' "$dir/index.json")
	cfg=$(jq -r '.config.digest' "$dir/blobs/sha256/${m#sha256:}")
	jq -c '.architecture = "arm64" | .variant = "v8"' "$dir/blobs/sha256/${cfg#sha256:}" >"$dir/arm-cfg"
	arm_cfg=$(sha256sum <"$dir/arm-cfg" | cut -d' ' -f1)
	mv "$dir/arm-cfg" "$dir/blobs/sha256/$arm_cfg"
	jq -c --arg d "sha256:$arm_cfg" --argjson s "$(stat -c %s "$dir/blobs/sha256/$arm_cfg")" \
		'.config.digest = $d | .config.size = $s' "$dir/blobs/sha256/${m#sha256:}" >"$dir/arm-m"
	arm_m=$(sha256sum <"$dir/arm-m" | cut -d' ' -f1)
	mv "$dir/arm-m" "$dir/blobs/sha256/$arm_m"
	jq -n -c --arg a "$m" --argjson asz "$(stat -c %s "$dir/blobs/sha256/${m#sha256:}")" \
		--arg b "sha256:$arm_m" --argjson bsz "$(stat -c %s "$dir/blobs/sha256/$arm_m")" '{
		schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [
		  {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $b, size: $bsz,
		   platform: {os: "linux", architecture: "arm64", variant: "v8"}},
		  {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $a, size: $asz,
		   platform: {os: "linux", architecture: "amd64"}}]}' >"$dir/idx"
	idx=$(sha256sum <"$dir/idx" | cut -d' ' -f1)
	jq -n -c --arg d "sha256:$idx" --argjson s "$(stat -c %s "$dir/idx")" '{schemaVersion: 2,
		manifests: [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
		annotations: {"org.opencontainers.image.ref.name": "multi"}}]}' >"$dir/index.json"
	mv "$dir/idx" "$dir/blobs/sha256/$idx"
	echo "sha256:$idx"
}

@test "a multi-platform index pushed by skopeo: hako pulls the host's platform, or --platform" {
	[ "$(uname -m)" = x86_64 ] || skip "the fixture's host platform is amd64"
	import_busybox busybox:1
	idx=$(make_multiarch_layout "$BATS_TEST_TMPDIR/multi")
	skopeo_ copy -q --all --dest-tls-verify=false "oci:$BATS_TEST_TMPDIR/multi:multi" "docker://$REGISTRY/multi/bb:1"
	export HAKO_STORAGE=$BATS_TEST_TMPDIR/store2
	run hako pull "$REGISTRY/multi/bb:1"
	assert_success
	assert_line "Digest: $idx"
	[ "$(hako image inspect "$REGISTRY/multi/bb:1" | jq -r '.[0].Architecture')" = amd64 ]
	run hako images --digests
	assert_line --regexp "^$REGISTRY/multi/bb +1 +$idx "
	run hako pull --platform linux/arm64 "$REGISTRY/multi/bb:1"
	assert_success
	[ "$(hako image inspect "$REGISTRY/multi/bb:1" | jq -r '.[0].Architecture')" = arm64 ]
	# the amd64 image lost its name to the arm64 one
	run hako images
	assert_line --regexp '^<none> +<none> '
	run hako pull --platform linux/s390x "$REGISTRY/multi/bb:1"
	assert_failure
	assert_output --partial "no image for platform linux/s390x"
	assert_output --partial "linux/arm64/v8, linux/amd64"
	run hako system check
	assert_success
}

# A ~24 MB image of three incompressible layers, pushed once per file run.
push_big_image() {
	[ -e "$BATS_FILE_TMPDIR/big-pushed" ] && return 0
	local r=$BATS_FILE_TMPDIR/big L=$BATS_FILE_TMPDIR/biglayout i
	mkdir -p "$r"
	umoci init --layout "$L"
	umoci new --image "$L:big"
	for i in 1 2 3; do
		mkdir -p "$r/$i"
		head -c 8M /dev/urandom >"$r/$i/data"
		umoci insert --image "$L:big" "$r/$i" "/layer$i"
	done
	HAKO_STORAGE=$BATS_FILE_TMPDIR/bigstore hako load -q -i "$L" >/dev/null
	id=$(HAKO_STORAGE=$BATS_FILE_TMPDIR/bigstore hako images -q)
	HAKO_STORAGE=$BATS_FILE_TMPDIR/bigstore hako push -q "$id" "$REGISTRY/big/img:1" >/dev/null
	touch "$BATS_FILE_TMPDIR/big-pushed"
}

@test "SIGKILL at any point of a pull leaves a store that passes system check; the next pull completes" {
	push_big_image
	start=$(date +%s%N)
	HAKO_STORAGE=$BATS_TEST_TMPDIR/timing hako pull -q "$REGISTRY/big/img:1" >/dev/null
	full_ms=$((($(date +%s%N) - start) / 1000000))
	echo "# a full pull takes ${full_ms} ms" >&3
	for i in $(seq 8); do
		# kill points spread over the whole pull: download, unpack, index
		delay_ms=$((RANDOM % (full_ms + 20)))
		"$HAKO" pull -q "$REGISTRY/big/img:1" >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '0.%03d' "$delay_ms")"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		run hako system check
		[ "$status" -eq 0 ] || fail "after a kill at ${delay_ms} ms: $output"
	done
	run hako pull "$REGISTRY/big/img:1"
	assert_success
	run hako system check
	assert_success
	L=$(hako image inspect "$REGISTRY/big/img:1" | jq -r '.[0].GraphDriver.Data.LowerDir')
	for l in $(echo "$L" | tr : ' '); do
		[ "$(find "$l" -name data -size 8M | wc -l)" = 1 ]
	done
}

@test "a partial download is resumed with a Range request" {
	push_big_image
	manifest=$(skopeo_ inspect --raw --tls-verify=false "docker://$REGISTRY/big/img:1")
	layer=$(echo "$manifest" | jq -r '.layers[0].digest')
	# what a killed pull leaves: the first megabyte of the blob in ingest/
	skopeo_ copy -q --src-tls-verify=false "docker://$REGISTRY/big/img:1" "oci:$BATS_TEST_TMPDIR/l:1"
	mkdir -p "$STORE/ingest"
	head -c 1M "$BATS_TEST_TMPDIR/l/blobs/sha256/${layer#sha256:}" >"$STORE/ingest/sha256-${layer#sha256:}"
	run hako --debug pull "$REGISTRY/big/img:1"
	assert_success
	assert_output --partial "resuming ${layer} at 1048576 bytes"
	run hako system check
	assert_success
}
