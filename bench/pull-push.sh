#!/usr/bin/env bash
# Pull and push of a ~170 MB Debian minbase image against a local distribution registry
# (Debian's docker-registry on 127.0.0.1), median of $RUNS runs, printed beside docker (a
# private dockerd) and podman when they are installed.
#
#   bench/pull-push.sh            # builds wharf --release if needed
#   RUNS=7 WHARF=/path/to/wharf bench/pull-push.sh
#
# The image is made once with `mmdebstrap --variant=minbase bookworm` (Debian's mirror) and
# cached in $CACHE (default /var/cache/wharf-bench). Every push goes to an empty registry, so
# all bytes move each time. wharf gzips an imported layer once (on all cores) and keeps the
# gzip blob, as containerd does; the first push, which includes that compression, is printed
# separately. Every pull goes into a fresh engine (new data root) and nothing is deleted
# until the end: ext4 allocates inodes slowly right after thousands were freed
# (`recently_deleted`), which would charge an `rmi` to the next pull, for every engine.
set -euo pipefail

RUNS=${RUNS:-5}
CACHE=${CACHE:-/var/cache/wharf-bench}
HERE=$(cd "$(dirname "$0")/.." && pwd)
WHARF=${WHARF:-$HERE/target/release/wharf}
if [[ ! -x $WHARF ]]; then
    (cd "$HERE" && cargo build --release -p wharf)
    WHARF=${CARGO_TARGET_DIR:-$HERE/target}/release/wharf
fi
command -v docker-registry >/dev/null || { echo "docker-registry is not installed (apt-get install docker-registry)"; exit 1; }

mkdir -p "$CACHE"
TAR=$CACHE/minbase.tar
if [[ ! -s $TAR ]]; then
    command -v mmdebstrap >/dev/null || { echo "mmdebstrap is not installed (apt-get install mmdebstrap)"; exit 1; }
    mmdebstrap --variant=minbase bookworm "$TAR.part" >/dev/null && mv "$TAR.part" "$TAR"
fi

SCRATCH=$(mktemp -d /tmp/wharf-bench-XXXXXX)
WORK=$SCRATCH
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    grep -o " $SCRATCH/[^ ]*" /proc/self/mountinfo | awk '{print $1}' | sort -r | xargs -r umount -l 2>/dev/null || true
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
# Every engine works on a fresh ext4 of its own (a loop file, with a journal): results then do
# not depend on what else the disk went through (ext4 without a journal allocates inodes very
# slowly for minutes after mass deletions), and each engine's ~1.5 GB is given back before the
# next starts. BENCH_FS=here uses $TMPDIR's filesystem as is.
LOOP=$([[ ${BENCH_FS:-loop} == loop ]] && command -v mkfs.ext4 >/dev/null && echo 1 || true)
NEED_MB=2500
avail_mb=$(df -Pm "$SCRATCH" | awk 'NR==2 {print $4}')
if (( avail_mb < NEED_MB )); then
    echo "bench/pull-push.sh: needs ${NEED_MB} MB free under $SCRATCH, has ${avail_mb} MB" >&2
    exit 1
