#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# HTTP admission (http.max_transfers, README "Configuration reference"):
# one worker with a budget of 2 large transfers.
#
#  1. Two rate-limited downloads hold both places. Meanwhile a GET and a
#     HEAD of a large object get 503 with Retry-After >= 1, while the
#     script, a 1 KiB file and a file just under http.large_object_kb are
#     served at once; wget -t 1 ends with a clean "ERROR 503" (exit 8, no
#     file written). Ending the two downloads frees both places.
#  2. 8 parallel `curl --retry 10` downloads of a 30 MiB file: all 8 are
#     intact (sha256), curl says it waited and retried, the server counted
#     503s and 8 completed transfers and has none left in flight.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_http.sh
. "$(dirname "$0")/lib_http.sh"

N=8
BIG=f30m.bin

on_stampede || { pass "admission is stampede's own: nothing to check on $HTTP_TARGET"; stp_finish; }
command -v wget >/dev/null || { fail wget "wget not installed"; stp_finish; }

lab_up
for ((i = 1; i <= N; i++)); do tftp_client "c$i" "10.77.0.$((20 + i))"; done
tftp_client ha 10.77.0.41
tftp_client hb 10.77.0.42
root=$(http_root)
out="$STP_WORK/out"
mkdir -p "$out"

# One worker, so the budget is the whole server's.
CFG_LCORES="0-1" CFG_EXTRA="  max_transfers: 2
  large_object_kb: 1024" http_server_start c1 ||
	{ fail server-start "stampede does not answer HTTP"; stp_finish; }

# in_flight — the transfers_in_flight gauge now (0 when not printed).
in_flight() {
	http_counters c1 >/dev/null 2>&1 || true
	local v
	v=$(hctr transfers_in_flight)
	echo "${v:-0}"
}
# shellcheck disable=SC2317  # called through wait_for
in_flight_is() { [[ "$(in_flight)" == "$1" ]]; }

# ---- 1. a full budget

for c in ha hb; do
	bg_start "$out/hold.$c" ip netns exec "$STP_P-$c" timeout 120 \
		curl -sS --limit-rate 1M -o "$out/hold.$c.bin" "$HTTP_BASE/$BIG"
	[[ "$c" == ha ]] && hold_a=$BG_PID || hold_b=$BG_PID
done
if wait_for 20 in_flight_is 2; then pass "two rate-limited downloads hold both places"; else
	fail "two downloads hold both places" "transfers_in_flight=$(in_flight)"; fi

hdrs=$(hcurl c1 -o "$out/refused.bin" -D - -w 'code=%{http_code}\n' "$HTTP_BASE/$BIG" || true)
assert_contains "GET of a large object past the budget: 503" "$hdrs" "code=503"
ra=$(hdr_of Retry-After "$hdrs")
if [[ "$ra" =~ ^[0-9]+$ ]] && ((ra >= 1 && ra <= 60)); then pass "503 carries Retry-After: $ra"; else
	fail "503 carries Retry-After" "Retry-After \"$ra\" in: $(tr -d '\r' <<<"$hdrs" | tr '\n' '|')"; fi
assert_eq "the 503 keeps the connection (no Connection: close)" "" "$(hdr_of Connection "$hdrs")"
hdrs=$(hcurl c2 -I -w 'code=%{http_code}\n' "$HTTP_BASE/$BIG" || true)
assert_contains "HEAD of a large object past the budget: 503" "$hdrs" "code=503"

for f in boot.ipxe k1.bin f1m.bin; do
	code=$(hcurl c3 -o "$out/small.$f" -w '%{http_code}' "$HTTP_BASE/$f" || true)
	if [[ "$code" == 200 ]]; then assert_sha "$f served while the budget is full" "$root/$f" "$out/small.$f"
	else fail "$f served while the budget is full" "HTTP $code"; fi
done

rc=0
ip netns exec "$STP_P-c4" timeout 30 wget -t 1 -O "$out/wget.bin" "$HTTP_BASE/$BIG" \
	>"$out/wget.log" 2>&1 || rc=$?
assert_eq "wget -t 1 against a 503: exit 8 (server error response)" 8 "$rc"
assert_contains "wget says 503" "$(cat "$out/wget.log")" "503 Service Unavailable"
size=$(stat -c %s "$out/wget.bin" 2>/dev/null || echo 0)
assert_eq "wget wrote no body of the 503 into the file" 0 "$size"

http_counters c1 || true
assert_ctr_gt "the refusals are counted" admission_503 1

bg_stop "$hold_a"
bg_stop "$hold_b"
if wait_for 20 in_flight_is 0; then pass "closing the downloads frees their places"; else
	fail "closing the downloads frees their places" "transfers_in_flight=$(in_flight)"; fi
http_counters c1 || true
base503=$(hctr admission_503)
basedone=$(hctr transfers_done)

# ---- 2. eight clients that retry

pids=()
for ((i = 1; i <= N; i++)); do
	# no --retry-delay: curl then waits what Retry-After says
	bg_start "$out/curl.$i" ip netns exec "$STP_P-c$i" timeout 240 \
		curl --no-progress-meter --retry 10 --max-time 200 -o "$out/dl.$i.bin" \
		-w 'code=%{http_code}\n' "$HTTP_BASE/$BIG"
	pids+=("$BG_PID")
done
t0=$(date +%s.%N)
ok=0
retried=0
for ((i = 1; i <= N; i++)); do
	tftp_bg_wait "${pids[$((i - 1))]}"
	if ((BG_RC == 0)) && grep -q 'code=200' "$out/curl.$i"; then ok=$((ok + 1)); else
		note "client $i: exit $BG_RC: $(tr '\n' '|' <"$out/curl.$i" | head -c 300)"; fi
	grep -q 'Will retry' "$out/curl.$i" && retried=$((retried + 1))
done
secs=$(echo "$(date +%s.%N) - $t0" | bc)
assert_eq "all $N curl --retry downloads end with 200" "$N" "$ok"
for ((i = 1; i <= N; i++)); do
	assert_sha "download $i intact" "$root/$BIG" "$out/dl.$i.bin"
done
if ((retried >= 1)); then pass "curl waited and retried ($retried of $N clients)"; else
	fail "curl waited and retried" "no \"Will retry\" in any curl output"; fi
note "example: $(grep -h 'Will retry' "$out"/curl.* | head -n 1)"
note "$N downloads of 30 MiB through a budget of 2 in ${secs} s"

http_counters c1 || true
n503=$(($(hctr admission_503) - ${base503:-0}))
ndone=$(($(hctr transfers_done) - ${basedone:-0}))
if ((n503 >= N - 2)); then pass "503s counted for the storm ($n503)"; else
	fail "503s counted for the storm" "admission_503 grew by $n503, want >= $((N - 2))"; fi
if ((ndone >= N)); then pass "every download a completed transfer ($ndone)"; else
	fail "every download a completed transfer" "transfers_done grew by $ndone, want >= $N"; fi
if wait_for 10 in_flight_is 0; then pass "no transfer left in flight"; else
	fail "no transfer left in flight" "transfers_in_flight=$(in_flight)"; fi
json503=$(grep -o '"admission_503": *[0-9]*' <<<"$HTTP_JSON" | grep -o '[0-9]*$' | paste -sd+ | bc)
if [[ "$json503" =~ ^[0-9]+$ ]] && ((json503 > 0)); then pass "/api/v1/status shows admission_503=$json503"; else
	fail "/api/v1/status shows admission_503" "got \"$json503\" from $(head -c 200 <<<"$HTTP_JSON")"; fi

http_server_stop
stp_finish
