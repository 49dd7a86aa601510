# SPDX-License-Identifier: BSD-3-Clause
"""TFTP client pieces shared by the tftp_*.py tools: packets (RFC 1350,
options RFC 2347), a one-line description of any packet received, and Get,
a windowed download (RFC 7440) with the hooks the tests need.

describe() lines: "op=5 code=N nul=0|1 msg=<text, spaces as _>",
"op=3 block=N len=N", "op=6 oack=<name>:<value>,...", "op=N len=N".
Get.run() line: "result=ok|error|timeout bytes= sha256= blocks= oack=
tid= reacks= stray= secs= [extra...]".
"""
import hashlib
import os
import select
import socket
import struct
import time


def rrq(name, mode="octet", opts=(), op=1):
    """An RRQ (op 1) or WRQ (op 2) with options [(name, value)]."""
    b = struct.pack("!H", op) + name.encode("latin-1") + b"\0" + mode.encode() + b"\0"
    for k, v in opts:
        b += k.encode() + b"\0" + str(v).encode() + b"\0"
    return b


def ack(n):
    """ACK of block n (mod 2^16)."""
    return struct.pack("!HH", 4, n & 0xFFFF)


def error(code, msg):
    """ERROR code with message msg."""
    return struct.pack("!HH", 5, code) + msg.encode() + b"\0"


def parse_oack(p):
    """{option (lower case): value} of an OACK."""
    parts = p[2:].split(b"\0")
    return {parts[i].decode("latin-1").lower(): parts[i + 1].decode("latin-1")
            for i in range(0, len(parts) - 1, 2)}


def describe(p):
    """One line of "k=v" words for any packet."""
    if len(p) < 2:
        return "op=short len=%d" % len(p)
    op = struct.unpack("!H", p[:2])[0]
    if op == 5 and len(p) >= 4:
        msg = p[4:].split(b"\0")[0].decode("latin-1").replace(" ", "_") or "-"
        return "op=5 code=%d nul=%d msg=%s" % (struct.unpack("!H", p[2:4])[0],
                                               int(p.endswith(b"\0")), msg)
    if op == 3 and len(p) >= 4:
        return "op=3 block=%d len=%d" % (struct.unpack("!H", p[2:4])[0], len(p) - 4)
    if op == 6:
        o = parse_oack(p)
        return "op=6 oack=%s" % (",".join("%s:%s" % kv for kv in o.items()) or "-")
    return "op=%d len=%d" % (op, len(p))