fi
fresh_fs() { # $1: name; the previous engine's filesystem is unmounted and removed first
    [[ -n $LOOP ]] || return 0
    stop_registry
    if [[ $WORK != "$SCRATCH" ]]; then
        umount "$WORK" 2>/dev/null || umount -l "$WORK"
        rm -f "$WORK.img"
        rmdir "$WORK"
    fi
    truncate -s 8G "$SCRATCH/$1.img"
    mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$SCRATCH/$1.img"
    mkdir -p "$SCRATCH/$1"
    mount -o loop "$SCRATCH/$1.img" "$SCRATCH/$1"
    WORK=$SCRATCH/$1
}

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REG=127.0.0.1:$PORT
REG_PID=
REG_DIR=
stop_registry() {
    if [[ -n $REG_PID ]]; then kill "$REG_PID"; wait "$REG_PID" 2>/dev/null || true; fi
    REG_PID=
    if [[ -n $REG_DIR ]]; then rm -rf "$REG_DIR"; fi
    REG_DIR=
}
start_registry() { # fresh, empty storage
    stop_registry
    local dir=$WORK/registry-$RANDOM$RANDOM
    REG_DIR=$dir
    mkdir -p "$dir"
    cat > "$dir/config.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $dir/data}}
http: {addr: $REG}
YML
    docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
    REG_PID=$!
    PIDS+=("$REG_PID")
    for _ in $(seq 200); do (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return; sleep 0.05; done
    echo "registry did not start"; exit 1
}

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
timed() { local t0; t0=$(now); "$@" >/dev/null; secs "$t0" "$(now)"; }

declare -A RESULT

# --- wharf -------------------------------------------------------------------------------
WPID=
start_wharf() { # $1: data root name
    [[ -n $WPID ]] && { kill "$WPID"; wait "$WPID" 2>/dev/null || true; }
    mkdir -p "$WORK/wharf"
    "$WHARF" daemon --data-root "$WORK/wharf/$1" -H "unix://$WORK/wharf/$1.sock" >>"$WORK/wharf/log" 2>&1 &
    WPID=$!
    PIDS+=("$WPID")
    export WHARF_HOST=unix://$WORK/wharf/$1.sock
    for _ in $(seq 200); do "$WHARF" version >/dev/null 2>&1 && return; sleep 0.05; done
}
W() { "$WHARF" "$@"; }
fresh_fs wharf
start_wharf push
W import "$TAR" "$REG/minbase:latest" >/dev/null
start_registry
RESULT[wharf_first_push]=$(timed W push "$REG/minbase:latest")
pushes=()
for _ in $(seq "$RUNS"); do start_registry; pushes+=("$(timed W push "$REG/minbase:latest")"); done
RESULT[wharf_push]=$(median "${pushes[@]}")
pulls=()
for i in $(seq "$RUNS"); do
    start_wharf "pull$i"
    pulls+=("$(timed W pull "$REG/minbase:latest")")
done
RESULT[wharf_pull]=$(median "${pulls[@]}")
kill "$WPID"; wait "$WPID" 2>/dev/null || true
echo "wharf pulls: ${pulls[*]}  pushes: ${pushes[*]}" >&2

# --- docker (a private dockerd) -------------------------------------------------------------
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
    fresh_fs docker
    D=$WORK/docker
    DPID=
    start_dockerd() { # $1: data root name
        [[ -n $DPID ]] && { kill "$DPID"; wait "$DPID" 2>/dev/null || true; }
        mkdir -p "$D"
        dockerd --data-root "$D/$1" --exec-root "$D/exec" --pidfile "$D/pid" -H "unix://$D/d.sock" \
            --iptables=false --ip6tables=false --bridge=none \
            --containerd-namespace wharfbench --containerd-plugins-namespace wharfbenchp >>"$D/log" 2>&1 &
        DPID=$!
        PIDS+=("$DPID")
        for _ in $(seq 300); do DK version >/dev/null 2>&1 && return; sleep 0.1; done
    }
    DK() { DOCKER_CONFIG=$D/cfg docker -H "unix://$D/d.sock" "$@"; }
    start_dockerd push
    if DK version >/dev/null 2>&1; then
        DK import "$TAR" "$REG/minbase:latest" >/dev/null
        pushes=()
        for _ in $(seq "$RUNS"); do start_registry; pushes+=("$(timed DK push "$REG/minbase:latest")"); done
        RESULT[docker_push]=$(median "${pushes[@]}")
        pulls=()
        for i in $(seq "$RUNS"); do
            start_dockerd "pull$i"
            pulls+=("$(timed DK pull "$REG/minbase:latest")")
        done
        RESULT[docker_pull]=$(median "${pulls[@]}")
        kill "$DPID"; wait "$DPID" 2>/dev/null || true
        echo "docker pulls: ${pulls[*]}  pushes: ${pushes[*]}" >&2
    fi
fi

# --- podman ------------------------------------------------------------------------------
if command -v podman >/dev/null; then
    fresh_fs podman
    P=$WORK/podman
    PM() { podman --root "$P/root" --runroot "$P/run" "$@"; }
    if PM import "$TAR" "$REG/minbase:latest" >/dev/null 2>&1; then
        pushes=()
        for _ in $(seq "$RUNS"); do start_registry; pushes+=("$(timed PM push --tls-verify=false "$REG/minbase:latest")"); done
        RESULT[podman_push]=$(median "${pushes[@]}")
        pulls=()
        for i in $(seq "$RUNS"); do
            pulls+=("$(timed podman --root "$P/pull$i" --runroot "$P/run$i" pull --tls-verify=false "$REG/minbase:latest")")
        done
        RESULT[podman_pull]=$(median "${pulls[@]}")
        echo "podman pulls: ${pulls[*]}  pushes: ${pushes[*]}" >&2
        for i in $(seq "$RUNS"); do podman --root "$P/pull$i" --runroot "$P/run$i" system reset -f >/dev/null 2>&1 || true; done
        PM system reset -f >/dev/null 2>&1 || true
    fi
fi

size=$(du -m "$TAR" | cut -f1)
echo
echo "minbase image: ${size} MB uncompressed, median of $RUNS runs (seconds)"
printf '%-8s %8s %8s\n' "" pull push
printf '%-8s %8s %8s   (first push, gzip included: %s s; targets: pull <= 1.5, push <= 2.5)\n' wharf "${RESULT[wharf_pull]}" "${RESULT[wharf_push]}" "${RESULT[wharf_first_push]}"
[[ -n ${RESULT[docker_pull]:-} ]] && printf '%-8s %8s %8s\n' docker "${RESULT[docker_pull]}" "${RESULT[docker_push]}"
[[ -n ${RESULT[podman_pull]:-} ]] && printf '%-8s %8s %8s\n' podman "${RESULT[podman_pull]}" "${RESULT[podman_push]}"
exit 0
