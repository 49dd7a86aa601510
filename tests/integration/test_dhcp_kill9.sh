#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# No ACKed lease is lost (docs/design.md, "Leases: persisted before
# acknowledged"): ISC perfdhcp storms the server with STORM_CLIENTS
# relayed clients (distinct MACs) at STORM_RATE exchanges/s; tcpdump in the
# generator's namespace records every ACK that reaches it; STORM_KILL_S
# seconds in, the server is killed with SIGKILL. Restarted on the same
# database, it must still hold every (MAC, address) an ACK announced, for
# that MAC (its lease table: what the restart loaded), and a second storm
# of new MACs must not get one of those addresses.
#
# The pool is sized so that none of that is luck: after a restart the
# server hands out never-used addresses first, in address order, so an
# acknowledged lease that was not persisted is exactly what the second
# storm's clients would get.
#
#   STORM_RATE (15000) STORM_CLIENTS (100000) STORM_KILL_S (4)
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

RATE=${STORM_RATE:-15000}
CLIENTS=${STORM_CLIENTS:-100000}
KILL_S=${STORM_KILL_S:-4}
SRV_IP=10.76.0.1
GEN_IP=10.76.0.10

command -v perfdhcp >/dev/null || { say "perfdhcp missing (tools/setup.sh: kea-admin)"; exit 1; }

lab_up
lab_add_client perf
nsx perf ip addr add "$GEN_IP/15" dev eth0

# a /15 around the server: 130,814 dynamic addresses for 100,000 clients;
# lcore 0 control, lcore 1 the worker, as tests/bench/bench_dhcp.sh runs it
cfg="$STP_WORK/stampede.yaml"
db="$STP_WORK/db/leases.sqlite"
CFG_ADDRESS=$SRV_IP/15 CFG_POOL=10.76.1.0-10.77.255.254 CFG_ROUTER=$SRV_IP CFG_LEASE=3600 \
	CFG_LCORES=0-1 CFG_DB="$db" stp_write_config "$cfg" server
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

# storm NAME BASE_MAC SECONDS — perfdhcp (relayed: giaddr = GEN_IP, answers
# come to its UDP 67) against the server while tcpdump keeps the ACKs that
# reach the generator (udp[248..250]: option 53, first in stampede's
# replies, = 5); the capture is in <work>/NAME.pcap, perfdhcp's report in
# <work>/NAME.txt. Leaves the perfdhcp and tcpdump PIDs in STORM_PIDS.
STORM_PIDS=()
storm_start() {
	local name=$1 base=$2 secs=$3 log="$STP_WORK/$1.pcap.log"
	bg_start "$log" ip netns exec "$STP_P-perf" tcpdump -n -U -B 32768 -s 300 -i eth0 \
		-w "$STP_WORK/$name.pcap" "udp and src host $SRV_IP and src port 67 and udp[248] = 53 and udp[250] = 5"
	STORM_PIDS=("$BG_PID")
	wait_for 10 grep -q 'listening on' "$log" || { say "tcpdump did not start: $(cat "$log")"; return 1; }
	bg_start "$STP_WORK/$name.txt" ip netns exec "$STP_P-perf" perfdhcp -4 -l eth0 \
		-r "$RATE" -R "$CLIENTS" -b "mac=$base" -p "$secs" -W 2000000 -s 1
	STORM_PIDS+=("$BG_PID")
}
storm_stop() {
	bg_stop "${STORM_PIDS[1]}" INT 5
	sleep 0.5 # what is on the wire reaches tcpdump
	bg_stop "${STORM_PIDS[0]}" INT 5
}

# ---------------------------------------------------------------- the storm

storm_start storm1 00:0c:01:00:00:00 30 || { fail capture "tcpdump"; stp_finish; }
sleep "$KILL_S"
stp_kill9
kill_t=$(date +%s)
storm_stop
note "server killed ${KILL_S}s into the storm"

python3 "$STP_ROOT/tests/tools/dhcp_acks.py" "$STP_WORK/storm1.pcap" | sort -u >"$STP_WORK/acked1.txt"
n_ack_pkts=$(python3 "$STP_ROOT/tests/tools/dhcp_acks.py" "$STP_WORK/storm1.pcap" | wc -l)
n_acked=$(wc -l <"$STP_WORK/acked1.txt")
note "ACKs captured before the kill: $n_ack_pkts ($n_acked distinct MAC/address pairs)"
if ((n_acked >= 2000)); then pass "storm: at least 2,000 clients ACKed before the kill ($n_acked)"; else
	fail "storm: at least 2,000 clients ACKed before the kill" "only $n_acked (perfdhcp: $(grep -a 'received packets' "$STP_WORK/storm1.txt" | tr '\n' ' '))"; fi
