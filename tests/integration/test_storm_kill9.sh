#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# No ACKed lease is lost: a DHCP storm of STORM_KILL_CLIENTS (100,000)
# virtual clients over memif, the server killed with -9 a few seconds in
# and restarted with the same store while the storm goes on. The
# generator records the first address every client was ACKed (--leases);
# afterwards each of those (MAC, address) pairs must still be that MAC's
# lease, no client may have been handed another address after the
# restart (dhcp_addr_changed), and every client must have finished.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_storm.sh"

N=${STORM_KILL_CLIENTS:-100000}
KILL_AFTER=${STORM_KILL_AFTER:-1.5}
[[ -x "$STORM_BIN" ]] || { fail "stampede-storm built" "$STORM_BIN missing"; stp_finish; }
_stp_ns_add "$STP_SRV"
SOCK="$STP_WORK/memif.sock"
CFG="$STP_WORK/stampede.yaml"
storm_memif_config "$CFG" "$SOCK"
stp_start "$CFG" || { fail "server start"; stp_finish; }

bg_start "$STP_WORK/kill9.out" ip netns exec "$STP_SRV" "$STORM_BIN" \
	--vdev "net_memif0,role=client,socket=$SOCK" --no-huge --lcores 0 --clients "$N" \
	--stages dhcp --max-active 2048 --timeout 150 --quiet \
	--json "$STP_WORK/kill9.json" --leases "$STP_WORK/acks.txt"
SPID=$BG_PID
sleep "$KILL_AFTER"
stp_kill9
note "server killed with -9 ${KILL_AFTER} s into the storm"
stp_start "$CFG" || { fail "server restart"; stp_finish; }
restored=$(sed -n 's/.*restored \([0-9]*\) leases.*/\1/p' "$STP_LOG" | head -n 1)
note "restarted: ${restored:-?} leases restored"
wait_for 170 bash -c "! kill -0 $SPID 2>/dev/null" || note "the generator is still running"
bg_stop "$SPID" TERM 5
sed 's/^/    | /' "$STP_WORK/kill9.out" >&2
J="$STP_WORK/kill9.json"
assert_eq "generator exit status 0" 0 "$BG_RC"
assert_eq "every client done" "$N" "$(jget "$J" '["done"]')"
assert_eq "no client handed another address after the restart" 0 "$(jget "$J" '["dhcp_addr_changed"]')"
if [[ "${restored:-0}" =~ ^[0-9]+$ ]] && ((restored > 0)); then
	pass "the restart restored leases ($restored)"
else
	fail "the restart restored leases" "log says '${restored:-nothing}'"
fi
stp_stop
assert_eq "every client's ACK recorded" "$N" "$(wc -l <"$STP_WORK/acks.txt")"
missing=$(python3 "$STP_ROOT/tests/tools/leases_check.py" "$STP_WORK/acks.txt" "$STP_WORK/storm.sqlite")
assert_match "every ACKed (MAC, address) is still that MAC's lease" "$missing" '^0 '
stp_finish
