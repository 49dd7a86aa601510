#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# DHCP server mode against real clients: busybox udhcpc and ISC dhclient,
# PXE firmware look-alikes (option 60/93), iPXE (option 77), a returning
# client, a static reservation; then a clean SIGTERM stop.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

POOL_FIRST=10.77.0.100
POOL_LAST=10.77.0.250

lab_up
lab_add_client ud          # busybox udhcpc
lab_add_client dc          # plain dhclient
lab_add_client bios        # PXE BIOS (arch 0)
lab_add_client efi7        # PXE UEFI x86-64 (arch 7)
lab_add_client efi9        # PXE UEFI x86-64 (arch 9)
lab_add_client ipxe        # iPXE (user class)
lab_add_client back        # returning client
lab_add_client resv 02:77:00:00:02:50   # has a hosts: reservation
lab_add_client chain       # firmware PXE, then iPXE on the same machine
lab_add_client wish        # asks for a particular address (option 50)

cfg="$STP_WORK/stampede.yaml"
stp_write_config "$cfg" server
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

# --- busybox udhcpc: address, mask, router, dns, lease time, server id
if udhcpc_run ud; then pass "udhcpc: lease obtained"; else
	fail "udhcpc: lease obtained" "udhcpc exit $?: $(tail -n 5 "$STP_WORK/udhcpc.ud.log" | tr '\n' '|')"; fi
assert_ip_in "udhcpc: address in pool" "$(udhcpc_get ud bound ip)" $POOL_FIRST $POOL_LAST
assert_eq "udhcpc: subnet" 255.255.255.0 "$(udhcpc_get ud bound subnet)"
assert_eq "udhcpc: router" 10.77.0.254 "$(udhcpc_get ud bound router)"
assert_eq "udhcpc: dns" "10.77.0.53 10.77.0.54" "$(udhcpc_get ud bound dns)"
assert_eq "udhcpc: lease time" 600 "$(udhcpc_get ud bound lease)"
assert_eq "udhcpc: server id" 10.77.0.1 "$(udhcpc_get ud bound serverid)"
assert_eq "udhcpc: no boot file for a non-PXE client" "" "$(udhcpc_get ud bound boot_file)"
ud_ip=$(udhcpc_get ud bound ip)

# --- dhclient: lease file contents
lf="$STP_WORK/dhc.dc.leases"
if dhc_lease dc; then pass "dhclient: lease obtained"; else
	fail "dhclient: lease obtained" "no BOUND within 25 s"; fi
dc_ip=$(lease_field "$lf" fixed-address)
assert_ip_in "dhclient: address in pool" "$dc_ip" $POOL_FIRST $POOL_LAST
assert_ne "dhclient: address differs from udhcpc client's" "$ud_ip" "$dc_ip"
assert_eq "dhclient: subnet-mask" 255.255.255.0 "$(lease_field "$lf" "option subnet-mask")"
assert_eq "dhclient: routers" 10.77.0.254 "$(lease_field "$lf" "option routers")"
assert_eq "dhclient: domain-name-servers" 10.77.0.53,10.77.0.54 "$(lease_field "$lf" "option domain-name-servers")"
assert_eq "dhclient: dhcp-lease-time" 600 "$(lease_field "$lf" "option dhcp-lease-time")"
assert_eq "dhclient: server identifier" 10.77.0.1 "$(lease_field "$lf" "option dhcp-server-identifier")"
assert_eq "dhclient: no filename for a non-PXE client" "" "$(lease_field "$lf" filename)"

# --- PXE clients: option 60 + 93 -> file by architecture, next-server
# pxe_check CLIENT ARCH EXPECTED_FILE
pxe_check() {
	local c=$1 arch=$2 want=$3 conf lf="$STP_WORK/dhc.$1.leases" pcap="$STP_WORK/$1.pcap" offer
	conf=$(dhc_conf "$c" \
		"send vendor-class-identifier \"PXEClient:Arch:$(printf '%05d' "$arch"):UNDI:002001\";" \
		"send pxe-arch $arch;")
	cap_start "$c" eth0 "$pcap"
	if dhc_lease "$c" "$conf"; then pass "pxe arch $arch: lease obtained"; else
		fail "pxe arch $arch: lease obtained" "no BOUND within 25 s"; fi
	cap_stop
	assert_ip_in "pxe arch $arch: address in pool" "$(lease_field "$lf" fixed-address)" $POOL_FIRST $POOL_LAST
	assert_eq "pxe arch $arch: file field" "$want" "$(lease_field "$lf" filename)"
	assert_eq "pxe arch $arch: option 67" "$want" "$(lease_field "$lf" "option bootfile-name")"
	assert_eq "pxe arch $arch: option 66" 10.77.0.1 "$(lease_field "$lf" "option tftp-server-name")"
	assert_eq "pxe arch $arch: option 60 echoed" PXEClient "$(lease_field "$lf" "option vendor-class-identifier")"
	# siaddr (next-server) is not in dhclient's lease file: read it off the wire
	offer=$(dhcp_pick "$pcap" " type=2 " "chaddr=${STP_MAC[$c]}")
	assert_eq "pxe arch $arch: OFFER siaddr (next-server)" 10.77.0.1 "$(dfield "$offer" siaddr)"
	ack=$(dhcp_pick "$pcap" " type=5 " "chaddr=${STP_MAC[$c]}")
	assert_eq "pxe arch $arch: ACK siaddr (next-server)" 10.77.0.1 "$(dfield "$ack" siaddr)"
	assert_eq "pxe arch $arch: ACK file" "$want" "$(dfield "$ack" file)"
	note "arch $arch OFFER on the wire: $(dfield "$offer" len) bytes of BOOTP, options $(dfield "$offer" oorder)"
}
pxe_check bios 0 undionly.kpxe
pxe_check efi7 7 ipxe.efi
pxe_check efi9 9 ipxe.efi

