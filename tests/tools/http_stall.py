# SPDX-License-Identifier: BSD-3-Clause
"""A client that stops reading mid-download: GET PATH with SO_RCVBUF=RCVBUF
(set before connect, so the advertised window is small), read AFTER body
bytes, sleep PAUSE seconds without reading (the window closes), then read
the rest into OUT.

Prints "status= clen= bytes= sha256= secs= paused=".

Connects only to HOST, from the namespace it runs in.

usage: python3 http_stall.py HOST PORT PATH OUT RCVBUF AFTER PAUSE
"""
import argparse
import hashlib
import socket
import time


def stall(host, port, path, out, rcvbuf, after, pause):
    """Download with one pause; print the result line."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(30)
    s.connect((host, port))
    t0 = time.time()
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    head, _, body = buf.partition(b"\r\n\r\n")
    status = head.split(b" ")[1].decode() if head.startswith(b"HTTP/") else "none"
    clen = -1
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            clen = int(line.split(b":", 1)[1])
    h = hashlib.sha256()
    n, paused = 0, 0.0
    with open(out, "wb") as f:
        def take(b):
            nonlocal n
            f.write(b)
            h.update(b)
            n += len(b)
        take(body)
        while clen < 0 or n < clen:
            if paused == 0.0 and n >= after:
                p0 = time.time()
                time.sleep(pause)
                paused = time.time() - p0
            try:
                d = s.recv(min(65536, max(1, (clen - n) if clen >= 0 else 65536)))
            except socket.timeout:
                break
            if not d:
                break
            take(d)
    print("status=%s clen=%d bytes=%d sha256=%s secs=%.2f paused=%.2f" % (
        status, clen, n, h.hexdigest(), time.time() - t0, paused))


def main():
    ap = argparse.ArgumentParser(description="GET with a small window and a pause in reading.")
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("path", help="request target, e.g. /f1m.bin")
    ap.add_argument("out", help="file for the body")
    ap.add_argument("rcvbuf", type=int, help="SO_RCVBUF, bytes")
    ap.add_argument("after", type=int, help="body bytes read before the pause")
    ap.add_argument("pause", type=float, help="seconds without reading")
    a = ap.parse_args()
    stall(a.host, a.port, a.path, a.out, a.rcvbuf, a.after, a.pause)


if __name__ == "__main__":
    main()
