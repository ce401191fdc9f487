#!/usr/bin/env bats
# hako build and base images that are not in the store: pulled when
# missing (docker's default), always with --pull, never with --pull=never.
# A private docker-registry on 127.0.0.1 holds the base.

bats_require_minimum_version 1.5.0
load '../engine/helpers'
load '../image/helpers'

setup_file() {
	start_registry
}

teardown_file() {
	stop_registry
}

setup() {
	engine_setup
	registry_address
	cd "$BATS_TEST_TMPDIR"
	# the base goes to the registry, then leaves the store
	"$HAKO" tag bb "$REGISTRY/base/bb:1"
	"$HAKO" push --tls-verify=false -q "$REGISTRY/base/bb:1" >/dev/null
	"$HAKO" rmi "$REGISTRY/base/bb:1" bb >/dev/null
	mkdir ctx
	printf 'FROM %s/base/bb:1\nRUN echo built > /built\nCMD ["cat", "/built"]\n' "$REGISTRY" >ctx/Containerfile
}

teardown() {
	engine_teardown
}

@test "build: a missing base is pulled (docker's default); --pull=never refuses" {
	run hako build -q --pull=never -t out ctx
	assert_failure
	assert_output --partial "not in the store"
	run hako images -q out
	assert_output ""
	run hako build -t out ctx
	assert_success
	assert_output --partial "pulling $REGISTRY/base/bb:1"
	run hako run --rm out
	assert_output built
	# present now: no pull without --pull, a pull with it
	run hako build -t out ctx
	refute_output --partial "pulling"
	run hako build --pull -t out ctx
	assert_success
	assert_output --partial "pulling"
}
