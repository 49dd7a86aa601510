# SPDX-License-Identifier: BSD-3-Clause
"""Raw packets for the test tools beside this file: the Internet checksum,
Ethernet/IPv4/UDP frames, ARP bodies, BOOTP/DHCP messages built and printed
as one "key=value ..." line.

Imported by dhcp_*.py and tcp_synflood.py; python3 puts a script's own
directory first on sys.path, so "import pkt_lib" works from any cwd.
Nothing here opens a socket.
"""
import socket
import struct

DHCP_MAGIC = b"\x63\x82\x53\x63"


def ip(b):
    """Dotted quad of 4 bytes."""
    return socket.inet_ntoa(b)


def mac_bytes(text):
    """6 bytes of an "aa:bb:cc:dd:ee:ff" MAC."""
    return bytes(int(x, 16) for x in text.split(":"))


def printable(b):
    """b with every byte outside '!'..'~' as '_'; "-" when empty."""
    return "".join(chr(x) if 33 <= x < 127 else "_" for x in b) or "-"


LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113


def pcap_udp(path):
    """(src, sport, dst, dport, payload) of every IPv4/UDP packet of the
    pcap file at path (Ethernet or Linux cooked capture, either byte
    order), in capture order; a payload cut by the snap length is cut."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    link = struct.unpack(e + "I", data[20:24])[0]
    i = 24
    while i + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(e + "IIII", data[i:i + 16])
        pkt = data[i + 16:i + 16 + caplen]
        i += 16 + caplen
        if link == LINKTYPE_ETHERNET:
            if len(pkt) < 14 or pkt[12:14] != b"\x08\x00":
                continue
            pkt = pkt[14:]
        elif link == LINKTYPE_LINUX_SLL:
            if len(pkt) < 16:
                continue
            pkt = pkt[16:]
        if len(pkt) < 20 or pkt[0] >> 4 != 4 or pkt[9] != 17:
            continue
        ihl = (pkt[0] & 15) * 4
        udp = pkt[ihl:ihl + 8]
        if len(udp) < 8:
            continue
        sport, dport, ulen = struct.unpack("!HHH", udp[:6])
        yield ip(pkt[12:16]), sport, ip(pkt[16:20]), dport, pkt[ihl + 8:ihl + ulen]


def parse_opts(p):
    """DHCP options area -> {code: value}; repeated codes are concatenated
    (RFC 3396). Stops at END or at an option that overruns."""
    out, i = {}, 0
    while i < len(p):
        c = p[i]
        if c == 0:
            i += 1
            continue
        if c == 255:
            break
        if i + 1 >= len(p):
            break
        n = p[i + 1]
        out[c] = out.get(c, b"") + p[i + 2:i + 2 + n]
        i += 2 + n
    return out


def opt_order(p):
    """Option codes in the order they appear (pads skipped)."""
    out, i = [], 0
    while i < len(p) and p[i] != 255:
        if p[i] == 0:
            i += 1
            continue
        if i + 1 >= len(p):
            break
        out.append(p[i])
        i += 2 + p[i + 1]
    return out


def fmt_bootp(src, sport, dst, dport, d):
    """One line for a BOOTP/DHCP message d (UDP payload), None if d is
    shorter than a BOOTP header:
      src= sport= dst= dport= op= xid= flags= ciaddr= yiaddr= siaddr=
      giaddr= chaddr= sname= file= magic= type= len= oorder= o<code>=<hex>
      ... o<code>s=<text> o<code>i=<addresses> o<code>n=<number>"""
    if len(d) < 240:
        return None
    f = {"src": src, "sport": sport, "dst": dst, "dport": dport, "op": d[0],
         "xid": d[4:8].hex(), "flags": d[10:12].hex(), "ciaddr": ip(d[12:16]),
         "yiaddr": ip(d[16:20]), "siaddr": ip(d[20:24]), "giaddr": ip(d[24:28]),
         "chaddr": ":".join("%02x" % x for x in d[28:34]),
         "sname": printable(d[44:108].split(b"\0")[0]),
         "file": printable(d[108:236].split(b"\0")[0]),
         "magic": d[236:240].hex()}
    o = parse_opts(d[240:]) if d[236:240] == DHCP_MAGIC else {}
    f["type"] = o[53][0] if 53 in o and o[53] else 0
    f["len"] = len(d)
    f["oorder"] = ",".join(str(c) for c in opt_order(d[240:])) or "-"
    for c in sorted(o):
        f["o%d" % c] = o[c].hex() or "-"
    for c in (12, 15, 60, 66, 67, 77):
        if c in o:
            f["o%ds" % c] = printable(o[c])
    for c in (1, 3, 6, 28, 50, 54):
        if c in o and len(o[c]) % 4 == 0:
            f["o%di" % c] = ",".join(ip(o[c][k:k + 4]) for k in range(0, len(o[c]), 4))
    for c in (51, 58, 59):
        if c in o and len(o[c]) == 4:
            f["o%dn" % c] = struct.unpack("!I", o[c])[0]
    return " ".join("%s=%s" % kv for kv in f.items())


def csum(b):
    """RFC 1071 Internet checksum of b (odd length padded with a zero)."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def frame(mac, payload, udp_len=None, ip_len=None, ihl=5, sport=68, dport=67,
          src="0.0.0.0", dst="255.255.255.255", ipproto=17):
    """A broadcast Ethernet frame from mac carrying IPv4/UDP payload. The
    lengths and the IHL may lie on purpose (udp_len, ip_len, ihl > 5 pads
    the IP header with 0x01 option bytes); the UDP checksum is 0 (none)."""
    ulen = udp_len if udp_len is not None else 8 + len(payload)
    udp = struct.pack("!HHHH", sport, dport, ulen & 0xffff, 0) + payload
    tl = ip_len if ip_len is not None else ihl * 4 + len(udp)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tl & 0xffff, 1, 0, 64, ipproto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr += b"\x01" * (ihl * 4 - 20)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return b"\xff" * 6 + mac + b"\x08\x00" + hdr + udp


def arp(mac, op, spa="10.77.0.9", tpa="10.77.0.1"):
    """An ARP body (RFC 826, Ethernet/IPv4) of operation op from mac/spa."""
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac + socket.inet_aton(spa) + \
        b"\0" * 6 + socket.inet_aton(tpa)


def bootp(mac, opts, xid, flags=0x8000, ciaddr="0.0.0.0", magic=DHCP_MAGIC):
    """A BOOTREQUEST from mac with transaction id xid: the 236-byte header,
    magic, then the raw options area opts (the caller adds END, or leaves
    it out on purpose)."""
    b = struct.pack("!BBBBIHH", 1, 1, 6, 0, xid, 0, flags)
    b += socket.inet_aton(ciaddr) + b"\0" * 12 + mac + b"\0" * 10 + b"\0" * 192
    return b + magic + opts
