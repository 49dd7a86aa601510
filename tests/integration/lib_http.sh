# shellcheck shell=bash
# shellcheck disable=SC2034  # variables for the scripts that source this
# shellcheck disable=SC2153  # STP_SRV, STP_LAN ... come from lib.sh
# SPDX-License-Identifier: BSD-3-Clause
#
# lib_http.sh — HTTP helpers for tests/integration/test_http_*.sh and
# tests/bench/bench_http.sh. Source it after lib.sh, which owns the lab,
# the server, the EXIT trap and the PASS/FAIL tally; this file also brings
# in lib_tftp.sh for its shared helpers (sha, assert_sha, wire_faults,
# wire_fault_count, ctr_sum, kv, tftp_client, tftp_config, tftp_bg_wait).
#
#   http_root                 boot root plus the files the HTTP tests fetch
#   http_config FILE          the lab config plus an http: block (HTTP_* knobs)
#   http_server_start         the server under test, answering on 10.77.0.1
#   http_nginx_start ROOT     nginx (sendfile on) in the srv namespace
#   http_wait_up SECONDS      poll until GET /boot.ipxe answers 200
#   hcurl CLIENT ARGS...      curl in CLIENT's namespace (-sS, time-limited)
#   http_py CLIENT ARGS...    the python3 HTTP tool (docstring below)
#   http_counters             SIGUSR1 snapshot into HTTP_CTRS (stampede only)
#   hctr NAME                 NAME summed over the "lcore N http:" lines
#   hdr_of NAME HEADERS       a header's value (case-insensitive) from curl -D
#   assert_sha_hex NAME WANT GOT   two sha256 hex strings equal
#
# Knobs:
#   HTTP_TARGET    stampede (default) or nginx: run the very same checks
#                  against nginx on a kernel address (a test of the tests;
#                  checks of stampede's own counters are skipped there)
#   HTTP_PORT      boot.http_port (default 80)
#   HTTP_MAX_CONNS HTTP_RX_BUF HTTP_HEAD_MS HTTP_IDLE_MS   http: keys
#   HTTP_MEMORY_MB (512) HTTP_CACHE_MB (320)   room for the 60 MB objects
#
# Client addresses: 10.77.0.11-10.77.0.99, below the DHCP pool.

if ! declare -F wire_faults >/dev/null; then
	# shellcheck source=tests/integration/lib_tftp.sh
	. "$(dirname "${BASH_SOURCE[0]}")/lib_tftp.sh"
fi

HTTP_TARGET=${HTTP_TARGET:-stampede}
HTTP_PORT=${HTTP_PORT:-80}
HTTP_SRV=${STP_ADDR:-10.77.0.1}
if ((HTTP_PORT == 80)); then HTTP_BASE="http://$HTTP_SRV"; else
	HTTP_BASE="http://$HTTP_SRV:$HTTP_PORT"; fi
HTTP_TOOL="$STP_WORK/httptool.py"
HTTP_CTRS=""
NGINX_PID=""

# on_stampede — are the checks running against stampede (not a dev peer)?
on_stampede() { [[ "$HTTP_TARGET" == stampede ]]; }

# http_root — lib_tftp.sh's root plus:
#   k1.bin 1024 B; f100k.bin 100000 B (ranges); f30m.bin 30 MiB;
#   f60m.bin 60 MB; page.html; data.json; dir/sub/deep.bin (from tftp_root)
# Sizes are odd on purpose: no object ends on a segment boundary by luck.
http_root() {
	local d
	d=$(tftp_root)
	if [[ ! -f "$d/f60m.bin" ]]; then
		head -c 1024 /dev/urandom >"$d/k1.bin"
		head -c 100000 /dev/urandom >"$d/f100k.bin"
		head -c $((30 * 1048576 + 7)) /dev/urandom >"$d/f30m.bin"
		head -c 60000013 /dev/urandom >"$d/f60m.bin"
		printf '<!doctype html>\n<title>stampede</title>\n<p>integration test page</p>\n' >"$d/page.html"
		printf '{"stampede": "integration test"}\n' >"$d/data.json"
		chmod -R a+rX "$d"
	fi
	echo "$d"
}

