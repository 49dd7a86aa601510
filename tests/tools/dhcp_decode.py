# SPDX-License-Identifier: BSD-3-Clause
"""Print one line per DHCP/BOOTP packet of a pcap file (Ethernet or Linux
cooked capture, either byte order), in capture order:

  src= sport= dst= dport= op= xid= flags= ciaddr= yiaddr= siaddr= giaddr=
  chaddr= sname= file= magic= type= len= oorder= o<code>=<hex> ...
  o60s=<text> o67s= ... o3i=<addresses> ... o51n=<number> ...

(pkt_lib.fmt_bootp has the full list). Non-IPv4, non-UDP and short packets
are skipped. Reads the file only; sends nothing.

usage: python3 dhcp_decode.py PCAP
"""
import argparse
import struct

from pkt_lib import fmt_bootp, ip

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113


def decode(path):
    """Print the DHCP lines of the pcap at path."""
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
        line = fmt_bootp(ip(pkt[12:16]), sport, ip(pkt[16:20]), dport, pkt[ihl + 8:ihl + ulen])
        if line:
            print(line)


def main():
    ap = argparse.ArgumentParser(description="DHCP packets of a pcap, one line each.")
    ap.add_argument("pcap", help="a capture file (tcpdump -w)")
    decode(ap.parse_args().pcap)


if __name__ == "__main__":
    main()
