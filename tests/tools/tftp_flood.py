# SPDX-License-Identifier: BSD-3-Clause
"""Flood a TFTP server with COUNT RRQs for NAME (blksize 512), each from its
own source port: BATCH sockets (500) open at a time, PACE (100) RRQs sent
back to back then 1 ms of rest, each batch given 1 s to answer. The first
reply of each is tallied.

Prints "sent=N", then "COUNT KIND" lines sorted by kind: "op=3", "op=6",
"op=5 code=N msg=<text>", "none" (no reply).

Sends only to SERVER, from the namespace it runs in.

usage: python3 tftp_flood.py SERVER NAME COUNT [BATCH [PACE]]
"""
import argparse
import resource
import select
import socket
import time

from tftp_lib import describe, rrq


def flood(server, name, count, batch, pace):
    """Send, tally, print."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < batch + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, batch + 64), hard))
    tally, sent = {}, 0
    while sent < count:
        socks, first, poll = {}, {}, select.poll()
        for _ in range(min(batch, count - sent)):
            x = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            x.bind(("", 0))
            socks[x.fileno()] = x
            poll.register(x, select.POLLIN)
        for i, x in enumerate(socks.values()):
            x.sendto(rrq(name, "octet", [("blksize", 512)]), (server, 69))
            sent += 1
            if i % pace == pace - 1:
                time.sleep(0.001)
        end = time.time() + 1.0
        while len(first) < len(socks) and time.time() < end:
            for fd, _ in poll.poll(max(1, int((end - time.time()) * 1000))):
                p, a = socks[fd].recvfrom(70000)
                if fd in first:
                    continue
                d = describe(p).split()
                k = d[0] if d[0] != "op=5" else " ".join((d[0], d[1], d[3]))
                first[fd] = k
                tally[k] = tally.get(k, 0) + 1
        tally["none"] = tally.get("none", 0) + len(socks) - len(first)
        for x in socks.values():
            x.close()
    print("sent=%d" % sent)
    for k, v in sorted(tally.items()):
        if v:
            print("%d %s" % (v, k))


def main():
    ap = argparse.ArgumentParser(description="Many RRQs from many ports, first replies tallied.")
    ap.add_argument("server")
    ap.add_argument("name", help="file to ask for")
    ap.add_argument("count", type=int, help="RRQs in all")
    ap.add_argument("batch", nargs="?", type=int, default=500, help="sockets open at a time (500)")
    # RRQs sent back to back, then 1 ms of rest: a burst larger than the
    # kernel's backlog (netdev_max_backlog, 1000) on the veth path would be
    # dropped before it reaches any server
    ap.add_argument("pace", nargs="?", type=int, default=100, help="RRQs between 1 ms rests (100)")
    a = ap.parse_args()
    flood(a.server, a.name, a.count, a.batch, a.pace)


if __name__ == "__main__":
    main()
