#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# HTTP under load: wrk with 32, then 256 kept-alive connections for 20 s
# each, from two client namespaces (half the connections each), against a
# 1 KiB object. wrk's Lua hook compares every body byte for byte with the
# file: zero mismatches, zero socket errors (connect, read, write, timeout)
# and zero non-2xx answers are required, and a floor of requests/s so a
# server that stalls most of the time fails too. Afterwards curl still
# downloads, and the server counted the connections.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_http.sh
. "$(dirname "$0")/lib_http.sh"

DUR=${WRK_SECS:-20}
MIN_RPS=${WRK_MIN_RPS:-500}

command -v wrk >/dev/null || { fail wrk "wrk not installed (apt-get install wrk)"; stp_finish; }

lab_up
tftp_client wa 10.77.0.11
tftp_client wb 10.77.0.12
root=$(http_root)
out="$STP_WORK/out"
mkdir -p "$out"

cat >"$out/check.lua" <<EOF
-- every body must equal the file, byte for byte
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
	local f = assert(io.open("$root/k1.bin", "rb"))
	want = f:read("*a")
	f:close()
	n, bad, badstatus = 0, 0, 0
end
function response(status, headers, body)
	n = n + 1
	if status ~= 200 then badstatus = badstatus + 1 end
	if body ~= want then bad = bad + 1 end
end
function done(summary, latency, requests)
	local t, b, s = 0, 0, 0
	for _, th in ipairs(threads) do
		t = t + th:get("n"); b = b + th:get("bad"); s = s + th:get("badstatus")
	end
	io.write(string.format("lua: responses=%d body_mismatch=%d non200=%d\n", t, b, s))
end
EOF

http_server_start wa || { fail server-start "$HTTP_TARGET does not answer HTTP"; stp_finish; }
http_counters wa || true
c0=$HTTP_CTRS

# wrk_run CONNS — wrk from wa and wb at once, CONNS/2 connections each.
wrk_run() {
	local n=$1 half=$(($1 / 2)) c pa pb o f a b d reqs=0 rps mism=0 non200=0 resp=0 errs
	for c in wa wb; do
		bg_start "$out/wrk.$n.$c" ip netns exec "$STP_P-$c" timeout $((DUR + 30)) \
			wrk -t 1 -c "$half" -d "${DUR}s" --timeout 5s -s "$out/check.lua" "$HTTP_BASE/k1.bin"
		[[ "$c" == wa ]] && pa=$BG_PID || pb=$BG_PID
	done
	tftp_bg_wait "$pa"
	tftp_bg_wait "$pb"
	for c in wa wb; do
		o="$out/wrk.$n.$c"
		note "wrk -c $half from $c: $(grep -E 'requests in|Requests/sec|Socket errors|Non-2xx|lua:' "$o" | tr '\n' '|')"
		f=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$o")
		reqs=$((reqs + ${f:-0}))
		f=$(sed -n 's/^lua: responses=\([0-9]*\) body_mismatch=\([0-9]*\) non200=\([0-9]*\)/\1 \2 \3/p' "$o")
		if [[ -z "$f" ]]; then
			fail "wrk -c $n: $c ran" "$(tail -n 5 "$o" | tr '\n' '|')"
			continue
		fi
		read -r a b d <<<"$f"
		resp=$((resp + a)); mism=$((mism + b)); non200=$((non200 + d))
		errs=$(grep -E 'Socket errors' "$o" || true)
		assert_eq "wrk -c $n: $c: no socket errors" "" "$errs"
		assert_eq "wrk -c $n: $c: no non-2xx/3xx" "" "$(grep -E 'Non-2xx' "$o" || true)"
	done
	assert_eq "wrk -c $n: every body equals the file" 0 "$mism"
	assert_eq "wrk -c $n: every status 200" 0 "$non200"
	rps=$((reqs / DUR))
	note "wrk -c $n: $reqs requests in ${DUR}s = $rps/s ($resp bodies checked)"
	if ((rps >= MIN_RPS)); then pass "wrk -c $n: $rps requests/s (floor $MIN_RPS)"; else
		fail "wrk -c $n: requests/s" "$rps, below the floor $MIN_RPS"; fi
}

wrk_run 32
wrk_run 256

code=$(hcurl wa -o "$out/after" -w '%{http_code}' "$HTTP_BASE/f1m.bin" 2>&1 || true)
assert_eq "after the load: curl GET" 200 "$code"
assert_sha "after the load: body" "$root/f1m.bin" "$out/after"

http_counters wa || true
note "$(grep -F ' http: ' <<<"$HTTP_CTRS" || true)"
if on_stampede; then
	x=$(($(hctr tcp_conn_opened) - $(hctr tcp_conn_opened "$c0")))
	if ((x >= 288)); then pass "counters: $x connections established (>= 32 + 256)"; else
		fail "counters: connections established" "$x, want >= 288"; fi
fi
assert_ctr_gt "counters: requests on kept-alive connections" keepalive_reuse 1000

if http_server_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
http_server_stop
stp_finish
