#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A small storm: four BIOS VMs in one group, one group deploy job, all
# powered on at once. Every VM reaches "done", and the status summary has
# every stage of every boot with its p50/p95/max.
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
stp_stop
assert_eq "server stopped cleanly" 0 "$STP_RC"
stp_finish
