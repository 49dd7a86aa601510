#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The dataplane owns 10.77.0.1: it answers ARP (with the port's MAC) and
# ICMP echo itself, while the kernel side of stp0 has no address at all.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

SRV_MAC=02:77:00:00:00:01      # lab_up gives stp0 this MAC

lab_up
lab_add_client pinger
nsx pinger ip addr add 10.77.0.20/24 dev eth0

cfg="$STP_WORK/stampede.yaml"
stp_write_config "$cfg" server
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

assert_eq "stp0 carries no kernel IPv4 address" "" "$(nsx srv ip -4 -o addr show dev stp0)"

out=$(nsx pinger arping -c 3 -w 6 -I eth0 10.77.0.1 2>&1 || true)
assert_match "arping: 3 replies" "$out" 'Received 3 response'
assert_contains "arping: reply carries the port's MAC" "$out" "[${SRV_MAC^^}]"

out=$(nsx pinger arping -c 2 -w 3 -I eth0 10.77.0.99 2>&1 || true)
assert_match "arping: no reply for an address not owned" "$out" 'Received 0 response'

# RFC 5227 probe (sender 0.0.0.0): the owner must answer, or a client
# doing duplicate address detection would take the server's address
out=$(nsx pinger arping -D -c 2 -w 3 -I eth0 10.77.0.1 2>&1 || true)
assert_match "arping -D (address probe): answered" "$out" 'Received [1-9][0-9]* response'

out=$(nsx pinger ping -c 3 -W 2 -i 0.3 10.77.0.1 2>&1 || true)
assert_match "ping: 3 of 3 answered" "$out" '3 packets transmitted, 3 received'
nbr=$(nsx pinger ip neigh show 10.77.0.1 dev eth0)
assert_contains "ping: neighbour entry has the port's MAC" "$nbr" "lladdr $SRV_MAC"

out=$(nsx pinger ping -c 3 -W 2 -i 0.3 -s 1400 -p a55a 10.77.0.1 2>&1 || true)
assert_match "ping: 1400-byte payload echoed intact" "$out" '3 packets transmitted, 3 received'
assert_not_contains "ping: no corrupted replies" "$out" "wrong data"

out=$(nsx pinger ping -c 100 -W 2 -i 0.01 -q 10.77.0.1 2>&1 || true)
assert_match "ping: 100 quick echoes all answered" "$out" '100 packets transmitted, 100 received'

# the ARP cache of the server: a ping from a second client it has not seen
lab_add_client pinger2
nsx pinger2 ip addr add 10.77.0.21/24 dev eth0
out=$(nsx pinger2 ping -c 2 -W 2 -i 0.3 10.77.0.1 2>&1 || true)
assert_match "ping: a second client answered" "$out" '2 packets transmitted, 2 received'

if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