# http_config FILE — tftp_config (lab config, TFTP knobs) plus the http:
# block, more DPDK memory and cache for the large objects, and
# boot.http_port when HTTP_PORT is not 80.
http_config() {
	local f=$1 extra
	extra="http:
  enabled: true
  max_conns: ${HTTP_MAX_CONNS:-4096}
  rx_buf: ${HTTP_RX_BUF:-8192}
  head_timeout_ms: ${HTTP_HEAD_MS:-10000}
  idle_timeout_ms: ${HTTP_IDLE_MS:-60000}"
	[[ -z "${CFG_EXTRA:-}" ]] || extra+="
$CFG_EXTRA"
	CFG_EXTRA=$extra TFTP_MEMORY_MB=${HTTP_MEMORY_MB:-512} \
		TFTP_CACHE_MB=${HTTP_CACHE_MB:-320} tftp_config "$f"
	if ((HTTP_PORT != 80)); then
		awk -v p="$HTTP_PORT" '{ print } /^  script: / { print "  http_port: " p }' \
			"$f" >"$f.tmp"
		mv "$f.tmp" "$f"
	fi
}

# http_nginx_start ROOT [WORKERS] — nginx with its own config (sendfile on,
# long keep-alive, no access log) in the srv namespace on 10.77.0.1 (put on
# stp0 as a kernel address), pinned to CPU 1. NGINX_PID.
http_nginx_start() {
	local root=$1 workers=${2:-1} d="$STP_WORK/nginx" bin
	bin=$(command -v nginx || echo /usr/sbin/nginx)
	[[ -x "$bin" ]] || { say "nginx not installed"; return 1; }
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<EOF
# written by tests/integration/lib_http.sh for run $STP_P
user root;
worker_processes $workers;
daemon off;
master_process on;
pid $d/nginx.pid;
error_log $d/error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 16384; multi_accept on; }
http {
	access_log off;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	sendfile on;
	tcp_nopush on;
	keepalive_timeout ${HTTP_IDLE_MS:-60000}ms;
	keepalive_requests 10000000;
	client_header_timeout ${HTTP_HEAD_MS:-10000}ms;
	types {
		text/html html htm;
		text/plain txt ipxe cfg;
		application/json json;
	}
	default_type application/octet-stream;
	server {
		listen $HTTP_SRV:$HTTP_PORT backlog=4096;
		root $root;
		location = /api/v1/status {
			default_type application/json;
			return 200 '{"server": "nginx"}';
		}
	}
}
EOF
	ip -n "$STP_SRV" addr add "$HTTP_SRV/24" dev stp0 2>/dev/null || true
	bg_start "$d/nginx.out" ip netns exec "$STP_SRV" taskset -c 1 "$bin" -c "$d/nginx.conf"
	NGINX_PID=$BG_PID
}

# http_nginx_stop — stop the nginx started last; drop the kernel address.
http_nginx_stop() {
	[[ -n "$NGINX_PID" ]] || return 0
	bg_stop "$NGINX_PID" QUIT
	NGINX_PID=""
	ip -n "$STP_SRV" addr del "$HTTP_SRV/24" dev stp0 2>/dev/null || true
}

# http_wait_up SECONDS [CLIENT] — poll (1 s timeout each) until
# GET /boot.ipxe answers 200 from CLIENT's namespace.
http_wait_up() {
	local t=$1 c=${2:-} i code
	if [[ -z "$c" ]]; then
		c=$(ip netns list | sed -n "s/^$STP_P-\([^ ]*\).*/\1/p" | grep -vxE 'srv|lan' | head -n 1)
	fi
	for ((i = 0; i < t; i++)); do
		code=$(ip netns exec "$STP_P-$c" curl -s -m 1 -o /dev/null -w '%{http_code}' \
			"$HTTP_BASE/boot.ipxe" 2>/dev/null || true)
		[[ "$code" == 200 ]] && return 0
		sleep 0.5
	done
	return 1
}

# http_server_start [CLIENT] — the server under test (HTTP_TARGET), then
# wait until it answers HTTP from CLIENT. Returns 1 with a note if not.
http_server_start() {
	local cfg="$STP_WORK/stampede.yaml"
	if on_stampede; then
		http_config "$cfg"
		stp_start "$cfg" || return 1
	else
		http_nginx_start "$(http_root)" || return 1
	fi
	if ! http_wait_up 20 "${1:-}"; then
		say "no HTTP answer from $HTTP_TARGET at $HTTP_BASE after 10 s"
		on_stampede && tail -n 15 "$STP_LOG" | sed 's/^/    | /' >&2
		return 1
	fi
	note "$HTTP_TARGET answers HTTP at $HTTP_BASE"
}

# http_server_alive — is the server under test still running?
http_server_alive() {
	if on_stampede; then stp_alive; else kill -0 "$NGINX_PID" 2>/dev/null; fi
}