# --- iPXE: user class "iPXE" -> the script URL instead of the firmware file
lf="$STP_WORK/dhc.ipxe.leases"
conf=$(dhc_conf ipxe \
	'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";' \
	'send pxe-arch 0;' 'send user-class "iPXE";')
if dhc_lease ipxe "$conf"; then pass "ipxe: lease obtained"; else
	fail "ipxe: lease obtained" "no BOUND within 25 s"; fi
assert_eq "ipxe: file field is the script URL" http://10.77.0.1/boot.ipxe "$(lease_field "$lf" filename)"
b67=$(lease_field "$lf" "option bootfile-name")
if [[ -z "$b67" || "$b67" == http://10.77.0.1/boot.ipxe ]]; then pass "ipxe: option 67 absent or the script URL"; else
	fail "ipxe: option 67 absent or the script URL" "option 67 is '$b67'"; fi

# --- one machine through the chain: firmware PXE (no option 61), then iPXE
# (option 61 = 01:MAC, 77 = iPXE) must keep the address and get the script
lf="$STP_WORK/dhc.chain.leases"
conf=$(dhc_conf chain 'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";' 'send pxe-arch 0;')
dhc_lease chain "$conf" || true
fw_ip=$(lease_field "$lf" fixed-address)
assert_ip_in "chain: firmware stage lease" "$fw_ip" $POOL_FIRST $POOL_LAST
assert_eq "chain: firmware stage file" undionly.kpxe "$(lease_field "$lf" filename)"
conf=$(dhc_conf chain 'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";' 'send pxe-arch 0;' \
	'send user-class "iPXE";' "send dhcp-client-identifier 1:${STP_MAC[chain]};")
dhc_lease chain "$conf" "$STP_WORK/dhc.chain.leases2" || true
assert_eq "chain: iPXE stage (client id 01:MAC) keeps the address" "$fw_ip" "$(lease_field "$STP_WORK/dhc.chain.leases2" fixed-address)"
assert_eq "chain: iPXE stage gets the script" http://10.77.0.1/boot.ipxe "$(lease_field "$STP_WORK/dhc.chain.leases2" filename)"

# --- a free address the client asks for (option 50) should be given
if udhcpc_run wish -r 10.77.0.222; then pass "requested address: lease obtained"; else
	fail "requested address: lease obtained" "udhcpc exit $?"; fi
assert_eq "requested address: free 10.77.0.222 honoured (RFC 2131 4.3.1 SHOULD)" 10.77.0.222 "$(udhcpc_get wish bound ip)"

# --- returning client: lease, release, ask again from scratch -> same address
lf="$STP_WORK/dhc.back.leases"
dhc_lease back || true
back_ip=$(lease_field "$lf" fixed-address)
assert_ip_in "returning: first lease" "$back_ip" $POOL_FIRST $POOL_LAST
dhc_release back "$lf" || fail "returning: release" "dhclient -r failed: $(tail -n 3 "$STP_WORK/dhc.back.release.log" | tr '\n' '|')"
assert_contains "returning: RELEASE sent" "$(cat "$STP_WORK/dhc.back.release.log")" "DHCPRELEASE"
sleep 0.5
if dhc_lease back "" "$STP_WORK/dhc.back.leases2"; then pass "returning: second lease obtained"; else
	fail "returning: second lease obtained" "no BOUND within 25 s"; fi
assert_eq "returning: same address after release" "$back_ip" "$(lease_field "$STP_WORK/dhc.back.leases2" fixed-address)"

# --- static reservation from hosts:
if udhcpc_run resv; then pass "reservation: lease obtained"; else
	fail "reservation: lease obtained" "udhcpc exit $?"; fi
assert_eq "reservation: reserved address" 10.77.0.50 "$(udhcpc_get resv bound ip)"
assert_eq "reservation: router" 10.77.0.254 "$(udhcpc_get resv bound router)"
assert_eq "reservation: host name (option 12)" reserved50 "$(udhcpc_get resv bound hostname)"

# --- still alive, counters on SIGUSR1, clean stop
if stp_alive; then pass "server alive after all exchanges"; else fail "server alive after all exchanges" "it exited"; fi
c=$(stp_counters || true)
if [[ -n "$c" ]]; then pass "SIGUSR1 prints counters"; else fail "SIGUSR1 prints counters" "nothing logged"; fi
printf '%s\n' "$c" | sed 's/^/    | /' >&2
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
