# shellcheck shell=bash
# shellcheck disable=SC2034  # variables for the scripts that source this
# SPDX-License-Identifier: BSD-3-Clause
#
# lib_tftp.sh — TFTP helpers for tests/integration/test_tftp_*.sh and
# tests/bench/bench_tftp.sh. Source it after lib.sh, which owns the lab,
# the server, the EXIT trap and the PASS/FAIL tally; nothing here replaces
# any of that.
#
#   tftp_client NAME IP           a client namespace with a static address
#   tftp_config FILE              the lab config plus the TFTP_* knobs below
#   tftp_root                     boot root filled with the test files
#   tftp_py CLIENT ARGS...        the python3 TFTP tool, in CLIENT's namespace
#   tftp_bg_wait PID              wait for a bg_start'ed process to end by itself
#   wire_faults CLIENT LOSS DUP   nftables loss/duplication on a client's veth
#   wire_fault_count CLIENT       what those rules dropped and duplicated
#   tftp_counters, tftp_wait_idle SECONDS   SIGUSR1 snapshots into TFTP_CTRS
#   ctr_sum KIND NAME [TEXT]      a counter summed over the worker lcores
#   tftp_crowd_lab N, tftp_crowd TAG N SMALL BIG [CURLFILE]   N clients at once
#   kv LINE KEY, hx STRING        field of a "k=v" line; hex of a string
#   tftp_req_hex OP NAME MODE [K V]...   a request as hex, for "raw"
#   assert_sha NAME WANT GOT      sha256 of two files equal
#
# Config knobs read by tftp_config (unset: the lab default):
#   TFTP_DRIVER (af_packet)  TFTP_ZERO_COPY (auto)  TFTP_MEMORY_MB
#   TFTP_CACHE_MB  TFTP_SESSIONS  TFTP_TIMEOUT_MS  TFTP_RETRIES
#   TFTP_MAX_WINDOW  TFTP_PORT_FIRST
#   CFG_MODE (server): dhcp.mode, as stp_write_config's MODE
#
# The client addresses are 10.77.0.11-10.77.0.99: below the DHCP pool, so
# no test here collides with a lease.

TFTP_TOOL="$STP_WORK/tftptool.py"
# The system python starts in 20 ms; a pyenv shim in PATH takes ~200 ms.
if [[ -x /usr/bin/python3 ]]; then TFTP_PY=/usr/bin/python3; else TFTP_PY=python3; fi
TFTP_SRV=${STP_ADDR:-10.77.0.1}

# sha FILE — the sha256 of FILE (hex), or "missing".
sha() {
	if [[ -f "$1" ]]; then sha256sum "$1" | cut -d' ' -f1; else echo missing; fi
}

# assert_sha NAME WANT_FILE GOT_FILE — the download equals its source.
assert_sha() {
	local want got
	want=$(sha "$2")
	got=$(sha "$3")
	if [[ "$want" == "$got" && "$want" != missing ]]; then pass "$1"; else
		fail "$1" "sha256 $got (size $(stat -c %s "$3" 2>/dev/null || echo -)) != source $want"
	fi
}

# tftp_client NAME IP — lab_add_client plus IP/24 on its eth0.
tftp_client() {
	lab_add_client "$1"
	ip -n "$STP_P-$1" addr add "$2/24" dev eth0
}

# tftp_bg_wait PID — wait for a process started with bg_start to end on its
# own; its status goes to BG_RC. The PID is dropped from lib.sh's cleanup
# list once reaped, so the EXIT trap never signals a reused PID.
tftp_bg_wait() {
	BG_RC=0
	wait "$1" 2>/dev/null || BG_RC=$?
	_stp_forget_pid "$1"
}

