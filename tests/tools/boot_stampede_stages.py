# SPDX-License-Identifier: BSD-3-Clause
"""The boot stages of one host (MAC) as stampede recorded them, from a saved
GET /api/v1/status document JSON (hosts[].stages, epoch milliseconds), as
seconds after T0 (epoch of power-on).

Prints one line: "fw_dhcp=S fw_tftp=S ipxe_dhcp=S script=S kernel=S
initrd=S checkin=S progress=S done=S" ("-": not recorded).

usage: python3 boot_stampede_stages.py JSON T0 MAC
"""
import argparse
import json

from boot_lib import STAGES, fmt


def stampede(js, t0, mac):
    """Print the stages line."""
    st = {}
    with open(js) as f:
        doc = json.load(f)
    for h in doc.get("hosts", []):
        if h.get("mac") == mac:
            st = h.get("stages", {})
    print(" ".join(fmt(k, st[k] / 1000.0 if st.get(k) else None, t0) for k in STAGES))


def main():
    ap = argparse.ArgumentParser(description="Boot stages of one host from stampede's status JSON.")
    ap.add_argument("json", help="a saved /api/v1/status answer")
    ap.add_argument("t0", type=float, help="power-on, epoch seconds")
    ap.add_argument("mac", help="the host's MAC, lower case")
    a = ap.parse_args()
    stampede(a.json, a.t0, a.mac)


if __name__ == "__main__":
    main()
