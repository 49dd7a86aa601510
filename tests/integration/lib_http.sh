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
#   http_py CLIENT CMD ARGS...  tests/tools/http_CMD.py in CLIENT's namespace
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

# http_py CLIENT CMD ARGS... — the HTTP client tests/tools/http_CMD.py (raw,
# hold, endless, stall; usage in each file's docstring) in CLIENT's
# namespace, 150 s at most.
http_py() {
	local c=$1 cmd=$2
	shift 2
	ip netns exec "$STP_P-$c" timeout 150 "$TFTP_PY" "$STP_ROOT/tests/tools/http_$cmd.py" "$@"
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
	"$TFTP_PY" "$STP_ROOT/tests/tools/json_sum.py" "$1" "$HTTP_JSON"
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
