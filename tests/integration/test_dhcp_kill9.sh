#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# No ACKed lease is lost (docs/design.md, "Leases: persisted before
# acknowledged"). ISC perfdhcp storms the server with STORM_CLIENTS
# relayed clients (distinct MACs) at STORM_RATE exchanges/s; tcpdump in the
# generator's namespace records every ACK that reaches it; STORM_KILL_S
# seconds in, the server is killed with SIGKILL. Restarted on the same
# database, it must still hold every (MAC, address) an ACK announced, for
# that MAC (its lease table: what the restart loaded). Twice:
#
#  1. the store keeps up as well as it can: a storm and a kill;
#  2. the store stalls (another process holds the database's write lock
#     for the last three seconds before the kill): no ACK may leave after
#     that, OFFERs stop once DHCP_PERSIST_SOFT (2,048) leases wait, and
#     still nothing ACKed is lost;
#
# then a storm of new MACs must get none of the addresses ACKed before.
# The pool is sized so that none of that is luck: after a restart the
# server hands out never-used addresses first, in address order, so an
# acknowledged lease that was not persisted is exactly what the new
# clients would get.
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
TOOLS="$STP_ROOT/tests/tools"

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

# storm_start NAME BASE_MAC SECONDS — perfdhcp (relayed: giaddr = GEN_IP,
# answers come to its UDP 67) against the server, tcpdump keeping the
# OFFERs and ACKs that reach the generator and the REQUESTs it sends
# (udp[248..250]: option 53, first in both's messages, = 2, 5 or 3) in
# <work>/NAME.pcap; perfdhcp's report in <work>/NAME.txt.
# storm_stop ends both and writes the sorted "mac address" pairs of the
# ACKs to <work>/NAME.acks.
STORM_PIDS=()
storm_start() {
	local name=$1 base=$2 secs=$3 log="$STP_WORK/$1.pcap.log"
	bg_start "$log" ip netns exec "$STP_P-perf" tcpdump -n -U -B 32768 -s 300 -i eth0 \
		-w "$STP_WORK/$name.pcap" \
		"udp and udp[248] = 53 and ((src host $SRV_IP and src port 67 and (udp[250] = 2 or udp[250] = 5))
		 or (src host $GEN_IP and dst port 67 and udp[250] = 3))"
	STORM_PIDS=("$BG_PID")
	wait_for 10 grep -q 'listening on' "$log" || { say "tcpdump did not start: $(cat "$log")"; return 1; }
	bg_start "$STP_WORK/$name.txt" ip netns exec "$STP_P-perf" perfdhcp -4 -l eth0 \
		-r "$RATE" -R "$CLIENTS" -b "mac=$base" -p "$secs" -W 2000000 -s 1
	STORM_PIDS+=("$BG_PID")
}
storm_stop() {
	local name=$1
	bg_stop "${STORM_PIDS[1]}" INT 5
	sleep 0.5 # what is on the wire reaches tcpdump
	bg_stop "${STORM_PIDS[0]}" INT 5
	python3 "$TOOLS/dhcp_acks.py" "$STP_WORK/$name.pcap" | sort -u >"$STP_WORK/$name.acks"
}

# restart_and_check NAME MIN — the server was just killed mid-storm NAME:
# stop the storm, restart the server on the same database and check that
# at least MIN clients were ACKed and every ACK of NAME is a lease of its MAC.
restart_and_check() {
	local name=$1 min=$2 n_acked dup restored n_restored n_lost kill_t
	kill_t=$(date +%s)
	storm_stop "$name"
	n_acked=$(wc -l <"$STP_WORK/$name.acks")
	note "$name: $n_acked distinct (MAC, address) ACKed before the kill;" \
		"perfdhcp: $(grep -a -m1 'Rate:' "$STP_WORK/$name.txt" || true)"
	if ((n_acked >= min)); then pass "$name: at least $min clients ACKed before the kill ($n_acked)"; else
		fail "$name: at least $min clients ACKed before the kill" "only $n_acked"; fi
	dup=$(awk '{ print $2 }' "$STP_WORK/$name.acks" | sort | uniq -d | wc -l)
	assert_eq "$name: no address ACKed to two MACs" 0 "$dup"

	if stp_start "$cfg"; then pass "$name: restart after SIGKILL"; else
		fail "$name: restart after SIGKILL" "server did not come back"; stp_finish; fi
	restored=$(grep -ao 'restored [0-9]* leases from the database ([0-9]* refused)' "$STP_LOG" || true)
	note "$name: $restored"
	assert_match "$name: no stored lease refused" "$restored" '\(0 refused\)$'
	n_restored=$(sed -n 's/^restored \([0-9]*\) .*/\1/p' <<<"$restored")
	if ((${n_restored:-0} >= n_acked)); then pass "$name: restored at least as many leases as were ACKed"; else
		fail "$name: restored at least as many leases as were ACKed" "restored ${n_restored:-none}, $n_acked ACKed"; fi

	# The lease table the restart loaded, "mac address state expires": each
	# ACKed (MAC, address) bound to that MAC past the kill.
	sqlite3 -separator ' ' "file:$db?mode=ro" \
		"SELECT mac, (ip >> 24) || '.' || ((ip >> 16) & 255) || '.' || ((ip >> 8) & 255)
		        || '.' || (ip & 255), state, expires FROM leases" >"$STP_WORK/$name.db"
	awk -v now="$kill_t" 'NR == FNR { ok[$1 " " $2] = ($3 == 1 && $4 > now); next }
		!ok[$1 " " $2] { print }' "$STP_WORK/$name.db" "$STP_WORK/$name.acks" >"$STP_WORK/$name.lost"
	n_lost=$(wc -l <"$STP_WORK/$name.lost")
	note "$name: ACKed before the kill and not leased to that MAC after it: $n_lost of $n_acked"
	assert_eq "$name: every ACKed (MAC, address) still leased to that MAC" 0 "$n_lost"
	((n_lost == 0)) || note "first lost: $(head -n 3 "$STP_WORK/$name.lost" | tr '\n' '|')"
}

