# SPDX-License-Identifier: BSD-3-Clause
"""Play a PXE client's step after a ProxyDHCP offer: a DHCPREQUEST (xid
4011cafe, options 60 PXEClient:Arch:ARCH, 93 ARCH, 94, 97, 55) sent from
SRC port 68 to SERVER port 4011 (PXE 2.1 spec, 2.2.2). Prints the reply as
one dhcp_decode.py line, or "no reply" after WAIT seconds.

Sends one datagram to SERVER only; SRC must be an address of the namespace
it runs in.

usage: python3 dhcp_pxe4011.py SRC SERVER MAC ARCH WAIT
"""
import argparse
import socket
import struct
import time

from pkt_lib import bootp, fmt_bootp, mac_bytes


def pxe4011(src, server, macstr, arch, wait):
    """Send the request, print the first BOOTP reply or "no reply"."""
    mac = mac_bytes(macstr)
    opts = b"\x35\x01\x03"
    opts += b"\x3c\x20" + b"PXEClient:Arch:%05d:UNDI:002001" % arch
    opts += b"\x5d\x02" + struct.pack("!H", arch)
    opts += b"\x5e\x03\x01\x02\x01"
    opts += b"\x61\x11\x00" + bytes(range(16))
    opts += b"\x37\x05\x01\x03\x2b\x3c\x43" + b"\xff"
    b = bootp(mac, opts, 0x4011cafe, flags=0, ciaddr=src)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 68))
    s.settimeout(wait)
    s.sendto(b, (server, 4011))
    end = time.time() + wait
    while time.time() < end:
        try:
            d, a = s.recvfrom(2048)
        except socket.timeout:
            break
        line = fmt_bootp(a[0], a[1], src, 68, d)
        if line:
            print(line)
            return
    print("no reply")


def main():
    ap = argparse.ArgumentParser(description="A PXE client's DHCPREQUEST to port 4011.")
    ap.add_argument("src", help="the client's address (bound, port 68)")
    ap.add_argument("server", help="the boot server's address")
    ap.add_argument("mac", help="chaddr, aa:bb:cc:dd:ee:ff")
    ap.add_argument("arch", type=int, help="client architecture (RFC 4578 option 93)")
    ap.add_argument("wait", type=float, help="seconds to wait for the reply")
    a = ap.parse_args()
    pxe4011(a.src, a.server, a.mac, a.arch, a.wait)


if __name__ == "__main__":
    main()
