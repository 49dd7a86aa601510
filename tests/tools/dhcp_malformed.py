# SPDX-License-Identifier: BSD-3-Clause
"""Broadcast malformed frames at a DHCP server from one interface: truncated
BOOTP, a bad magic cookie, overrunning options, lying IP/UDP lengths, an IP
fragment, broken ARP and ICMP (each case 3 times), then 300 random option
areas after a valid BOOTP header, seeded so a run can be replayed.

Prints "sent: <case>" per case, "sent: 300 random option areas", then
"frames=N". Sends only on IFACE (an AF_PACKET socket: run it as root
inside the test's namespace).

usage: python3 dhcp_malformed.py IFACE MAC [SEED]
"""
import argparse
import random
import socket
import struct

from pkt_lib import DHCP_MAGIC, arp, bootp, csum, frame, mac_bytes


def cases(mac):
    """[(name, frame)]; a None frame is the IP fragment, built in send_all."""
    def req(opts, magic=DHCP_MAGIC):
        return bootp(mac, opts, random.getrandbits(32), magic=magic)

    disc = b"\x35\x01\x01"
    end = b"\xff"
    return [
        ("empty udp payload", frame(mac, b"")),
        ("bootp truncated to 100 bytes", frame(mac, req(disc + end)[:100])),
        ("bootp header only, no magic", frame(mac, req(b"")[:236])),
        ("bad magic cookie", frame(mac, req(disc + end, magic=b"\xde\xad\xbe\xef"))),
        ("no options at all", frame(mac, req(b""))),
        ("no end option", frame(mac, req(disc))),
        ("option length overruns packet", frame(mac, req(disc + b"\x3c\xff" + b"PXE"))),
        ("option code without length", frame(mac, req(disc + b"\x3c"))),
        ("msg type option length 0", frame(mac, req(b"\x35\x00" + end))),
        ("msg type 200", frame(mac, req(b"\x35\x01\xc8" + end))),
        ("option 55 255 bytes, all codes", frame(mac, req(disc + b"\x37\xff" + bytes(range(1, 256)) + end))),
        ("option 93 length 1", frame(mac, req(disc + b"\x5d\x01\x00" + b"\x3c\x09PXEClient" + end))),
        ("option 93 length 255", frame(mac, req(disc + b"\x5d\xff" + b"\x07" * 255 + b"\x3c\x09PXEClient" + end))),
        ("option 60 length 0", frame(mac, req(disc + b"\x3c\x00" + end))),
        ("option 82 with overrunning sub-option", frame(mac, req(disc + b"\x52\x04\x01\x40ab" + end))),
        ("option 52 overload both, no file/sname options", frame(mac, req(disc + b"\x34\x01\x03" + end))),
        ("only pad options to the end", frame(mac, req(b"\x00" * 300))),
        ("hlen 255", frame(mac, req(disc + end)[:2] + b"\xff" + req(disc + end)[3:])),
        ("op 2 (reply) to port 67", frame(mac, b"\x02" + req(disc + end)[1:])),
        ("udp length larger than packet", frame(mac, req(disc + end), udp_len=1400)),
        ("udp length 3", frame(mac, req(disc + end), udp_len=3)),
        ("ip total length larger than frame", frame(mac, req(disc + end), ip_len=1500)),
        ("ip total length 10", frame(mac, req(disc + end), ip_len=10)),
        ("ip ihl 15 (options)", frame(mac, req(disc + end), ihl=15)),
        ("ip header cut after 14 bytes", frame(mac, b"")[:28]),
        ("ethernet header only", b"\xff" * 6 + mac + b"\x08\x00"),
        ("giaddr set, hops 255", frame(mac, req(disc + end)[:3] + b"\xff" + req(disc + end)[4:24]
                                       + socket.inet_aton("10.99.0.1") + req(disc + end)[28:])),
        ("request for 255.255.255.255 to port 4011",
         frame(mac, req(b"\x35\x01\x03\x32\x04\xff\xff\xff\xff" + end), dport=4011)),
        ("fragmented udp (MF set)", None),
        ("arp request cut to 10 bytes", b"\xff" * 6 + mac + b"\x08\x06" + arp(mac, 1)[:10]),
        ("arp hlen 0 plen 255", b"\xff" * 6 + mac + b"\x08\x06" + b"\x00\x01\x08\x00\x00\xff\x00\x01" + b"\x0a" * 40),
        ("arp reply claiming 10.77.0.1", b"\xff" * 6 + mac + b"\x08\x06" + arp(mac, 2, spa="10.77.0.1")),
        ("icmp echo cut after type/code", frame(mac, b"", dst="10.77.0.1", ipproto=1)[:36]),
        ("icmp echo with ip length 2000",
         frame(mac, b"\x08\x00\x00\x00" + b"x" * 60, dst="10.77.0.1", ipproto=1, ip_len=2000)),
    ]


def fragment(mac):
    """A DHCPDISCOVER with MF set at offset 0: the first of two fragments."""
    f = frame(mac, bootp(mac, b"\x35\x01\x01\xff", random.getrandbits(32)))
    f = f[:20] + b"\x20\x00" + f[22:]  # flags/frag: MF, offset 0
    f = f[:24] + b"\0\0" + f[26:]
    h = f[14:34]
    return f[:24] + struct.pack("!H", csum(h)) + f[26:]


def send_all(iface, macstr, seed):
    """Send every case, then the random option areas; print the tally."""
    mac = mac_bytes(macstr)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    n = 0
    for name, f in cases(mac):
        if f is None:
            f = fragment(mac)
        if len(f) < 60:
            f = f + b"\0" * (60 - len(f))
        for _ in range(3):
            s.send(f)
            n += 1
        print("sent: " + name)
    # random garbage after a valid header, seeded so a run can be replayed
    rnd = random.Random(seed)
    base = bootp(mac, b"", random.getrandbits(32))
    for k in range(300):
        junk = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 400)))
        s.send(frame(mac, base + junk))
        n += 1
    print("sent: 300 random option areas")
    print("frames=%d" % n)


def main():
    ap = argparse.ArgumentParser(description="Malformed DHCP/ARP/ICMP frames, broadcast on IFACE.")
    ap.add_argument("iface", help="the interface to send on (eth0 in a client namespace)")
    ap.add_argument("mac", help="source MAC and chaddr, aa:bb:cc:dd:ee:ff")
    ap.add_argument("seed", nargs="?", type=int, default=7, help="seed of the random option areas (7)")
    a = ap.parse_args()
    send_all(a.iface, a.mac, a.seed)


if __name__ == "__main__":
    main()
