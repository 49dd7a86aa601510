#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# HTTP/TCP through a bad wire and bad clients (docs/design.md "Faults on
# the wire"; this kernel has no netem):
#   - a 60 MB download with 2% random loss and 1% duplication in both
#     directions (nftables netdev hooks on the client's veth): sha256, the
#     faults really hit (nft counters), the server retransmitted;
#   - four parallel 30 MiB downloads through a 200 Mbit/s bottleneck with a
#     64 KB buffer (tbf on the bridge port towards the client): all intact,
#     aggregate above half the link rate;
#   - a client that stops reading (its window closes) for 5 s, then reads
#     the rest: intact, and the server probed the zero window;
#   - a SYN flood from one namespace (raw socket, its RSTs dropped so every
#     SYN leaves a half-open connection) while curl downloads from another:
#     every download intact, and the server sent SYN cookies.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_http.sh
. "$(dirname "$0")/lib_http.sh"

LOSS=20       # per mille
DUP=10
RATE_MBIT=200
PAR=4
FLOOD_S=10
# a small table so the flood fills it and the server must use cookies
HTTP_MAX_CONNS=${HTTP_MAX_CONNS:-256}

lab_up
tftp_client lossy 10.77.0.11
tftp_client slow 10.77.0.12
tftp_client stall 10.77.0.13
tftp_client good 10.77.0.14
tftp_client flood 10.77.0.15
root=$(http_root)
out="$STP_WORK/out"
mkdir -p "$out"

http_server_start good || { fail server-start "$HTTP_TARGET does not answer HTTP"; stp_finish; }
http_counters good || true
c0=$HTTP_CTRS

# dctr NAME — counter NAME since the start (stampede), from the last snapshot.
dctr() { echo $(($(hctr "$1") - $(hctr "$1" "$c0"))); }

# mbit BYTES SECS — megabits per second.
mbit() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? b * 8 / s / 1e6 : 0) }'; }

# ---- 60 MB, 2% loss, 1% duplication, both ways
# faults hit frames, not 64 KB GSO super-frames: no segmentation offload on
# the lossy client's path (stampede sends MSS-sized frames anyway; a kernel
# peer on stp0 would not)
nsx lossy ethtool -K eth0 tso off gso off gro off >/dev/null 2>&1 || true
nsx lan ethtool -K c-lossy tso off gso off gro off >/dev/null 2>&1 || true
on_stampede || nsx srv ethtool -K stp0 tso off gso off >/dev/null 2>&1 || true
for c in lossy slow stall good flood; do nsx "$c" ping -c 1 -W 2 "$HTTP_SRV" >/dev/null || true; done
wire_faults lossy "$LOSS" "$DUP"
t0=$EPOCHREALTIME
r=$(HCURL_MAX=150 hcurl lossy -o "$out/lossy" -w '%{http_code} %{size_download} %{speed_download}' \
	"$HTTP_BASE/f60m.bin" 2>&1 || true)
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
w=$(wire_fault_count lossy)
note "lossy 60 MB: curl '$r' in ${secs}s; wire: $w"
assert_eq "2% loss 1% dup: status" 200 "${r%% *}"
assert_sha "2% loss 1% dup: 60 MB sha256" "$root/f60m.bin" "$out/lossy"
x=$(kv "$w" drops)
if ((x > 500)); then pass "2% loss 1% dup: frames dropped on the wire ($x)"; else
	fail "2% loss 1% dup: frames dropped on the wire" "only $x"; fi
x=$(kv "$w" dups)
if ((x > 250)); then pass "2% loss 1% dup: frames duplicated on the wire ($x)"; else
	fail "2% loss 1% dup: frames duplicated on the wire" "only $x"; fi
note "2% loss 1% dup: goodput $(mbit "$(stat -c %s "$out/lossy" 2>/dev/null || echo 0)" "$secs") Mbit/s"
rm -f "$out/lossy"
ip netns exec "$STP_P-lossy" nft delete table netdev stpfault
ip netns exec "$STP_LAN" nft delete table netdev stpfault_lossy
if on_stampede; then
	http_counters good || true
	note "$(grep -F ' http: ' <<<"$HTTP_CTRS" || true)"
	x=$(($(dctr tcp_rexmit_fast) + $(dctr tcp_rexmit_sack) + $(dctr tcp_rexmit_rto)))
	if ((x > 0)); then pass "2% loss: the server retransmitted ($x: fast $(dctr tcp_rexmit_fast), sack $(dctr tcp_rexmit_sack), rto $(dctr tcp_rexmit_rto))"; else
		fail "2% loss: the server retransmitted" "rexmit_fast+rexmit_sack+rexmit_rto=$x"; fi
	x=$(dctr tcp_dup_segments)
	if ((x > 0)); then pass "1% dup: duplicate request segments seen ($x)"; else
		note "1% dup: dup_segments=$x (duplicated ACKs count as dup_acks: $(dctr tcp_dup_acks))"; fi
fi

# ---- bottleneck: 200 Mbit/s, 64 KB buffer, 4 parallel downloads
ip netns exec "$STP_LAN" tc qdisc add dev c-slow root tbf rate "${RATE_MBIT}mbit" burst 32kb limit 64kb
pids=()
t0=$EPOCHREALTIME
for ((i = 0; i < PAR; i++)); do
	bg_start "$out/slow.$i.log" ip netns exec "$STP_P-slow" timeout 120 curl -sS --max-time 110 \
		-o "$out/slow.$i" -w '%{http_code} %{speed_download}\n' "$HTTP_BASE/f30m.bin"
	pids+=("$BG_PID")
