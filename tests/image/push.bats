#!/usr/bin/env bats
# push: chunked uploads (PATCH with Content-Range) and their fallback to
# whole blobs, cross-repository mounts (POST ?mount=&from=), checked with
# skopeo as the other client and with the registry's own access log.

load helpers

CHUNK=300k # 307200 bytes: the layers below end in a partial chunk
CHUNK_BYTES=307200

setup_file() {
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR
	start_registry push
}

teardown_file() {
	stop_registry push
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/proxy.pid" 2>/dev/null) && kill "$pid" 2>/dev/null
	true
}

setup() {
	image_setup
	registry_address push
	REGLOG=$BATS_FILE_TMPDIR/push/log
}

skopeo_() {
	timeout 120 skopeo "$@"
}

# "chunky:1" in the store: layers of 1.2 MB and 700 kB of random data (so
# several chunks each, the last one partial) and a small one.
load_chunky() {
	local L=$BATS_FILE_TMPDIR/chunky r=$BATS_FILE_TMPDIR/chunky-rootfs
	if [ ! -e "$L/index.json" ]; then
		mkdir -p "$r/1" "$r/2" "$r/3"
		head -c 1200000 /dev/urandom >"$r/1/data"
		head -c 700000 /dev/urandom >"$r/2/data"
		echo small >"$r/3/data"
		umoci init --layout "$L"
		umoci new --image "$L:1"
		for i in 1 2 3; do
			umoci insert --image "$L:1" "$r/$i" "/layer$i" >/dev/null
		done
	fi
	hako load -q -i "$L" >/dev/null
	hako tag "$(hako images -q | head -1)" chunky:1
}

# The number of requests of a method to a path prefix in the registry log.
reg_requests() {
	grep -cE "\"$1 $2[^ ]* HTTP/1.1\" $3 " "$REGLOG" || true
}