# tftp_config FILE — stp_write_config (dhcp.mode CFG_MODE, default server)
# with a tftp: block and
# the TFTP_* knobs patched into its eal: and port: blocks (CFG_EXTRA only
# appends top-level keys, and a second eal: would be a duplicate key).
tftp_config() {
	local f=$1 extra
	extra="tftp:
  enabled: true
  max_sessions: ${TFTP_SESSIONS:-4096}
  max_windowsize: ${TFTP_MAX_WINDOW:-64}
  port_first: ${TFTP_PORT_FIRST:-49152}
  timeout_ms: ${TFTP_TIMEOUT_MS:-1000}
  retries: ${TFTP_RETRIES:-6}"
	[[ -z "${TFTP_CACHE_MB:-}" ]] || extra+="
cache:
  max_mb: $TFTP_CACHE_MB"
	[[ -z "${CFG_EXTRA:-}" ]] || extra+="
$CFG_EXTRA"
	CFG_EXTRA=$extra stp_write_config "$f" "${CFG_MODE:-server}"
	awk -v mem="${TFTP_MEMORY_MB:-}" -v drv="${TFTP_DRIVER:-af_packet}" \
		-v zc="${TFTP_ZERO_COPY:-auto}" '
		/^eal:$/ { print; if (mem != "") print "  memory_mb: " mem; next }
		/^  driver: / { print "  driver: " drv; print "  zero_copy: " zc; next }
		{ print }' "$f" >"$f.tmp"
	mv "$f.tmp" "$f"
}

# tftp_root — the lab boot root (lib.sh's stp_boot_root) plus the files the
# TFTP tests fetch. Sizes straddle block boundaries on purpose:
#   empty.bin 0 B; one.bin 1 B; b512x4.bin 2048 B (last DATA block empty
#   at blksize 512); b1468x3.bin 4404 B; f1m.bin 1000003 B; f256k.bin
#   262144 B; dir/sub/deep.bin 70000 B; text.txt ~6 KB of lines ending in
#   LF, CRLF and bare CR (and a CR last); text.txt.netascii is that file as
#   RFC 764 netascii (CR -> CR NUL, then LF -> CR LF) — what the wire must
#   carry; computed here, independently of the server.
tftp_root() {
	local d
	d=$(stp_boot_root)
	if [[ ! -f "$d/f1m.bin" ]]; then
		: >"$d/empty.bin"
		printf 'x' >"$d/one.bin"
		head -c 2048 /dev/urandom >"$d/b512x4.bin"
		head -c 4404 /dev/urandom >"$d/b1468x3.bin"
		head -c 1000003 /dev/urandom >"$d/f1m.bin"
		head -c 262144 /dev/urandom >"$d/f256k.bin"
		mkdir -p "$d/dir/sub"
		head -c 70000 /dev/urandom >"$d/dir/sub/deep.bin"
		"$TFTP_PY" - "$d/text.txt" <<'EOF'
import random, sys
r = random.Random(1350)
ends = [b"\n", b"\r\n", b"\r"]
out = bytearray()
i = 0
while len(out) < 6000:
    out += b"line %05d %s" % (i, b"abcdefghijklmnopqrstuvwxyz"[: r.randrange(0, 27)])
    out += ends[i % 3] if i % 7 else b"\r\r\n\n\r"
    i += 1
out += b"no newline, then a bare CR\r"
open(sys.argv[1], "wb").write(out)
EOF
		"$TFTP_PY" -c 'import sys
d = open(sys.argv[1], "rb").read()
open(sys.argv[1] + ".netascii", "wb").write(d.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n"))' \
			"$d/text.txt"
	fi
	echo "$d"
}

# tftp_py CLIENT ARGS... — the python3 TFTP tool (docstring below), run in
# the namespace of CLIENT (never in the host's), with a 120 s limit.
tftp_py() {
	local c=$1
	shift
	ip netns exec "$STP_P-$c" timeout 120 "$TFTP_PY" "$TFTP_TOOL" "$@"
}

# hx STRING — the hex of STRING's bytes.
hx() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# tftp_req_hex OP NAME MODE [OPTNAME OPTVALUE]... — hex of a whole RRQ (OP
# 1) or WRQ (2), every string NUL-terminated; for the tool's raw command.
tftp_req_hex() {
	local h
	h=$(printf '%04x' "$1")$(hx "$2")00$(hx "$3")00
	shift 3
	while (($# >= 2)); do
		h+=$(hx "$1")00$(hx "$2")00
		shift 2
	done
	echo "$h"
}

# kv LINE KEY — the value of KEY=... in a "k=v k=v" line.
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n 1; }

# ctr_sum KIND NAME [TEXT] — NAME summed over the lcores' counter lines of
# KIND (tftp: the "lcore N tftp:" lines; worker: the "lcore N (queue Q):"
# lines) in TEXT (default: the last tftp_counters snapshot). 0 if absent.
TFTP_CTRS=""
ctr_sum() {
	local text=${3-$TFTP_CTRS} pat
	case "$1" in
	tftp) pat=' tftp: ' ;;
	worker) pat=' (queue ' ;;
	*) pat="$1" ;;
	esac
	grep -F -- "$pat" <<<"$text" | tr ' ' '\n' |
		awk -F= -v k="$2" '$1 == k { s += $2 } END { printf "%.0f\n", s }'
}

