#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The UEFI deploy job again, with ProxyDHCP: dnsmasq (10.77.0.2, DHCP only,
# no boot options of its own) hands out every address; stampede runs with
# dhcp.mode proxy and only adds the boot information.
#   stampedectl queues a deploy job for the host
#   -> an OVMF VM (NIC option ROM off: EDK2's own PXE client) takes its
#      address from dnsmasq and its boot file from stampede's proxy
#      OFFER (UDP 67, yiaddr 0), TFTPs ipxe.efi (neither EDK2 nor iPXE
#      asks on UDP 4011 here: the OFFER's option 43 says "boot this file")
#   -> iPXE: DHCP again (dnsmasq's address, stampede's script URL), the
#      chain script and its per-host script, bzImage + init.xz over HTTP
#   -> the stand-in (its address from dnsmasq too) checks in, reports
#      progress and done -> job done at 100%, every stage stamped.
# stampede must never hand out an address: its DHCP counters show no
# OFFER or ACK of its own and its lease table stays empty.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=lib_tftp.sh
source "$(dirname "$0")/lib_tftp.sh"
# shellcheck source=lib_vm.sh
source "$(dirname "$0")/lib_vm.sh"
# shellcheck source=lib_e2e.sh
source "$(dirname "$0")/lib_e2e.sh"

MAC=52:54:00:77:0f:01
RANGE_FIRST=10.77.0.150      # dnsmasq's range: clear of .1 (stampede),
RANGE_LAST=10.77.0.199       # .2 (dnsmasq) and .9 (the probe)
LEASES="$STP_WORK/dnsmasq.leases"

e2e_up proxy

# The address server: a plain DHCP server, no PXE options, no DNS (port 0).
lab_add_client dhcpd 02:77:00:00:04:01
nsx dhcpd ip addr add 10.77.0.2/24 dev eth0
bg_start "$STP_WORK/dnsmasq.log" ip netns exec "$STP_P-dhcpd" dnsmasq -k \
	--conf-file=/dev/null --port=0 --no-resolv --no-hosts -u root \
	--interface=eth0 --bind-interfaces --no-ping --log-dhcp --log-facility=- \
	--dhcp-leasefile="$LEASES" --dhcp-authoritative \
	--dhcp-range="$RANGE_FIRST,$RANGE_LAST,255.255.255.0,10m"
dnsmasq_pid=$BG_PID
if ! wait_for 10 grep -q 'DHCP, IP range' "$STP_WORK/dnsmasq.log"; then
	fail "dnsmasq runs" "$(tail -n 5 "$STP_WORK/dnsmasq.log" | tr '\n' '|')"
	stp_finish
fi

ctl host add "$MAC" --name proxy-uefi --image debian12 >/dev/null
out=$(ctl job deploy --host "$MAC" --image debian12)
assert_match "job queued" "$out" 'job [0-9]+: deploy'
job=$(sed -n 's/^job \([0-9]*\):.*/\1/p' <<<"$out")
sleep 0.5
script=$(nsx probe curl -s -m 5 "http://10.77.0.1/boot/$MAC.ipxe")
assert_contains "per-host script boots the imaging OS for job $job" "$script" "stampede.job=$job"

pcap="$STP_WORK/dhcp.pcap"
cap_start lan s-stp0 "$pcap"
t0=$SECONDS
vm_start proxy-uefi "$MAC" uefi
if vm_wait_serial proxy-uefi 420 "STAMPEDE-IMAGING-OS: job $job done"; then
	pass "the imaging OS reported job $job done ($((SECONDS - t0)) s from power-on)"
else
	fail "the imaging OS reported job $job done" \
		"$(vm_serial proxy-uefi | tail -n 12 | tr '\n' '|')"
fi
if wait_for 30 bash -c "! kill -0 $VM_PID 2>/dev/null"; then pass "VM powered off by itself"
else fail "VM powered off by itself" "still running"; fi
bg_stop "$VM_PID" KILL
cap_stop
serial=$(vm_serial proxy-uefi)

# --- the boot chain, as the console shows it
assert_contains "iPXE fetched the kernel over HTTP" "$serial" "http://10.77.0.1/bzImage"
assert_contains "iPXE fetched the initrd over HTTP" "$serial" "http://10.77.0.1/init.xz"
up=$(grep -a 'STAMPEDE-IMAGING-OS: up ' <<<"$serial" | head -n 1 || true)
assert_contains "imaging OS came up" "$up" "STAMPEDE-IMAGING-OS: up"
assert_eq "imaging OS: its lease came from dnsmasq" 10.77.0.2 "$(kv "$up" dhcp)"
assert_ip_in "imaging OS: address in dnsmasq's range" "$(kv "$up" ip)" "$RANGE_FIRST" "$RANGE_LAST"

