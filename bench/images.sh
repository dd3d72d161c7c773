#!/usr/bin/env bash
# Issue 3 benchmark: a store of 2,000 images (half sharing one layer, half with a layer each).
#  - daemon start until /_ping answers: warm, and after `echo 3 > /proc/sys/vm/drop_caches`
#  - `images` latency (median of hyperfine runs)
# for wharf and, when installed, a private dockerd 20.10 holding the same images.
# Usage: bench/images.sh [N_IMAGES]   (as root; needs python3 and hyperfine)
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
cd "$here/.."
n=${1:-2000}
runs=${RUNS:-5}
cargo build --release --locked -q -p wharf
W=$PWD/target/release/wharf
work=$(mktemp -d /tmp/wharf-bench-images.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 1
    umount -R "$work"/dockerd/root 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
python3 "$here/gen-images-archive.py" "$work/images.tar" "$n" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# start_ms SOCKET COLD CMD... : ms from exec to the first answered /_ping; leaves the daemon up.
start_ms() {
    local sock=$1 cold=$2; shift 2
    [ "$cold" = cold ] && { sync; echo 3 > /proc/sys/vm/drop_caches; }
    python3 "$here/ping-after-start.py" "$sock" -- "$@" 2>"$work/pid"
    pids+=("$(cat "$work/pid")")
}
stop_last() { kill "${pids[-1]}"; while kill -0 "${pids[-1]}" 2>/dev/null; do sleep 0.05; done; }

echo "== wharf ($n images)"
wsock=$work/wharf.sock
start_ms "$wsock" warm "$W" daemon --data-root "$work/wharf" -H "unix://$wsock" >/dev/null
WHARF_HOST=unix://$wsock "$W" load -q -i "$work/images.tar" >/dev/null
echo "images in store: $(WHARF_HOST=unix://$wsock "$W" images -q | wc -l)"
stop_last
for mode in warm cold; do
    ms=$(for i in $(seq "$runs"); do start_ms "$wsock" $mode "$W" daemon --data-root "$work/wharf" -H "unix://$wsock"; stop_last; done | median)
    echo "wharf start to /_ping ($mode): ${ms} ms (median of $runs)"
done
start_ms "$wsock" warm "$W" daemon --data-root "$work/wharf" -H "unix://$wsock" >/dev/null
WHARF_HOST=unix://$wsock hyperfine -N -w 5 -r 50 --export-json "$work/h.json" "$W images" >/dev/null
python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print('wharf images: median %.1f ms (mean %.1f, %d rows)' % (r['median']*1e3, r['mean']*1e3, $n))" "$work/h.json"
if [ -x /usr/local/bin/docker ]; then
    DOCKER_HOST=unix://$wsock hyperfine -N -w 3 -r 20 --export-json "$work/h.json" "/usr/local/bin/docker images" >/dev/null
    python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print('docker CLI images against wharf: median %.1f ms' % (r['median']*1e3))" "$work/h.json"
fi
stop_last

if command -v dockerd >/dev/null && [ -x /usr/local/bin/docker ]; then
    echo "== dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,) (same $n images)"
    dsock=$work/dockerd.sock
    dd=(dockerd --data-root "$work/dockerd/root" --exec-root "$work/dockerd/exec" --pidfile "$work/dockerd/pid"
        -H "unix://$dsock" --iptables=false --ip6tables=false --bridge=none
        --containerd-namespace wharfbench --containerd-plugins-namespace wharfbenchp)
    start_ms "$dsock" warm "${dd[@]}" >/dev/null
    DOCKER_HOST=unix://$dsock /usr/local/bin/docker load -q -i "$work/images.tar" >/dev/null
    stop_last
    for mode in warm cold; do
        ms=$(for i in $(seq "$runs"); do start_ms "$dsock" $mode "${dd[@]}"; stop_last; done | median)
        echo "dockerd start to /_ping ($mode): ${ms} ms (median of $runs)"
    done
    start_ms "$dsock" warm "${dd[@]}" >/dev/null
    DOCKER_HOST=unix://$dsock hyperfine -N -w 3 -r 20 --export-json "$work/h.json" "/usr/local/bin/docker images" >/dev/null
    python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print('docker images (dockerd): median %.1f ms' % (r['median']*1e3))" "$work/h.json"
    stop_last
fi
