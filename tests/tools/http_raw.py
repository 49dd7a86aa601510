# SPDX-License-Identifier: BSD-3-Clause
"""Send one raw HTTP request text on one TCP connection and report what came
back: one "resp status= len= sha256= hdr.<name>=<value>..." line per
response parsed, then "end closed=yes|no first=S close=S bytes=N"
(http_lib.py has the formats).

REQ takes Python escapes (\\r\\n, \\x00). Reads until the server closes or
--wait S seconds (3) pass. --nobody N: the first N responses have no body
(HEAD). --split K: send REQ in K pieces, --gap S (0.1) apart, listening in
between (the server may answer or close meanwhile).

Connects only to HOST, from the namespace it runs in.

usage: python3 http_raw.py HOST PORT REQ [--wait S] [--nobody N] [--split K] [--gap S]
"""
import select
import socket
import sys
import time

from http_lib import read_all, report, unesc

OPTIONS = {"--wait": float, "--nobody": int, "--split": int, "--gap": float}


def opts(argv, names):
    """({name: value} of the --name VALUE pairs in names, other words)."""
    kw, rest, i = {}, [], 0
    while i < len(argv):
        if argv[i] in names:
            kw[argv[i][2:]] = names[argv[i]](argv[i + 1])
            i += 2
        else:
            rest.append(argv[i])
            i += 1
    return kw, rest


def raw(argv):
    """Send, read, report."""
    kw, rest = opts(argv, OPTIONS)
    host, port, req = rest[0], int(rest[1]), unesc(rest[2])
    s = socket.create_connection((host, port), timeout=5)
    t0 = time.time()
    k = kw.get("split", 1)
    step = max(1, -(-len(req) // k))
    data, first, closed = b"", None, None
    for i in range(0, len(req), step):
        try:
            s.sendall(req[i:i + step])
        except (ConnectionResetError, BrokenPipeError):
            closed = time.time() - t0
            break
        if i + step >= len(req):
            break
        # between pieces, listen: the server may answer or close meanwhile
        end = time.time() + kw.get("gap", 0.1)
        while closed is None and time.time() < end:
            r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
            if not r:
                break
            try:
                d = s.recv(1 << 20)
            except ConnectionResetError:
                d = b""
            if not d:
                closed = time.time() - t0
                break
            if first is None:
                first = time.time() - t0
            data += d
        if closed is not None:
            break
    if closed is None:
        more, f2, closed = read_all(s, t0, kw.get("wait", 3.0))
        data += more
        first = first if first is not None else f2
    report(data, first, closed, kw.get("nobody", 0))


if __name__ == "__main__":
    if len(opts(sys.argv[1:], OPTIONS)[1]) < 3:
        sys.exit(__doc__.strip())
    raw(sys.argv[1:])