class Get:
    """One download; run() returns the result line.

    RRQ with options (RFC 2347), windowed receive (RFC 7440: ACK the last
    block of each window, re-ACK the last in-order block on a gap or a
    timeout), 16-bit block rollover. out "-" keeps no file. pause_at N:
    after ACKing block N touch mark, wait for go to exist. stray_at N:
    after block N send an ACK to the session's TID from a second socket
    and note what came back to it."""

    def __init__(self, server, name, out, opts, mode="octet", rto=1.0, dally=0.0,
                 pause_at=None, mark=None, go=None, stray_at=None, sport=0,
                 deadline=120.0):
        self.server, self.name, self.out, self.opts, self.mode = server, name, out, opts, mode
        self.rto, self.dally, self.deadline = rto, dally, deadline
        self.pause_at, self.mark, self.go, self.stray_at = pause_at, mark, go, stray_at
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.s.bind(("", sport))
        self.extra = []

    def send(self, b, to):
        self.s.sendto(b, to)

    def run(self):
        s, server = self.s, self.server
        h = hashlib.sha256()
        f = open(self.out, "wb") if self.out != "-" else None
        blksize, window, tid, oack = 512, 1, None, None
        expected, nbytes, since, last_ack_t = 1, 0, 0, 0.0
        tries, stray_rx, reacks = 0, 0, 0
        t_end = time.time() + self.deadline
        t0 = time.time()
        req = rrq(self.name, self.mode, self.opts)
        self.send(req, (server, 69))

        def finish(res):
            if f:
                f.close()
            dt = time.time() - t0
            return ("result=%s bytes=%d sha256=%s blocks=%d oack=%s tid=%s reacks=%d "
                    "stray=%d secs=%.3f %s" % (res, nbytes, h.hexdigest(), expected - 1,
                                             ",".join("%s:%s" % kv for kv in (oack or {}).items()) or "-",
                                             tid[1] if tid else "-", reacks, stray_rx, dt,
                                             " ".join(self.extra))).rstrip()

        while True:
            if time.time() > t_end:
                return finish("timeout")
            r, _, _ = select.select([s], [], [], self.rto)
            if not r:
                tries += 1
                if tries > 12:
                    return finish("timeout")
                if tid is None:
                    self.send(req, (server, 69))
                else:
                    self.send(ack(expected - 1), tid)
                    reacks += 1
                continue
            p, a = s.recvfrom(70000)
            if a[0] != server:
                continue
            if tid is None:
                tid = a
            elif a != tid:
                stray_rx += 1
                self.send(error(5, "unknown transfer ID"), a)
                continue
            if len(p) < 4:
                continue
            op, num = struct.unpack("!HH", p[:4])
            if op == 5:
                self.extra.append(describe(p))
                return finish("error")
            if op == 6:
                if expected == 1:
                    oack = parse_oack(p)
                    blksize = int(oack.get("blksize", blksize))
                    window = int(oack.get("windowsize", window))
                    self.send(ack(0), tid)
                continue
            if op != 3:
                continue
            tries = 0
            if num == expected & 0xFFFF:
                data = p[4:]
                if f:
                    f.write(data)
                h.update(data)
                nbytes += len(data)
                expected += 1
                since += 1
                last = len(data) < blksize
                if last or since >= window:
                    self.send(ack(num), tid)
                    since, last_ack_t = 0, time.time()
                if self.stray_at is not None and expected - 1 == self.stray_at:
                    self.stray_probe(tid)
                if self.pause_at is not None and expected - 1 == self.pause_at:
                    open(self.mark, "w").close()
                    while not os.path.exists(self.go):
                        if time.time() > t_end:
                            return finish("timeout")
                        time.sleep(0.02)
                if last:
                    self.linger(tid, num)
                    return finish("ok")
            else:
                # a gap or an old block: re-ACK the last in-order block (RFC
                # 7440 sec 4), at most every 20 ms so a retransmitted window
                # does not turn into a burst of duplicate ACKs
                now = time.time()
                if now - last_ack_t > 0.02:
                    self.send(ack(expected - 1), tid)
                    reacks += 1
                    since, last_ack_t = 0, now

    def linger(self, tid, last):
        # RFC 1350 sec 6: the final ACK may be lost; dally and re-ACK
        end = time.time() + self.dally
        while time.time() < end:
            r, _, _ = select.select([self.s], [], [], max(0.0, end - time.time()))
            if not r:
                break
            p, a = self.s.recvfrom(70000)
            if a == tid and len(p) >= 4 and struct.unpack("!H", p[:2])[0] == 3:
                self.send(ack(last), tid)

    def stray_probe(self, tid):
        x = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        x.bind(("", 0))
        x.settimeout(2.0)
        x.sendto(ack(1), tid)
        try:
            p, a = x.recvfrom(70000)
            self.extra.append("strayreply=from:%d,%s" % (a[1], describe(p).replace(" ", ",")))
            self.extra.append("strayport=%d" % x.getsockname()[1])
        except socket.timeout:
            self.extra.append("strayreply=none")
        x.close()


GET_OPTIONS = {"--mode": ("mode", str), "--rto": ("rto", float), "--dally": ("dally", float),
               "--pause-at": ("pause_at", int), "--mark": ("mark", str), "--go": ("go", str),
               "--stray-at": ("stray_at", int), "--sport": ("sport", int),
               "--deadline": ("deadline", float)}


def parse_get_args(argv):
    """(TFTP options [(name, value)] from the name=value words, Get keyword
    arguments from the --flag VALUE pairs of GET_OPTIONS)."""
    opts, kw, i = [], {}, 0
    while i < len(argv):
        a = argv[i]
        if a in GET_OPTIONS:
            k, t = GET_OPTIONS[a]
            kw[k] = t(argv[i + 1])
            i += 2
            continue
        k, v = a.split("=", 1)
        opts.append((k, v))
        i += 1
    return opts, kw
