#!/usr/bin/env python3
"""Writes a `docker save`-style archive holding N images: half share one base layer, half have a
layer each. Usage: gen-images-archive.py OUT.tar [N]"""
import hashlib, io, json, sys, tarfile, time

out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000

def layer(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in files:
            i = tarfile.TarInfo(name); i.size = len(data); i.mtime = 0; i.mode = 0o644
            t.addfile(i, io.BytesIO(data))
    return buf.getvalue()

def sha(b):
    return hashlib.sha256(b).hexdigest()

blobs = {}
def blob(data):
    h = sha(data); blobs[h] = data; return h

base = layer([("bin/base-%d" % i, b"base %d\n" % i * 64) for i in range(32)])
base_h = blob(base)
manifest = []
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
for i in range(n):
    if i % 2 == 0:
        lh = base_h
    else:
        lh = blob(layer([("own/file-%d" % i, b"image %d\n" % i)]))
    cfg = json.dumps({
        "architecture": "amd64", "os": "linux", "created": now,
        "config": {"Cmd": ["sh"], "Labels": {"bench.index": str(i)}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + lh]},
        "history": [{"created": now, "created_by": "bench image %d" % i}],
    }, separators=(",", ":")).encode()
    ch = blob(cfg)
    manifest.append({"Config": "blobs/sha256/" + ch, "RepoTags": ["bench/img%d:latest" % i],
                     "Layers": ["blobs/sha256/" + lh]})

with tarfile.open(out, "w") as t:
    def add(name, data):
        i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644
        t.addfile(i, io.BytesIO(data))
    for h, data in blobs.items():
        add("blobs/sha256/" + h, data)
    add("manifest.json", json.dumps(manifest).encode())
print(out)