# tftp_counters — SIGUSR1 snapshot into TFTP_CTRS (also returned on stdout).
tftp_counters() {
	TFTP_CTRS=$(stp_counters) || TFTP_CTRS=""
	printf '%s\n' "$TFTP_CTRS"
}

# tftp_wait_idle SECONDS — poll the counters until no TFTP session is active.
tftp_wait_idle() {
	local end=$((SECONDS + $1))
	while ((SECONDS < end)); do
		tftp_counters >/dev/null
		[[ -n "$TFTP_CTRS" && "$(ctr_sum tftp active)" == 0 ]] && return 0
		sleep 1
	done
	return 1
}

# wire_faults CLIENT LOSS DUP — random loss and duplication, both ways, in
# per mille, on CLIENT's veth (docs/design.md "Faults on the wire"):
#   client eth0 egress  (client -> server): drop LOSS, then dup DUP
#   c-CLIENT egress     (server -> client): dup DUP (before the loss below)
#   client eth0 ingress (server -> client): drop LOSS
# Every rule counts; wire_fault_count reads the counts back.
wire_faults() {
	local c=$1 loss=$2 dup=$3
	ip netns exec "$STP_P-$c" nft -f - <<EOF
table netdev stpfault {
	chain out {
		type filter hook egress device "eth0" priority 0; policy accept;
		numgen random mod 1000 < $loss counter drop
		numgen random mod 1000 < $dup counter dup to "eth0"
	}
	chain in {
		type filter hook ingress device "eth0" priority 0; policy accept;
		numgen random mod 1000 < $loss counter drop
	}
}
EOF
	ip netns exec "$STP_LAN" nft -f - <<EOF
table netdev stpfault_$c {
	chain out {
		type filter hook egress device "c-$c" priority 0; policy accept;
		numgen random mod 1000 < $dup counter dup to "c-$c"
	}
}
EOF
}

# wire_fault_count CLIENT — "drops=N dups=N" the rules of wire_faults hit.
wire_fault_count() {
	local a b
	a=$(ip netns exec "$STP_P-$1" nft list table netdev stpfault 2>/dev/null || true)
	b=$(ip netns exec "$STP_LAN" nft list table netdev "stpfault_$1" 2>/dev/null || true)
	printf '%s\n%s\n' "$a" "$b" | awk '
		/counter packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") n = $(i + 1)
			if ($0 ~ / drop/) d += n; else if ($0 ~ /dup to/) u += n }
		END { printf "drops=%d dups=%d\n", d, u }'
}

# ---------------------------------------------------------------- crowds

# tftp_crowd_lab NNS — client namespaces cr01..crNNS (10.77.0.21...).
tftp_crowd_lab() {
	local i
	for ((i = 1; i <= $1; i++)); do
		tftp_client "$(printf 'cr%02d' "$i")" "10.77.0.$((20 + i))"
	done
	TFTP_CROWD_NS=$1
}

# _crowd_argv KIND NS FILE OUT — the command of one crowd client in CROWD_ARGV.
CROWD_ARGV=()
_crowd_argv() {
	local k=$1 ns=$2 f=$3 o=$4
	CROWD_ARGV=(ip netns exec "$ns" timeout 170)
	case $k in
	0) CROWD_ARGV+=(curl -sS --max-time 160 --tftp-blksize 512 -o "$o" "tftp://$TFTP_SRV/$f") ;;
	1) CROWD_ARGV+=(curl -sS --max-time 160 --tftp-blksize 1468 -o "$o" "tftp://$TFTP_SRV/$f") ;;
	2) CROWD_ARGV+=(tftp -m octet "$TFTP_SRV" -c get "$f" "$o") ;;
	3) CROWD_ARGV+=(atftp --option "blksize 1468" --option "windowsize 16" -g -r "$f"
		-l "$o" "$TFTP_SRV") ;;
	4) CROWD_ARGV+=("$TFTP_PY" "$TFTP_TOOL" get "$TFTP_SRV" "$f" "$o" blksize=1468
		windowsize=8 --deadline 160) ;;
	esac
}