done
for p in "${pids[@]}"; do tftp_bg_wait "$p"; done
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
ok=0
bytes=0
for ((i = 0; i < PAR; i++)); do
	note "bottleneck #$i: $(tr '\n' ' ' <"$out/slow.$i.log")"
	[[ "$(sha "$out/slow.$i")" == "$(sha "$root/f30m.bin")" ]] && ok=$((ok + 1))
	bytes=$((bytes + $(stat -c %s "$out/slow.$i" 2>/dev/null || echo 0)))
	rm -f "$out/slow.$i"
done
agg=$(mbit "$bytes" "$secs")
q=$(ip netns exec "$STP_LAN" tc -s qdisc show dev c-slow | tr '\n' ' ' | tr -s ' ')
note "bottleneck: $PAR x 30 MiB in ${secs}s = $agg Mbit/s aggregate over a $RATE_MBIT Mbit/s link; tbf: $q"
assert_eq "bottleneck: $PAR parallel 30 MiB downloads intact" "$PAR" "$ok"
if ((agg * 2 > RATE_MBIT)); then pass "bottleneck: aggregate $agg Mbit/s > half of $RATE_MBIT"; else
	fail "bottleneck: aggregate above half the link" "$agg Mbit/s of $RATE_MBIT"; fi
ip netns exec "$STP_LAN" tc qdisc del dev c-slow root

# ---- zero window: stop reading for 5 s
r=$(http_py stall stall "$HTTP_SRV" "$HTTP_PORT" /f1m.bin "$out/stall" 4096 262144 5 || true)
note "zero window: $r"
assert_eq "zero window: status" 200 "$(kv "$r" status)"
assert_sha "zero window: sha256 after a 5 s stall" "$root/f1m.bin" "$out/stall"
if awk -v p="$(kv "$r" paused)" 'BEGIN { exit !(p >= 5) }'; then pass "zero window: the client paused 5 s"; else
	fail "zero window: the client paused 5 s" "$r"; fi
if on_stampede; then
	http_counters good || true
	x=$(dctr tcp_persist_probes)
	if ((x > 0)); then pass "zero window: the server sent zero-window probes ($x)"; else
		fail "zero window: the server sent zero-window probes" "persist_probes=$x"; fi
fi

# ---- SYN flood from one namespace, downloads from another
# the flooder's kernel must not answer the SYN-ACKs with RSTs (that would
# free the server's slots)
ip netns exec "$STP_P-flood" nft -f - <<'EOF'
table inet stpflood {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp flags & rst == rst counter drop
	}
	chain in {
		type filter hook input priority 0; policy accept;
		tcp flags & (syn | ack) == syn | ack counter
	}
}
EOF
code=$(hcurl good -o /dev/null -w '%{time_total}' "$HTTP_BASE/f1m.bin" 2>&1 || true)
note "before the flood: f1m.bin in ${code}s"
bg_start "$out/flood.log" ip netns exec "$STP_P-flood" timeout $((FLOOD_S + 20)) "$TFTP_PY" \
	"$STP_ROOT/tests/tools/tcp_synflood.py" 10.77.0.15 "$HTTP_SRV" "$HTTP_PORT" "$FLOOD_S"
fpid=$BG_PID
sleep 1
ok=0
n=0
tt=""
t0=$SECONDS
while ((SECONDS - t0 < FLOOD_S - 2)); do
	n=$((n + 1))
	r=$(HCURL_MAX=20 hcurl good -o "$out/flooded" -w '%{http_code} %{time_total}' "$HTTP_BASE/f1m.bin" 2>&1 || true)
	tt+="${r#* } "
	[[ "${r%% *}" == 200 && "$(sha "$out/flooded")" == "$(sha "$root/f1m.bin")" ]] && ok=$((ok + 1))
	rm -f "$out/flooded"
done
tftp_bg_wait "$fpid"
note "SYN flood: $(cat "$out/flood.log"); curl times during it: $tt"
note "flooder: $(ip netns exec "$STP_P-flood" nft list table inet stpflood | grep -o 'counter packets [0-9]*' | tr '\n' ' ')(RSTs dropped, SYN-ACKs seen)"
x=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$out/flood.log")
if ((${x:-0} > 20000)); then pass "SYN flood: $x SYNs sent"; else
	fail "SYN flood: SYNs sent" "${x:-none}: $(head -c 300 "$out/flood.log")"; fi
if ((n > 0 && ok == n)); then pass "SYN flood: $ok of $n downloads from another namespace intact"; else
	fail "SYN flood: downloads from another namespace" "$ok of $n intact"; fi
r=$(HCURL_MAX=20 hcurl good -o "$out/after" -w '%{http_code}' "$HTTP_BASE/f1m.bin" 2>&1 || true)
assert_eq "after the flood: GET" 200 "$r"
assert_sha "after the flood: body" "$root/f1m.bin" "$out/after"
if on_stampede; then
	http_counters good || true
	note "$(grep -F ' http: ' <<<"$HTTP_CTRS" || true)"
	x=$(dctr tcp_syncookies_sent)
	if ((x > 0)); then pass "SYN flood: the server sent SYN cookies ($x)"; else
		fail "SYN flood: the server sent SYN cookies" "syncookies_sent=$x (max_conns $HTTP_MAX_CONNS)"; fi
fi

if http_server_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
http_server_stop
stp_finish
