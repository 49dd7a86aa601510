# SPDX-License-Identifier: BSD-3-Clause
"""The HTTP stages of one VM (MAC, deploy job JOB) from nginx's access log
LOG, as seconds after T0 (epoch of power-on): script (its per-host
script), kernel and initrd (from the address that fetched the script),
checkin, progress (the last) and done (the imaging-OS API calls). Each
request is timed by its arrival, $msec minus $request_time, as stampede
stamps it.

LOG's format: '$msec $request_time $remote_addr $request_method
$request_uri $status $body_bytes_sent'.

Prints one line: "script=S kernel=S initrd=S checkin=S progress=S done=S"
("-": not seen).

usage: python3 boot_nginx_stages.py LOG T0 MAC JOB
"""
import argparse
import urllib.parse

from boot_lib import STAGES, fmt


def nginx(log, t0, mac, job):
    """Print the stages line."""
    st, ip = {}, None
    rows = []
    with open(log) as f:
        for line in f:
            w = line.split()
            if len(w) < 6:
                continue
            rows.append((float(w[0]) - float(w[1]), w[2], urllib.parse.unquote(w[4])))
    rows.sort()
    for t, a, path in rows:
        if path == "/boot/%s.ipxe" % mac and "script" not in st:
            st["script"], ip = t, a
    for t, a, path in rows:
        if ip and a == ip and path.endswith("/bzImage"):
            st.setdefault("kernel", t)
        elif ip and a == ip and path.endswith("/init.xz"):
            st.setdefault("initrd", t)
        elif path.startswith("/api/v1/job?mac=" + mac):
            st.setdefault("checkin", t)
        elif path == "/api/v1/job/%s/progress" % job:
            st["progress"] = t
        elif path == "/api/v1/job/%s/done" % job:
            st["done"] = t
    print(" ".join(fmt(k, st.get(k), t0) for k in STAGES[3:]))


def main():
    ap = argparse.ArgumentParser(description="HTTP stages of one boot from nginx's access log.")
    ap.add_argument("log", help="nginx's access log")
    ap.add_argument("t0", type=float, help="power-on, epoch seconds")
    ap.add_argument("mac", help="the VM's MAC, lower case")
    ap.add_argument("job", help="its deploy job's id")
    a = ap.parse_args()
    nginx(a.log, a.t0, a.mac, a.job)


if __name__ == "__main__":
    main()
