#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Lease expiry: with a pool of one address and the shortest lease time, A
# takes the address and goes away without renewing; B gets nothing while A's
# lease runs, and the address once it has expired.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

LEASE=60

lab_up
lab_add_client ea
lab_add_client eb

cfg="$STP_WORK/stampede.yaml"
CFG_POOL=10.77.0.100-10.77.0.100 CFG_LEASE=$LEASE stp_write_config "$cfg" server
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

t0=$SECONDS
if udhcpc_run ea; then pass "A: lease obtained"; else fail "A: lease obtained" "udhcpc exit $?"; fi
assert_eq "A: the one address" 10.77.0.100 "$(udhcpc_get ea bound ip)"
assert_eq "A: lease time" "$LEASE" "$(udhcpc_get ea bound lease)"

if udhcpc_run eb; then
	fail "B: nothing while A's lease runs" "got $(udhcpc_get eb bound ip) after $((SECONDS - t0)) s"
else
	pass "B: nothing while A's lease runs"
fi

wait_s=$((LEASE + 3 - (SECONDS - t0)))
((wait_s <= 0)) || { note "waiting ${wait_s}s for A's lease to expire"; sleep "$wait_s"; }
if udhcpc_run eb; then pass "B: lease obtained after A's expired"; else
	fail "B: lease obtained after A's expired" "udhcpc exit $? at $((SECONDS - t0)) s"; fi
assert_eq "B: the expired address" 10.77.0.100 "$(udhcpc_get eb bound ip)"

if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