# http_server_stop — stop it; for stampede, SIGTERM and check status 0.
http_server_stop() {
	if on_stampede; then
		stp_stop
		assert_eq "SIGTERM: exit status" 0 "$STP_RC"
	else
		http_nginx_stop
	fi
}

# hcurl CLIENT ARGS... — curl in CLIENT's namespace, 60 s at most.
hcurl() {
	local c=$1
	shift
	ip netns exec "$STP_P-$c" timeout 130 curl -sS --max-time "${HCURL_MAX:-60}" "$@"
}

# http_py CLIENT ARGS... — the python3 tool in CLIENT's namespace.
http_py() {
	local c=$1
	shift
	ip netns exec "$STP_P-$c" timeout 150 "$TFTP_PY" "$HTTP_TOOL" "$@"
}

# hdr_of NAME HEADERS — the value of header NAME in a curl -D dump (last
# response), CR and surrounding blanks removed; empty if absent.
hdr_of() {
	tr -d '\r' <<<"$2" | awk -v n="$1" '
		BEGIN { n = tolower(n) }
		/^HTTP\// { v = "" }
		{ i = index($0, ":"); if (i > 0 && tolower(substr($0, 1, i - 1)) == n) {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v) } }
		END { print v }'
}

# assert_sha_hex NAME WANT_FILE SHA_HEX — a sha256 printed by a tool.
assert_sha_hex() {
	local want
	want=$(sha "$2")
	if [[ "$want" == "$3" ]]; then pass "$1"; else
		fail "$1" "sha256 $3 != source $want"; fi
}

# http_counters [CLIENT] — counter snapshot (stampede only; empty on a dev
# peer): SIGUSR1 output into HTTP_CTRS and, fetched from CLIENT (default
# the first client), GET /api/v1/status into HTTP_JSON.
HTTP_JSON=""
http_counters() {
	local c=${1:-}
	HTTP_CTRS=""
	HTTP_JSON=""
	on_stampede || return 0
	HTTP_CTRS=$(stp_counters) || return 1
	if [[ -z "$c" ]]; then
		c=$(ip netns list | sed -n "s/^$STP_P-\([^ ]*\).*/\1/p" | grep -vxE 'srv|lan' | head -n 1)
	fi
	HTTP_JSON=$(ip netns exec "$STP_P-$c" curl -s -m 3 "$HTTP_BASE/api/v1/status" || true)
}

# hctr NAME [TEXT] — NAME (tcp_* for the TCP counters) summed over the
# "lcore N http:" lines of the last snapshot (or of TEXT, an earlier HTTP_CTRS); if those do not name
# it, summed over every "NAME": number in the status JSON (at any depth).
# Empty when neither has it.
hctr() {
	local text=${2-$HTTP_CTRS}
	# the TCP counters (tcp_NAME) are printed only when non-zero
	if grep -F ' http: ' <<<"$text" | tr ' ' '\n' | grep -q "^$1=" ||
		{ [[ "$1" == tcp_* ]] && grep -qF ' http: ' <<<"$text"; }; then
		ctr_sum ' http: ' "$1" "$text"
		return 0
	fi
	[[ -z "${2+x}" ]] || { echo 0; return 0; }
	"$TFTP_PY" -c '
import json, sys
def walk(o, k):
    if isinstance(o, dict):
        return sum((v if kk == k and isinstance(v, (int, float)) else walk(v, k))
                   for kk, v in o.items())
    if isinstance(o, list):
        return sum(walk(v, k) for v in o)
    return 0
try:
    d = json.loads(sys.argv[2])
except ValueError:
    sys.exit(0)
if ("\"%s\"" % sys.argv[1]) in sys.argv[2]:
    print("%d" % walk(d, sys.argv[1]))' "$1" "$HTTP_JSON"
}

# assert_ctr_gt NAME COUNTER MIN — stampede's counter > MIN; skipped (a
# note, no check) on a dev peer; FAIL when no snapshot names the counter.
assert_ctr_gt() {
	local v
	on_stampede || { note "$1: skipped on $HTTP_TARGET"; return 0; }
	v=$(hctr "$2")
	if [[ -z "$v" ]]; then
		fail "$1" "counter $2 neither in the SIGUSR1 output ($(grep -F ' http: ' <<<"$HTTP_CTRS" | head -c 300)) nor in /api/v1/status ($(head -c 300 <<<"$HTTP_JSON"))"
	elif ((v > $3)); then pass "$1 ($2=$v)"; else fail "$1" "$2=$v, want > $3"; fi
}

# ---------------------------------------------------------------- the tool

