#!/usr/bin/env bats
# Networking: bridge networks through the CNI plugins (bridge, host-local,
# portmap, firewall), published ports, names between containers, none,
# host, container:NAME, --internal, and nothing left behind.  Real traffic
# only on loopback and inside the namespaces the tests create.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	[ -x /usr/lib/cni/bridge ] || [ -n "${HAKO_CNI_PATH:-}" ] || skip "containernetworking-plugins is not installed"
	# hako0 is the host's default bridge: remove it at the end only if
	# this file made it.
	ip link show hako0 >/dev/null 2>&1 && export HAD_HAKO0=1 || export HAD_HAKO0=
}

teardown_file() {
	if [ -z "$HAD_HAKO0" ] && [ -d /sys/class/net/hako0 ] && [ -z "$(ls /sys/class/net/hako0/brif 2>/dev/null)" ]; then
		ip link delete hako0 2>/dev/null || true
	fi
}

setup() {
	engine_setup
	import_busybox web 'EXPOSE 80' 'EXPOSE 9000/udp'
	cd "$BATS_TEST_TMPDIR"
	# Network names are host-wide for the IPAM plugin: one per test run.
	NET=t$$n$BATS_SUITE_TEST_NUMBER
}

teardown() {
	engine_teardown
	local n
	for n in $("$HAKO" network ls --format '{{.Name}}' 2>/dev/null); do
		[ "$n" = hako0 ] || "$HAKO" network rm "$n" >/dev/null 2>&1 || true
	done
	[ -z "$(ls /var/lib/cni/networks/$NET* 2>/dev/null)" ] || fail "IPAM state of $NET left"
}

# A web server in the container: `serve NAME ARGS...` prints its ID.
serve() {
	local name=$1
	shift
	hako run -d --name "$name" "$@" web sh -c 'mkdir -p /www && echo "hi from $(hostname)" >/www/index.html && exec httpd -f -p 80 -h /www'
}

# Fetch $1 (from the host), retrying while the server starts.
fetch() {
	local i
	for i in $(seq 50); do
		output=$(timeout 5 busybox wget -qO- "$1" 2>/dev/null) && return 0
		sleep 0.1
	done
	return 1
}

# What a run could leave on the host: veths, iptables rules of the
# network, IPAM leases, pinned namespaces.
net_state() {
	ip -o link show type veth | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort
	iptables-save | grep -v '^[#:]' | grep -E "name: \\\\?\"$NET\\\\?\"|$1" | sed 's/\[[0-9:]*\]//' | sort
	ls /var/lib/cni/networks/"$NET" 2>/dev/null | grep -v -e '^lock$' -e '^last_reserved_ip' || true
	ls "$HAKO_RUN_ROOT/netns" 2>/dev/null || true
	ls /run/netns 2>/dev/null || true
}

# ---- networks ----

