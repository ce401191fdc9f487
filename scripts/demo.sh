#!/bin/sh
# make demo: run a busybox container with hako-runtime and show that it is
# isolated: its own hostname, PID 1, its own mount table, no host network
# interfaces.  Then the engine: import the same rootfs as an image and run
# it with `hako run` (foreground, detached with logs, stop, rm).  Leaves
# nothing behind.
set -eu
RT=$(realpath "${1:-build/hako-runtime}")
HAKO=$(realpath "${2:-build/hako}")
work=$(mktemp -d /tmp/hako-demo.XXXXXX)
id="hako-demo-$$"
export HAKO_STORAGE="$work/storage"
export HAKO_RUN_ROOT="/run/hako-demo-$$"
cleanup() {
  "$RT" --root "$work/state" delete --force "$id" >/dev/null 2>&1 || true
  ids=$("$HAKO" ps -aq 2>/dev/null || true)
  [ -z "$ids" ] || "$HAKO" rm -f $ids >/dev/null 2>&1 || true
  rm -rf "$work" "$HAKO_RUN_ROOT"
}
trap cleanup EXIT INT TERM

mkdir -p "$work/bundle/rootfs/bin" "$work/bundle/rootfs/proc" "$work/bundle/rootfs/dev" \
         "$work/bundle/rootfs/sys" "$work/bundle/rootfs/tmp" "$work/bundle/rootfs/etc"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for a in sh echo cat hostname ls ps mount grep wc id head sed; do
  ln -s busybox "$work/bundle/rootfs/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/bundle/rootfs/etc/passwd"
echo 'root:x:0:' > "$work/bundle/rootfs/etc/group"

cd "$work/bundle"
"$RT" spec
# Non-interactive: no terminal; a hostname of its own; the script below.
script='echo "hostname:        $(hostname)"
echo "my pid:          $$"
echo "pid 1 is:        $(tr "\0\n" "  " < /proc/1/cmdline | cut -c1-24)..."
echo "mount table:     its own, $(wc -l < /proc/self/mounts) entries; / is $(grep " / " /proc/self/mounts | cut -d" " -f1,3)"
echo "net interfaces:  $(ls /sys/class/net | tr "\n" " ")"
echo "uid:             $(id -u)"'
jq --arg s "$script" '.process.terminal = false | .hostname = "hako-demo"
    | .process.args = ["sh", "-c", $s] | .linux.cgroupsPath = "hako-demo"' \
   config.json > config.json.new && mv config.json.new config.json

echo "host:  hostname $(hostname), $(ls /sys/class/net | wc -l) network interfaces ($(ls /sys/class/net | tr '\n' ' '))"
echo "--- inside a hako-runtime container ---"
rc=0
"$RT" --root "$work/state" run "$id" || rc=$?
echo "--- exit code $rc ---"
[ $rc -eq 0 ] || exit $rc

echo
echo "--- the engine: an image from the same rootfs, run with hako run ---"
tar -C "$work/bundle/rootfs" -cf "$work/rootfs.tar" .
"$HAKO" import -c 'CMD ["sh"]' "$work/rootfs.tar" demo/busybox:latest >/dev/null
"$HAKO" images
echo "\$ hako run --rm --hostname box -m 32m demo/busybox sh -c '...'"
"$HAKO" run --rm --hostname box -m 32m demo/busybox sh -c 'echo "hostname $(hostname), pid $$, $(id)"'
echo "\$ hako run -d --name ticker demo/busybox ...; hako logs ticker; hako stop ticker"
"$HAKO" run -d --name ticker demo/busybox sh -c 'trap "echo bye; exit 0" TERM; i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done' >/dev/null
sleep 1
"$HAKO" ps
"$HAKO" logs --tail 2 ticker
"$HAKO" stop ticker >/dev/null
"$HAKO" ps -a --format '{{.Names}}: {{.Status}}'
"$HAKO" logs --tail 1 ticker
"$HAKO" rm ticker >/dev/null
set +e
"$HAKO" run --rm demo/busybox sh -c 'exit 7'
echo "--- hako run exit code $? (the container's) ---"
