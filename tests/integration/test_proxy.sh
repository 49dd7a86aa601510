#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ProxyDHCP: dnsmasq (10.77.0.2, a plain DHCP server) hands out addresses;
# stampede in proxy mode only adds the PXE boot information: an OFFER
# without yiaddr (option 60 PXEClient, option 43, next-server, file) to PXE
# clients on port 67, an ACK to their REQUEST on UDP 4011, and nothing at
# all to a non-PXE client.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

lab_up
lab_add_client dhcpd 02:77:00:00:04:01     # the address server
nsx dhcpd ip addr add 10.77.0.2/24 dev eth0
lab_add_client pxe                         # PXE BIOS firmware look-alike
lab_add_client plain                       # an ordinary client
lab_add_client pxe7                        # PXE UEFI x86-64
lab_add_client ipxe                        # iPXE (user class), chainloaded

bg_start "$STP_WORK/dnsmasq.log" ip netns exec "$STP_P-dhcpd" dnsmasq -k \
	--conf-file=/dev/null --port=0 --no-resolv --no-hosts -u root \
	--interface=eth0 --bind-interfaces --no-ping --log-dhcp --log-facility=- \
	--dhcp-leasefile="$STP_WORK/dnsmasq.leases" --dhcp-authoritative \
	--dhcp-range=10.77.0.150,10.77.0.199,255.255.255.0,10m \
	--dhcp-option=3,10.77.0.254
dnsmasq_pid=$BG_PID
sleep 0.5
kill -0 "$dnsmasq_pid" 2>/dev/null || { fail "dnsmasq runs" "$(tail -n 5 "$STP_WORK/dnsmasq.log" | tr '\n' '|')"; stp_finish; }

cfg="$STP_WORK/stampede.yaml"
stp_write_config "$cfg" proxy
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

# --- a PXE client: address from dnsmasq, boot info from stampede
conf=$(dhc_conf pxe 'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";' \
	'send pxe-arch 0;' 'require subnet-mask;')
pcap="$STP_WORK/pxe.pcap"
cap_start pxe eth0 "$pcap"
if dhc_lease pxe "$conf"; then pass "pxe: lease obtained"; else fail "pxe: lease obtained" "no BOUND within 25 s"; fi
cap_stop
lf="$STP_WORK/dhc.pxe.leases"
pxe_ip=$(lease_field "$lf" fixed-address)
assert_ip_in "pxe: address from dnsmasq's range" "$pxe_ip" 10.77.0.150 10.77.0.199
assert_eq "pxe: lease from dnsmasq" 10.77.0.2 "$(lease_field "$lf" "option dhcp-server-identifier")"

poffer=$(dhcp_pick "$pcap" " type=2 " "src=10.77.0.1 " "chaddr=${STP_MAC[pxe]}")
if [[ -n "$poffer" ]]; then pass "proxy OFFER from 10.77.0.1 seen"; else
	fail "proxy OFFER from 10.77.0.1 seen" "no OFFER from 10.77.0.1 among: $(dhcp_decode "$pcap" | cut -c1-90 | tr '\n' '|')"; fi
assert_eq "proxy OFFER: no yiaddr" 0.0.0.0 "$(dfield "$poffer" yiaddr)"
assert_eq "proxy OFFER: next-server" 10.77.0.1 "$(dfield "$poffer" siaddr)"
assert_eq "proxy OFFER: option 60" PXEClient "$(dfield "$poffer" o60s)"
assert_eq "proxy OFFER: option 54" 10.77.0.1 "$(dfield "$poffer" o54i)"
assert_contains "proxy OFFER: option 43 present" "$poffer" " o43="
assert_eq "proxy OFFER: no lease time" "" "$(dfield "$poffer" o51)"
assert_eq "proxy OFFER: to port 68" 68 "$(dfield "$poffer" dport)"
f=$(dfield "$poffer" file); o67=$(dfield "$poffer" o67s)
if [[ "$f" == undionly.kpxe || "$o67" == undionly.kpxe ]]; then pass "proxy OFFER: boot file undionly.kpxe"; else
	fail "proxy OFFER: boot file undionly.kpxe" "file='$f' option67='$o67'"; fi

