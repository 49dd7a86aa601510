#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Relayed DHCP: ISC dhcrelay joins a second segment (10.78.0.0/24, bridge
# br1) to the lan. A client there must get an address from the 10.78 pool,
# the server must answer the relay (giaddr, UDP 67) and echo option 82.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

lab_up
lab_add_bridge br1
lab_add_client rly 02:77:00:00:03:01 br0 eth0   # relay: lan leg
lab_add_port rly br1 eth1                       # relay: segment-2 leg
nsx rly ip addr add 10.77.0.3/24 dev eth0
nsx rly ip addr add 10.78.0.1/24 dev eth1
lab_add_client r78 02:77:00:00:03:02 br1        # client behind the relay
lab_add_client lan1                             # a local client, for contrast
lab_add_client r78pxe 02:77:00:00:03:03 br1     # PXE client behind the relay
lab_add_client r78res 02:77:00:00:03:05 br1     # reserved: 10.78.0.5

cfg="$STP_WORK/stampede.yaml"
stp_write_config "$cfg" server
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

# -a: add option 82 (circuit id = interface) and strip it from replies
bg_start "$STP_WORK/dhcrelay.log" ip netns exec "$STP_P-rly" \
	dhcrelay -4 -d -a -iu eth0 -id eth1 10.77.0.1
relay_pid=$BG_PID
wait_for 10 grep -q 'Listening on' "$STP_WORK/dhcrelay.log" || true
sleep 0.5
kill -0 "$relay_pid" 2>/dev/null || { fail "dhcrelay runs" "$(tail -n 5 "$STP_WORK/dhcrelay.log" | tr '\n' '|')"; stp_finish; }

pcap="$STP_WORK/relay.pcap"
cap_start rly eth0 "$pcap"
if udhcpc_run r78; then pass "relayed: lease obtained"; else
	fail "relayed: lease obtained" "udhcpc exit $?: $(tail -n 4 "$STP_WORK/udhcpc.r78.log" | tr '\n' '|')"; fi
cap_stop
assert_ip_in "relayed: address from the 10.78 pool" "$(udhcpc_get r78 bound ip)" 10.78.0.100 10.78.0.150
assert_eq "relayed: subnet" 255.255.255.0 "$(udhcpc_get r78 bound subnet)"
assert_eq "relayed: router of the 10.78 pool" 10.78.0.1 "$(udhcpc_get r78 bound router)"
assert_eq "relayed: dns of the 10.78 pool" 10.78.0.53 "$(udhcpc_get r78 bound dns)"
assert_eq "relayed: server id" 10.77.0.1 "$(udhcpc_get r78 bound serverid)"

req=$(dhcp_pick "$pcap" " type=1 " "src=10.77.0.3 " "giaddr=10.78.0.1 ")
offer=$(dhcp_pick "$pcap" " type=2 " "src=10.77.0.1 ")
ack=$(dhcp_pick "$pcap" " type=5 " "src=10.77.0.1 ")
assert_contains "relayed: relay added option 82 (capture sanity)" "$req" " o82="
assert_eq "relayed: OFFER sent to the relay (giaddr)" 10.78.0.1 "$(dfield "$offer" dst)"
assert_eq "relayed: OFFER to UDP port 67" 67 "$(dfield "$offer" dport)"
assert_eq "relayed: OFFER keeps giaddr" 10.78.0.1 "$(dfield "$offer" giaddr)"
assert_eq "relayed: OFFER echoes option 82" "$(dfield "$req" o82)" "$(dfield "$offer" o82)"
assert_eq "relayed: ACK sent to the relay (giaddr)" 10.78.0.1 "$(dfield "$ack" dst)"
assert_eq "relayed: ACK to UDP port 67" 67 "$(dfield "$ack" dport)"
assert_eq "relayed: ACK echoes option 82" "$(dfield "$req" o82)" "$(dfield "$ack" o82)"

# a PXE client behind the relay: boot file and next-server as on the lan
conf=$(dhc_conf r78pxe 'send vendor-class-identifier "PXEClient:Arch:00007:UNDI:003000";' 'send pxe-arch 7;')
lf="$STP_WORK/dhc.r78pxe.leases"
if dhc_lease r78pxe "$conf"; then pass "relayed pxe: lease obtained"; else fail "relayed pxe: lease obtained" "no BOUND"; fi
assert_ip_in "relayed pxe: address from the 10.78 pool" "$(lease_field "$lf" fixed-address)" 10.78.0.100 10.78.0.150
assert_eq "relayed pxe: file" ipxe.efi "$(lease_field "$lf" filename)"
assert_eq "relayed pxe: option 66" 10.77.0.1 "$(lease_field "$lf" "option tftp-server-name")"

# a reservation in the relayed subnet
if udhcpc_run r78res; then pass "relayed reservation: lease obtained"; else fail "relayed reservation: lease obtained" "udhcpc exit $?"; fi
assert_eq "relayed reservation: reserved address" 10.78.0.5 "$(udhcpc_get r78res bound ip)"
assert_eq "relayed reservation: router of its pool" 10.78.0.1 "$(udhcpc_get r78res bound router)"

# a local client still gets the local pool
if udhcpc_run lan1; then pass "local: lease obtained"; else fail "local: lease obtained" "udhcpc exit $?"; fi
assert_ip_in "local: address from the local pool" "$(udhcpc_get lan1 bound ip)" 10.77.0.100 10.77.0.250
assert_eq "local: local router" 10.77.0.254 "$(udhcpc_get lan1 bound router)"

if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
bg_stop "$relay_pid" TERM
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