# ctr NAME TEXT — a counter's value in a SIGUSR1 dump (0 when not shown).
ctr() { grep -ao " $1=[0-9]*" <<<"$2" | head -n 1 | cut -d= -f2 || true; }

# times PCAP FROM TYPE T — the capture times (unix seconds) of the DHCP
# messages of TYPE sent by FROM, later than T.
times() {
	tcpdump -r "$1" -tt -n "src host $2 and udp[250] = $3" 2>/dev/null | awk -v t="$4" '$1 > t { print $1 }'
}

# ---------------------------------------------------------------- 1: a storm

storm_start storm1 00:0c:01:00:00:00 30 || { fail capture "tcpdump"; stp_finish; }
sleep "$KILL_S"
stp_kill9
restart_and_check storm1 1000

# ---------------------------------------------------------------- 2: the store stalls

# Other MACs. Three seconds before the kill another process takes the
# database's write lock: from then on no lease can be committed.
storm_start storm2 00:0c:02:00:00:00 30 || { fail capture "tcpdump"; stp_finish; }
sleep "$(awk -v k="$KILL_S" 'BEGIN { print (k > 3 ? k - 3 : 0.5) }')"
bg_start "$STP_WORK/lock.log" python3 "$TOOLS/sqlite_lock.py" "$db" 60
lock_pid=$BG_PID
wait_for 10 grep -q locked "$STP_WORK/lock.log" || say "the lock did not come: $(cat "$STP_WORK/lock.log")"
lock_t=$(date +%s.%N)
sleep 3
stp_kill9
bg_stop "$lock_pid" TERM
restart_and_check storm2 100
# What reached the clients while the store stood still. An ACK whose lease
# was committed just before the lock may still be on its way: 1 s of grace.
late_acks=$(times "$STP_WORK/storm2.pcap" "$SRV_IP" 5 "$(awk -v t="$lock_t" 'BEGIN { printf "%.3f", t + 1 }')" | wc -l)
note "storm2, store stalled for 3 s: $late_acks ACKs after its first second"
assert_eq "storm2: no ACK while the store stood still" 0 "$late_acks"
# OFFERs stop once 2,048 leases wait, and a REQUEST follows an OFFER: so
# while nothing can be committed, the generator can only have sent about
# 2,048 REQUESTs (slack: 512 for OFFERs already answered at the lock),
# however many DISCOVERs it kept sending.
n_req=$(times "$STP_WORK/storm2.pcap" "$GEN_IP" 3 "$lock_t" | wc -l)
n_off=$(times "$STP_WORK/storm2.pcap" "$SRV_IP" 2 "$lock_t" | wc -l)
note "storm2: after the lock, $n_off OFFERs and $n_req REQUESTs;" \
	"perfdhcp sent $(grep -a -m1 '^sent packets' "$STP_WORK/storm2.txt" | awk '{ print $3 }') DISCOVERs in all"
if ((n_req <= 2048 + 512)); then pass "storm2: OFFERs stopped: at most 2,560 REQUESTs while the store stood still ($n_req)"; else
	fail "storm2: OFFERs stopped: at most 2,560 REQUESTs while the store stood still" "$n_req REQUESTs, $n_off OFFERs"; fi

# ---------------------------------------------------------------- new clients

storm_start storm3 00:0c:03:00:00:00 3 || { fail capture "tcpdump"; stp_finish; }
wait_for 15 bash -c "! kill -0 ${STORM_PIDS[1]} 2>/dev/null" || true
storm_stop storm3
n_new=$(wc -l <"$STP_WORK/storm3.acks")
note "new clients ACKed after the restarts: $n_new"
if ((n_new >= 1000)); then pass "new clients: at least 1,000 ACKed ($n_new)"; else
	fail "new clients: at least 1,000 ACKed" "only $n_new"; fi
sort -u "$STP_WORK/storm1.acks" "$STP_WORK/storm2.acks" >"$STP_WORK/before.acks"
awk 'NR == FNR { mac[$2] = $1; next } ($2 in mac) && mac[$2] != $1 { print }' \
	"$STP_WORK/before.acks" "$STP_WORK/storm3.acks" >"$STP_WORK/taken.txt"
n_taken=$(wc -l <"$STP_WORK/taken.txt")
assert_eq "new clients: none got an address ACKed to another MAC before a kill" 0 "$n_taken"
((n_taken == 0)) || note "first taken: $(head -n 3 "$STP_WORK/taken.txt" | tr '\n' '|')"

dump=$(stp_counters || true)
held=$(ctr ack_held "$dump") rel=$(ctr ack_released "$dump")
note "restarted server: ack_held=${held:-0} ack_released=${rel:-0}"
if ((${rel:-0} >= n_new && ${held:-0} >= ${rel:-0})); then pass "counters: ack_held >= ack_released >= ACKs seen"; else
	fail "counters: ack_held >= ack_released >= ACKs seen" "held ${held:-0} released ${rel:-0} seen $n_new"; fi

if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
