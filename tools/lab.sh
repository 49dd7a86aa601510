#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/lab.sh — the main job: set this Debian 12 machine up (packages,
# build, hugepages) and run stampede on its default lab, with real clients
# booting against it. Run as root:
#
#   tools/lab.sh            set up, run the lab, print what each client got
#   tools/lab.sh --no-setup skip tools/setup.sh (already done)
#   tools/lab.sh --uefi     also PXE-boot a UEFI (OVMF) VM (~1-2 min more)
#   tools/lab.sh --no-vm    only the DHCP clients, no VM
#   tools/lab.sh --keep     keep the lab's logs (printed at the end)
#
# The lab lives in network namespaces made here and removed at the end:
#   <P>-srv   stampede on the veth end stp0 (no kernel IP; the dataplane
#             owns 10.77.0.1), AF_XDP where it starts, af_packet otherwise
#   <P>-lan   the bridge br0 joining everyone
#   <P>-...   one namespace per client: busybox udhcpc, and ISC dhclient
#             posing as BIOS PXE firmware, UEFI PXE firmware and iPXE
#   a qemu VM with real PXE firmware (SeaBIOS + iPXE ROM; with --uefi also
#             OVMF whose EDK2 PXE fetches ipxe.efi over TFTP) on the bridge,
#             with a deploy job queued through stampedectl: it PXE-boots
#             through stampede into the imaging OS (kernel and initrd over
#             HTTP), which reports progress and done; the job list shows it
# Nothing outside those namespaces is sent a packet.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SETUP=1
VMS=(bios)
for a in "$@"; do
	case "$a" in
	--no-setup) SETUP=0 ;;
	--uefi) VMS=(bios uefi) ;;
	--no-vm) VMS=() ;;
	--keep) export STP_KEEP=1 ;;
	-h | --help) sed -n '3,23p' "$0"; exit 0 ;;
	*) echo "lab.sh: unknown argument $a (try --help)" >&2; exit 2 ;;
	esac
done
[[ $EUID -eq 0 ]] || { echo "lab.sh: run as root" >&2; exit 1; }
if ((SETUP)); then "$ROOT/tools/setup.sh"; fi

# shellcheck source=../tests/integration/lib.sh
source "$ROOT/tests/integration/lib.sh"
# shellcheck source=../tests/integration/lib_vm.sh
source "$ROOT/tests/integration/lib_vm.sh"

# Hugepages when the machine has them, --no-huge with a word otherwise.
free_mb=$(awk '/^HugePages_Free:/ {f=$2} /^Hugepagesize:/ {s=$2} END {print int(f*s/1024)}' /proc/meminfo)
if ((free_mb >= 256)); then
	no_huge=false
	say "lab: DPDK on hugepages (${free_mb} MB free)"
else
	no_huge=true
	say "lab: no free hugepages (${free_mb} MB): running DPDK with --no-huge (eal.no_huge: true)"
fi

# Boot files: Debian's iPXE builds when installed, stand-ins otherwise.
root="$STP_WORK/boot"
mkdir -p "$root"
for f in undionly.kpxe ipxe.efi snponly.efi; do
	if [[ -f /usr/lib/ipxe/$f ]]; then cp "/usr/lib/ipxe/$f" "$root/"; else head -c 65536 /dev/urandom >"$root/$f"; fi
