#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Capture and register jobs through real PXE firmware (SeaBIOS + iPXE) into
# the imaging-OS stand-in, not just the stand-in alone:
#   capture   a registered host with an image gets a capture job; its
#             per-host script boots the imaging OS with stampede.type=capture,
#             the stand-in checks in, reports progress and done: the job list
#             shows capture done at 100%.
#   register  FOG's quick registration: an unknown MAC PXE-boots and is
#             recorded as a discovered host (and gets the menu); a register
#             job is queued for it; booted again (now with an SMBIOS serial
#             and a 64 MiB virtio disk) the stand-in POSTs /api/v1/register
#             with its inventory; the host is then registered, the job done,
#             and the host list and the API show the serial and disk size.
# The capture VM and the register host's first boot run at the same time.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=lib_tftp.sh
source "$(dirname "$0")/lib_tftp.sh"
# shellcheck source=lib_vm.sh
source "$(dirname "$0")/lib_vm.sh"
# shellcheck source=lib_e2e.sh
source "$(dirname "$0")/lib_e2e.sh"

CAP_MAC=52:54:00:77:c0:01
REG_MAC=52:54:00:77:c0:02
REG_NAME=host-52540077c002      # the name registration gives an unnamed host
REG_SERIAL=STP-REG-0002
REG_DISK=$((64 * 1024 * 1024))

# host_col MAC COLUMN — one cell of `stampedectl host list`, by header name.
host_col() {
	ctl host list | awk -v m="$1" -v k="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i }
		$1 == m { print $c }'
}

# stage_col MAC STAGE — one stage cell of `stampedectl status`.
stage_col() {
	ctl status | awk -v m="$1" -v s="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == s) c = i }
		$1 == m { print $c }'
}

# poll SECONDS CMD... — CMD every second until it succeeds.
poll() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		sleep 1
	done
}

is_discovered() { [[ "$(host_col "$REG_MAC" STATE)" == discovered ]]; }

# vm_done NAME PID LIMIT PATTERN LABEL — wait for PATTERN on NAME's console,
# then for the VM to power itself off.
vm_done() {
	local name=$1 pid=$2 limit=$3 pat=$4 label=$5
	if vm_wait_serial "$name" "$limit" "$pat"; then
		pass "$label ($((SECONDS - t0)) s after the first power-on)"
	else
		fail "$label" "$(vm_serial "$name" | tail -n 10 | tr '\n' '|')"
	fi
	if wait_for 30 bash -c "! kill -0 $pid 2>/dev/null"; then pass "$name: VM powered off by itself"
	else fail "$name: VM powered off by itself" "still running"; fi
	bg_stop "$pid" KILL
}

e2e_up
# What runs without an image of its own (a register job, the menu of a host
# that has none) boots the image named "default": the stand-in again, with
# its console on the serial line.
ctl image add default --kernel bzImage --initrd init.xz --args "console=ttyS0" >/dev/null

# --- capture: a registered host with an image
ctl host add "$CAP_MAC" --name cap-01 --image debian12 >/dev/null
out=$(ctl job capture --host "$CAP_MAC")
assert_match "capture job queued" "$out" "^job [0-9]+: capture $CAP_MAC with debian12, queued$"
cjob=$(sed -n 's/^job \([0-9]*\):.*/\1/p' <<<"$out")
sleep 0.5
script=$(nsx probe curl -s -m 5 "http://10.77.0.1/boot/$CAP_MAC.ipxe" || true)
assert_contains "capture script: stampede.type=capture" "$script" "stampede.type=capture"
assert_contains "capture script: job $cjob, image debian12" "$script" \
	"stampede.job=$cjob stampede.type=capture stampede.image=debian12"

# --- register, first boot: nobody knows this MAC
assert_eq "register host unknown before it boots" "" "$(host_col "$REG_MAC" MAC)"
truncate -s "$REG_DISK" "$STP_WORK/reg.img"
t0=$SECONDS
vm_start cap "$CAP_MAC" bios
cap_pid=$VM_PID
vm_start reg1 "$REG_MAC" bios
reg1_pid=$VM_PID
if poll 240 is_discovered; then
	pass "an unknown MAC that PXE-boots is a discovered host ($((SECONDS - t0)) s)"
else
	fail "an unknown MAC that PXE-boots is a discovered host" "$(ctl host list | tr '\n' '|')"
fi
assert_eq "discovered host has no name" - "$(host_col "$REG_MAC" NAME)"
assert_eq "discovered host: BIOS (arch 0)" 0 "$(host_col "$REG_MAC" ARCH)"
assert_ip_in "discovered host: its lease address" "$(host_col "$REG_MAC" LAST_IP)" \
	10.77.0.100 10.77.0.250
