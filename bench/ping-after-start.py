#!/usr/bin/env python3
"""Starts a daemon command and prints the milliseconds until its unix socket answers /_ping.
Usage: ping-after-start.py SOCKET -- COMMAND... (the daemon is left running; its pid is printed
on stderr)."""
import os, socket, subprocess, sys, time

sock = sys.argv[1]
cmd = sys.argv[sys.argv.index("--") + 1:]
try:
    os.unlink(sock)
except FileNotFoundError:
    pass
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while True:
    if p.poll() is not None:
        sys.exit("daemon exited with %d before answering" % p.returncode)
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        if s.recv(64).startswith(b"HTTP/1.1 200"):
            break
    except OSError:
        pass
    finally:
        s.close()
    time.sleep(0.0005)
print("%.1f" % ((time.monotonic() - t0) * 1000))
print(p.pid, file=sys.stderr)
