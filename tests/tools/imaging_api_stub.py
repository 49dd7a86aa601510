# SPDX-License-Identifier: BSD-3-Clause
"""A stand-in for stampede's imaging-OS API, for
tests/integration/test_imaging_os.sh: an HTTP server on ADDR:PORT that
answers the calls the imaging-OS stand-in makes and records each in REC as

  KIND code=N method=M path=P ct=CONTENT-TYPE [key=value ...]

with KIND checkin (GET /api/v1/job?mac=MAC), progress/done/failed (POST
/api/v1/job/ID/...), register (POST /api/v1/register), or fault, badjson,
unknown; the JSON body's fields follow as key=value, sorted, strings
JSON-quoted. Check-in answers job 42, deploy, image debian12.

Faults: when CTL holds "PATH-SUBSTRING COUNT CODE", the next COUNT calls
whose path contains PATH-SUBSTRING get status CODE instead.

Prints "api: listening on ADDR:PORT" once it serves; logs requests to
stderr. Runs until killed.

usage: python3 -u imaging_api_stub.py ADDR PORT REC CTL
"""
import argparse
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

JOB_PATH = re.compile(r"/api/v1/job/([A-Za-z0-9._-]+)/(progress|done|failed)")


def injected(ctl, path):
    """The status to answer instead, if the control file ctl asks for a
    fault on path (and counts that fault down); 0 if none."""
    try:
        with open(ctl) as f:
            sub, count, code = f.read().split()
    except (OSError, ValueError):
        return 0
    if sub not in path or int(count) <= 0:
        return 0
    with open(ctl, "w") as f:
        f.write("%s %d %s\n" % (sub, int(count) - 1, code))
    return int(code)


def fmt(fields):
    """key=value words, sorted; numbers bare, everything else JSON."""
    out = []
    for k in sorted(fields):
        v = fields[k]
        out.append("%s=%s" % (k, v if isinstance(v, int) and not isinstance(v, bool)
                              else json.dumps(v)))
    return " ".join(out)


class Api(BaseHTTPRequestHandler):
    """One request: classify, record, answer JSON. rec and ctl are set by
    main() before the server starts."""
    rec = None
    ctl = None
    lock = threading.Lock()

    def log_message(self, f, *a):
        sys.stderr.write("api: " + (f % a) + "\n")

    def answer(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        u = urlsplit(self.path)
        body, good = {}, True
        if method == "POST":
            try:
                body = json.loads(raw)
                good = isinstance(body, dict)
            except ValueError:
                good = False
        fields = dict(body) if good else {"raw": raw.decode("utf-8", "replace")}
        m = JOB_PATH.fullmatch(u.path)
        code, reply = injected(self.ctl, self.path), {"ok": True}
        if code:
            kind, reply = "fault", {"error": "injected"}
        elif not good:
            kind, code = "badjson", 400
        elif method == "GET" and u.path == "/api/v1/job":
            mac = parse_qs(u.query).get("mac", [""])[0]
            kind, code = "checkin", 200 if mac else 400
            fields = {"mac": mac}
            reply = {"mac": mac, "job": "42", "type": "deploy", "image": "debian12"}
        elif method == "POST" and m:
            kind, code = m.group(2), 200
            fields["job"] = m.group(1)
        elif method == "POST" and u.path == "/api/v1/register":
            kind, code = "register", 200
        else:
            kind, code = "unknown", 404
        with self.lock, open(self.rec, "a") as f:
            f.write("%s code=%d method=%s path=%s ct=%s %s\n" % (
                kind, code, method, self.path,
                self.headers.get("Content-Type", "-"), fmt(fields)))
        data = json.dumps(reply).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer("GET")

    def do_POST(self):
        self.answer("POST")


def main():
    ap = argparse.ArgumentParser(description="The imaging-OS API, recorded.")
    ap.add_argument("addr", help="address to listen on")
    ap.add_argument("port", type=int)
    ap.add_argument("rec", help="file to append one line per call to")
    ap.add_argument("ctl", help="fault control file (may be absent)")
    a = ap.parse_args()
    Api.rec, Api.ctl = a.rec, a.ctl
    srv = ThreadingHTTPServer((a.addr, a.port), Api)
    print("api: listening on %s:%d" % (a.addr, a.port), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