# tftp_crowd TAG N SMALL BIG [CURLFILE] — N downloads at once, spread
# round-robin over the crowd namespaces, the clients in turn:
#   0 curl blksize 512 (SMALL)        1 curl blksize 1468 (BIG)
#   2 tftp-hpa octet, no options (SMALL)
#   3 atftp blksize 1468 windowsize 16 (BIG)
#   4 python3 blksize 1468 windowsize 8 (BIG)
# SMALL/BIG are names below the boot root; CURLFILE, if given, replaces
# them for both curl kinds (curl always sends a timeout option of at least
# 1 s, 5 s with --max-time 160, which the server must honour as its RTO
# (RFC 2349): on a lossy wire each loss costs curl that long). Each
# download's exit status and sha256 is checked against its source: one
# PASS/FAIL per client kind, the failures listed.
# atftp 0.8.0 aborts ("tftp: unexpected OACK") when an OACK arrives twice —
# duplicated on the wire, or resent by the server because the client's ACK
# 0 was lost, as RFC 2347 wants. Such a download is run again (at most 3
# times), after the crowd, and counted in CROWD_RETRIED; any other failure
# is final.
# Leaves CROWD_OK (downloads intact), CROWD_RETRIED, CROWD_SECS.
CROWD_OK=0
CROWD_RETRIED=0
CROWD_SECS=0
tftp_crowd() {
	local tag=$1 n=$2 small=$3 big=$4 cf=${5:-} root i k ns f o pids=() kinds=() files=()
	local t0 kname bad try
	root=$(tftp_root)
	mkdir -p "$STP_WORK/crowd.$tag"
	t0=$EPOCHREALTIME
	for ((i = 0; i < n; i++)); do
		k=$((i % 5))
		ns="$STP_P-$(printf 'cr%02d' $((i % TFTP_CROWD_NS + 1)))"
		o="$STP_WORK/crowd.$tag/$i"
		case $k in
		0 | 2) f=$small ;;
		*) f=$big ;;
		esac
		[[ -z "$cf" ]] || ((k > 1)) || f=$cf
		_crowd_argv "$k" "$ns" "$f" "$o"
		bg_start "$o.log" "${CROWD_ARGV[@]}"
		pids+=("$BG_PID")
		kinds+=("$k")
		files+=("$f")
	done
	declare -A nk=() nbad=() why=()
	CROWD_OK=0
	CROWD_RETRIED=0
	for ((i = 0; i < n; i++)); do
		tftp_bg_wait "${pids[i]}"
		k=${kinds[i]}
		o="$STP_WORK/crowd.$tag/$i"
		for try in 1 2 3; do
			if ((BG_RC == 0 || k != 3)) || ! grep -q 'unexpected OACK' "$o.log"; then break; fi
			note "$tag: #$i atftp aborted on a second OACK; again ($try)"
			CROWD_RETRIED=$((CROWD_RETRIED + 1))
			mv "$o.log" "$o.log.$try"
			ns="$STP_P-$(printf 'cr%02d' $((i % TFTP_CROWD_NS + 1)))"
			_crowd_argv "$k" "$ns" "${files[i]}" "$o"
			BG_RC=0
			"${CROWD_ARGV[@]}" >"$o.log" 2>&1 || BG_RC=$?
		done
		nk[$k]=$((${nk[$k]:-0} + 1))
		bad=""
		if ((BG_RC != 0)); then
			bad="#$i exit $BG_RC ($(tr '\n' ' ' <"$o.log" | head -c 120))"
		elif [[ "$(sha "$o")" != "$(sha "$root/${files[i]}")" ]]; then
			bad="#$i sha256 mismatch (size $(stat -c %s "$o" 2>/dev/null || echo -))"
		fi
		if [[ -n "$bad" ]]; then
			nbad[$k]=$((${nbad[$k]:-0} + 1))
			why[$k]+="$bad; "
		else
			CROWD_OK=$((CROWD_OK + 1))
		fi
	done
	CROWD_SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	for k in 0 1 2 3 4; do
		[[ -n "${nk[$k]:-}" ]] || continue
		case $k in
		0) kname="curl blksize 512 ${cf:-$small}" ;;
		1) kname="curl blksize 1468 ${cf:-$big}" ;;
		2) kname="tftp-hpa octet $small" ;;
		3) kname="atftp blksize 1468 windowsize 16 $big" ;;
		4) kname="python3 blksize 1468 windowsize 8 $big" ;;
		esac
		if [[ -z "${nbad[$k]:-}" ]]; then
			pass "$tag: ${nk[$k]} x $kname: all sha256 match"
		else
			fail "$tag: ${nk[$k]} x $kname" "${nbad[$k]} bad: $(head -c 700 <<<"${why[$k]}")"
		fi
	done
	note "$tag: $CROWD_OK of $n downloads intact in ${CROWD_SECS}s ($CROWD_RETRIED atftp retried)"
}

