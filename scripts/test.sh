#!/usr/bin/env bash
# Runs wharf's whole test suite (unit, API and end-to-end tests) on this machine, as root.
# Installs what a fresh Debian machine lacks first.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

if [ "$(id -u)" != 0 ]; then
    echo "scripts/test.sh: the end-to-end tests create namespaces, mounts and cgroups: run as root" >&2
    exit 1
fi

need=()
command -v busybox >/dev/null 2>&1 || [ -x /bin/busybox ] || need+=(busybox-static)
for tool in tar gzip xz zstd curl ip; do
    command -v "$tool" >/dev/null 2>&1 || case "$tool" in
        xz) need+=(xz-utils) ;;
        ip) need+=(iproute2) ;;
        *) need+=("$tool") ;;
    esac
done
# The registry tests run Debian's distribution registry with htpasswd auth.
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
# Seed 002's build test makes a Debian base with mmdebstrap (about 100 s on 2 cores, once
# per machine: the tarball is kept in the temp dir); docker-py drives a build test.
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
python3 -c 'import docker' >/dev/null 2>&1 || need+=(python3-docker)
# docker-compose (1.29, on docker-py) drives a project end to end.
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
if [ "${WHARF_TEST_PEERS:-1}" = 1 ]; then
    # Peers the interop tests compare with; tests that need them skip when they are absent.
    command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
    command -v runc >/dev/null 2>&1 || need+=(runc)
    command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
fi
if [ ${#need[@]} -gt 0 ]; then
    echo "scripts/test.sh: installing ${need[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi

export RUST_BACKTRACE=1
cargo test --workspace --locked "$@"