if vm_wait_serial reg1 120 'Quick registration'; then
	pass "discovered host was served the boot menu"
else
	fail "discovered host was served the boot menu" "$(vm_serial reg1 | tail -n 6 | tr '\n' '|')"
fi
bg_stop "$reg1_pid" KILL

# --- register job for the discovered host, second boot
out=$(ctl job register --host "$REG_MAC" 2>&1 || true)
assert_match "register job queued for the discovered host" "$out" \
	"^job [0-9]+: register $REG_MAC, queued$"
rjob=$(sed -n 's/^job \([0-9]*\):.*/\1/p' <<<"$out")
sleep 0.5
script=$(nsx probe curl -s -m 5 "http://10.77.0.1/boot/$REG_MAC.ipxe" || true)
assert_contains "register script: job ${rjob:-?}, stampede.type=register" "$script" \
	"stampede.job=${rjob:-?} stampede.type=register stampede.server="
vm_start reg2 "$REG_MAC" bios -smbios "type=1,serial=$REG_SERIAL" \
	-drive "file=$STP_WORK/reg.img,format=raw,if=virtio"
reg2_pid=$VM_PID

vm_done cap "$cap_pid" 300 "STAMPEDE-IMAGING-OS: job $cjob done" "capture: the stand-in reported job $cjob done"
vm_done reg2 "$reg2_pid" 300 "STAMPEDE-IMAGING-OS: registered mac=$REG_MAC" \
	"register: the stand-in registered"
note "both jobs done $((SECONDS - t0)) s after the first power-on"

# --- capture results
serial=$(vm_serial cap)
start=$(grep -a 'STAMPEDE-IMAGING-OS: start ' <<<"$serial" | head -n 1 || true)
assert_contains "capture: the stand-in ran a capture of debian12" "$start" \
	" job=$cjob type=capture image=debian12 "
assert_contains "capture: progress 100 reported" "$serial" "STAMPEDE-IMAGING-OS: job $cjob progress 100"
assert_match "job list: capture $cjob done at 100%" "$(ctl job list | awk -v j="$cjob" '$1 == j')" \
	"^$cjob +capture +$CAP_MAC +debian12 +done +100%"
for stage in ipxe_dhcp script kernel initrd checkin progress "done"; do
	assert_match "capture: stage $stage stamped" "$(stage_col "$CAP_MAC" "$stage")" '^\+'
done

# --- register results
serial=$(vm_serial reg2)
assert_contains "register: the stand-in booted for job ${rjob:-?} as a register run" "$serial" \
	"job=${rjob:-?} type=register"
assert_contains "register: inventory sent" "$serial" \
	"STAMPEDE-IMAGING-OS: registered mac=$REG_MAC serial=$REG_SERIAL disk_bytes=$REG_DISK"
assert_match "job list: register ${rjob:-?} done at 100%" \
	"$(ctl job list | awk -v j="${rjob:-?}" '$1 == j')" \
	"^${rjob:-?} +register +$REG_MAC +- +done +100% +- +registered$"
assert_eq "host list: registered" registered "$(host_col "$REG_MAC" STATE)"
assert_eq "host list: named by registration" "$REG_NAME" "$(host_col "$REG_MAC" NAME)"
assert_eq "host list: serial from the inventory" "$REG_SERIAL" "$(host_col "$REG_MAC" SERIAL)"
assert_eq "host list: disk size from the inventory" 64MiB "$(host_col "$REG_MAC" DISK)"
api=$(nsx srv curl -s -m 5 "http://127.0.0.1:8080/api/v1/hosts/$REG_MAC" || true)
assert_eq "API: the host is not discovered any more" false "$(jq -r .discovered <<<"$api")"
assert_eq "API: inventory serial" "$REG_SERIAL" "$(jq -r .inventory.serial <<<"$api")"
assert_eq "API: inventory disk_bytes" "$REG_DISK" "$(jq -r .inventory.disk_bytes <<<"$api")"
assert_eq "API: inventory mac" "$REG_MAC" "$(jq -r .inventory.mac <<<"$api")"
for stage in ipxe_dhcp script kernel initrd checkin "done"; do
	assert_match "register: stage $stage stamped" "$(stage_col "$REG_MAC" "$stage")" '^\+'
done
for m in "$CAP_MAC" "$REG_MAC"; do
	script=$(nsx probe curl -sS -m 5 "http://10.77.0.1/boot/$m.ipxe" 2>&1 || true)
	assert_contains "$m: the script is the menu again" "$script" "item register Quick registration"
done

stp_stop
assert_eq "server stopped cleanly" 0 "$STP_RC"
stp_finish
