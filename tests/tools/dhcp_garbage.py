# SPDX-License-Identifier: BSD-3-Clause
"""A DHCP "server" that answers every DISCOVER and REQUEST with garbage,
to check that a client (stampede-storm) drops it, counts it and fails
with a named cause instead of hanging or binding.

Usage: dhcp_garbage.py IFACE SERVER_IP   (runs until killed)

Answers rotate through broken replies, each addressed to the asker (its
xid and chaddr): a wrong magic cookie, an option overrunning the message,
a message cut inside the BOOTP header, an OFFER with no server identifier
and no address, an ACK nobody asked for with a zero lease. One line per
answer on stdout.
"""
import socket
import struct
import sys

import pkt_lib

KINDS = ("bad-magic", "overrun", "truncated", "offer-no-server-id", "ack-zero")


def reply(kind, xid, chaddr, server):
    """A BOOTREPLY body of the given broken kind."""
    srv = socket.inet_aton(server)
    yiaddr = b"\0\0\0\0" if kind == "offer-no-server-id" else socket.inet_aton("10.77.0.77")
    head = struct.pack("!BBBBIHH", 2, 1, 6, 0, xid, 0, 0x8000)
    head += b"\0" * 4 + yiaddr + srv + b"\0" * 4 + chaddr + b"\0" * 10 + b"\0" * 192
    if kind == "bad-magic":
        return head + b"\x63\x82\x53\x64" + b"\x35\x01\x02\x36\x04" + srv + b"\xff"
    if kind == "overrun":
        return head + pkt_lib.DHCP_MAGIC + b"\x35\x01\x02\x36\x40" + srv
    if kind == "truncated":
        return head[:100]
    if kind == "offer-no-server-id":
        return head + pkt_lib.DHCP_MAGIC + b"\x35\x01\x02\xff"
    return head + pkt_lib.DHCP_MAGIC + b"\x35\x01\x05\x36\x04" + srv + \
        b"\x33\x04\0\0\0\0\xff"


def main():
    iface, server = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0x0800))
    my_mac = s.getsockname()[4]
    n = 0
    while True:
        f = s.recv(2048)
        if len(f) < 14 + 20 + 8 + 240 or f[23] != 17:
            continue
        ihl = (f[14] & 15) * 4
        udp = 14 + ihl
        if struct.unpack("!H", f[udp + 2:udp + 4])[0] != 67:
            continue
        bootp = f[udp + 8:]
        if bootp[0] != 1:
            continue
        xid = struct.unpack("!I", bootp[4:8])[0]
        chaddr = bootp[28:34]
        kind = KINDS[n % len(KINDS)]
        n += 1
        body = reply(kind, xid, chaddr, server)
        out = pkt_lib.frame(my_mac, body, sport=67, dport=68, src=server)
        s.send(out)
        print("answered xid %08x with %s" % (xid, kind), flush=True)


if __name__ == "__main__":
    main()
