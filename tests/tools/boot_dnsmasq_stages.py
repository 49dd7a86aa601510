# SPDX-License-Identifier: BSD-3-Clause
"""The firmware's and iPXE's DHCP and TFTP stages of one VM (MAC) from
dnsmasq's --log-dhcp log LOG, timed by the growth of LOG recorded in INDEX
by boot_stamp_growth.py, as seconds after T0 (epoch of power-on).

dnsmasq --log-dhcp writes '<xid> DHCPACK(stp0) <ip> <mac>', then lines of
the same xid naming the boot file ('bootfile name: F' for the file field,
'sent ... option: 67 bootfile-name  F'); its TFTP writes 'sent <path> to
<ip>' once a transfer ends (EDK2's aborted size probe included).
ipxe_dhcp is the first ACK with an http:// boot file; fw_dhcp and fw_tftp
the last firmware ACK and TFTP send before it.

Prints one line: "fw_dhcp=S fw_tftp=S ipxe_dhcp=S" ("-": not seen).

usage: python3 boot_dnsmasq_stages.py INDEX LOG T0 MAC
"""
import argparse
import re

from boot_lib import fmt, growth, when


def dnsmasq(index, log, t0, mac):
    """Print the stages line."""
    with open(log, "rb") as f:
        data = f.read()
    g = growth(index, log)
    acks, open_ack, sent = [], {}, []
    for m in re.finditer(rb"dnsmasq-(dhcp|tftp)\[\d+\]: ([^\n]*)", data):
        line, t = m.group(2), when(g, m.end())
        if m.group(1) == b"tftp":
            s = re.match(rb"sent \S+ to (\S+)", line)
            if s:
                sent.append((t, s.group(1)))
            continue
        x = re.match(rb"(\d+) (.*)", line)
        if not x:
            continue
        xid, rest = x.groups()
        a = re.match(rb"DHCPACK\(\S+\) (\S+) (\S+)", rest)
        if a:
            open_ack.pop(xid, None)
            if a.group(2).decode() == mac:
                acks.append({"t": t, "ip": a.group(1), "file": b""})
                open_ack[xid] = acks[-1]
            continue
        if re.match(rb"DHCP[A-Z]+\(|available DHCP", rest):
            open_ack.pop(xid, None)
            continue
        f = re.match(rb"(?:bootfile name: |sent size: *\d+ option: 67 bootfile-name +)(\S+)", rest)
        if f and xid in open_ack:
            open_ack[xid]["file"] = f.group(1)
    st = {}
    for a in acks:
        if a["file"].startswith(b"http"):
            st["ipxe_dhcp"] = a["t"]
            for b in acks:
                if b["t"] < a["t"] and b["file"]:
                    st["fw_dhcp"] = b["t"]
            for t, ip in sent:
                if ip == a["ip"] and t <= a["t"]:
                    st["fw_tftp"] = t
            break
    print(" ".join(fmt(k, st.get(k), t0) for k in ("fw_dhcp", "fw_tftp", "ipxe_dhcp")))


def main():
    ap = argparse.ArgumentParser(description="DHCP/TFTP stages of one boot from dnsmasq's log.")
    ap.add_argument("index", help="boot_stamp_growth.py's index")
    ap.add_argument("log", help="dnsmasq's log (--log-dhcp --log-facility=-)")
    ap.add_argument("t0", type=float, help="power-on, epoch seconds")
    ap.add_argument("mac", help="the VM's MAC, lower case")
    a = ap.parse_args()
    dnsmasq(a.index, a.log, a.t0, a.mac)


if __name__ == "__main__":
    main()