# --- the PXE client's next step: REQUEST to 10.77.0.1:4011 from its address
# pxe_4011 ARCH EXPECTED_FILE
pxe_4011() {
	local r
	r=$(nsx pxe python3 "$STP_ROOT/tests/tools/dhcp_pxe4011.py" "$pxe_ip" 10.77.0.1 "${STP_MAC[pxe]}" "$1" 3)
	assert_contains "4011 arch $1: ACK received" "$r" " type=5 "
	assert_eq "4011 arch $1: from port 4011" 4011 "$(dfield "$r" sport)"
	assert_eq "4011 arch $1: file" "$2" "$(dfield "$r" file)"
	assert_eq "4011 arch $1: next-server" 10.77.0.1 "$(dfield "$r" siaddr)"
	assert_eq "4011 arch $1: option 60" PXEClient "$(dfield "$r" o60s)"
	assert_eq "4011 arch $1: no yiaddr" 0.0.0.0 "$(dfield "$r" yiaddr)"
	assert_eq "4011 arch $1: xid echoed" 4011cafe "$(dfield "$r" xid)"
}
if [[ -n "$pxe_ip" ]]; then
	nsx pxe ip addr replace "$pxe_ip/24" dev eth0
	pxe_4011 0 undionly.kpxe
	pxe_4011 7 ipxe.efi
else
	fail "4011: client address" "the PXE client has no address to send from"
fi

# --- UEFI and iPXE clients: the proxy OFFER on port 67 carries their file
# proxy_file CLIENT LABEL EXPECTED DHCLIENT-LINES...
proxy_file() {
	local c=$1 label=$2 want=$3 conf pcap="$STP_WORK/$1.pcap" o
	shift 3
	conf=$(dhc_conf "$c" "$@" 'require subnet-mask;')
	cap_start "$c" eth0 "$pcap"
	dhc_lease "$c" "$conf" || true
	cap_stop
	o=$(dhcp_pick "$pcap" " type=2 " "src=10.77.0.1 " "chaddr=${STP_MAC[$c]}")
	assert_contains "$label: proxy OFFER seen" "$o" " type=2 "
	f=$(dfield "$o" file); o67=$(dfield "$o" o67s)
	if [[ "$f" == "$want" || "$o67" == "$want" ]]; then pass "$label: proxy OFFER boot file $want"; else
		fail "$label: proxy OFFER boot file $want" "file='$f' option67='$o67'"; fi
}
proxy_file pxe7 "uefi arch 7" ipxe.efi \
	'send vendor-class-identifier "PXEClient:Arch:00007:UNDI:003000";' 'send pxe-arch 7;'
proxy_file ipxe "ipxe" http://10.77.0.1/boot.ipxe \
	'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";' 'send pxe-arch 0;' \
	'send user-class "iPXE";'

# --- a non-PXE client: dnsmasq answers, stampede stays silent
pcap="$STP_WORK/plain.pcap"
cap_start plain eth0 "$pcap"
if dhc_lease plain; then pass "plain: lease obtained"; else fail "plain: lease obtained" "no BOUND within 25 s"; fi
sleep 1
cap_stop
assert_ip_in "plain: address from dnsmasq's range" "$(lease_field "$STP_WORK/dhc.plain.leases" fixed-address)" 10.77.0.150 10.77.0.199
n_dnsmasq=$(dhcp_decode "$pcap" | grep -ac 'src=10.77.0.2 ' || true)
n_stp=$(dhcp_decode "$pcap" | grep -ac 'src=10.77.0.1 ' || true)
if ((n_dnsmasq >= 2)); then pass "plain: capture saw dnsmasq's OFFER and ACK"; else
	fail "plain: capture saw dnsmasq's OFFER and ACK" "$n_dnsmasq packets from 10.77.0.2"; fi
assert_eq "plain: no packet from stampede" 0 "$n_stp"

c=$(stp_counters || true)
printf '%s\n' "$c" | sed 's/^/    | /' >&2
if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
bg_stop "$dnsmasq_pid" TERM
stp_finish
