#!/usr/bin/env bats
# A built image leaves hako as an oci-archive and is read by the peers:
# skopeo sees the config the Containerfile asked for, umoci unpacks it, and
# podman loads it and runs it.

bats_require_minimum_version 1.5.0
load '../engine/helpers'

FIX=$BATS_TEST_DIRNAME/fixtures

setup() {
	engine_setup
	cd "$BATS_TEST_TMPDIR"
	run hako build -q -t built "$FIX/config"
	assert_success
	hako save --format oci-archive -o built.tar built
}

teardown() {
	engine_teardown
}

@test "interop: skopeo reads the built image's config field by field" {
	command -v skopeo >/dev/null || skip "skopeo is not installed"
	run skopeo inspect --config oci-archive:built.tar
	assert_success
	cfg=$output
	[ "$(jq -r '.config.Env | index("K=v") != null' <<<"$cfg")" = true ]
	[ "$(jq -c .config.Entrypoint <<<"$cfg")" = '["/bin/echo"]' ]
	[ "$(jq -c .config.Cmd <<<"$cfg")" = '["default","args"]' ]
	[ "$(jq -r .config.WorkingDir <<<"$cfg")" = /srv ]
	[ "$(jq -r .config.User <<<"$cfg")" = user:users ]
	[ "$(jq -c '.config.ExposedPorts | keys' <<<"$cfg")" = '["53/udp","80/tcp"]' ]
	[ "$(jq -r '.config.Labels.version' <<<"$cfg")" = 1 ]
	[ "$(jq -r '.config.StopSignal' <<<"$cfg")" = SIGINT ]
	[ "$(jq -c '.config.Volumes | keys' <<<"$cfg")" = '["/cache","/data","/logs"]' ]
	# the history has an entry per instruction, the layers match the diff_ids
	[ "$(jq '.history | length' <<<"$cfg")" -ge 14 ]
	run skopeo inspect oci-archive:built.tar
	assert_success
	[ "$(jq '.Layers | length' <<<"$output")" -eq "$(jq '.rootfs.diff_ids | length' <<<"$cfg")" ]
}

@test "interop: umoci unpacks the built image into a bundle with its rootfs" {
	command -v umoci >/dev/null || skip "umoci is not installed"
	mkdir layout
	tar -C layout -xf built.tar
	tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"] // empty' layout/index.json)
	run umoci unpack --image "layout${tag:+:$tag}" bundle
	assert_success
	[ -x bundle/rootfs/bin/busybox ]
	[ -d bundle/rootfs/srv ] # WORKDIR made the directory
	[ "$(jq -c .process.args bundle/config.json)" = '["/bin/echo","default","args"]' ]
	[ "$(jq -r .process.cwd bundle/config.json)" = /srv ]
}

@test "interop: podman loads the built image and runs it" {
	command -v podman >/dev/null && command -v runc >/dev/null || skip "podman or runc is not installed"
	pmdir=$BATS_TEST_TMPDIR/podman
	mkdir -p "$pmdir"/{root,runroot,tmp}
	export CONTAINERS_CONF=$pmdir/containers.conf
	printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\nnetns = "none"\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = "%s/events.log"\n' "$pmdir" >"$CONTAINERS_CONF"
	[ -e /var/lib/containers ] || touch "$pmdir/made-var-lib-containers"
	pm() { timeout 60 podman --runtime "$(command -v runc)" --root "$pmdir/root" --runroot "$pmdir/runroot" --tmpdir "$pmdir/tmp" --storage-driver overlay "$@"; }
	run pm load -i built.tar
	assert_success
	id=$(pm images -q | head -1)
	run pm run --rm "$id" hello from podman
	pm rmi -af >/dev/null 2>&1 || true
	awk -v d="$pmdir" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	[ ! -e "$pmdir/made-var-lib-containers" ] || rm -rf /var/lib/containers
	assert_success
	assert_output "hello from podman"
}

@test "interop: buildah builds the same Containerfile to the same config" {
	command -v buildah >/dev/null || skip "buildah is not installed"
	bdir=$BATS_TEST_TMPDIR/buildah
	mkdir -p "$bdir"
	export CONTAINERS_CONF=$bdir/containers.conf
	printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' >"$CONTAINERS_CONF"
	[ -e /var/lib/containers ] || touch "$bdir/made-var-lib-containers"
	bh() { timeout 120 buildah --root "$bdir/root" --runroot "$bdir/run" --storage-driver overlay "$@"; }
	# the same base: hako's bb, as an oci-archive, named bb for FROM
	hako save --format oci-archive -o bb.tar bb
	bh pull -q oci-archive:bb.tar >/dev/null
	bh tag "$(bh images -q | head -1)" bb
	run bh bud -q --isolation chroot --format oci -t built "$FIX/config"
	b_status=$status
	[ "$b_status" -eq 0 ] && bh push -q built "oci-archive:$BATS_TEST_TMPDIR/buildah.tar" >/dev/null 2>&1
	bh rmi -af >/dev/null 2>&1 || true
	awk -v d="$bdir" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	[ ! -e "$bdir/made-var-lib-containers" ] || rm -rf /var/lib/containers
	[ "$b_status" -eq 0 ] || fail "buildah bud failed"
	h=$(skopeo inspect --config oci-archive:built.tar)
	b=$(skopeo inspect --config "oci-archive:$BATS_TEST_TMPDIR/buildah.tar")
	for f in Env Cmd Entrypoint WorkingDir User ExposedPorts StopSignal Volumes; do
		hv=$(jq -cS ".config.$f" <<<"$h")
		bv=$(jq -cS ".config.$f" <<<"$b")
		[ "$hv" = "$bv" ] || fail "config.$f: hako $hv, buildah $bv"
	done
	# buildah adds its own io.buildah.version label: compare the file's
	hl=$(jq -cS '.config.Labels | del(.["io.buildah.version"])' <<<"$h")
	bl=$(jq -cS '.config.Labels | del(.["io.buildah.version"])' <<<"$b")
	[ "$hl" = "$bl" ] || fail "config.Labels: hako $hl, buildah $bl"
}

@test "interop: build -o type=oci|docker writes the image as an archive the peers read" {
	command -v skopeo >/dev/null || skip "skopeo is not installed"
	run hako build -q -t out1 -o type=oci,dest=out.oci.tar "$FIX/config"
	assert_success
	id=${lines[-1]}
	run skopeo inspect --config oci-archive:out.oci.tar
	assert_success
	[ "$(jq -c .config.Cmd <<<"$output")" = '["default","args"]' ]
	# to standard output: only the archive there
	hako build -q -o type=docker,dest=- "$FIX/config" >out.docker.tar
	run skopeo inspect docker-archive:out.docker.tar
	assert_success
	run hako build -q -o type=zip,dest=x "$FIX/config"
	assert_failure
	assert_output --partial "type=oci|docker"
	[ ! -e x ]
}
