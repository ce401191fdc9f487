#!/usr/bin/env bats
# The store and the local image commands: import, images, tag, rmi, prune,
# history, inspect, system check; concurrent writers.

load helpers

setup() {
	image_setup
}

@test "import makes a one-layer image that images, inspect and history show" {
	import_busybox busybox:1
	run hako images
	assert_success
	assert_line --regexp '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE'
	assert_line --regexp '^busybox +1 +[0-9a-f]{12} '
	run hako images --format json
	assert_success
	[ "$(echo "$output" | jq -r .Repository)" = busybox ]
	[ "$(echo "$output" | jq -r .Tag)" = 1 ]
	id=$(hako image inspect busybox:1 | jq -r '.[0].Id')
	[[ "$id" == sha256:* ]]
	[ "$(hako images -q)" = "${id:7:12}" ]
	run hako images --digests
	assert_line --regexp '^busybox +1 +sha256:[0-9a-f]{64} '
	run hako image inspect docker.io/library/busybox:1
	assert_success
	[ "$(echo "$output" | jq -r '.[0].Config.Cmd[0]')" = /bin/sh ]
	[ "$(echo "$output" | jq -r '.[0].RepoTags[0]')" = busybox:1 ]
	[ "$(echo "$output" | jq -r '.[0].Os')" = linux ]
	run hako history busybox:1
	assert_success
	assert_line --regexp "^${id:7:12} .*hako import"
	run hako image ls -q
	[ "$output" = "${id:7:12}" ]
}

@test "import --change sets the config" {
	hako import -c 'CMD echo hi' -c 'ENV A=b' -c 'WORKDIR /tmp' -c 'ENTRYPOINT ["/bin/sh","-c"]' \
		-c 'USER 1000' -c 'LABEL k=v' -c 'EXPOSE 80' -m note "$FIXTURES/features.tar" c:1
	cfg=$(hako image inspect c:1 | jq -c '.[0].Config')
	[ "$(echo "$cfg" | jq -c .Cmd)" = '["/bin/sh","-c","echo hi"]' ]
	[ "$(echo "$cfg" | jq -c .Env)" = '["A=b"]' ]
	[ "$(echo "$cfg" | jq -r .WorkingDir)" = /tmp ]
	[ "$(echo "$cfg" | jq -r .User)" = 1000 ]
	[ "$(echo "$cfg" | jq -r .Labels.k)" = v ]
	[ "$(echo "$cfg" | jq -c .ExposedPorts)" = '{"80/tcp":{}}' ]
	run hako import -c 'FROM x' "$FIXTURES/features.tar" c:2
	assert_failure
	assert_output --partial "unsupported instruction"
	# from stdin
	hako import - stdin:1 <"$FIXTURES/features.tar"
	hako image inspect stdin:1 >/dev/null
}

@test "tag adds a name; rmi by name removes the name, by ID needs --force with several names" {
	import_busybox busybox:1
	hako tag busybox:1 localhost:5000/x/y:2
	hako tag busybox:1 other
	run hako images
	assert_line --regexp '^localhost:5000/x/y +2 '
	assert_line --regexp '^other +latest '
	run hako tag nosuch:1 a:b
	assert_failure
	assert_output --partial "no such image"
	id=$(hako images -q)
	run hako rmi "$id"
	assert_failure
	assert_output --partial "--force"
	run hako rmi other
	assert_success
	assert_output "Untagged: docker.io/library/other:latest"
	run hako rmi -f "$id"
	assert_success
	assert_line "Untagged: docker.io/library/busybox:1"
	assert_line --regexp "^Deleted: sha256:${id}[0-9a-f]{52}$"
	[ "$(hako images -q)" = "" ]
	# nothing is left: blobs and layers were swept
	[ "$(ls "$STORE/blobs/sha256")" = "" ]
	[ "$(ls "$STORE/layers/sha256")" = "" ]
	run hako system check
	assert_success
}

@test "removing one image keeps the layers another image shares" {
	import_busybox a:1
	import_busybox b:1 # same rootfs, same layer; another config (created time)
	[ "$(ls "$STORE/layers/sha256" | wc -l)" = 1 ]
	hako rmi a:1
	[ "$(ls "$STORE/layers/sha256" | wc -l)" = 1 ]
	hako image inspect b:1 >/dev/null
	run hako system check
	assert_success
	hako rmi b:1
	[ "$(ls "$STORE/layers/sha256" | wc -l)" = 0 ]
}

@test "a tag moved to another image leaves an untagged image that prune removes" {
	import_busybox x:1
	sleep 1 # another created time, another image ID
	import_busybox x:1
	run hako images
	assert_line --regexp '^<none> +<none> '
	run hako image prune
	assert_success
	assert_line --partial "Deleted: sha256:"
	assert_line --regexp "^Removed 1 images"
	[ "$(hako images -q | wc -l)" = 1 ]
	run hako image prune -a
	assert_success
	[ "$(hako images -q)" = "" ]
	[ "$(ls "$STORE/blobs/sha256")" = "" ]
}

@test "system check finds a corrupt blob, a missing layer and a missing blob" {
	import_busybox busybox:1
	run hako system check
	assert_success
	assert_output --partial "no problems found"
	L=$(hako image inspect busybox:1 | jq -r '.[0].GraphDriver.Data.LowerDir')
	layer=$(hako image inspect busybox:1 | jq -r '.[0].RootFS.Layers[0]')
	manifest=$(hako image inspect busybox:1 | jq -r '.[0].Metadata.ManifestDigest')
	blob=$(jq -r '.layers[0].digest' "$STORE/blobs/sha256/${manifest#sha256:}")
	blob=${blob#sha256:}
	chmod u+w "$STORE/blobs/sha256/$blob"
	echo garbage >>"$STORE/blobs/sha256/$blob"
	mv "$(dirname "$L")" "$BATS_TEST_TMPDIR/moved"
	run hako system check
	assert_failure
	assert_output --partial "sha256:$blob: corrupt"
	assert_output --partial "missing unpacked layer $layer"
	assert_output --regexp "[0-9]+ problems found"
}

@test "unknown images, references and commands give clear errors" {
	run hako image inspect nosuch
	assert_failure
	assert_output --partial "no such image \`nosuch\`"
	run hako rmi NoSuch
	assert_failure
	run hako tag busybox "Bad/Name:x"
	assert_failure
	assert_output --partial "must be lowercase"
	run hako frobnicate
	[ "$status" -eq 125 ]
	assert_output --partial "unknown command"
	run hako --help
	assert_success
	assert_output --partial "pull IMAGE"
	run hako --storage "$BATS_TEST_TMPDIR/other" images -q
	assert_success
	[ -d "$BATS_TEST_TMPDIR/other/blobs/sha256" ]
}

@test "concurrent imports and tags keep images.json whole" {
	make_rootfs "$BATS_FILE_TMPDIR/rootfs"
	tar -C "$BATS_FILE_TMPDIR/rootfs" -cf "$BATS_FILE_TMPDIR/rootfs.tar" .
	for i in 1 2 3 4 5 6; do
		hako import "$BATS_FILE_TMPDIR/rootfs.tar" "par:$i" >/dev/null &
	done
	wait
	[ "$(hako images | grep -c '^par ')" = 6 ]
	for i in 1 2 3 4 5 6; do
		hako tag par:1 "t$i" &
	done
	wait
	[ "$(hako images | grep -c '^t[0-9] ')" = 6 ]
	run hako system check
	assert_success
}
