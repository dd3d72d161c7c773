#!/usr/bin/env bash
# Issue 4 benchmark, wharf beside docker and podman when they are installed, all on the same
# busybox image (made from the host's busybox-static):
#  - median latency of `run --rm busybox true` (hyperfine)
#  - memory per running container with N `run -d busybox sleep 600`: PSS and RSS of the
#    per-container supervisor (wharf: its shim; docker: containerd-shim-runc-v2; podman: conmon)
#  - `ps` latency with those N containers
# Every engine is private: its own data root and socket under a temp dir; nothing touches
# /var/lib/docker or the host's engines, and everything started here is stopped by pid.
# Usage: bench/run-latency.sh [N]   (as root; needs hyperfine; WHARF=path/to/wharf to skip the build)
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
cd "$here/.."
n=${1:-100}
runs=${RUNS:-30}
if [ -z "${WHARF:-}" ]; then
    cargo build --release --locked -q -p wharf
    WHARF=$PWD/target/release/wharf
fi
DOCKER=/usr/local/bin/docker
work=$(mktemp -d /tmp/wharf-bench-run.XXXXXX)
pids=()
cleanup() {
    set +e
    # Containers outlive their engine (wharf's shims by design): remove them first, also when
    # the run stopped half-way.
    if [ -S "$work/wharf.sock" ]; then
        export WHARF_HOST=unix://$work/wharf.sock
        "$WHARF" rm -f $("$WHARF" ps -aq) >/dev/null 2>&1
    fi
    if [ -S "$work/dockerd.sock" ]; then
        export DOCKER_HOST=unix://$work/dockerd.sock
        "$DOCKER" rm -f $("$DOCKER" ps -aq) >/dev/null 2>&1
    fi
    [ -n "${P+x}" ] && "${P[@]}" rm -f -a >/dev/null 2>&1
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    # dockerd stops the containerd it started on SIGTERM: give it the time to.
    for _ in $(seq 100); do
        alive=0
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.2
    done
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    # Whatever the engines left mounted under our dir (overlays, shm, netns), deepest first.
    awk -v w="$work" '$5 == w || index($5, w "/") == 1 {print $5}' /proc/self/mountinfo \
        | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

# The image: busybox and its applets.
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,etc,tmp,root,proc,sys,dev}
cp "$(command -v busybox)" "$rootfs/bin/busybox"
for a in $("$rootfs/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
echo 'root:x:0:' > "$rootfs/etc/group"
tar --numeric-owner -C "$rootfs" -cf "$work/busybox.tar" .

median_ms() { # hyperfine json -> median in ms
    python3 -c "import json,sys; print('%.1f' % (json.load(open(sys.argv[1]))['results'][0]['median']*1e3))" "$1"
}
wait_sock() { for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done; echo "no socket $1" >&2; return 1; }

# mem_of PID... : "PSS RSS" in KiB, summed
mem_of() {
    local pss=0 rss=0 p
    for p in "$@"; do
        [ -r "/proc/$p/smaps_rollup" ] || continue
        pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")))
        rss=$((rss + $(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup")))
    done
    echo "$pss $rss"
}
# children_named PPID... NAME : pids whose comm is NAME (supervisors of this engine only)
pids_by_cmdline() { # pattern: pids whose command line contains it (our temp dir)
    local pat=$1 p
    for p in /proc/[0-9]*; do
        { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -q -- "$pat" && echo "${p#/proc/}"
    done
}

report() { printf '%-8s run --rm median %7s ms | per container: PSS %6s KiB, RSS %6s KiB | ps (%d ctrs) %6s ms\n' "$@"; }

results=()

# ---------- wharf
wsock=$work/wharf.sock
"$WHARF" daemon --data-root "$work/wharf" -H "unix://$wsock" --pidfile "$work/wharf.pid" >"$work/wharf.log" 2>&1 &
pids+=($!)
wait_sock "$wsock"
export WHARF_HOST=unix://$wsock
"$WHARF" import "$work/busybox.tar" busybox >/dev/null
hyperfine -N -w 5 -r "$runs" --export-json "$work/h.json" "$WHARF run --rm busybox true" >/dev/null
w_run=$(median_ms "$work/h.json")
for i in $(seq "$n"); do "$WHARF" run -d busybox sleep 600 >/dev/null; done
sleep 1
read -r pss rss < <(mem_of $(pids_by_cmdline "shim $work/wharf/containers/"))
w_pss=$((pss / n)); w_rss=$((rss / n))
hyperfine -N -w 3 -r "$runs" --export-json "$work/h.json" "$WHARF ps" >/dev/null
w_ps=$(median_ms "$work/h.json")
d_cli_run=-
if [ -x "$DOCKER" ]; then
    DOCKER_HOST=$WHARF_HOST hyperfine -N -w 5 -r "$runs" --export-json "$work/h.json" "$DOCKER run --rm busybox true" >/dev/null
    d_cli_run=$(median_ms "$work/h.json")
fi
"$WHARF" rm -f $("$WHARF" ps -aq) >/dev/null
results+=("$(report wharf "$w_run" "$w_pss" "$w_rss" "$n" "$w_ps")")
results+=("         (docker CLI against wharf: run --rm median $d_cli_run ms)")
unset WHARF_HOST

# ---------- docker (a private dockerd)
if command -v dockerd >/dev/null && [ -x "$DOCKER" ]; then
    dsock=$work/dockerd.sock
    dockerd --data-root "$work/dockerd/root" --exec-root "$work/dockerd/exec" --pidfile "$work/dockerd/pid" \
        -H "unix://$dsock" --iptables=false --ip6tables=false --bridge=none \
        --containerd-namespace wharfbench --containerd-plugins-namespace wharfbenchp >"$work/dockerd.log" 2>&1 &
    pids+=($!)
    wait_sock "$dsock"
    export DOCKER_HOST=unix://$dsock
    "$DOCKER" import "$work/busybox.tar" busybox >/dev/null
    hyperfine -N -w 3 -r "$runs" --export-json "$work/h.json" "$DOCKER run --rm --network none busybox true" >/dev/null
    d_run=$(median_ms "$work/h.json")
    for i in $(seq "$n"); do "$DOCKER" run -d --network none busybox sleep 600 >/dev/null; done
    sleep 1
    read -r pss rss < <(mem_of $(pids_by_cmdline "containerd-shim-runc-v2 -namespace wharfbench "))
    d_pss=$((pss / n)); d_rss=$((rss / n))
    hyperfine -N -w 3 -r "$runs" --export-json "$work/h.json" "$DOCKER ps" >/dev/null
    d_ps=$(median_ms "$work/h.json")
    "$DOCKER" rm -f $("$DOCKER" ps -aq) >/dev/null
    results+=("$(report "docker $(dockerd --version | cut -d' ' -f3 | tr -d ,)" "$d_run" "$d_pss" "$d_rss" "$n" "$d_ps")")
    unset DOCKER_HOST
fi

# ---------- podman (private storage)
if command -v podman >/dev/null; then
    # runc: crun refuses hybrid cgroup hierarchies. Explicit rlimits: podman's defaults (nofile
    # 1048576, nproc) are above the hard limits of a machine without CAP_SYS_RESOURCE.
    P=(podman --root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp" --cgroup-manager cgroupfs --events-backend none --runtime runc)
    PR=(--network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
    "${P[@]}" import "$work/busybox.tar" busybox >/dev/null 2>&1
    hyperfine -N -w 3 -r "$runs" --export-json "$work/h.json" "${P[*]} run --rm ${PR[*]} busybox true" >/dev/null 2>&1 \
        && p_run=$(median_ms "$work/h.json") || p_run=-
    for i in $(seq "$n"); do "${P[@]}" run -d "${PR[@]}" busybox sleep 600 >/dev/null 2>&1 || true; done
    sleep 1
    read -r pss rss < <(mem_of $(pids_by_cmdline "conmon" | while read -r p; do tr '\0' ' ' < /proc/$p/cmdline | grep -q "$work/podman" && echo "$p"; done))
    p_pss=$((pss / n)); p_rss=$((rss / n))
    hyperfine -N -w 3 -r "$runs" --export-json "$work/h.json" "${P[*]} ps" >/dev/null 2>&1 && p_ps=$(median_ms "$work/h.json") || p_ps=-
    "${P[@]}" rm -f -a >/dev/null 2>&1 || true
    results+=("$(report "podman" "$p_run" "$p_pss" "$p_rss" "$n" "$p_ps")")
fi

echo "== run latency, memory per container, ps ($(nproc) cpus, load $(cut -d' ' -f1 /proc/loadavg))"
printf '%s\n' "${results[@]}"
