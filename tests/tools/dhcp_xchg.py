# SPDX-License-Identifier: BSD-3-Clause
"""Send DHCP messages as raw Ethernet frames from IFACE and print every DHCP
reply to port 68 that carries one of their xids, for WAIT seconds (2):
one dhcp_decode.py line each, plus " ethdst=<destination MAC>".

A message is a list of key=value words; "--" starts the next message.
Keys: mac (required), xid (hex; random if absent), type (DHCP message
type, 1), ciaddr, src, dst (IP addresses), dmac (Ethernet destination,
broadcast if absent), flags (hex, 8000), o<code>=<hex> (an option, in
code order after option 53), wait (seconds, for all messages; the last
value wins).

Sends only on IFACE (AF_PACKET sockets: run it as root inside the test's
namespace).

usage: python3 dhcp_xchg.py IFACE KEY=VALUE... [-- KEY=VALUE...]...
"""
import random
import socket
import struct
import sys
import time

from pkt_lib import bootp, fmt_bootp, frame, ip, mac_bytes


def parse(args):
    """key=value words -> ([message dict, ...], wait seconds)."""
    msgs, cur, wait = [], {}, 2.0
    for a in args:
        if a == "--":
            msgs.append(cur)
            cur = {}
            continue
        k, v = a.split("=", 1)
        if k == "wait":
            wait = float(v)
        else:
            cur[k] = v
    msgs.append(cur)
    return msgs, wait


def message(m):
    """(xid, frame) of one message dict."""
    mac = mac_bytes(m["mac"])
    xid = int(m.get("xid", "%08x" % random.getrandbits(32)), 16)
    opts = b"\x35\x01" + bytes([int(m.get("type", "1"))])
    for k in sorted(m):
        if k[0] == "o" and k[1:].isdigit():
            v = bytes.fromhex(m[k])
            opts += bytes([int(k[1:]), len(v)]) + v
    opts += b"\xff"
    b = bootp(mac, opts, xid, flags=int(m.get("flags", "8000"), 16),
              ciaddr=m.get("ciaddr", "0.0.0.0"))
    f = frame(mac, b, src=m.get("src", "0.0.0.0"), dst=m.get("dst", "255.255.255.255"))
    if m.get("dmac"):
        f = mac_bytes(m["dmac"]) + f[6:]
    return xid, f


def xchg(iface, args):
    """Send the messages, print the replies that answer them."""
    msgs, wait = parse(args)
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    rx.bind((iface, 0))
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((iface, 0))
    xids = set()
    for m in msgs:
        xid, f = message(m)
        xids.add(xid)
        tx.send(f)
    rx.settimeout(0.2)
    end = time.time() + wait
    while time.time() < end:
        try:
            p = rx.recv(4096)
        except socket.timeout:
            continue
        if len(p) < 42 or p[12:14] != b"\x08\x00" or p[23] != 17:
            continue
        ihl = (p[14] & 15) * 4
        u = p[14 + ihl:]
        sport, dport, ulen = struct.unpack("!HHH", u[:6])
        if dport != 68 or len(u) < 8 + 240:
            continue
        d = u[8:ulen]
        if d[0] != 2 or struct.unpack("!I", d[4:8])[0] not in xids:
            continue
        line = fmt_bootp(ip(p[26:30]), sport, ip(p[30:34]), dport, d)
        if line:
            print(line + " ethdst=" + ":".join("%02x" % x for x in p[0:6]))


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1].startswith("-"):
        sys.exit(__doc__.strip())
    xchg(sys.argv[1], sys.argv[2:])
