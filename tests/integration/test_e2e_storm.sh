#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A small storm: four BIOS VMs in one group, one group deploy job, all
# powered on at once. Every VM reaches "done", and the status summary has
# every stage of every boot with its p50/p95/max.
#
# STORM_MAX_TRANSFERS=N (test_e2e_storm_admission.sh sets 1) runs the same
# storm with http.max_transfers: N: the kernels and initrds queue for the
# budget, iPXE waits out each 503's Retry-After and asks again, every VM
# still finishes, and the server counted the 503s and ended every transfer.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=lib_tftp.sh
source "$(dirname "$0")/lib_tftp.sh"
# shellcheck source=lib_vm.sh
source "$(dirname "$0")/lib_vm.sh"
# shellcheck source=lib_e2e.sh
source "$(dirname "$0")/lib_e2e.sh"

N=4
MAXT=${STORM_MAX_TRANSFERS:-}
if [[ -n "$MAXT" ]]; then
	# one worker: the budget is the server's
	export CFG_LCORES="0-1"
	E2E_EXTRA="http:
  max_transfers: $MAXT"
fi
e2e_up
ctl group add rack1 >/dev/null
for i in $(seq 1 "$N"); do
	ctl host add "52:54:00:77:5a:0$i" --name "storm-0$i" --group rack1 --image debian12 >/dev/null
done
out=$(ctl job deploy --group rack1 --image debian12)
assert_match "group job fans out to $N hosts" "$(ctl job list | grep -c queued)" "^$N$"
note "$out"
t0=$SECONDS
pids=()
for i in $(seq 1 "$N"); do
	vm_start "storm$i" "52:54:00:77:5a:0$i" bios
	pids+=("$VM_PID")
done
for i in $(seq 1 "$N"); do
	if vm_wait_serial "storm$i" 420 'STAMPEDE-IMAGING-OS: job [0-9]* done'; then
		pass "VM $i: its job is done"
	else
		fail "VM $i: its job is done" "$(vm_serial "storm$i" | tail -n 6 | tr '\n' '|')"
	fi
done
note "storm of $N: all done $((SECONDS - t0)) s after power-on"
for p in "${pids[@]}"; do bg_stop "$p" KILL; done
assert_eq "every job of the group is done" "$N" "$(ctl job list | awk '$5 == "done"' | wc -l)"
status=$(ctl status)
# iPXE in the NIC ROM starts each boot at ipxe_dhcp: stamped, and every
# later stage has a duration in the summary.
for i in $(seq 1 "$N"); do
	col=$(awk -v m="52:54:00:77:5a:0$i" 'NR == 1 { for (k = 1; k <= NF; k++) if ($k == "ipxe_dhcp") c = k }
		$1 == m { print $c }' <<<"$status")
	assert_match "host $i: ipxe_dhcp stamped" "${col:--}" '^\+'
done
for stage in script kernel initrd checkin progress done; do
	line=$(awk -v s="$stage" '$1 == s' <<<"$status" | tail -n 1)
	assert_match "summary: $stage timed for all $N boots" "$line" "^$stage +[0-9]+ +$N "
done
note "$(grep -A 12 '^STAGE' <<<"$status")"
if [[ -n "$MAXT" ]]; then
	ctrs=$(stp_counters || true)
	n503=$(ctr_sum ' http: ' admission_503 "$ctrs")
	ndone=$(ctr_sum ' http: ' transfers_done "$ctrs")
	nfly=$(ctr_sum ' http: ' transfers_in_flight "$ctrs")
	if ((n503 > 0)); then pass "max_transfers $MAXT: iPXE was sent 503s ($n503) and still booted"; else
		fail "max_transfers $MAXT: 503s counted" "admission_503=$n503"; fi
	if ((ndone >= 2 * N)); then pass "every kernel and initrd a completed transfer ($ndone)"; else
		fail "every kernel and initrd a completed transfer" "transfers_done=$ndone, want >= $((2 * N))"; fi
	assert_eq "no transfer left in flight" 0 "$nfly"
fi
stp_stop
assert_eq "server stopped cleanly" 0 "$STP_RC"
stp_finish
