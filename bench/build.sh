#!/usr/bin/env bash
# Issue 5 benchmark: the shared build context (../shared/bench: 2,000 small files, a 20 MiB
# file, .dockerignore) built cold (`--no-cache`) and fully cached, median of hyperfine runs:
# wharf beside a private dockerd (legacy builder and BuildKit, with the 20.10 CLI that drives
# both) and podman, when installed. All on the same busybox base image.
# Usage: bench/build.sh   (as root; needs hyperfine; RUNS=N to change the number of runs)
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
cd "$here/.."
runs=${RUNS:-10}
shared=${SHARED_BENCH:-/work/shared/bench}
target=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release --locked -q -p wharf
W=$target/release/wharf
work=$(mktemp -d /tmp/wharf-bench-build.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 1
    # Whatever the engines left mounted under the work dir (deepest first).
    awk -v w="$work" '$5 ~ "^"w {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

bash "$shared/make-context.sh" "$work/ctx" >/dev/null
# A busybox root filesystem from the host's busybox-static.
bb=$work/busybox
mkdir -p "$bb"/{bin,etc,tmp,root}
cp "$(command -v busybox)" "$bb/bin/busybox"
for a in $("$bb/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$bb/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$bb/etc/passwd"
tar --numeric-owner --owner=0 --group=0 -C "$bb" -cf "$work/busybox.tar" .

median_of() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join('%.3f' % (x['median']) for x in r))" "$1"; }
report() { # NAME COLD_CMD CACHED_CMD
    local name=$1 cold=$2 cached=$3
    hyperfine -N -w 2 -r "$runs" --export-json "$work/h.json" "$cached" "$cold" >/dev/null 2>&1
    read -r c n < <(median_of "$work/h.json")
    printf '%-40s cold %7.3f s   cached %7.3f s\n' "$name" "$n" "$c"
}

echo "build of ../shared/bench (2,000 files + 20 MiB), medians of $runs runs:"
wsock=$work/wharf.sock
"$W" daemon --data-root "$work/wharf" -H "unix://$wsock" >"$work/wharf.log" 2>&1 &
pids+=($!)
while ! [ -S "$wsock" ]; do sleep 0.05; done
export WHARF_HOST=unix://$wsock
"$W" import -c 'CMD ["sh"]' "$work/busybox.tar" busybox >/dev/null
b="$W build -q --build-arg BASE=busybox -t bench $work/ctx"
$b >/dev/null
report "wharf" "$W build -q --no-cache --build-arg BASE=busybox -t bench $work/ctx" "$b"
report "docker CLI (legacy API) -> wharf" \
    "env DOCKER_HOST=unix://$wsock DOCKER_BUILDKIT=0 /usr/local/bin/docker build -q --no-cache --build-arg BASE=busybox -t bench $work/ctx" \
    "env DOCKER_HOST=unix://$wsock DOCKER_BUILDKIT=0 /usr/local/bin/docker build -q --build-arg BASE=busybox -t bench $work/ctx"

if command -v dockerd >/dev/null && [ -x /usr/bin/docker ]; then
    dsock=$work/dockerd.sock
    dockerd --data-root "$work/dockerd/root" --exec-root "$work/dockerd/exec" --pidfile "$work/dockerd/pid" \
        -H "unix://$dsock" --iptables=false --ip6tables=false --bridge=none \
        --containerd-namespace wharfbuild --containerd-plugins-namespace wharfbuildp >"$work/dockerd.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 200); do DOCKER_HOST=unix://$dsock /usr/bin/docker version >/dev/null 2>&1 && break; sleep 0.1; done
    D="env DOCKER_HOST=unix://$dsock /usr/bin/docker"
    $D import -c 'CMD ["sh"]' "$work/busybox.tar" busybox >/dev/null
    for kit in 0 1; do
        name=$([ $kit = 1 ] && echo "dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,) BuildKit" || echo "dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,) legacy builder")
        c="$D build -q --network host --build-arg BASE=busybox -t bench $work/ctx"
        DOCKER_BUILDKIT=$kit $c >/dev/null
        report "$name" "env DOCKER_BUILDKIT=$kit $D build -q --network host --no-cache --build-arg BASE=busybox -t bench $work/ctx" "env DOCKER_BUILDKIT=$kit $c"
    done
fi

if command -v podman >/dev/null; then
    # runc: podman's default crun refuses this machine's hybrid cgroup layout.
    P="podman --root $work/podman/root --runroot $work/podman/run --storage-driver overlay --runtime runc --cgroup-manager cgroupfs"
    $P import -c 'CMD ["sh"]' "$work/busybox.tar" busybox >/dev/null 2>&1
    c="$P build -q --network host --build-arg BASE=localhost/busybox -t bench $work/ctx"
    $c >/dev/null 2>&1
    report "podman $(podman --version | cut -d' ' -f3)" "$P build -q --network host --no-cache --build-arg BASE=localhost/busybox -t bench $work/ctx" "$c"
fi
