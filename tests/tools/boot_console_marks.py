# SPDX-License-Identifier: BSD-3-Clause
"""The console marks of one VM's boot: for each mark (EDK2's PXE start,
iPXE running, its prompt, net0 open, network configured, chain script,
kernel and initrd requested, initrd loaded, Linux, the imaging-OS
stand-in's start/up/check-in/done), the time its text first appeared on
the serial console FILE, as seconds after T0 (epoch of power-on), from
the growth recorded in INDEX by boot_stamp_growth.py.

Prints one line: "edk2_pxe=S edk2_ip=S ipxe=S ... done=S" ("-": not seen).

usage: python3 boot_console_marks.py INDEX FILE T0
"""
import argparse
import re

from boot_lib import fmt, growth, when

MARKS = [  # key, pattern on the raw console bytes
    ("edk2_pxe", rb"Start PXE over IPv4"),
    ("edk2_ip", rb"Station IP address"),
    ("ipxe", rb"iPXE initialising devices"),
    ("ipxe_prompt", rb"Press Ctrl-B for the iPXE command line"),
    ("ipxe_open", rb"net0: [0-9a-f:]+ using"),
    ("net_ok", rb"Configuring \(net0[^\n]*?ok"),
    ("chain", rb"/boot\.ipxe"),
    ("kernel", rb"/bzImage"),
    ("initrd", rb"/init\.xz"),
    ("initrd_ok", rb"/init\.xz\.*[^\n]*?ok"),
    ("linux", rb"Linux version"),
    ("os_start", rb"STAMPEDE-IMAGING-OS: start"),
    ("os_up", rb"STAMPEDE-IMAGING-OS: up"),
    ("checkin", rb"STAMPEDE-IMAGING-OS: job \S+ checked in"),
    ("done", rb"STAMPEDE-IMAGING-OS: job \S+ done"),
]


def marks(index, path, t0):
    """Print the marks line of the console at path."""
    with open(path, "rb") as f:
        data = f.read()
    g = growth(index, path)
    out = []
    for k, pat in MARKS:
        m = re.search(pat, data)
        out.append(fmt(k, when(g, m.end()) if m else None, t0))
    print(" ".join(out))


def main():
    ap = argparse.ArgumentParser(description="Console marks of one boot, seconds after power-on.")
    ap.add_argument("index", help="boot_stamp_growth.py's index")
    ap.add_argument("file", help="the VM's serial console log")
    ap.add_argument("t0", type=float, help="power-on, epoch seconds")
    a = ap.parse_args()
    marks(a.index, a.file, a.t0)


if __name__ == "__main__":
    main()
