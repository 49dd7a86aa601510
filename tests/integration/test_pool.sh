#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Address pool behaviour: a small boot storm (many udhcpc at once) gets
# distinct addresses; a pool of three runs dry without harm and a released
# address goes to the client that was waiting.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

STORM=${STORM:-24}

lab_up
for ((i = 1; i <= STORM; i++)); do lab_add_client "s$i"; done
for c in e1 e2 e3 e4; do lab_add_client "$c"; done

cfg="$STP_WORK/stampede.yaml"
stp_write_config "$cfg" server
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

# --- storm: every client at the same moment
pids=()
for ((i = 1; i <= STORM; i++)); do
	bg_start "$STP_WORK/storm.$i.log" udhcpc_run "s$i"
	pids+=("$BG_PID")
done
for p in "${pids[@]}"; do { wait "$p"; } 2>/dev/null || true; _stp_forget_pid "$p"; done
ips=()
for ((i = 1; i <= STORM; i++)); do
	a=$(udhcpc_get "s$i" bound ip)
	[[ -z "$a" ]] || ips+=("$a")
done
assert_eq "storm: every client got a lease" "$STORM" "${#ips[@]}"
uniq_n=0
((${#ips[@]} == 0)) || uniq_n=$(printf '%s\n' "${ips[@]}" | sort -u | wc -l)
assert_eq "storm: all addresses distinct" "${#ips[@]}" "$uniq_n"
bad=$(for a in "${ips[@]}"; do
	v=$(ip2int "$a")
	((v >= $(ip2int 10.77.0.100) && v <= $(ip2int 10.77.0.250))) || echo "$a"
done)
assert_eq "storm: all addresses in pool" "" "$bad"
stp_stop
assert_eq "storm: SIGTERM exit status" 0 "$STP_RC"

# --- a pool of three
cfg="$STP_WORK/small.yaml"
CFG_POOL=10.77.0.100-10.77.0.102 CFG_DB="$STP_WORK/db2/leases.sqlite" stp_write_config "$cfg" server
stp_start "$cfg" || { fail server-start "stampede (small pool) did not start"; stp_finish; }
got=()
for c in e1 e2 e3; do
	dhc_lease "$c" || true
	got+=("$(lease_field "$STP_WORK/dhc.$c.leases" fixed-address)")
done
assert_eq "small pool: three clients, three distinct leases" \
	"10.77.0.100 10.77.0.101 10.77.0.102" "$(printf '%s\n' "${got[@]}" | sort | paste -sd' ' -)"
if udhcpc_run e4; then
	fail "small pool: fourth client gets nothing" "it got $(udhcpc_get e4 bound ip)"
else
	pass "small pool: fourth client gets nothing"
fi
if stp_alive; then pass "small pool: server alive when dry"; else fail "small pool: server alive when dry" "it exited"; fi

e1_ip=${got[0]}
dhc_release e1 || true
assert_contains "small pool: e1 released (sanity)" "$(cat "$STP_WORK/dhc.e1.release.log")" DHCPRELEASE
sleep 0.5
if udhcpc_run e4; then pass "small pool: fourth client served after a release"; else
	fail "small pool: fourth client served after a release" "udhcpc exit $?"; fi
assert_eq "small pool: it got the released address" "$e1_ip" "$(udhcpc_get e4 bound ip)"
stp_stop
assert_eq "small pool: SIGTERM exit status" 0 "$STP_RC"
stp_finish