done
# The imaging OS the VMs' deploy jobs boot (a Debian kernel and a busybox
# initramfs that reports to the job API), built once and cached.
if ((${#VMS[@]} > 0)); then
	say "lab: building the imaging-OS stand-in (cached in build/imaging-os)"
	"$ROOT/tools/imaging-os/build.sh" "$ROOT/build/imaging-os" >"$STP_WORK/imaging-os.log" 2>&1 ||
		{ tail -n 20 "$STP_WORK/imaging-os.log" >&2; exit 1; }
	cp "$ROOT/build/imaging-os/bzImage" "$ROOT/build/imaging-os/init.xz" "$root/"
fi
TOKEN=lab-token-$RANDOM$RANDOM$RANDOM
CTL="$ROOT/build/tools/stampedectl"
ctl() { nsx srv "$CTL" --server http://127.0.0.1:8080 --token "$TOKEN" "$@"; }

cfg="$STP_WORK/lab.yaml"
sed -e "s|^  no_huge: .*|  no_huge: $no_huge\n  memory_mb: 512|" \
	-e "s|^  root: .*|  root: $root|" \
	-e "s|^  database: .*|  database: $STP_WORK/stampede.db\n  token: \"$TOKEN\"\n  api_listen: 127.0.0.1:8080|" \
	"$ROOT/config/examples/lab.yaml" >"$cfg"
printf 'hosts:\n  - mac: "02:77:00:00:01:05"\n    ip: 10.77.0.50\n    name: lab-reserved\n' >>"$cfg"

lab_up
for c in plain bios uefi ipxe reserved; do lab_add_client "$c"; done
say "lab: starting stampede ($STP_BIN --config $cfg)"
stp_start "$cfg" || exit 1
grep -E 'stampede: (port|ready)' "$STP_LOG" | sed 's/^/  | /' >&2

results=()
row() { results+=("$(printf '%-9s %-34s %s' "$1" "$2" "$3")"); }

udhcpc_run plain || true
row plain "busybox udhcpc" "$(udhcpc_get plain bound ip) router=$(udhcpc_get plain bound router) dns=$(udhcpc_get plain bound dns) lease=$(udhcpc_get plain bound lease)s"

# pxe_client NAME LABEL DHCLIENT-LINES... — one dhclient exchange, one row.
pxe_client() {
	local c=$1 label=$2 conf lf="$STP_WORK/dhc.$1.leases"
	shift 2
	conf=$(dhc_conf "$c" "$@")
	if dhc_lease "$c" "$conf" "$lf"; then
		row "$c" "$label" "$(lease_field "$lf" fixed-address) next-server=$(lease_field "$lf" "option tftp-server-name") file=$(lease_field "$lf" filename)"
	else
		row "$c" "$label" "NO LEASE"
	fi
}
pxe_client bios "dhclient as BIOS PXE (arch 0)" \
	'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";' 'send pxe-arch 0;'
pxe_client uefi "dhclient as UEFI PXE (arch 7)" \
	'send vendor-class-identifier "PXEClient:Arch:00007:UNDI:003000";' 'send pxe-arch 7;'
pxe_client ipxe "dhclient as iPXE (user class)" \
	'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";' 'send pxe-arch 0;' \
	'send user-class "iPXE";'
pxe_client reserved "dhclient, reserved MAC" ''

# udhcpc's script only reports; give plain its leased address to ping from.
plain_ip=$(udhcpc_get plain bound ip)
if [[ -n "$plain_ip" ]]; then nsx plain ip addr add "$plain_ip/24" dev eth0; fi
ping_out=$(nsx plain ping -c 3 -i 0.2 -W 1 10.77.0.1 2>&1 | grep -E 'packets transmitted' || echo "FAILED")
row ping "ping 10.77.0.1 (from plain)" "$ping_out"
arping_out=$(nsx plain arping -c 2 -w 3 -I eth0 10.77.0.1 2>&1 | grep -E 'Received|response' || echo "FAILED")
row arping "arping 10.77.0.1 (from plain)" "$arping_out"

# vm_row NAME FW MAC LIMIT — queue a deploy job for a VM, PXE-boot it and
# follow its console until the imaging OS reports the job done.
vm_row() {
	local name=$1 fw=$2 mac=$3 limit=$4 t0 job
	ctl host add "$mac" --name "$name" --image lab-image >/dev/null
	job=$(ctl job deploy --host "$mac" --image lab-image | sed -n 's/^job \([0-9]*\):.*/\1/p')
	say "lab: deploy job $job queued for $mac; PXE-booting a $fw VM under $(vm_accel), its console:"
	t0=$SECONDS
	vm_start "$name" "$mac" "$fw"
	if vm_wait_serial "$name" "$limit" "STAMPEDE-IMAGING-OS: job $job done"; then
		vm_serial "$name" | grep -aE 'NBP file|Configuring|Filename|http://10|STAMPEDE-IMAGING-OS' |
			sed 's/^/  | /' >&2
		row "$name" "qemu $fw PXE firmware" "deploy job $job done $((SECONDS - t0)) s after power-on"
	else
		vm_serial "$name" | tail -n 8 | sed 's/^/  | /' >&2
		row "$name" "qemu $fw PXE firmware" "FAILED: job $job not done after ${limit} s"
	fi
	wait_for 20 bash -c "! kill -0 $VM_PID 2>/dev/null" || true
	bg_stop "$VM_PID" KILL
}
if ((${#VMS[@]} > 0)); then
	vm_boot_files "$root"
	ctl image add lab-image --kernel bzImage --initrd init.xz --args console=ttyS0 >/dev/null
fi
for fw in "${VMS[@]}"; do
	if [[ "$fw" == uefi ]]; then vm_row vm-uefi uefi 52:54:00:77:00:02 300
	else vm_row vm-bios bios 52:54:00:77:00:01 180; fi
done

printf '\nstampede lab: what each real client got from 10.77.0.1\n\n'
printf '%-9s %-34s %s\n' client "who" "result"
printf '%s\n' "${results[@]}"
if ((${#VMS[@]} > 0)); then
	printf '\nstampedectl job list:\n'
	ctl job list | sed 's/^/  /'
	printf '\nstampedectl status:\n'
	ctl status | sed 's/^/  /'
fi
printf '\nserver counters:\n'
stp_counters | sed 's/^stampede: /  /'
stp_stop
printf '\nstampede stopped (exit %s)\n' "$STP_RC"
if grep -qE 'NO LEASE|FAILED| 0 received' <<<"${results[*]}" || [[ "$STP_RC" != 0 ]]; then
	printf 'lab: something did not work (logs: %s)\n' "$STP_WORK"
	STP_KEEP=1
	exit 1
fi
printf 'lab: every client was served\n'
