# shellcheck shell=bash
# shellcheck disable=SC2034  # VM_PID, VM_T0 ... are for the scripts that source this
# SPDX-License-Identifier: BSD-3-Clause
#
# lib_vm.sh — real PXE firmware in qemu on the lab bridge (sourced after
# lib.sh). Under TCG (this machine's /dev/kvm cannot run guests) a BIOS
# boot to the iPXE script takes ~25 s, UEFI ~60-90 s.

# vm_accel — "kvm" when KVM can really start a guest here, else "tcg".
# Probed once per run and kept in VM_ACCEL: the probe can take its whole
# 10 s (here the KVM probe never exits by itself), which must not land in
# every VM's boot time. Call it once outside $(...) for the cache to stick.
VM_ACCEL=${VM_ACCEL:-}
vm_accel() {
	if [[ -z "$VM_ACCEL" ]]; then
		if [[ -w /dev/kvm ]] && timeout 10 qemu-system-x86_64 -accel kvm -M none -nographic \
			-no-user-config -nodefaults -S -display none </dev/null >/dev/null 2>&1; then
			VM_ACCEL=kvm
		else
			VM_ACCEL=tcg
		fi
	fi
	echo "$VM_ACCEL"
}

# vm_boot_files ROOT — Debian's iPXE builds as the firmware files.
vm_boot_files() {
	cp /usr/lib/ipxe/undionly.kpxe /usr/lib/ipxe/ipxe.efi "$1/"
	if [[ -f /usr/lib/ipxe/snponly.efi ]]; then cp /usr/lib/ipxe/snponly.efi "$1/"; fi
}

# vm_start NAME MAC bios|uefi [QEMU_ARG...] — a VM whose NIC sits on br0
# through a tap in the lan namespace. BIOS: SeaBIOS with the e1000's iPXE
# option ROM. UEFI: OVMF with the NIC's option ROM disabled, so EDK2's own
# PXE client runs. QEMU_ARGs are appended (a disk, an SMBIOS serial ...).
# Serial console to <work>/vm.NAME.serial; VM_PID, and VM_T0 the power-on
# ($EPOCHREALTIME). VM_PIN: a taskset CPU list for qemu (default: none).
VM_PID=""
VM_T0=""
VM_PIN=${VM_PIN:-}
vm_start() {
	local name=$1 mac=$2 fw=$3 tap="t-$1" args pin=()
	shift 3
	vm_accel >/dev/null
	ip -n "$STP_LAN" tuntap add "$tap" mode tap
	ip -n "$STP_LAN" link set "$tap" master br0
	ip -n "$STP_LAN" link set "$tap" up
	args=(-accel "$VM_ACCEL" -m 256 -nographic -no-reboot -boot n
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no")
	if [[ "$fw" == uefi ]]; then
		cp /usr/share/OVMF/OVMF_VARS_4M.fd "$STP_WORK/vm.$name.vars"
		args+=(-M q35 -m 512
			-drive "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
			-drive "if=pflash,format=raw,file=$STP_WORK/vm.$name.vars"
			-device "virtio-net-pci,netdev=n0,mac=$mac,romfile=")
	else
		args+=(-M pc -device "e1000,netdev=n0,mac=$mac")
	fi
	args+=("$@")
	[[ -z "$VM_PIN" ]] || pin=(taskset -c "$VM_PIN")
	VM_T0=$EPOCHREALTIME
	bg_start "$STP_WORK/vm.$name.serial" ip netns exec "$STP_LAN" "${pin[@]}" \
		qemu-system-x86_64 "${args[@]}"
	VM_PID=$BG_PID
}

# vm_wait_serial NAME SECONDS PATTERN — wait for PATTERN on the serial console.
vm_wait_serial() {
	wait_for "$2" grep -aq "$3" "$STP_WORK/vm.$1.serial"
}

# vm_serial NAME — the console so far, escape sequences and CRs removed.
vm_serial() {
	tr -d '\r' <"$STP_WORK/vm.$1.serial" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
}