cat >"$HTTP_TOOL" <<'PYEOF'
"""httptool: raw HTTP/TCP clients for the integration tests. Connects only
to the server address it is given, from inside a test namespace.

  raw HOST PORT REQ [--wait S] [--nobody N] [--split K] [--gap S]
        Send REQ (Python escapes: \\r\\n, \\x00) on one connection, then read
        until the server closes or S seconds (default 3) pass. Prints one
        "resp status= len= sha256= hdr.<name>=<value>..." line per response
        parsed (bodies framed by Content-Length; the first N responses
        have no body: HEAD), then "end closed=yes|no first=S close=S
        bytes=N". --split K: send REQ in K pieces --gap S apart.
  hold HOST PORT N SECS PARTIAL
        Open N connections, send PARTIAL (escapes) on each, hold them up to
        SECS s; print "held= closed= first_close= last_close= answers=" (the
        first bytes of each answer, tallied).
  endless HOST PORT PREFIX TOTAL
        Send PREFIX then 'a' bytes, 4 KiB at a time, up to TOTAL bytes or
        until the server answers or closes; print "sent=N" and the raw
        line's output.
  stall HOST PORT PATH OUT RCVBUF AFTER PAUSE
        GET PATH with SO_RCVBUF=RCVBUF (set before connect, so the window
        is small), read AFTER body bytes, sleep PAUSE s without reading
        (the window closes), read the rest. Prints "status= bytes= sha256=
        secs= paused=".
  synflood SRC DST PORT SECS
        TCP SYNs from SRC with random source ports and sequence numbers to
        DST:PORT through a raw socket, as fast as python goes for SECS s.
        Prints "sent=N pps=N".
"""
import codecs, hashlib, os, random, select, socket, struct, sys, time


def unesc(s):
    return codecs.escape_decode(s.encode("latin-1"))[0]


def parse_responses(data, nobody):
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
    lines, rest = parse_responses(data, nobody)
    for l in lines:
        print(l)
    if rest:
        print("trailing bytes=%d start=%r" % (len(rest), rest[:40]))
    print("end closed=%s first=%s close=%s bytes=%d" % (
        "yes" if closed is not None else "no",
        "%.2f" % first if first is not None else "-",
        "%.2f" % closed if closed is not None else "-", len(data)))


def opts(argv, names):
    kw, rest, i = {}, [], 0
    while i < len(argv):
        if argv[i] in names:
            kw[argv[i][2:]] = names[argv[i]](argv[i + 1])
            i += 2
        else:
            rest.append(argv[i])
            i += 1
    return kw, rest


