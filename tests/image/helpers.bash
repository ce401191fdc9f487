# Shared setup for the image tests: a private store per test, the `hako`
# under test, a busybox rootfs, and a private docker-registry on loopback
# (one per file, started with setsid and stopped by its pid).

bats_load_library bats-support
bats_load_library bats-assert

HAKO_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HAKO_BUILD=${HAKO_BUILD:-$HAKO_SRC/build}
HAKO=${HAKO:-$HAKO_BUILD/hako}
FIXTURES=$HAKO_SRC/tests/image/fixtures

# Every test gets its own storage and auth file, so tests never share state.
image_setup() {
	STORE=$BATS_TEST_TMPDIR/store
	export HAKO_STORAGE=$STORE
	export HAKO_AUTH_FILE=$BATS_TEST_TMPDIR/auth.json
	# skopeo and umoci must not read a developer's own credentials
	export REGISTRY_AUTH_FILE=$BATS_TEST_TMPDIR/skopeo-auth.json
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
	[ -x "$HAKO" ] || fail "$HAKO is missing: ninja -C build"
}

hako() {
	timeout "${HAKO_TEST_TIMEOUT:-60}" "$HAKO" "$@"
}

# A busybox root filesystem (made once per file) in $1.
make_rootfs() {
	local dir=$1 a
	mkdir -p "$dir"/{bin,etc,tmp,root}
	cp "$(command -v busybox)" "$dir/bin/busybox"
	for a in sh ls cat echo true; do ln -sf busybox "$dir/bin/$a"; done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
	echo 'root:x:0:' >"$dir/etc/group"
	chmod 1777 "$dir/tmp"
}

# An image named $1 in the store, imported from a busybox rootfs.
import_busybox() {
	local name=${1:-busybox:latest}
	if [ ! -e "$BATS_FILE_TMPDIR/rootfs.tar" ]; then
		make_rootfs "$BATS_FILE_TMPDIR/rootfs"
		tar -C "$BATS_FILE_TMPDIR/rootfs" -cf "$BATS_FILE_TMPDIR/rootfs.tar" .
	fi
	hako import -c 'CMD ["/bin/sh"]' "$BATS_FILE_TMPDIR/rootfs.tar" "$name" >/dev/null
}

# ---------- registry ----------

free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# start_registry [NAME [EXTRA-YAML]]: sets REGISTRY (127.0.0.1:PORT).
start_registry() {
	command -v docker-registry >/dev/null || fail "docker-registry is not installed"
	local dir=$BATS_FILE_TMPDIR/${1:-registry} port
	if [ $# -gt 0 ]; then shift; fi
	port=$(free_port) || fail "no free port"
	mkdir -p "$dir/data"
	cat >"$dir/config.yml" <<-YAML
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: $dir/data
		  delete:
		    enabled: true
		http:
		  addr: 127.0.0.1:$port
	YAML
	printf '%s\n' "$@" >>"$dir/config.yml"
	setsid docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 </dev/null &
	echo $! >"$dir/pid"
	REGISTRY=127.0.0.1:$port
	echo "$REGISTRY" >"$dir/address"
	for _ in $(seq 100); do
		if curl -s -o /dev/null "http://$REGISTRY/v2/"; then
			return 0
		fi
		sleep 0.1
	done
	cat "$dir/log" >&2
	fail "registry did not start"
}

stop_registry() {
	local pidfile=$BATS_FILE_TMPDIR/${1:-registry}/pid pid
	[ -e "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	rm -f "$pidfile"
}

registry_address() {
	REGISTRY=$(cat "$BATS_FILE_TMPDIR/${1:-registry}/address")
}