# ---------------------------------------------------------------- the tool

cat >"$TFTP_TOOL" <<'PYEOF'
"""tftptool: a TFTP client for the integration tests and the benchmark.
Sends only to the server address it is given, from inside a test namespace.

  get SERVER NAME OUT [k=v ...] [--mode M] [--rto S] [--dally S]
      [--pause-at N --mark F --go F] [--stray-at N] [--sport P]
        RRQ with options k=v (RFC 2347), windowed receive (RFC 7440: ACK
        the last block of each window, re-ACK the last in-order block on a
        gap or a timeout), 16-bit block rollover. Writes OUT, prints one
        "result=ok|error|timeout ..." line with bytes, sha256, oack, tid.
        --pause-at N: after ACKing block N touch F (--mark), wait for F
        (--go). --stray-at N: after block N send an ACK to the session's
        TID from a second socket; print what came back to it.
  edk2 SERVER NAME OUT   EDK2's pair: RRQ tsize=0 blksize=1468 windowsize=4,
        ERROR 8 after the OACK, then RRQ blksize=1468 windowsize=4 and the
        download. Prints "probe: ..." and the get result.
  raw SERVER PORT HEX [WAIT]   one datagram; prints each reply: from=, op=...
        (a DATA is answered by ERROR 0, an OACK by ERROR 8: session ended)
  flood SERVER NAME COUNT [BATCH [PACE]]   COUNT RRQs, each from its own
        source port, BATCH sockets open at a time, PACE sent back to back
        then 1 ms rest; tallies the first reply of each.
  multi SERVER NAME N OUTDIR [k=v ...]   N windowed gets in parallel
        threads, one line of result per get (for the benchmark).
"""
import hashlib, os, select, socket, struct, sys, threading, time


def rrq(name, mode="octet", opts=(), op=1):
    b = struct.pack("!H", op) + name.encode("latin-1") + b"\0" + mode.encode() + b"\0"
    for k, v in opts:
        b += k.encode() + b"\0" + str(v).encode() + b"\0"
    return b


def ack(n):
    return struct.pack("!HH", 4, n & 0xFFFF)


def error(code, msg):
    return struct.pack("!HH", 5, code) + msg.encode() + b"\0"


def parse_oack(p):
    parts = p[2:].split(b"\0")
    return {parts[i].decode("latin-1").lower(): parts[i + 1].decode("latin-1")
            for i in range(0, len(parts) - 1, 2)}


def describe(p):
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
    """One download; run() returns the result line."""

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


def parse_get_args(argv):
    opts, kw, i = [], {}, 0
    names = {"--mode": ("mode", str), "--rto": ("rto", float), "--dally": ("dally", float),
             "--pause-at": ("pause_at", int), "--mark": ("mark", str), "--go": ("go", str),
             "--stray-at": ("stray_at", int), "--sport": ("sport", int),
             "--deadline": ("deadline", float)}
    while i < len(argv):
        a = argv[i]
        if a in names:
            k, t = names[a]
            kw[k] = t(argv[i + 1])
            i += 2
            continue
        k, v = a.split("=", 1)
        opts.append((k, v))
        i += 1
    return opts, kw


