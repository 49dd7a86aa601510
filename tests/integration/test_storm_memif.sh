#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# stampede-storm against stampede over memif: 1,000 virtual clients (70%
# BIOS, 30% UEFI), each with a deploy job, through every stage: firmware
# DHCP, TFTP, iPXE DHCP, the script chain, kernel, initrd, the imaging
# OS's DHCP and job API. Every client must finish, every byte be right
# (the generator checks each download against the server's ETag), every
# job end "done" on the server. Then the generator's bad input: a one-line
# error and exit 2; and a server that answers nothing: named failures at
# --timeout, no hang.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_tftp.sh"
source "$(dirname "$0")/lib_storm.sh"

N=${STORM_CLIENTS:-1000}
[[ -x "$STORM_BIN" ]] || { fail "stampede-storm built" "$STORM_BIN missing"; stp_finish; }
_stp_ns_add "$STP_SRV"
SOCK="$STP_WORK/memif.sock"
CFG="$STP_WORK/stampede.yaml"
storm_memif_config "$CFG" "$SOCK"
stp_start "$CFG" || { fail "server start"; stp_finish; }
storm_jobs "$N" || { fail "hosts and jobs made"; stp_finish; }
assert_eq "$N deploy jobs queued" "$N" "$(storm_ctl job list | awk '$5 == "queued"' | wc -l)"

# ---- the whole chain
t0=$SECONDS
storm_run full --vdev "net_memif0,role=client,socket=$SOCK" --no-huge --lcores 0 \
	--clients "$N" --mix bios:70,uefi:30 --timeout 240 --quiet --leases "$STP_WORK/acks.txt"
note "storm of $N: $((SECONDS - t0)) s"
J="$STP_WORK/full.json"
assert_eq "generator exit status 0" 0 "$STORM_RC"
assert_eq "every client done" "$N" "$(jget "$J" '["done"]')"
assert_eq "no client failed" 0 "$(jget "$J" '["failed"]')"
for st in dhcp tftp ipxe_dhcp script kernel initrd os; do
	assert_eq "stage $st: $N done" "$N" "$(jget "$J" "[\"$st\"][\"done\"]")"
done
bios=$(python3 -c "print(sum(1 for g in range($N) if (g * 37) % 100 < 70))")
want=$(storm_bytes "$STP_WORK/storm-root" "$bios" $((N - bios)) 1)
got=$(jget "$J" '["bytes"]')
if [[ "$got" =~ ^[0-9]+$ ]] && ((got >= want && got < want + N * 4096)); then
	pass "bytes received: the files ($want) plus the scripts ($((got - want)))"
else
	fail "bytes received" "got $got, want $want plus the scripts"
fi
assert_match "p99 of every stage in the JSON" "$(jget "$J" '["initrd"]["p99_ms"]')" '^[0-9.]+$'
assert_eq "every job done on the server" "$N" "$(storm_ctl job list | awk '$5 == "done"' | wc -l)"
assert_match "the table names every stage" "$(cat "$STP_WORK/full.out")" \
	'os +[0-9]+ +[0-9]+ +0 '

# ---- the generator's bad input: one line, exit 2
bad() { # NAME WANT_TEXT ARGS...
	local name=$1 want=$2 out rc=0
	shift 2
	out=$(nsx srv "$STORM_BIN" "$@" 2>&1) || rc=$?
	assert_eq "bad input ($name): exit 2" 2 "$rc"
	assert_contains "bad input ($name): says why" "$out" "$want"
}
bad "unknown profile" 'arm' --vdev net_null0 --clients 5 --mix bios:70,arm:30
bad "zero clients" '--clients' --vdev net_null0 --clients 0
bad "no port" 'no port' --clients 5
bad "port that does not start" 'stampede-storm:' --vdev net_nosuchdriver0 --clients 5 --no-huge
bad "stages without dhcp" 'need dhcp' --vdev net_null0 --clients 5 --stages tftp

# ---- two workers on two queue pairs (they share the machine's cores:
# correctness, not speed). The generator places each TCP and TFTP flow on
# the queue the server's RSS would pick: every client completes, each
# worker serves its share, and no TCP or TFTP frame needs steering (DHCP
# goes to the one worker that owns the leases, by design).
stp_stop
# every address a client was ACKed is its lease in the server's store
assert_eq "the generator recorded an ACK per client" "$N" "$(wc -l <"$STP_WORK/acks.txt")"
missing=$(python3 "$STP_ROOT/tests/tools/leases_check.py" "$STP_WORK/acks.txt" "$STP_WORK/storm.sqlite")
assert_match "every ACKed (MAC, address) is a lease in the store" "$missing" '^0 '
rm -f "$STP_WORK"/storm.sqlite*
storm_memif_config "$CFG" "$SOCK"
sed -i 's/^  lcores: "0-1"$/  lcores: "0@0,1@1,2@0"/' "$CFG"
stp_start "$CFG" || { fail "server start (2 workers)"; stp_finish; }
M=${STORM_MQ_CLIENTS:-300}
storm_jobs "$M" || fail "hosts and jobs made (2 workers)"
storm_run mq --vdev "net_memif0,role=client,socket=$SOCK" --no-huge --lcores 0-1 \
	--clients "$M" --timeout 240 --quiet
