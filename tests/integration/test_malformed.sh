#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Malformed frames (truncated BOOTP, bad magic cookie, overrunning options,
# lying IP/UDP lengths, fragments, broken ARP/ICMP, random option areas) are
# broadcast at the server. It must keep running, keep answering ARP/ICMP,
# and a normal client must still get a lease afterwards.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

lab_up
lab_add_client bad
lab_add_client good

cfg="$STP_WORK/stampede.yaml"
stp_write_config "$cfg" server
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

for seed in 1 2 3; do
	out=$(nsx bad python3 "$STP_ROOT/tests/tools/dhcp_malformed.py" eth0 "${STP_MAC[bad]}" "$seed" 2>&1) ||
		{ fail "sender (seed $seed)" "$out"; continue; }
	assert_match "malformed frames sent (seed $seed)" "$out" 'frames=[0-9]+'
	sleep 0.5
	if stp_alive; then pass "server alive after malformed batch $seed"; else
		fail "server alive after malformed batch $seed" "it exited: $(tail -n 5 "$STP_LOG" | tr '\n' '|')"
		stp_finish
	fi
done

if udhcpc_run good; then pass "normal client: lease obtained"; else
	fail "normal client: lease obtained" "udhcpc exit $?: $(tail -n 4 "$STP_WORK/udhcpc.good.log" | tr '\n' '|')"; fi
assert_ip_in "normal client: address in pool" "$(udhcpc_get good bound ip)" 10.77.0.100 10.77.0.250
assert_eq "normal client: router" 10.77.0.254 "$(udhcpc_get good bound router)"

nsx good ip addr add 10.77.0.21/24 dev eth0
out=$(nsx good ping -c 3 -W 2 -i 0.3 10.77.0.1 2>&1 || true)
assert_match "ping still answered" "$out" '3 packets transmitted, 3 received'

c=$(stp_counters || true)
printf '%s\n' "$c" | sed 's/^/    | /' >&2
if stp_alive; then pass "server alive at the end"; else fail "server alive at the end" "it exited"; fi
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