def cmd_get(argv):
    server, name, out = argv[:3]
    opts, kw = parse_get_args(argv[3:])
    print(Get(server, name, out, opts, **kw).run())


def cmd_edk2(argv):
    server, name, out = argv[:3]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 0))
    s.settimeout(3.0)
    s.sendto(rrq(name, "octet", [("tsize", 0), ("blksize", 1468), ("windowsize", 4)]), (server, 69))
    try:
        p, a = s.recvfrom(70000)
        print("probe: from=%d %s" % (a[1], describe(p)))
        s.sendto(error(8, "User aborted the transfer"), a)
        # the server must stay quiet on that TID now; anything is printed
        s.settimeout(1.5)
        try:
            while True:
                p2, a2 = s.recvfrom(70000)
                print("after-abort: from=%d %s" % (a2[1], describe(p2)))
        except socket.timeout:
            pass
    except socket.timeout:
        print("probe: none")
    s.close()
    print(Get(server, name, out, [("blksize", 1468), ("windowsize", 4)]).run())


def cmd_raw(argv):
    server, port, hexdata = argv[0], int(argv[1]), argv[2]
    wait = float(argv[3]) if len(argv) > 3 else 1.5
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 0))
    s.sendto(bytes.fromhex(hexdata), (server, port))
    end, n = time.time() + wait, 0
    while True:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
        if not r:
            break
        p, a = s.recvfrom(70000)
        n += 1
        end = min(end, time.time() + 0.3)    # anything else comes right after
        print("from=%d %s" % (a[1], describe(p)))
        if describe(p).startswith("op=3"):
            s.sendto(error(0, "test done"), a)   # end the session politely
        elif describe(p).startswith("op=6"):
            s.sendto(error(8, "probe done"), a)
    if n == 0:
        print("none")


def cmd_flood(argv):
    import resource
    server, name, count = argv[0], argv[1], int(argv[2])
    batch = int(argv[3]) if len(argv) > 3 else 500
    # RRQs sent back to back, then 1 ms of rest: a burst larger than the
    # kernel's backlog (netdev_max_backlog, 1000) on the veth path would be
    # dropped before it reaches any server
    pace = int(argv[4]) if len(argv) > 4 else 100
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < batch + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, batch + 64), hard))
    tally, sent = {}, 0
    while sent < count:
        socks, first, poll = {}, {}, select.poll()
        for _ in range(min(batch, count - sent)):
            x = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            x.bind(("", 0))
            socks[x.fileno()] = x
            poll.register(x, select.POLLIN)
        for i, x in enumerate(socks.values()):
            x.sendto(rrq(name, "octet", [("blksize", 512)]), (server, 69))
            sent += 1
            if i % pace == pace - 1:
                time.sleep(0.001)
        end = time.time() + 1.0
        while len(first) < len(socks) and time.time() < end:
            for fd, _ in poll.poll(max(1, int((end - time.time()) * 1000))):
                p, a = socks[fd].recvfrom(70000)
                if fd in first:
                    continue
                d = describe(p).split()
                k = d[0] if d[0] != "op=5" else " ".join((d[0], d[1], d[3]))
                first[fd] = k
                tally[k] = tally.get(k, 0) + 1
        tally["none"] = tally.get("none", 0) + len(socks) - len(first)
        for x in socks.values():
            x.close()
    print("sent=%d" % sent)
    for k, v in sorted(tally.items()):
        if v:
            print("%d %s" % (v, k))


def cmd_multi(argv):
    server, name, n, outdir = argv[0], argv[1], int(argv[2]), argv[3]
    opts, kw = parse_get_args(argv[4:])
    res = [None] * n

    def one(i):
        res[i] = Get(server, name, os.path.join(outdir, "m%d" % i), opts, **kw).run()

    th = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    for r in res:
        print(r)


if __name__ == "__main__":
    cmds = {"get": cmd_get, "edk2": cmd_edk2, "raw": cmd_raw, "flood": cmd_flood,
            "multi": cmd_multi}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])
PYEOF
