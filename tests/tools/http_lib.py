# SPDX-License-Identifier: BSD-3-Clause
"""HTTP client pieces shared by http_raw.py and http_endless.py (and the
escapes by http_hold.py): Python-escaped request text, reading a
connection until the server closes it, and printing the responses found
in the bytes read.

Output lines (what the tests parse):
  resp status= version= len= sha256= hdr.<name>=<value>... body=<60 chars>
  truncated want=N got=N          a body shorter than its Content-Length
  trailing bytes=N start=<repr>   bytes after the last whole response
  end closed=yes|no first=S close=S bytes=N
"""
import codecs
import hashlib
import socket
import time


def unesc(s):
    """Bytes of s with Python escapes (\\r\\n, \\x00) decoded."""
    return codecs.escape_decode(s.encode("latin-1"))[0]


def parse_responses(data, nobody):
    """(["resp ..." lines], rest) of the responses at the start of data.
    Bodies are framed by Content-Length; the first nobody responses have
    none (answers to HEAD), nor have 1xx, 204 and 304."""
    out, i = [], 0
    while True:
        j = data.find(b"\r\n\r\n", i)
        if j < 0:
            break
        head = data[i:j].decode("latin-1").split("\r\n")
        parts = head[0].split(" ", 2)
        status = parts[1] if len(parts) > 1 and head[0].startswith("HTTP/") else "junk"
        hdrs = {}
        for line in head[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        n = 0
        if len(out) >= nobody and status not in ("304", "204") and not status.startswith("1"):
            n = int(hdrs.get("content-length", "0") or 0)
        body = data[j + 4:j + 4 + n]
        i = j + 4 + len(body)
        line = "resp status=%s version=%s len=%d sha256=%s" % (
            status, parts[0].replace(" ", "_"), len(body), hashlib.sha256(body).hexdigest())
        for k in sorted(hdrs):
            line += " hdr.%s=%s" % (k, hdrs[k].replace(" ", "_"))
        line += " body=%s" % ("".join(chr(x) if 33 <= x < 127 else "_" for x in body[:60]) or "-")
        out.append(line)
        if len(body) < n:
            out.append("truncated want=%d got=%d" % (n, len(body)))
            break
    return out, data[i:]


def read_all(s, t0, wait):
    """Read socket s until the peer closes or t0 + wait; returns (data,
    first, closed): seconds after t0 of the first byte and of the close
    (None if not seen)."""
    data, first, closed = b"", None, None
    end = t0 + wait
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            closed = time.time() - t0
            break
        if not d:
            closed = time.time() - t0
            break
        if first is None:
            first = time.time() - t0
        data += d
    return data, first, closed


def report(data, first, closed, nobody):
    """Print the responses in data, any trailing bytes, and the end line."""
    lines, rest = parse_responses(data, nobody)
    for line in lines:
        print(line)
    if rest:
        print("trailing bytes=%d start=%r" % (len(rest), rest[:40]))
    print("end closed=%s first=%s close=%s bytes=%d" % (
        "yes" if closed is not None else "no",
        "%.2f" % first if first is not None else "-",
        "%.2f" % closed if closed is not None else "-", len(data)))
