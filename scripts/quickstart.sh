#!/usr/bin/env bash
# The main job on a fresh machine, with no registry: build wharf, make a busybox base image from
# the host's busybox-static, build a Dockerfile on it, and run the result. Run as root.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

command -v busybox >/dev/null 2>&1 || {
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static
}

cargo build --release --locked
WHARF=$PWD/target/release/wharf

# A root filesystem: busybox and its applets.
rootfs=$(mktemp -d)
ctx=$(mktemp -d)
trap 'rm -rf "$rootfs" "$ctx"' EXIT
mkdir -p "$rootfs"/{bin,etc,tmp,root,proc,sys,dev}
cp "$(command -v busybox)" "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
echo 'root:x:0:' > "$rootfs/etc/group"

# The CLI starts the engine (data root /var/lib/wharf, socket /run/wharf.sock) if none answers.
tar --numeric-owner -C "$rootfs" -c . | "$WHARF" import -c 'CMD ["sh"]' -m "busybox from $(busybox | head -1 | cut -d' ' -f2)" - busybox:latest
"$WHARF" images
"$WHARF" image inspect --format '{{.Id}} {{.Os}}/{{.Architecture}} layers={{len .RootFS.Layers}} cmd={{json .Config.Cmd}}' busybox

# A Dockerfile built on that base, then run.
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox
LABEL purpose=quickstart
ENV GREETING="hello from wharf"
WORKDIR /app
RUN echo "$GREETING" > greeting && echo "built on $(uname -m)" >> greeting
CMD ["cat", "/app/greeting"]
DOCKERFILE
"$WHARF" build -t quickstart "$ctx"
"$WHARF" run --rm quickstart
"$WHARF" history quickstart