assert_eq "2 workers: generator exit 0" 0 "$STORM_RC"
assert_eq "2 workers: every client done" "$M" "$(jget "$STP_WORK/mq.json" '["done"]')"
C=$(stp_counters)
for q in 0 1; do
	line=$(grep -F "(queue $q):" <<<"$C" || true)
	lc=$(sed -n 's/^stampede: lcore \([0-9]*\) (queue '"$q"').*/\1/p' <<<"$C" | head -n 1)
	http=$(grep -F "lcore $lc http:" <<<"$C" || true)
	tftp=$(grep -F "lcore $lc tftp:" <<<"$C" || true)
	assert_eq "2 workers: queue $q: no TCP segment steered" 0 "$(ctr_sum x steered_tcp "$line")"
	assert_eq "2 workers: queue $q: no TFTP frame steered" 0 "$(ctr_sum x steered_tftp "$line")"
	n=$(ctr_sum x responses "$http")
	if ((n > M)); then pass "2 workers: queue $q served its share of HTTP ($n responses)"
	else fail "2 workers: queue $q served its share of HTTP" "$n responses for $M clients"; fi
	n=$(ctr_sum x sessions_started "$tftp")
	if ((n > M / 4)); then pass "2 workers: queue $q served its share of TFTP ($n sessions)"
	else fail "2 workers: queue $q served its share of TFTP" "$n sessions for $M clients"; fi
done
assert_eq "2 workers: every job done" "$M" "$(storm_ctl job list | awk '$5 == "done"' | wc -l)"

# ---- job slots under a storm: jobs.max_active 4 for 12 clients with
# deploy jobs. The others get the waiting script (sleep, chain again) until
# a slot frees; every client finishes and never more than 4 jobs run.
stp_stop
rm -f "$STP_WORK"/storm.sqlite*
CFG_EXTRA="jobs:
  max_active: 4" storm_memif_config "$CFG" "$SOCK"
stp_start "$CFG" || { fail "server start (job slots)"; stp_finish; }
storm_jobs 12 || fail "hosts and jobs made (job slots)"
assert_eq "job slots: 8 of 12 jobs wait" 8 "$(storm_ctl job list | awk '$5 == "waiting"' | wc -l)"
bg_start "$STP_WORK/slots.poll" bash -c "while :; do
	ip netns exec $STP_SRV $STORM_CTL --server http://127.0.0.1:$STORM_API_PORT \
		job list | awk '\$5 == \"booting\" || \$5 == \"running\"' | wc -l; sleep 0.5; done"
POLL=$BG_PID
storm_run slots --vdev "net_memif0,role=client,socket=$SOCK" --no-huge --lcores 0 \
	--clients 12 --timeout 240 --quiet
bg_stop "$POLL"
assert_eq "job slots: generator exit 0" 0 "$STORM_RC"
assert_eq "job slots: every client done" 12 "$(jget "$STP_WORK/slots.json" '["done"]')"
w=$(jget "$STP_WORK/slots.json" '["script_waits"]')
if [[ "$w" =~ ^[0-9]+$ ]] && ((w >= 8)); then pass "job slots: the waiting hosts waited ($w rounds)"
else fail "job slots: the waiting hosts waited" "script_waits $w"; fi
most=$(sort -n "$STP_WORK/slots.poll" | tail -n 1)
if [[ "$most" =~ ^[0-9]+$ ]] && ((most <= 4)); then pass "job slots: at most 4 jobs at once ($most)"
else fail "job slots: at most 4 jobs at once" "saw $most"; fi
assert_eq "job slots: every job done" 12 "$(storm_ctl job list | awk '$5 == "done"' | wc -l)"

# ---- a server that answers nothing: named failures at --timeout
stp_stop
CFG_EXTRA="" storm_memif_config "$CFG" "$SOCK"
sed -i 's/^  pool: .*/  mode: off/' "$CFG"
stp_start "$CFG" || { fail "server start (dhcp off)"; stp_finish; }
t0=$SECONDS
storm_run silent --vdev "net_memif0,role=client,socket=$SOCK" --no-huge --lcores 0 \
	--clients 20 --stages dhcp,tftp --timeout 6 --quiet
el=$((SECONDS - t0))
assert_eq "silent server: exit status 1" 1 "$STORM_RC"
assert_eq "silent server: every client failed" 20 "$(jget "$STP_WORK/silent.json" '["failed"]')"
assert_match "silent server: failures named" \
	"$(jget "$STP_WORK/silent.json" '["failures"]')" "dhcp|timeout"
if ((el <= 25)); then pass "silent server: ended at --timeout ($el s)"; else
	fail "silent server: ended at --timeout" "took $el s"; fi
stp_stop
assert_eq "server stopped cleanly" 0 "$STP_RC"
stp_finish