@test "a blob larger than HAKO_PUSH_CHUNK_SIZE goes up in chunks; skopeo pulls back the same digests" {
	load_chunky
	HAKO_PUSH_CHUNK_SIZE=$CHUNK run hako --debug push chunky:1 "$REGISTRY/chunk/img:1"
	assert_success
	pushed=$(echo "$output" | sed -n 's/^1: digest: \(sha256:[0-9a-f]*\) size: [0-9]*$/\1/p')
	[ -n "$pushed" ]
	manifest=$(skopeo_ inspect --raw --tls-verify=false "docker://$REGISTRY/chunk/img:1")
	# one PATCH per chunk, each with the next Content-Range, for each layer
	# above the chunk size; the others whole
	want=0
	for row in $(echo "$manifest" | jq -r '.layers[] | "\(.digest)=\(.size)"'); do
		d=${row%=*} size=${row#*=}
		n=$(echo "$output" | grep -c "upload $d: PATCH bytes" || true)
		if [ "$size" -gt "$CHUNK_BYTES" ]; then
			chunks=$(((size + CHUNK_BYTES - 1) / CHUNK_BYTES))
			[ "$n" -eq "$chunks" ] || fail "$d ($size bytes): $n PATCHes, want $chunks"
			assert_line --partial "upload $d: PATCH bytes $((CHUNK_BYTES * (chunks - 1)))-$((size - 1)) of $size"
			want=$((want + chunks))
		else
			[ "$n" -eq 0 ]
		fi
	done
	[ "$want" -ge 6 ]
	[ "$(reg_requests PATCH /v2/chunk/img/blobs/uploads/ 202)" -eq "$want" ]
	# the other client reads it back: same manifest, every blob matching its digest
	skopeo_ copy -q --src-tls-verify=false "docker://$REGISTRY/chunk/img:1" "oci:$BATS_TEST_TMPDIR/back:1"
	[ "$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/back/index.json")" = "$pushed" ]
	for f in "$BATS_TEST_TMPDIR"/back/blobs/sha256/*; do
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ]
	done
	umoci unpack --image "$BATS_TEST_TMPDIR/back:1" "$BATS_TEST_TMPDIR/b" >/dev/null
	cmp "$BATS_TEST_TMPDIR/b/rootfs/layer1/data" "$BATS_FILE_TMPDIR/chunky-rootfs/1/data"
	cmp "$BATS_TEST_TMPDIR/b/rootfs/layer2/data" "$BATS_FILE_TMPDIR/chunky-rootfs/2/data"
}

@test "HAKO_PUSH_CHUNK_SIZE=0 uploads whole blobs; a bad value is refused" {
	load_chunky
	HAKO_PUSH_CHUNK_SIZE=0 run hako --debug push chunky:1 "$REGISTRY/whole/img:1"
	assert_success
	refute_output --partial "PATCH bytes"
	[ "$(reg_requests PATCH /v2/whole/img/ 202)" -eq 0 ]
	[ "$(reg_requests PUT '/v2/whole/img/blobs/uploads/' 201)" -eq 4 ]
	HAKO_PUSH_CHUNK_SIZE=lots run hako push chunky:1 "$REGISTRY/whole/img:2"
	assert_failure
	assert_output --partial "HAKO_PUSH_CHUNK_SIZE=\`lots\`: not a size"
}

@test "a registry that refuses PATCH gets whole blobs; the push completes" {
	load_chunky
	port=$(free_port)
	setsid python3 "$HAKO_SRC/tests/image/refuse_patch_proxy.py" "$port" "$REGISTRY" \
		>"$BATS_FILE_TMPDIR/proxy.log" 2>&1 </dev/null &
	echo $! >"$BATS_FILE_TMPDIR/proxy.pid"
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
		sleep 0.1
	done
	HAKO_PUSH_CHUNK_SIZE=$CHUNK run hako push chunky:1 "127.0.0.1:$port/refused/img:1"
	assert_success
	assert_output --partial "refused a chunked upload (chunked uploads are not supported here (UNSUPPORTED))"
	# asked once, then never again in this push: two layers were above the chunk size
	[ "$(grep -c '"PATCH ' "$BATS_FILE_TMPDIR/proxy.log")" -eq 1 ]
	pushed=$(echo "$output" | sed -n 's/^1: digest: \(sha256:[0-9a-f]*\) size: [0-9]*$/\1/p')
	[ "$(skopeo_ inspect --tls-verify=false "docker://$REGISTRY/refused/img:1" | jq -r .Digest)" = "$pushed" ]
	skopeo_ copy -q --src-tls-verify=false "docker://$REGISTRY/refused/img:1" "oci:$BATS_TEST_TMPDIR/back:1"
	kill "$(cat "$BATS_FILE_TMPDIR/proxy.pid")"
	rm "$BATS_FILE_TMPDIR/proxy.pid"
}

@test "the same image pushed to a second repository is mounted, not uploaded" {
	import_busybox busybox:1
	run hako push busybox:1 "$REGISTRY/mnt/one:1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Pushed$'
	run hako push busybox:1 "$REGISTRY/mnt/two:1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Mounted from mnt/one$'
	refute_line --regexp ': Pushed$'
	# the registry's side: layer and config mounted (201), nothing uploaded
	[ "$(reg_requests POST '/v2/mnt/two/blobs/uploads/\?mount=sha256%3A[0-9a-f]{64}&from=mnt%2Fone' 201)" -eq 2 ]
	[ "$(reg_requests PUT /v2/mnt/two/blobs/uploads/ 201)" -eq 0 ]
	skopeo_ copy -q --src-tls-verify=false "docker://$REGISTRY/mnt/two:1" "oci:$BATS_TEST_TMPDIR/l:1"
	umoci unpack --image "$BATS_TEST_TMPDIR/l:1" "$BATS_TEST_TMPDIR/b" >/dev/null
	[ -x "$BATS_TEST_TMPDIR/b/rootfs/bin/busybox" ]
	# what push remembers for later mounts does not bother the store's check
	[ -s "$STORE/blob-sources.json" ]
	run hako system check
	assert_success
}

@test "a pulled image is mounted from the repository it was pulled from" {
	import_busybox busybox:1
	hako push -q busybox:1 "$REGISTRY/mnt/src:1" >/dev/null
	export HAKO_STORAGE=$BATS_TEST_TMPDIR/store2
	hako pull -q "$REGISTRY/mnt/src:1" >/dev/null
	run hako push "$REGISTRY/mnt/src:1" "$REGISTRY/mnt/copy:1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Mounted from mnt/src$'
}

@test "--from-repo names a repository to mount from; one without the blob means an upload" {
	import_busybox busybox:1
	hako push -q busybox:1 "$REGISTRY/hint/base:1" >/dev/null
	hako save --format oci-archive -o "$BATS_TEST_TMPDIR/bb.tar" busybox:1
	# fresh stores that know nothing of the registry
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s2 hako load -q -i "$BATS_TEST_TMPDIR/bb.tar" >/dev/null
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s2 run hako push --from-repo hint/base busybox:1 "$REGISTRY/hint/app:1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Mounted from hint/base$'
	# with the registry in the hint, as a full name
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s3 hako load -q -i "$BATS_TEST_TMPDIR/bb.tar" >/dev/null
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s3 run hako push --from-repo "$REGISTRY/hint/base:1" busybox:1 "$REGISTRY/hint/app2:1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Mounted from hint/base$'
	# a repository without the blob: the registry answers 202, the blob is uploaded
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s4 hako load -q -i "$BATS_TEST_TMPDIR/bb.tar" >/dev/null
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s4 run hako push --from-repo hint/empty busybox:1 "$REGISTRY/hint/app3:1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Pushed$'
	[ "$(reg_requests POST '/v2/hint/app3/blobs/uploads/\?mount=sha256%3A[0-9a-f]{64}&from=hint%2Fempty' 202)" -eq 2 ]
	[ "$(skopeo_ inspect --tls-verify=false "docker://$REGISTRY/hint/app3:1" | jq -r .Digest)" = \
		"$(skopeo_ inspect --tls-verify=false "docker://$REGISTRY/hint/base:1" | jq -r .Digest)" ]
	# a mount works within one registry only
	run hako push --from-repo other.example:5000/x busybox:1 "$REGISTRY/hint/app4:1"
	assert_failure
	assert_output --partial "--from-repo other.example:5000/x: not on registry $REGISTRY"
	run hako pull --from-repo hint/base "$REGISTRY/hint/base:1"
	assert_failure
	assert_output --partial "--from-repo is a push option"
}
