#!/usr/bin/env bats
# Volumes (docker's local driver) and the storage-wide commands:
# volume create|ls|inspect|rm|prune, system df|info|prune.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	engine_setup
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	engine_teardown
}

# ---- volume ----

@test "volume create, ls, inspect: a named volume with labels" {
	run hako volume create --label team=db --label empty data1
	assert_success
	assert_output data1
	run hako volume ls
	assert_success
	assert_line --index 0 --regexp '^DRIVER +VOLUME NAME$'
	assert_line --regexp '^local +data1$'
	run hako volume inspect data1
	assert_success
	[ "$(jq -r '.[0].Name' <<<"$output")" = data1 ]
	[ "$(jq -r '.[0].Driver' <<<"$output")" = local ]
	[ "$(jq -r '.[0].Scope' <<<"$output")" = local ]
	[ "$(jq -r '.[0].Labels.team' <<<"$output")" = db ]
	[ "$(jq -r '.[0].Labels.empty' <<<"$output")" = "" ]
	mp=$(jq -r '.[0].Mountpoint' <<<"$output")
	[ -d "$mp" ]
	[[ "$mp" == "$HAKO_STORAGE"/* ]]
	[[ "$(jq -r '.[0].CreatedAt' <<<"$output")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T ]]
	run hako volume inspect -f '{{.Name}} {{.Labels.team}}' data1
	assert_output "data1 db"
	run -1 hako volume inspect nosuchvolume
	assert_output --partial "no such volume"
	# creating it again returns it, unchanged
	run hako volume create data1
	assert_success
	assert_output data1
	run hako volume inspect -f '{{.Labels.team}}' data1
	assert_output db
}

@test "volume create without a name, ls -q, --format json, --filter" {
	run hako volume create
	assert_success
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	anon=$output
	run hako volume create --label k=v named
	run hako volume ls -q
	assert_success
	assert_line "$anon"
	assert_line named
	[ "${#lines[@]}" -eq 2 ]
	run hako volume ls --format json
	assert_success
	[ "$(jq -rs 'map(.Name) | sort | join(",")' <<<"$output")" = "$(printf '%s\n' "$anon" named | sort | paste -sd,)" ]
	run hako volume ls -q --filter label=k=v
	assert_output named
	run hako volume ls -q --filter name=nam
	assert_output named
	run -1 hako volume create "bad/name"
}

@test "a volume keeps its data across containers" {
	run hako run --rm -v keep:/data bb sh -c 'echo persisted > /data/f'
	assert_success
	run hako run --rm -v keep:/data bb cat /data/f
	assert_success
	assert_output persisted
	run hako volume ls -q
	assert_output keep
}

@test "volume rm: refused while a container uses the volume, running or not" {
	run hako volume create used
	run hako run -d --name c1 -v used:/data bb sleep 1000
	assert_success
	run -1 hako volume rm used
	assert_output --partial "in use"
	run -1 hako volume rm -f used
	assert_output --partial "in use"
	run hako stop -t 0 c1
	run -1 hako volume rm used
	run hako rm c1
	run hako volume rm used
	assert_success
	assert_output used
	run hako volume ls -q
	assert_output ""
	# -f forgives a volume that is not there; without it, an error
	run hako volume rm -f used
	assert_success
	run -1 hako volume rm used
	assert_output --partial "no such volume"
}

@test "volume prune removes only the volumes no container uses" {
	run hako volume create unused1
	run hako volume create used-running
	run hako volume create used-stopped
	run hako run -d --name r -v used-running:/a bb sleep 1000
	run hako create --name s -v used-stopped:/a bb true
	run hako run --rm -v unused2:/x bb sh -c 'echo 12345 > /x/f'
	run hako volume prune -f
	assert_success
	assert_line "Deleted Volumes:"
	assert_line unused1
	assert_line unused2
	assert_line --regexp '^Total reclaimed space: [0-9.]+k?B$'
	run hako volume ls -q
	assert_output "$(printf '%s\n' used-running used-stopped)"
	# without -f it asks; "no" keeps them
	run hako volume create unused3
	run hako volume prune <<<"n"
	run hako volume ls -q --filter name=unused3
	assert_output unused3
	run hako volume ls -q --filter dangling=true
	assert_output unused3
}

# ---- system ----

@test "system df: images, containers, local volumes with counts, sizes, reclaimable" {
	run hako run -d --name r bb sleep 1000
	run hako run --name e bb sh -c 'head -c 100000 /dev/zero > /big'
	run hako volume create v1
	run hako system df
	assert_success
	assert_line --index 0 --regexp '^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$'
	assert_line --regexp '^Images +1 +1 +[0-9.]+[kM]B +0B \(0%\)$'
	assert_line --regexp '^Containers +2 +1 +[0-9.]+kB +100kB \([0-9]+%\)$'
	assert_line --regexp '^Local Volumes +1 +0 +0B +0B \(0%\)$'
	run hako system df --format json
	assert_success
	[ "$(jq -rs 'map(select(.Type == "Containers"))[0].TotalCount' <<<"$output")" = 2 ]
	[ "$(jq -rs 'map(select(.Type == "Local Volumes"))[0].TotalCount' <<<"$output")" = 1 ]
}

@test "system info: the storage and run roots, runtime, cgroup version, counts, kernel" {
	run hako run -d --name r bb sleep 1000
	run hako create --name c bb true
	run hako system info
	assert_success
	assert_line " Containers: 2"
	assert_line "  Running: 1"
	assert_line "  Stopped: 1"
	assert_line " Images: 1"
	assert_line " Storage Driver: overlay"
	assert_line " Cgroup Driver: cgroupfs"
	assert_line --regexp '^ Cgroup Version: [12]$'
	assert_line " Default Runtime: hako"
	assert_line " Kernel Version: $(uname -r)"
	assert_line " Root Dir: $HAKO_STORAGE"
	assert_line " Run Root: $HAKO_RUN_ROOT"
	run hako system info --format json
	assert_success
	[ "$(jq -r .DockerRootDir <<<"$output")" = "$HAKO_STORAGE" ]
	[ "$(jq -r .ContainersRunning <<<"$output")" = 1 ]
	[ "$(jq -r .KernelVersion <<<"$output")" = "$(uname -r)" ]
	[ "$(jq -r .NCPU <<<"$output")" = "$(nproc)" ]
	run hako info --format '{{.Driver}} {{.CgroupDriver}}'
	assert_output "overlay cgroupfs"
}

@test "system prune: stopped containers and dangling images go; running ones, used images stay; --volumes" {
	run hako run -d --name r -v inuse:/a bb sleep 1000
	run hako run --name e bb true
	run hako volume create lonely
	# a dangling image: imported without a name
	"$HAKO" import "$BATS_FILE_TMPDIR/rootfs.tar" >/dev/null
	[ "$("$HAKO" images -q | wc -l)" -eq 2 ]
	run hako system prune -f
	assert_success
	assert_line "Deleted Containers:"
	assert_line "Deleted Images:"
	assert_line --regexp '^deleted: sha256:[0-9a-f]{64}$'
	assert_line --regexp '^Total reclaimed space: '
	run hako ps -a --format '{{.Names}}'
	assert_output r
	[ "$("$HAKO" images -q | wc -l)" -eq 1 ]
	run hako volume ls -q
	assert_output "$(printf '%s\n' inuse lonely)"
	# -a: images without containers; --volumes: unused volumes
	run hako system prune -a -f --volumes
	assert_success
	assert_line lonely
	run hako volume ls -q
	assert_output inuse
	[ "$("$HAKO" images -q | wc -l)" -eq 1 ] # used by r
	run hako rm -f r
	run hako system prune -a -f --volumes
	assert_success
	assert_line --regexp '^untagged: .*bb:latest$'
	[ -z "$("$HAKO" images -q)" ]
	run hako volume ls -q
	assert_output ""
}
