# SPDX-License-Identifier: BSD-3-Clause
"""Boot-time arithmetic shared by the boot_*.py tools of
tests/bench/bench_boot.sh: when a file (a VM's serial console, dnsmasq's
log), as recorded by boot_stamp_growth.py, first held a given byte, and
the "key=seconds" words every tool prints.

An index file has one "epoch path size" line per growth of a file.
"""

# the server-side stages, in boot order (stampede's /api/v1/status names)
STAGES = ["fw_dhcp", "fw_tftp", "ipxe_dhcp", "script", "kernel", "initrd",
          "checkin", "progress", "done"]


def growth(index, path):
    """[(epoch, size)] of path in the index file, in order."""
    out = []
    with open(index) as f:
        for line in f:
            t, p, n = line.split()
            if p == path:
                out.append((float(t), int(n)))
    return out


def when(g, offset):
    """The first time the file held byte offset (exclusive end), from its
    growth g; None if it never did."""
    for t, n in g:
        if n >= offset:
            return t
    return None


def fmt(k, v, t0):
    """"k=<v - t0 in seconds, 2 decimals>", or "k=-" when v is None."""
    return "%s=%s" % (k, "-" if v is None else "%.2f" % (v - t0))
