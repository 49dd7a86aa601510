#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# DHCP server corner cases (RFC 2131 and what PXE firmware does):
# architectures without a configured boot file, the broadcast flag, NAK for
# a foreign or taken address (INIT-REBOOT), DECLINE, INFORM, two clients
# sharing one xid (EDK2 does this), and a clean stop on SIGINT.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ip2hex() { local a b c d; IFS=. read -r a b c d <<<"$1"; printf '%02x%02x%02x%02x' "$a" "$b" "$c" "$d"; }
str2hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# lease_file IP SERVER — a dhclient lease file holding a valid lease of IP.
lease_file() {
	cat <<LEASE
lease {
  interface "eth0";
  fixed-address $1;
  option subnet-mask 255.255.255.0;
  option dhcp-lease-time 600;
  option dhcp-server-identifier $2;
  renew 4 2037/12/31 00:00:00;
  rebind 4 2037/12/31 00:00:00;
  expire 4 2037/12/31 00:00:00;
}
LEASE
}

lab_up
for c in arm ia32 bcast nak1 holder thief decl inf twins other; do lab_add_client "$c"; done

cfg="$STP_WORK/stampede.yaml"
stp_write_config "$cfg" server
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

# --- PXE architectures with no boot file configured (arm64, uefi32: "")
for pair in arm:11 ia32:6; do
	c=${pair%%:*} arch=${pair#*:}
	conf=$(dhc_conf "$c" \
		"send vendor-class-identifier \"PXEClient:Arch:$(printf '%05d' "$arch"):UNDI:003000\";" \
		"send pxe-arch $arch;")
	lf="$STP_WORK/dhc.$c.leases"
	if dhc_lease "$c" "$conf"; then pass "arch $arch: lease obtained"; else fail "arch $arch: lease obtained" "no BOUND"; fi
	assert_ip_in "arch $arch: address in pool" "$(lease_field "$lf" fixed-address)" 10.77.0.100 10.77.0.250
	assert_eq "arch $arch: no file field" "" "$(lease_field "$lf" filename)"
	assert_eq "arch $arch: no option 67" "" "$(lease_field "$lf" "option bootfile-name")"
done

# --- broadcast flag set: replies must be broadcast (RFC 2131 4.1)
pcap="$STP_WORK/bcast.pcap"
cap_start bcast eth0 "$pcap"
if udhcpc_run bcast -B; then pass "broadcast flag: lease obtained"; else fail "broadcast flag: lease obtained" "udhcpc exit $?"; fi
cap_stop
offer=$(dhcp_pick "$pcap" " type=2 " "src=10.77.0.1 ")
ack=$(dhcp_pick "$pcap" " type=5 " "src=10.77.0.1 ")
assert_eq "broadcast flag: client set it (capture sanity)" 8000 "$(dfield "$(dhcp_pick "$pcap" " type=1 ")" flags)"
assert_eq "broadcast flag: OFFER to 255.255.255.255" 255.255.255.255 "$(dfield "$offer" dst)"
assert_eq "broadcast flag: ACK to 255.255.255.255" 255.255.255.255 "$(dfield "$ack" dst)"

# --- INIT-REBOOT for an address on another network: NAK, then a new lease
lease_file 10.99.0.5 10.99.0.1 >"$STP_WORK/dhc.nak1.leases"
pcap="$STP_WORK/nak1.pcap"
cap_start nak1 eth0 "$pcap"
if dhc_lease nak1; then pass "foreign INIT-REBOOT: lease obtained after all"; else
	fail "foreign INIT-REBOOT: lease obtained after all" "no BOUND"; fi
cap_stop
req=$(dhcp_pick "$pcap" " type=3 " "o50i=10.99.0.5")
nak=$(dhcp_pick "$pcap" " type=6 " "src=10.77.0.1 ")
assert_contains "foreign INIT-REBOOT: client asked for 10.99.0.5 (sanity)" "$req" "type=3"
assert_contains "foreign INIT-REBOOT: NAK from the server" "$nak" "type=6"
assert_eq "foreign INIT-REBOOT: NAK broadcast" 255.255.255.255 "$(dfield "$nak" dst)"
assert_ip_in "foreign INIT-REBOOT: then an address in pool" "$(lease_field "$STP_WORK/dhc.nak1.leases" fixed-address)" 10.77.0.100 10.77.0.250

# --- INIT-REBOOT for an address another client holds: NAK, then another
udhcpc_run holder || true
h_ip=$(udhcpc_get holder bound ip)
assert_ip_in "holder: lease obtained" "$h_ip" 10.77.0.100 10.77.0.250
lease_file "$h_ip" 10.77.0.1 >"$STP_WORK/dhc.thief.leases"
pcap="$STP_WORK/thief.pcap"
cap_start thief eth0 "$pcap"
dhc_lease thief || true
cap_stop
t_ip=$(lease_field "$STP_WORK/dhc.thief.leases" fixed-address)
assert_contains "taken address: NAK from the server" "$(dhcp_pick "$pcap" " type=6 " "src=10.77.0.1 ")" "type=6"
assert_ip_in "taken address: thief got an address in pool" "$t_ip" 10.77.0.100 10.77.0.250
assert_ne "taken address: thief did not get the holder's address" "$h_ip" "$t_ip"

# --- DECLINE: the client refuses its address; it must not be offered again
s=$(dhc_script decl)
# shellcheck disable=SC2016  # $reason is for the script, not for us
sed -i 's/^exit 0$/[ "$reason" = BOUND ] \&\& exit 1\nexit 0/' "$s"
timeout 40 ip netns exec "$STP_P-decl" dhclient -4 -d -1 -v -cf "$(dhc_conf decl)" \
	-lf "$STP_WORK/dhc.decl.leases" -pf "$STP_WORK/dhc.decl.pid" -sf "$s" eth0 \
	>"$STP_WORK/dhc.decl.log" 2>&1 || true
d_ip=$(sed -n 's/^DHCPDECLINE of \([0-9.]*\) .*/\1/p' "$STP_WORK/dhc.decl.log" | head -n 1)
assert_ip_in "decline: client declined an address (sanity)" "$d_ip" 10.77.0.100 10.77.0.250
# shellcheck disable=SC2016
sed -i '/\[ "$reason" = BOUND \] && exit 1/d' "$s"
rm -f "$STP_WORK/dhc.decl.leases"
dhc_lease decl || true
n_ip=$(lease_field "$STP_WORK/dhc.decl.leases" fixed-address)
assert_ip_in "decline: new lease obtained" "$n_ip" 10.77.0.100 10.77.0.250
assert_ne "decline: declined address not handed out again" "$d_ip" "$n_ip"

# --- INFORM from a statically configured client: ACK, options, no lease
nsx inf ip addr add 10.77.0.30/24 dev eth0
r=$(nsx inf python3 "$STP_ROOT/tests/tools/dhcp_xchg.py" eth0 "mac=${STP_MAC[inf]}" xid=1f0f0001 type=8 \
	ciaddr=10.77.0.30 src=10.77.0.30 flags=0000 o55=0103060f wait=2 || true)
assert_contains "inform: ACK" "$r" " type=5 "
assert_eq "inform: unicast to ciaddr" 10.77.0.30 "$(dfield "$r" dst)"
assert_eq "inform: no yiaddr" 0.0.0.0 "$(dfield "$r" yiaddr)"
assert_eq "inform: no lease time (RFC 2131 4.3.5)" "" "$(dfield "$r" o51)"
assert_eq "inform: router" 10.77.0.254 "$(dfield "$r" o3i)"
assert_eq "inform: dns" 10.77.0.53,10.77.0.54 "$(dfield "$r" o6i)"

# --- two PXE clients with the same xid (EDK2 guests do this)
nsx twins ip link set eth0 promisc on
m1=02:77:00:00:05:01 m2=02:77:00:00:05:02
pxe="o60=$(str2hex PXEClient:Arch:00007:UNDI:003000) o93=0007"
# shellcheck disable=SC2086  # $pxe is two words on purpose
r=$(nsx twins python3 "$STP_ROOT/tests/tools/dhcp_xchg.py" eth0 mac=$m1 xid=edc00001 type=1 $pxe -- \
	mac=$m2 xid=edc00001 type=1 $pxe wait=2 || true)
o1=$(grep -a " type=2 " <<<"$r" | grep -a "chaddr=$m1" | head -n 1 || true)
o2=$(grep -a " type=2 " <<<"$r" | grep -a "chaddr=$m2" | head -n 1 || true)
y1=$(dfield "$o1" yiaddr) y2=$(dfield "$o2" yiaddr)
assert_ip_in "same xid: first client offered an address" "$y1" 10.77.0.100 10.77.0.250
assert_ip_in "same xid: second client offered an address" "$y2" 10.77.0.100 10.77.0.250
assert_ne "same xid: different addresses" "$y1" "$y2"
assert_eq "same xid: OFFER file for UEFI" ipxe.efi "$(dfield "$o1" file)"
if [[ -n "$y1" && -n "$y2" ]]; then
	# shellcheck disable=SC2086
	r=$(nsx twins python3 "$STP_ROOT/tests/tools/dhcp_xchg.py" eth0 mac=$m1 xid=edc00001 type=3 $pxe \
		o50="$(ip2hex "$y1")" o54=0a4d0001 -- mac=$m2 xid=edc00001 type=3 $pxe \
		o50="$(ip2hex "$y2")" o54=0a4d0001 wait=2 || true)
	a1=$(grep -a " type=5 " <<<"$r" | grep -a "chaddr=$m1" | head -n 1 || true)
	a2=$(grep -a " type=5 " <<<"$r" | grep -a "chaddr=$m2" | head -n 1 || true)
	assert_eq "same xid: first client ACKed its address" "$y1" "$(dfield "$a1" yiaddr)"
	assert_eq "same xid: second client ACKed its address" "$y2" "$(dfield "$a2" yiaddr)"
	assert_not_contains "same xid: no NAK" "$r" " type=6 "
fi

# --- the client picks another server's offer: REQUEST with server id
# 10.77.0.2 must get no reply from us (RFC 2131 4.3.2)
mo=${STP_MAC[other]}
r=$(nsx other python3 "$STP_ROOT/tests/tools/dhcp_xchg.py" eth0 "mac=$mo" xid=0e0e0001 type=1 wait=2 || true)
y=$(dfield "$(grep -a " type=2 " <<<"$r" | head -n 1 || true)" yiaddr)
assert_ip_in "other server chosen: we offered an address" "$y" 10.77.0.100 10.77.0.250
r=$(nsx other python3 "$STP_ROOT/tests/tools/dhcp_xchg.py" eth0 "mac=$mo" xid=0e0e0001 type=3 \
	o50=0a4d00fa o54=0a4d0002 wait=2 || true)
assert_eq "other server chosen: no reply to a REQUEST for 10.77.0.2" "" "$r"

if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
bg_stop "$STP_PID" INT
STP_PID=""
assert_eq "SIGINT: exit status" 0 "$BG_RC"
assert_contains "SIGINT: per-lcore counters printed on exit" "$(sed -n '/stampede: stopping/,$p' "$STP_LOG")" "lcore"
stp_finish
