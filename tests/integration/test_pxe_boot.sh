#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Real PXE firmware through stampede, end to end up to the iPXE script:
#  - BIOS: SeaBIOS + the e1000's iPXE ROM: DHCP (user class iPXE) -> the
#    script URL -> HTTP GET of boot.ipxe -> the script runs.
#  - UEFI: OVMF with the NIC ROM disabled: EDK2's PXE DHCP (arch 7) ->
#    TFTP ipxe.efi (its tsize probe, then blksize 1468 windowsize 4) ->
#    iPXE DHCP -> HTTP boot.ipxe -> the script runs.
# The script prints a marker with the MAC and address iPXE has; the test
# asserts on it and on the server's counters.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=lib_tftp.sh
source "$(dirname "$0")/lib_tftp.sh"
# shellcheck source=lib_vm.sh
source "$(dirname "$0")/lib_vm.sh"

lab_up
cfg="$STP_WORK/stampede.yaml"
TFTP_MEMORY_MB=512 tftp_config "$cfg"
root=$(stp_boot_root)
vm_boot_files "$root"
# The trailing word marks the end of the line: the console is read while qemu writes it.
printf '#!ipxe\necho STAMPEDE-SCRIPT-OK ${net0/mac} ${net0/ip} ${platform} STAMPEDE-EOL\n' >"$root/boot.ipxe"
stp_start "$cfg" || { fail "server start"; stp_finish; }
note "qemu acceleration: $(vm_accel)"

vm_start bios 52:54:00:77:00:01 bios
if vm_wait_serial bios 120 'STAMPEDE-SCRIPT-OK.*STAMPEDE-EOL'; then
	line=$(vm_serial bios | grep -a 'STAMPEDE-SCRIPT-OK' | tail -n1)
	pass "BIOS iPXE ran the script fetched over HTTP"
	assert_contains "BIOS: iPXE reports its MAC" "$line" "52:54:00:77:00:01"
	assert_match "BIOS: iPXE has a lease from the pool" "$line" '10\.77\.0\.[0-9]+'
	assert_contains "BIOS: platform pcbios" "$line" "pcbios"
	assert_contains "BIOS: DHCP handed iPXE the script URL" "$(vm_serial bios)" "Filename: http://10.77.0.1/boot.ipxe"
else
	fail "BIOS: no script marker in 120 s; console tail: $(vm_serial bios | tail -n 5 | tr '\n' '|')"
fi
bg_stop "$VM_PID" KILL

vm_start uefi 52:54:00:77:00:02 uefi
if vm_wait_serial uefi 240 'STAMPEDE-SCRIPT-OK.*STAMPEDE-EOL'; then
	line=$(vm_serial uefi | grep -a 'STAMPEDE-SCRIPT-OK' | tail -n1)
	pass "UEFI: EDK2 PXE -> TFTP ipxe.efi -> iPXE ran the script fetched over HTTP"
	assert_contains "UEFI: EDK2 got ipxe.efi for arch 7" "$(vm_serial uefi)" "NBP filename is ipxe.efi"
	assert_contains "UEFI: TFTP download completed" "$(vm_serial uefi)" "NBP file downloaded successfully"
	assert_contains "UEFI: iPXE reports its MAC" "$line" "52:54:00:77:00:02"
	assert_contains "UEFI: platform efi" "$line" "efi"
else
	fail "UEFI: no script marker in 240 s; console tail: $(vm_serial uefi | tail -n 5 | tr '\n' '|')"
fi
bg_stop "$VM_PID" KILL

counters=$(stp_counters)
probe=$(sed -n 's/.*sessions_probe=\([0-9]*\).*/\1/p' <<<"$counters" | head -n1)
done_=$(sed -n 's/.*tftp:.*sessions_done=\([0-9]*\).*/\1/p' <<<"$counters" | head -n1)
assert_eq "TFTP: EDK2's tsize probe counted as a probe" "${probe:-0}" 1
assert_eq "TFTP: one complete firmware transfer" "${done_:-0}" 1
stp_stop
assert_eq "server stopped cleanly" "$STP_RC" 0
stp_finish
