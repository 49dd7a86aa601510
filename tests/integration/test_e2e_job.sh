#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A deploy job end to end through stampede, with real firmware and the
# imaging-OS stand-in:
#   stampedectl queues a deploy job for a host (admin API, bearer token)
#   -> a SeaBIOS + iPXE VM PXE-boots: DHCP (iPXE) -> the chain script ->
#      its per-host script (the job) over HTTP -> bzImage + init.xz over HTTP
#   -> the stand-in checks in, reports progress and done through the
#      dataplane's /api/ upcalls -> the job is done, every stage stamped,
#      and the host's script is the menu again.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=lib_tftp.sh
source "$(dirname "$0")/lib_tftp.sh"
# shellcheck source=lib_vm.sh
source "$(dirname "$0")/lib_vm.sh"

TOKEN=e2e-token-0123456789
CTL="$STP_ROOT/build/tools/stampedectl"
img="$STP_ROOT/build/imaging-os"
"$STP_ROOT/tools/imaging-os/build.sh" "$img" >"$STP_WORK/imaging-os.log" 2>&1 ||
	{ fail "imaging-OS build" "$(tail -n 5 "$STP_WORK/imaging-os.log")"; stp_finish; }

lab_up
cfg="$STP_WORK/stampede.yaml"
CFG_EXTRA="" TFTP_MEMORY_MB=512 tftp_config "$cfg"
# the admin API on the server namespace's loopback, with a token
sed -i "s|^  database: \(.*\)$|  database: \1\n  token: \"$TOKEN\"\n  api_listen: 127.0.0.1:8080|" "$cfg"
root=$(stp_boot_root)
rm -f "$root/boot.ipxe"   # control renders the chain script
vm_boot_files "$root"
cp "$img/bzImage" "$img/init.xz" "$root/"
stp_start "$cfg" || { fail "server start"; stp_finish; }
ctl() { nsx srv "$CTL" --server http://127.0.0.1:8080 --token "$TOKEN" "$@"; }

ctl image add debian12 --kernel bzImage --initrd init.xz --args "console=ttyS0" >/dev/null
lab_add_client probe
nsx probe ip addr add 10.77.0.9/24 dev eth0

# run_job NAME FIRMWARE MAC LIMIT — queue a deploy job, PXE-boot a VM, follow it to done.
run_job() {
	local name=$1 fw=$2 mac=$3 limit=$4 out job script t0 serial jobs status col stage
	ctl host add "$mac" --name "$name" --image debian12 >/dev/null
	out=$(ctl job deploy --host "$mac" --image debian12)
	assert_match "$fw: job queued" "$out" 'job [0-9]+: deploy'
	job=$(sed -n 's/^job \([0-9]*\):.*/\1/p' <<<"$out")
	sleep 0.5
	script=$(nsx probe curl -s -m 5 "http://10.77.0.1/boot/$mac.ipxe")
	assert_contains "$fw: per-host script boots the imaging OS for job $job" "$script" "stampede.job=$job"
	t0=$SECONDS
	vm_start "$name" "$mac" "$fw"
	if vm_wait_serial "$name" "$limit" "STAMPEDE-IMAGING-OS: job $job done"; then
		pass "$fw: the imaging OS reported job $job done ($((SECONDS - t0)) s from power-on)"
	else
		fail "$fw: no 'job $job done' on the console" "$(vm_serial "$name" | tail -n 12 | tr '\n' '|')"
	fi
	if wait_for 30 bash -c "! kill -0 $VM_PID 2>/dev/null"; then pass "$fw: VM powered off by itself"
	else fail "$fw: VM powered off by itself" "still running"; fi
	bg_stop "$VM_PID" KILL
	serial=$(vm_serial "$name")
	assert_contains "$fw: iPXE fetched the kernel over HTTP" "$serial" "http://10.77.0.1/bzImage"
	assert_contains "$fw: iPXE fetched the initrd over HTTP" "$serial" "http://10.77.0.1/init.xz"
	assert_contains "$fw: imaging OS came up" "$serial" "STAMPEDE-IMAGING-OS: up"
	jobs=$(ctl job list | awk -v j="$job" '$1 == j')
	assert_match "$fw: job list shows job $job done at 100%" "$jobs" "^$job +deploy +$mac +debian12 +done +100%"
	status=$(ctl status)
	for stage in ipxe_dhcp script kernel initrd checkin done; do
		col=$(awk -v m="$mac" -v s="$stage" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == s) c = i }
			$1 == m { print $c }' <<<"$status")
		assert_match "$fw: stage $stage stamped" "${col:--}" '^\+'
	done
	script=$(nsx probe curl -s -m 5 "http://10.77.0.1/boot/$mac.ipxe")
	assert_contains "$fw: the host's script is the menu again" "$script" "menu"
}

run_job e2e-bios bios 52:54:00:77:0e:01 240
run_job e2e-uefi uefi 52:54:00:77:0e:02 360
status=$(ctl status)
assert_contains "UEFI: firmware TFTP stage stamped for the EDK2 boot" \
	"$(awk '$1 == "52:54:00:77:0e:02"' <<<"$status")" "+"
stp_stop
assert_eq "server stopped cleanly" 0 "$STP_RC"
stp_finish
