#!/usr/bin/env bash
# Issue 7 benchmark: what bridge networking costs.
#  - TCP throughput (iperf3, host → container) of a published port through wharf's two paths:
#    the kernel's DNAT (to a local non-loopback address: the bridge's gateway) and the userland
#    proxy (127.0.0.1), beside the container's address on the bridge without NAT, the host's
#    loopback without any container, and docker's userland proxy when dockerd is installed
#  - the start latency bridge networking adds to `run --rm busybox true` (vs --network none)
# Every engine is private (its own data root, socket and bridge under a temp dir); the private
# dockerd runs with --iptables=false on a bridge this script makes, so it changes no host rule.
# Usage: bench/network.sh   (as root; needs hyperfine and iperf3; WHARF=path/to/wharf to skip
# the build; SECONDS_PER_RUN (default 5), REPEAT (default 3), RUNS (default 30))
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
cd "$here/.."
secs=${SECONDS_PER_RUN:-5}
repeat=${REPEAT:-3}
runs=${RUNS:-30}
if [ -z "${WHARF:-}" ]; then
    cargo build --release --locked -q -p wharf
    WHARF=$PWD/target/release/wharf
fi
DOCKER=/usr/local/bin/docker
command -v iperf3 >/dev/null || { echo "iperf3 is needed (apt-get install iperf3)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is needed" >&2; exit 1; }
work=$(mktemp -d /tmp/wharf-bench-net.XXXXXX)
pids=()
dbridge=wnb$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
cleanup() {
    set +e
    [ -n "${WHARF_HOST:-}" ] && "$WHARF" rm -f $("$WHARF" ps -aq) >/dev/null 2>&1
    if [ -S "$work/dockerd.sock" ]; then
        DOCKER_HOST=unix://$work/dockerd.sock "$DOCKER" rm -f $(DOCKER_HOST=unix://$work/dockerd.sock "$DOCKER" ps -aq) >/dev/null 2>&1
    fi
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for _ in $(seq 100); do
        alive=0
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    # Shims (and their containers) of the engine, if it died first: found by our temp dir.
    for p in $(pgrep -f "$work/wharf/containers"); do
        for c in $(pgrep -P "$p"); do kill -9 "$c" 2>/dev/null; done
        kill -9 "$p" 2>/dev/null
    done
    ip link del "$dbridge" 2>/dev/null
    umount -R "$work"/dockerd/root 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# The image: busybox with iperf3 and the libraries it loads.
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,etc,tmp,root,proc,sys,dev}
cp "$(command -v busybox)" "$rootfs/bin/busybox"
for a in $("$rootfs/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
echo 'root:x:0:' > "$rootfs/etc/group"
mkdir -p "$rootfs/usr/bin"
cp /usr/bin/iperf3 "$rootfs/usr/bin/"
for lib in $(ldd /usr/bin/iperf3 | grep -o '/[^ ]*'); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
done
tar --numeric-owner -C "$rootfs" -cf "$work/bench.tar" .

median_ms() { python3 -c "import json,sys; print('%.1f' % (json.load(open(sys.argv[1]))['results'][0]['median']*1e3))" "$1"; }
wait_sock() { for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done; echo "no socket $1" >&2; return 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# gbps HOST PORT: the best of $repeat iperf3 runs (received Gbit/s); waits for the server first
gbps() {
    local best=0 r
    for _ in $(seq 50); do iperf3 -c "$1" -p "$2" -n 1K >/dev/null 2>&1 && break; sleep 0.1; done
    for _ in $(seq "$repeat"); do
        r=$(iperf3 -c "$1" -p "$2" -t "$secs" -J | python3 -c "import json,sys; print('%.2f' % (json.load(sys.stdin)['end']['sum_received']['bits_per_second']/1e9))")
        best=$(python3 -c "print(max($best, $r))")
    done
    echo "$best"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
results=()

# ---------- wharf
wsock=$work/wharf.sock
"$WHARF" daemon --data-root "$work/wharf" -H "unix://$wsock" >"$work/wharf.log" 2>&1 &
pids+=($!)
wait_sock "$wsock"
export WHARF_HOST=unix://$wsock
"$WHARF" import -c 'CMD ["sh"]' "$work/bench.tar" bench >/dev/null

# Start latency: bridge (the default) against none. The first run makes the bridge.
"$WHARF" run --rm bench true
hyperfine -N -w 3 -r "$runs" --export-json "$work/none.json" "$WHARF run --rm --network none bench true" >/dev/null
hyperfine -N -w 3 -r "$runs" --export-json "$work/bridge.json" "$WHARF run --rm bench true" >/dev/null
hyperfine -N -w 3 -r "$runs" --export-json "$work/pub.json" "$WHARF run --rm -p 127.0.0.1::80 bench true" >/dev/null
none_ms=$(median_ms "$work/none.json")
bridge_ms=$(median_ms "$work/bridge.json")
pub_ms=$(median_ms "$work/pub.json")

gw=$("$WHARF" network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' bridge)
plo=$(free_port)
pgw=$(free_port)
cid=$("$WHARF" run -d -p "127.0.0.1:$plo:5201" -p "$gw:$pgw:5201" bench iperf3 -s)
cip=$("$WHARF" inspect -f '{{.NetworkSettings.IPAddress}}' "$cid")
w_direct=$(gbps "$cip" 5201)
w_dnat=$(gbps "$gw" "$pgw")
w_proxy=$(gbps 127.0.0.1 "$plo")
"$WHARF" rm -f "$cid" >/dev/null

# ---------- the host's loopback, no container
phost=$(free_port)
iperf3 -s -B 127.0.0.1 -p "$phost" >/dev/null 2>&1 &
hpid=$!
pids+=($hpid)
h_lo=$(gbps 127.0.0.1 "$phost")
kill "$hpid"

# ---------- docker's userland proxy (a private dockerd, no iptables, its own bridge)
d_proxy=n/a
if command -v dockerd >/dev/null && [ -x "$DOCKER" ]; then
    ip link add "$dbridge" type bridge
    ip addr add 198.19.$((RANDOM % 250)).1/24 dev "$dbridge"
    ip link set "$dbridge" up
    dsock=$work/dockerd.sock
    dockerd --data-root "$work/dockerd/root" --exec-root "$work/dockerd/exec" --pidfile "$work/dockerd/pid" \
        -H "unix://$dsock" --iptables=false --ip6tables=false --bridge="$dbridge" --userland-proxy=true \
        --containerd-namespace wharfbenchnet --containerd-plugins-namespace wharfbenchnetp >"$work/dockerd.log" 2>&1 &
    pids+=($!)
    wait_sock "$dsock"
    export DOCKER_HOST=unix://$dsock
    "$DOCKER" import -c 'CMD ["sh"]' "$work/bench.tar" bench >/dev/null
    pd=$(free_port)
    "$DOCKER" run -d -p "127.0.0.1:$pd:5201" bench iperf3 -s >/dev/null
    d_proxy=$(gbps 127.0.0.1 "$pd")
    unset DOCKER_HOST
fi

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
cat <<EOF
TCP throughput host → container, iperf3 ${secs}s, best of $repeat (Gbit/s)
  host loopback, no container          $h_lo
  container address on the bridge      $w_direct
  wharf published port, kernel DNAT    $w_dnat
  wharf published port, userland proxy $w_proxy
  docker published port, docker-proxy  $d_proxy
run --rm bench true, median of $runs (ms)
  --network none                       $none_ms
  bridge (default)                     $bridge_ms   (+$(python3 -c "print('%.1f' % ($bridge_ms - $none_ms))") ms)
  bridge with -p 127.0.0.1::80         $pub_ms   (+$(python3 -c "print('%.1f' % ($pub_ms - $none_ms))") ms)
EOF
