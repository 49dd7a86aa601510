#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Leases survive a crash: client A takes a lease, the server is killed with
# SIGKILL and started again (same config, same file prefix, same database).
# A new client B must not get A's address, nor may C that asks for it by
# name (option 50); A's unicast RENEW must be ACKed with the same address.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

LEASE=60        # the shortest the config allows: A renews after ~30 s

lab_up
lab_add_client ca
lab_add_client cb
lab_add_client cc

cfg="$STP_WORK/stampede.yaml"
CFG_LEASE=$LEASE stp_write_config "$cfg" server
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

# A keeps running: it renews by itself at T1
dhc_start ca
a_pid=$DHC_PID
if dhc_wait_bound ca 25; then pass "A: lease obtained"; else fail "A: lease obtained" "no BOUND within 25 s"; fi
a_ip=$(lease_field "$STP_WORK/dhc.ca.leases" fixed-address)
assert_ip_in "A: address in pool" "$a_ip" 10.77.0.100 10.77.0.250
sleep 1         # let the lease reach the store; a crash may strike any time

stp_kill9
if stp_start "$cfg"; then pass "restart after SIGKILL"; else
	fail "restart after SIGKILL" "server did not come back"; stp_finish; fi

if dhc_lease cb; then pass "B: lease obtained"; else fail "B: lease obtained" "no BOUND within 25 s"; fi
b_ip=$(lease_field "$STP_WORK/dhc.cb.leases" fixed-address)
assert_ip_in "B: address in pool" "$b_ip" 10.77.0.100 10.77.0.250
assert_ne "B: not A's address after the restart" "$a_ip" "$b_ip"

if udhcpc_run cc -r "$a_ip"; then pass "C (asks for A's address): lease obtained"; else
	fail "C (asks for A's address): lease obtained" "udhcpc exit $?"; fi
c_ip=$(udhcpc_get cc bound ip)
assert_ip_in "C: address in pool" "$c_ip" 10.77.0.100 10.77.0.250
assert_ne "C: not given A's address" "$a_ip" "$c_ip"
assert_ne "C: not given B's address" "$b_ip" "$c_ip"

pcap="$STP_WORK/renew.pcap"
cap_start ca eth0 "$pcap"
note "waiting for A to renew (T1 = ${LEASE}/2 s)"
if dhc_wait_bound ca $((LEASE + 30)) 2; then pass "A: renewed"; else
	fail "A: renewed" "no RENEW/REBIND within $((LEASE + 30)) s: $(tr '\n' '|' <"$STP_WORK/dhc.ca.events")"; fi
cap_stop
ev=$(dhc_last_event ca)
assert_contains "A: renewal kept the address" "$ev" "new_ip_address=$a_ip "
assert_match "A: renewed by RENEW (unicast)" "$ev" '^reason=RENEW '
req=$(dhcp_pick "$pcap" " type=3 " "ciaddr=$a_ip ")
ack=$(dhcp_pick "$pcap" " type=5 " "src=10.77.0.1 ")
assert_eq "A: RENEW request sent unicast to the server" 10.77.0.1 "$(dfield "$req" dst)"
assert_eq "A: ACK yiaddr" "$a_ip" "$(dfield "$ack" yiaddr)"
assert_eq "A: ACK sent unicast to the client" "$a_ip" "$(dfield "$ack" dst)"
bg_stop "$a_pid" TERM

if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