dup=$(awk '{ print $2 }' "$STP_WORK/acked1.txt" | sort | uniq -d | wc -l)
assert_eq "storm: no address ACKed to two MACs" 0 "$dup"

# ---------------------------------------------------------------- restart

if stp_start "$cfg"; then pass "restart after SIGKILL mid-storm"; else
	fail "restart after SIGKILL mid-storm" "server did not come back"; stp_finish; fi
restored=$(grep -ao 'restored [0-9]* leases from the database ([0-9]* refused)' "$STP_LOG" || true)
note "$restored"
assert_match "restart: no stored lease refused" "$restored" '\(0 refused\)$'
n_restored=$(sed -n 's/^restored \([0-9]*\) .*/\1/p' <<<"$restored")
if ((${n_restored:-0} >= n_acked)); then pass "restart: restored at least every ACKed lease ($n_restored >= $n_acked)"; else
	fail "restart: restored at least every ACKed lease" "restored ${n_restored:-none}, $n_acked ACKed"; fi

# The lease table the restart loaded: "mac address state expires".
sqlite3 -separator ' ' "file:$db?mode=ro" \
	"SELECT mac, (ip >> 24) || '.' || ((ip >> 16) & 255) || '.' || ((ip >> 8) & 255) || '.' || (ip & 255),
	        state, expires FROM leases" >"$STP_WORK/db1.txt"
# every ACKed (MAC, address) bound to that MAC past the kill; list the rest
awk -v now="$kill_t" 'NR == FNR { ok[$1 " " $2] = ($3 == 1 && $4 > now); next }
	!ok[$1 " " $2] { print }' "$STP_WORK/db1.txt" "$STP_WORK/acked1.txt" >"$STP_WORK/lost.txt"
n_lost=$(wc -l <"$STP_WORK/lost.txt")
note "ACKed before the kill and not leased to that MAC after it: $n_lost of $n_acked"
assert_eq "restart: every ACKed (MAC, address) still leased to that MAC" 0 "$n_lost"
((n_lost == 0)) || note "first lost: $(head -n 3 "$STP_WORK/lost.txt" | tr '\n' '|')"

# ---------------------------------------------------------------- new clients

# Other MACs, a few seconds of storm against the restarted server.
storm_start storm2 00:0c:02:00:00:00 3 || { fail capture "tcpdump"; stp_finish; }
wait_for 15 bash -c "! kill -0 ${STORM_PIDS[1]} 2>/dev/null" || true
storm_stop
python3 "$STP_ROOT/tests/tools/dhcp_acks.py" "$STP_WORK/storm2.pcap" | sort -u >"$STP_WORK/acked2.txt"
n_new=$(wc -l <"$STP_WORK/acked2.txt")
note "new clients ACKed after the restart: $n_new"
if ((n_new >= 1000)); then pass "new clients: at least 1,000 ACKed after the restart ($n_new)"; else
	fail "new clients: at least 1,000 ACKed after the restart" "only $n_new"; fi
awk 'NR == FNR { mac[$2] = $1; next } ($2 in mac) && mac[$2] != $1 { print }' \
	"$STP_WORK/acked1.txt" "$STP_WORK/acked2.txt" >"$STP_WORK/taken.txt"
n_taken=$(wc -l <"$STP_WORK/taken.txt")
assert_eq "new clients: none got an address ACKed to another MAC before the kill" 0 "$n_taken"
((n_taken == 0)) || note "first taken: $(head -n 3 "$STP_WORK/taken.txt" | tr '\n' '|')"

# the counters of the held ACKs are there and add up
ctr=$(stp_counters)
held=$(grep -ao ' ack_held=[0-9]*' <<<"$ctr" | cut -d= -f2 || true)
rel=$(grep -ao ' ack_released=[0-9]*' <<<"$ctr" | cut -d= -f2 || true)
note "restarted server: ack_held=${held:-0} ack_released=${rel:-0}"
if ((${rel:-0} >= n_new && ${held:-0} >= ${rel:-0})); then pass "counters: ack_held >= ack_released >= ACKs seen"; else
	fail "counters: ack_held >= ack_released >= ACKs seen" "held ${held:-0} released ${rel:-0} seen $n_new"; fi

if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