def cmd_raw(argv):
    kw, rest = opts(argv, {"--wait": float, "--nobody": int, "--split": int, "--gap": float})
    host, port, req = rest[0], int(rest[1]), unesc(rest[2])
    s = socket.create_connection((host, port), timeout=5)
    t0 = time.time()
    k = kw.get("split", 1)
    step = max(1, -(-len(req) // k))
    data, first, closed = b"", None, None
    for i in range(0, len(req), step):
        try:
            s.sendall(req[i:i + step])
        except (ConnectionResetError, BrokenPipeError):
            closed = time.time() - t0
            break
        if i + step >= len(req):
            break
        # between pieces, listen: the server may answer or close meanwhile
        end = time.time() + kw.get("gap", 0.1)
        while closed is None and time.time() < end:
            r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
            if not r:
                break
            try:
                d = s.recv(1 << 20)
            except ConnectionResetError:
                d = b""
            if not d:
                closed = time.time() - t0
                break
            if first is None:
                first = time.time() - t0
            data += d
        if closed is not None:
            break
    if closed is None:
        more, f2, closed = read_all(s, t0, kw.get("wait", 3.0))
        data += more
        first = first if first is not None else f2
    report(data, first, closed, kw.get("nobody", 0))


def cmd_hold(argv):
    host, port, n, secs, partial = argv[0], int(argv[1]), int(argv[2]), float(argv[3]), unesc(argv[4])
    socks, t0 = [], time.time()
    for _ in range(n):
        x = socket.create_connection((host, port), timeout=5)
        x.sendall(partial)
        x.setblocking(False)
        socks.append(x)
    print("opened=%d in %.2f s" % (n, time.time() - t0))
    sys.stdout.flush()
    closed, answers = {}, {}
    end = t0 + secs
    while time.time() < end and len(closed) < n:
        r, _, _ = select.select([x for x in socks if x.fileno() not in closed], [], [], 0.1)
        for x in r:
            try:
                d = x.recv(65536)
            except ConnectionResetError:
                d = b""
            if d:
                answers.setdefault(x.fileno(), d[:12].decode("latin-1"))
            else:
                closed[x.fileno()] = time.time() - t0
    ts = sorted(closed.values())
    st = {}
    for a in answers.values():
        st[a] = st.get(a, 0) + 1
    print("held=%d closed=%d first_close=%s last_close=%s answers=%s" % (
        n, len(ts), "%.2f" % ts[0] if ts else "-", "%.2f" % ts[-1] if ts else "-",
        ",".join("%s:%d" % (k.replace(" ", "_"), v) for k, v in sorted(st.items())) or "-"))
    for x in socks:
        x.close()


def cmd_endless(argv):
    host, port, prefix, total = argv[0], int(argv[1]), unesc(argv[2]), int(argv[3])
    s = socket.create_connection((host, port), timeout=5)
    t0 = time.time()
    sent = 0
    s.sendall(prefix)
    sent += len(prefix)
    s.setblocking(False)
    data = b""
    while sent < total:
        try:
            d = s.recv(65536)
            if not d:
                break
            data += d
            break
        except BlockingIOError:
            pass
        except (ConnectionResetError, BrokenPipeError):
            break
        try:
            sent += s.send(b"a" * min(4096, total - sent))
        except BlockingIOError:
            time.sleep(0.01)
        except (ConnectionResetError, BrokenPipeError):
            break
    print("sent=%d" % sent)
    s.setblocking(True)
    more, first, closed = read_all(s, t0, 3.0)
    report(data + more, first if not data else 0.0, closed, 0)


def cmd_stall(argv):
    host, port, path, out = argv[0], int(argv[1]), argv[2], argv[3]
    rcvbuf, after, pause = int(argv[4]), int(argv[5]), float(argv[6])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(30)
    s.connect((host, port))
    t0 = time.time()
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    head, _, body = buf.partition(b"\r\n\r\n")
    status = head.split(b" ")[1].decode() if head.startswith(b"HTTP/") else "none"
    clen = -1
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            clen = int(line.split(b":", 1)[1])
    h = hashlib.sha256()
    n, paused = 0, 0.0
    with open(out, "wb") as f:
        def take(b):
            nonlocal n
            f.write(b)
            h.update(b)
            n += len(b)
        take(body)
        while clen < 0 or n < clen:
            if paused == 0.0 and n >= after:
                p0 = time.time()
                time.sleep(pause)
                paused = time.time() - p0
            try:
                d = s.recv(min(65536, max(1, (clen - n) if clen >= 0 else 65536)))
            except socket.timeout:
                break
            if not d:
                break
            take(d)
    print("status=%s clen=%d bytes=%d sha256=%s secs=%.2f paused=%.2f" % (
        status, clen, n, h.hexdigest(), time.time() - t0, paused))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def cmd_synflood(argv):
    src, dst, port, secs = argv[0], argv[1], int(argv[2]), float(argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.bind((src, 0))
    sa, da = socket.inet_aton(src), socket.inet_aton(dst)
    rnd = random.Random(4242)
    # pre-built SYNs, cycled:
    # the per-packet cost is then one sendto
    pkts = []
    for _ in range(4096):
        sport = rnd.randrange(1024, 65536)
        # MSS 1460, NOP NOP SACK-permitted, NOP window scale 7: 12 bytes
        opt = struct.pack("!BBH", 2, 4, 1460) + b"\x01\x01\x04\x02" + b"\x01\x03\x03\x07"
        assert len(opt) % 4 == 0
        hdr = struct.pack("!HHIIBBHHH", sport, port, rnd.getrandbits(32), 0,
                          (5 + len(opt) // 4) << 4, 0x02, 64240, 0, 0) + opt
        ph = sa + da + struct.pack("!BBH", 0, 6, len(hdr))
        c = csum(ph + hdr)
        pkts.append(hdr[:16] + struct.pack("!H", c) + hdr[18:])
    t0 = time.time()
    end, n, addr = t0 + secs, 0, (dst, 0)
    while time.time() < end:
        for p in pkts[(n % 4096):(n % 4096) + 256]:
            try:
                s.sendto(p, addr)
            except (BlockingIOError, OSError):
                pass
            n += 1
    dt = time.time() - t0
    print("sent=%d pps=%d" % (n, n / dt))


if __name__ == "__main__":
    cmds = {"raw": cmd_raw, "hold": cmd_hold, "endless": cmd_endless, "stall": cmd_stall,
            "synflood": cmd_synflood}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])
PYEOF