@test "network create, ls, inspect, rm: a bridge network with its subnet" {
	run hako network create --subnet 10.213.7.0/24 --gateway 10.213.7.254 --label team=a "$NET"
	assert_success
	id=$output
	[[ "$id" =~ ^[0-9a-f]{64}$ ]]
	run hako network ls
	assert_success
	assert_line --index 0 --regexp '^NETWORK ID +NAME +DRIVER +SCOPE$'
	assert_line --regexp "^${id:0:12} +$NET +bridge +local$"
	assert_line --regexp '^[0-9a-f]{12} +hako0 +bridge +local$'
	run hako network inspect "$NET"
	assert_success
	[ "$(jq -r '.[0].Name' <<<"$output")" = "$NET" ]
	[ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
	[ "$(jq -r '.[0].Driver' <<<"$output")" = bridge ]
	[ "$(jq -r '.[0].IPAM.Config[0].Subnet' <<<"$output")" = 10.213.7.0/24 ]
	[ "$(jq -r '.[0].IPAM.Config[0].Gateway' <<<"$output")" = 10.213.7.254 ]
	[ "$(jq -r '.[0].Internal' <<<"$output")" = false ]
	[ "$(jq -r '.[0].Labels.team' <<<"$output")" = a ]
	[ "$(jq -r '.[0].Options["com.docker.network.bridge.name"]' <<<"$output")" = "hk-${id:0:12}" ]
	# A CNI network configuration list any CNI tool can read.
	conf=$HAKO_STORAGE/networks/$NET.conflist
	[ "$(jq -r '.plugins | map(.type) | join(",")' "$conf")" = bridge,portmap,firewall ]
	[ "$(jq -r '.plugins[0].ipam.type' "$conf")" = host-local ]
	run hako network rm "$NET"
	assert_success
	run -1 hako network inspect "$NET"
	assert_line "hako: network $NET not found"
	[ ! -e "$conf" ]
}

@test "network create: duplicate name, overlapping subnet, bad input are refused and leave nothing" {
	run hako network create --subnet 10.213.8.0/24 "$NET"
	assert_success
	run -1 hako network create "$NET"
	assert_output "hako: network with name $NET already exists"
	run -1 hako network create --subnet 10.213.8.128/25 "${NET}b"
	assert_output "hako: subnet 10.213.8.128/25 overlaps network \`$NET\` (10.213.8.0/24)"
	# The host's own routes are taken too.
	hostnet=$(ip -4 -o route show scope link | awk '$1 ~ /\// { print $1; exit }')
	if [ -n "$hostnet" ]; then
		run -1 hako network create --subnet "$hostnet" "${NET}c"
		assert_output --partial "overlaps the host's route $hostnet"
	fi
	run -1 hako network create --subnet 10.213.9.1/24 "${NET}d"
	assert_output "hako: invalid subnet \`10.213.9.1/24\`: it should be 10.213.9.0/24"
	run -1 hako network create --subnet 10.213.9.0/24 --gateway 10.213.10.1 "${NET}e"
	assert_output "hako: gateway 10.213.10.1 is not a host address of the subnet 10.213.9.0/24"
	run -1 hako network create host
	assert_output --partial "the name is reserved"
	run -1 hako network rm hako0
	assert_output "hako: hako0 is a pre-defined network and cannot be removed"
	run -1 hako network rm nosuchnet
	assert_output "hako: network nosuchnet not found"
	run hako network ls -q
	assert_equal "${#lines[@]}" 2
	[ "$(ls "$HAKO_STORAGE/networks/"*.conflist | wc -l)" -eq 2 ]
}

@test "network rm refuses a network in use; prune removes the unused ones" {
	hako network create "$NET" >/dev/null
	hako network create "${NET}x" >/dev/null
	hako create --name c1 --network "$NET" web >/dev/null
	run -1 hako network rm "$NET"
	assert_output "hako: error while removing network: network $NET is used by container c1"
	run hako network prune
	assert_success
	assert_output "Deleted Networks:
${NET}x"
	hako rm c1 >/dev/null
	run hako network rm "$NET"
	assert_success
}

@test "run --network NAME: an unknown network is an error and leaves no container" {
	run -125 hako run --rm --network nosuchnet web true
	assert_output "hako: network nosuchnet not found"
	run hako ps -aq
	assert_output ""
}

# ---- containers on a network ----

@test "two containers on a user network: one serves, the other fetches it by name" {
	hako network create "$NET" >/dev/null
	serve srv --network "$NET" >/dev/null
	run hako run --rm --network "$NET" web sh -c 'for i in $(seq 50); do wget -qO- http://srv/ && exit 0; sleep 0.1; done; exit 1'
	assert_success
	assert_output "hi from $(hako inspect -f '{{.Config.Hostname}}' srv)"
	# Each side's /etc/hosts names the other, and itself by its address.
	ip=$(hako inspect -f "{{.NetworkSettings.Networks.$NET.IPAddress}}" srv)
	[[ "$ip" =~ ^10\.89\.[0-9]+\.[0-9]+$ ]]
	hako run -d --name cli --network "$NET" web sleep 60 >/dev/null
	cip=$(hako inspect -f "{{.NetworkSettings.Networks.$NET.IPAddress}}" cli)
	run hako exec srv cat /etc/hosts
	assert_line --regexp "^$ip	[0-9a-f]{12}$"
	assert_line --regexp "^$cip	cli [0-9a-f]{12}$"
	run hako exec cli cat /etc/hosts
	assert_line --regexp "^$ip	srv [0-9a-f]{12}$"
	[ "$(hako network inspect -f '{{json .Containers}}' "$NET" | jq length)" -eq 2 ]
	# A container that leaves leaves the others' hosts files.
	hako rm -f cli >/dev/null
	run hako exec srv cat /etc/hosts
	refute_line --partial cli
	[ "$(hako network inspect -f '{{json .Containers}}' "$NET" | jq length)" -eq 1 ]
}

@test "inspect shows the CNI result: address, gateway, MAC; a stopped container has none" {
	hako network create --subnet 10.213.11.0/24 "$NET" >/dev/null
	hako run -d --name c1 --network "$NET" web sleep 60 >/dev/null
	run hako inspect c1
	ns=$(jq '.[0].NetworkSettings' <<<"$output")
	[ "$(jq -r ".Networks[\"$NET\"].Gateway" <<<"$ns")" = 10.213.11.1 ]
	[[ "$(jq -r ".Networks[\"$NET\"].IPAddress" <<<"$ns")" =~ ^10\.213\.11\.[0-9]+$ ]]
	[ "$(jq -r ".Networks[\"$NET\"].IPPrefixLen" <<<"$ns")" = 24 ]
	mac=$(jq -r ".Networks[\"$NET\"].MacAddress" <<<"$ns")
	[[ "$mac" =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]]
	[ "$(jq -r .IPAddress <<<"$ns")" = "$(jq -r ".Networks[\"$NET\"].IPAddress" <<<"$ns")" ]
	run hako exec c1 cat /sys/class/net/eth0/address
	assert_output "$mac"
	run hako exec c1 ip route
	assert_line "default via 10.213.11.1 dev eth0 "
	hako stop -t 0 c1 >/dev/null
	[ "$(hako inspect -f "{{.NetworkSettings.Networks.$NET.IPAddress}}" c1)" = "" ]
	# Started again, it joins again.
	hako start c1 >/dev/null
	[[ "$(hako inspect -f "{{.NetworkSettings.Networks.$NET.IPAddress}}" c1)" =~ ^10\.213\.11\. ]]
}

@test "-p: the host fetches a published port on 127.0.0.1; hako port lists it" {
	hako network create "$NET" >/dev/null
	serve srv --network "$NET" -p 127.0.0.1:0:80 -p 9000/udp >/dev/null
	run hako port srv
	assert_success
	assert_line --regexp '^80/tcp -> 127\.0\.0\.1:[0-9]+$'
	assert_line --regexp '^9000/udp -> 0\.0\.0\.0:[0-9]+$'
	port=$(hako port srv 80 | cut -d: -f2)
	run hako port srv 80/tcp
	assert_output "127.0.0.1:$port"
	[ "$(hako inspect -f '{{json .NetworkSettings.Ports}}' srv | jq -r '.["80/tcp"][0].HostPort')" = "$port" ]
	[ "$(hako inspect -f '{{json .HostConfig.PortBindings}}' srv | jq -r '.["80/tcp"][0].HostIp')" = 127.0.0.1 ]
	fetch "http://127.0.0.1:$port/"
	[[ "$output" == "hi from "* ]]
	run -1 hako port srv 81
	assert_output "hako: no public port '81/tcp' published for srv"
}

@test "-p without --network uses the default bridge; other containers reach the port through the host" {
	serve srv -p 0:80 >/dev/null
	[ "$(hako inspect -f '{{.HostConfig.NetworkMode}}' srv)" = bridge ]
	[[ "$(hako inspect -f '{{.NetworkSettings.Networks.hako0.IPAddress}}' srv)" =~ ^[0-9.]+$ ]]
	port=$(hako port srv 80 | cut -d: -f2)
	fetch "http://127.0.0.1:$port/"
	[[ "$output" == "hi from "* ]]
	hako network create "$NET" >/dev/null
	run hako run --rm --network "$NET" web sh -c "gw=\$(ip route | awk '/^default/ { print \$3 }'); for i in \$(seq 50); do wget -qO- http://\$gw:$port/ && exit 0; sleep 0.1; done; exit 1"
	assert_success
	assert_output --partial "hi from "
}

@test "-P publishes the image's ExposedPorts on free ports" {
	hako network create "$NET" >/dev/null
	serve srv --network "$NET" -P >/dev/null
	run hako port srv
	assert_line --regexp '^80/tcp -> 0\.0\.0\.0:[0-9]+$'
	assert_line --regexp '^9000/udp -> 0\.0\.0\.0:[0-9]+$'
	port=$(hako port srv 80 | cut -d: -f2)
	fetch "http://127.0.0.1:$port/"
}

@test "-p: a host port already in use is a clear error and leaves nothing" {
	hako network create "$NET" >/dev/null
	before=$(net_state 10.89.)
	hako run -d --name c1 --network "$NET" -p 127.0.0.1:0:80 web sleep 60 >/dev/null
	port=$(hako port c1 80 | cut -d: -f2)
	run -125 hako run --name c2 --network "$NET" -p "127.0.0.1:$port:80" web true
	assert_output --partial "Bind for 127.0.0.1:$port failed: port is already allocated"
	[ "$(hako inspect -f '{{.State.Status}}' c2)" = exited ]
	hako rm -f c1 c2 >/dev/null
	[ "$(net_state 10.89.)" = "$before" ]
	run -125 hako run --rm -p 70000:80 web true
	assert_output "hako: invalid port \`70000:80\`: \`70000\` is not a host port (0-65535)"
	run -125 hako run --rm -p 80:80/sctp web true
	assert_output --partial "the protocol is tcp or udp"
	run -125 hako run --rm --network none -p 80 web true
	assert_output "hako: conflicting options: port publishing and the container type network mode"
}

# ---- none, host, container:NAME, --internal ----

@test "--network none: loopback only, up; no route out" {
	run hako run --rm --network none web sh -c 'ip -o link | cut -d: -f2; ip route; wget -qO- http://192.0.2.1/ 2>&1'
	assert_failure
	assert_line --index 0 " lo"
	assert_line --partial "Network is unreachable"
	run hako run --rm web ip -o addr show lo
	assert_output --partial "inet 127.0.0.1/8"
}

@test "--internal: the containers reach each other, not the host" {
	hako network create --internal "$NET" >/dev/null
	[ "$(hako network inspect -f '{{.Internal}}' "$NET")" = true ]
	serve srv --network "$NET" >/dev/null
	run hako run --rm --network "$NET" web sh -c 'for i in $(seq 50); do wget -qO- http://srv/ && exit 0; sleep 0.1; done; exit 1'
	assert_success
	hostip=$(ip -4 -o addr show scope global | awk '{ print $4; exit }' | cut -d/ -f1)
	[ -n "$hostip" ] || hostip=127.0.0.1
	run hako run --rm --network "$NET" web sh -c "ip route; nc -w 2 $hostip 22 </dev/null 2>&1"
	assert_failure
	refute_line --partial default
	assert_line --partial "Network is unreachable"
}

@test "--network host and container:NAME share a namespace; connect refuses them" {
	run hako run --rm --network host web cat /proc/net/dev
	assert_success
	[ "$(grep -c : <<<"$output")" -eq "$(grep -c : /proc/net/dev)" ]
	hako network create "$NET" >/dev/null
	hako run -d --name c1 --network "$NET" web sleep 60 >/dev/null
	ip=$(hako inspect -f "{{.NetworkSettings.Networks.$NET.IPAddress}}" c1)
	run hako run --rm --network container:c1 web ip -o -4 addr show eth0
	assert_success
	assert_output --partial "inet $ip/"
	hako run -d --name c2 --network none web sleep 60 >/dev/null
	run -1 hako network connect "$NET" c2
	assert_output --partial "only a container on a bridge network can join another one"
}

@test "network connect and disconnect a running container" {
	hako network create "$NET" >/dev/null
	hako network create "${NET}b" >/dev/null
	serve srv --network "${NET}b" >/dev/null
	hako run -d --name c1 --network "$NET" web sleep 60 >/dev/null
	run hako exec c1 sh -c 'wget -qO- http://srv/ 2>&1'
	assert_failure
	hako network connect "${NET}b" c1
	run hako exec c1 ip -o -4 addr show eth1
	assert_success
	ip=$(hako inspect -f "{{json .NetworkSettings.Networks}}" c1 | jq -r ".[\"${NET}b\"].IPAddress")
	assert_output --partial "inet $ip/"
	run hako exec c1 wget -qO- http://srv/
	assert_success
	assert_output --partial "hi from"
	run -1 hako network connect "${NET}b" c1
	assert_output --partial "already exists in network"
	hako network disconnect "${NET}b" c1
	run hako exec c1 ip link show eth1
	assert_failure
	run hako exec srv cat /etc/hosts
	refute_line --regexp '[[:space:]]c1([[:space:]]|$)' # not --partial: a 12-hex ID may contain "c1"
	[ "$(hako network inspect -f '{{json .Containers}}' "${NET}b" | jq length)" -eq 1 ]
	run -1 hako network disconnect "${NET}b" c1
	assert_output "hako: container c1 is not connected to network ${NET}b"
}

# ---- /etc/hosts, /etc/resolv.conf ----

@test "--dns, --dns-search, --dns-option, --add-host, --hostname" {
	hako network create "$NET" >/dev/null
	run hako run --rm --network "$NET" --hostname box --dns 192.0.2.53 --dns-search example.test \
		--dns-option ndots:2 --add-host db.local:192.0.2.10 web sh -c 'cat /etc/resolv.conf; echo ---; cat /etc/hosts; hostname'
	assert_success
	assert_line "nameserver 192.0.2.53"
	assert_line "search example.test"
	assert_line "options ndots:2"
	refute_line --regexp "^nameserver (127|10\.255)"
	assert_line "192.0.2.10	db.local"
	assert_line --regexp "^10\.89\.[0-9]+\.[0-9]+	box$"
	assert_line --index "$((${#lines[@]} - 1))" box
	run -125 hako run --rm --add-host nocolon web true
	assert_output "hako: invalid --add-host \`nocolon\`: expected HOST:IP"
	run -125 hako run --rm --dns not-an-ip web true
	assert_output "hako: invalid --dns \`not-an-ip\`: expected an IP address"
}

# ---- leaks ----

@test "100 run --rm cycles with -p leave no veth, rule, lease or namespace" {
	hako network create "$NET" >/dev/null
	subnet=$(hako network inspect -f '{{json .IPAM}}' "$NET" | jq -r '.Config[0].Subnet' | cut -d. -f1-3)
	# One run first: the plugins' shared chains (CNI-FORWARD, CNI-HOSTPORT-*)
	# stay once made, as with podman.
	hako run --rm --network "$NET" -p 80 web true
	before=$(net_state "$subnet\\.")
	for i in $(seq 100); do
		hako run --rm --network "$NET" -p 80 -p 127.0.0.1::81/udp web true
	done
	after=$(net_state "$subnet\\.")
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") >&2; false; }
}

@test "a killed monitor and container: the next look at the container deletes its network" {
	hako network create "$NET" >/dev/null
	subnet=$(hako network inspect -f '{{json .IPAM}}' "$NET" | jq -r '.Config[0].Subnet' | cut -d. -f1-3)
	before=$(net_state "$subnet\\.")
	hako run -d --name c1 --network "$NET" -p 127.0.0.1::80 web sleep 60 >/dev/null
	[ "$(net_state "$subnet\\.")" != "$before" ]
	kill -KILL "$(monitor_pid c1)" "$(ctr_pid c1)"
	run hako ps -a --format '{{.Names}} {{.State}}'
	assert_output "c1 exited"
	[ "$(net_state "$subnet\\.")" = "$before" ]
	[ "$(hako inspect -f "{{.NetworkSettings.Networks.$NET.IPAddress}}" c1)" = "" ]
}