# --- the wire: stampede's answers carried boot information, never an address
dec=$(dhcp_decode "$pcap" | grep -a "chaddr=$MAC " || true)
from_stp=$(grep -a 'src=10.77.0.1 ' <<<"$dec" || true)
o=$(grep -a ' type=2 ' <<<"$from_stp" | grep -a ' file=ipxe.efi ' | head -n 1 || true)
assert_contains "proxy OFFER to EDK2 names ipxe.efi" "$o" " file=ipxe.efi "
o=$(grep -a ' o77s=iPXE' <<<"$dec" | head -n 1 || true)
assert_contains "iPXE did DHCP on the wire" "$o" " o77s=iPXE"
n=$(grep -ac 'o67s=http://10.77.0.1/boot.ipxe' <<<"$from_stp" || true)
if ((n >= 1)); then pass "iPXE got the script URL from the proxy ($n answers)"; else
	fail "iPXE got the script URL from the proxy" "no answer from 10.77.0.1 carried it"; fi
n=$(grep -a ' yiaddr=' <<<"$from_stp" | grep -avc ' yiaddr=0.0.0.0 ' || true)
assert_eq "no answer from stampede carries an address" 0 "$n"
# (iPXE's and the stand-in's ACKs are unicast, so dnsmasq's log counts them)
n=$(grep -ac "DHCPACK(eth0) [0-9.]* $MAC" "$STP_WORK/dnsmasq.log" || true)
if ((n >= 3)); then pass "dnsmasq ACKed the firmware, iPXE and the stand-in ($n ACKs)"; else
	fail "dnsmasq ACKed the firmware, iPXE and the stand-in" "$n ACKs in its log"; fi

# --- the leases: dnsmasq's file has the MAC, stampede's table nothing
if wait_for 10 grep -qi " $MAC " "$LEASES"; then
	ip=$(awk -v m="$MAC" 'tolower($2) == m { print $3 }' "$LEASES" | tail -n 1)
	assert_ip_in "dnsmasq's lease file: $MAC at an address of its range" "$ip" \
		"$RANGE_FIRST" "$RANGE_LAST"
else
	fail "dnsmasq's lease file has $MAC" "$(tr '\n' '|' <"$LEASES" 2>/dev/null)"
fi
db=$(sed -n 's/^  database: //p' "$E2E_CFG")
assert_eq "stampede's lease table is empty" 0 "$(sqlite3 "$db" 'SELECT count(*) FROM leases')"

# --- stampede's DHCP counters: proxy answers only
st=$(nsx probe curl -s -m 5 http://10.77.0.1/api/v1/status)
dsum() { jq -r --arg k "$1" '[.lcores[].dhcp // {} | .[$k] // 0] | add' <<<"$st"; }
assert_eq "counters: no address ACK sent" 0 "$(dsum ack)"
assert_eq "counters: no address OFFER sent" 0 "$(dsum offer)"
n=$(dsum proxy_offer)
if ((n >= 2)); then pass "counters: proxy OFFERs to EDK2 and iPXE ($n)"; else
	fail "counters: proxy OFFERs to EDK2 and iPXE" "proxy_offer=$n"; fi

# --- the job and its stages
jobs=$(ctl job list | awk -v j="$job" '$1 == j')
assert_match "job list shows job $job done at 100%" "$jobs" "^$job +deploy +$MAC +debian12 +done +100%"
status=$(ctl status)
for stage in fw_dhcp fw_tftp ipxe_dhcp script kernel initrd checkin progress "done"; do
	col=$(awk -v m="$MAC" -v s="$stage" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == s) c = i }
		$1 == m { print $c }' <<<"$status")
	assert_match "stage $stage stamped" "${col:--}" '^\+'
done
last_ip=$(ctl host list | awk -v m="$MAC" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "LAST_IP") c = i }
	$1 == m { print $c }')
assert_ip_in "the host's last address is dnsmasq's" "$last_ip" "$RANGE_FIRST" "$RANGE_LAST"
script=$(nsx probe curl -s -m 5 "http://10.77.0.1/boot/$MAC.ipxe")
assert_contains "the host's script is the menu again" "$script" "menu"

stp_stop
assert_eq "server stopped cleanly" 0 "$STP_RC"
bg_stop "$dnsmasq_pid" TERM
stp_finish
