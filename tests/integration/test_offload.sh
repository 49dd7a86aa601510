#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Transmit offloads on a port that has them: DPDK's tap PMD offers IPv4,
# TCP and UDP checksum offload and TCP segmentation (done in software by
# the PMD, exactly as a NIC would cut the frames). The server runs on
# port.vdev net_tap0; its tap interface joins a bridge in the server
# namespace with the lab's veth, so the clients are the usual ones.
#
#   stampede (net_tap0) -- stptap0 --[br-srv]-- stp0 ==== s-stp0 --[br0]-- clients
#
# With tx_offload on: the log names the offloads, downloads are
# byte-exact (sha256) with curl and wget, the HTTP path sent TSO frames
# carrying many segments each, the clients' kernels saw no checksum
# error, and TFTP on the same port is byte-exact too. With
# tx_offload: false the same downloads go out in software.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=lib_http.sh
source "$(dirname "$0")/lib_http.sh"

TAP=stptap0
[[ -c /dev/net/tun ]] || { say "test_offload: no /dev/net/tun: skipped"; stp_finish; }

lab_up
# stp0 becomes a bridge port in the server namespace; the tap joins later
ip -n "$STP_SRV" link add br-srv type bridge stp_state 0 forward_delay 0 mcast_snooping 0
ip -n "$STP_SRV" link set stp0 master br-srv
ip -n "$STP_SRV" link set br-srv up
tftp_client h1 10.77.0.21
tftp_client h2 10.77.0.22
root=$(http_root)

# tap_config FILE OFFLOAD — the HTTP lab config on net_tap0.
tap_config() {
	http_config "$1"
	sed -i -e "s|^  iface: stp0$|  vdev: \"net_tap0,iface=$TAP\"|" -e '/^  driver: af_packet$/d' \
		-e "s|^  address: \(.*\)$|  address: \1\n  tx_offload: $2|" "$1"
}

# client_mtu MTU — the clients' interface MTU (their MSS follows). The tap
# PMD checks a TSO segment size plus all headers, Ethernet included,
# against the port MTU (1500, and its frames stop at 1522): full 1448-byte
# segments (+ 66) are refused, so the TSO phase has clients behind a
# 1480-byte path (MSS 1440, segments of 1428 + 12 option bytes).
client_mtu() {
	local c
	for c in h1 h2; do ip -n "$STP_P-$c" link set eth0 mtu "$1"; done
}

# tap_start FILE — start the server and put its tap on the bridge.
tap_start() {
	stp_start "$1" || return 1
	wait_for 10 ip -n "$STP_SRV" link show "$TAP" >/dev/null || return 1
	# The PMD gave the port the kernel interface's MAC; as a bridge port
	# that address would be the bridge's own, so the kernel side moves.
	ip -n "$STP_SRV" link set "$TAP" address 02:77:00:00:00:fe
	ip -n "$STP_SRV" link set "$TAP" master br-srv
	ip -n "$STP_SRV" link set "$TAP" up
	HTTP_TARGET=stampede http_wait_up 20 h1
}

# downloads LABEL — the same objects by curl, wget and tftp, checked by sha256.
downloads() {
	local l=$1 got
	got=$(hcurl h1 "$HTTP_BASE/f30m.bin" | sha256sum | cut -d' ' -f1)
	assert_sha_hex "$l: curl 30 MiB" "$root/f30m.bin" "$got"
	got=$(hcurl h2 "$HTTP_BASE/f100k.bin" | sha256sum | cut -d' ' -f1)
	assert_sha_hex "$l: curl 100000 B" "$root/f100k.bin" "$got"
	got=$(hcurl h2 -r 1000-70999 "$HTTP_BASE/f100k.bin" | sha256sum | cut -d' ' -f1)
	assert_eq "$l: curl Range 1000-70999" \
		"$(tail -c +1001 "$root/f100k.bin" | head -c 70000 | sha256sum | cut -d' ' -f1)" "$got"
	got=$(ip netns exec "$STP_P-h2" timeout 120 wget -q -O - "$HTTP_BASE/f100k.bin" |
		sha256sum | cut -d' ' -f1)
	assert_sha_hex "$l: wget 100000 B" "$root/f100k.bin" "$got"
	rm -f "$STP_WORK/tftp.$l"
	ip netns exec "$STP_P-h1" timeout 60 curl -sS --tftp-blksize 1400 -o "$STP_WORK/tftp.$l" \
		"tftp://$HTTP_SRV/f100k.bin" || true
	assert_sha "$l: TFTP blksize 1400" "$root/f100k.bin" "$STP_WORK/tftp.$l"
}

# client_csum_errors — checksum errors the clients' kernels counted.
client_csum_errors() {
	local n=0 c v
	for c in h1 h2; do
		v=$(ip netns exec "$STP_P-$c" nstat -az TcpInCsumErrors UdpInCsumErrors 2>/dev/null |
			awk 'NR > 1 { s += $2 } END { print s + 0 }')
		n=$((n + v))
	done
	echo "$n"
}

cfg="$STP_WORK/stampede.yaml"
tap_config "$cfg" true
client_mtu 1480
if ! tap_start "$cfg"; then
	fail "server on net_tap0" "$(tail -n 5 "$STP_LOG" 2>/dev/null | tr '\n' '|')"
	stp_finish
fi
offl=$(sed -n 's/^stampede: tx offloads: //p' "$STP_LOG")
assert_contains "log names the TCP checksum offload" "$offl" "tcp-cksum"
assert_contains "log names TCP segmentation offload" "$offl" "tso"
for c in h1 h2; do ip netns exec "$STP_P-$c" nstat -n >/dev/null; done
downloads offload
http_counters
tso=$(hctr tso_frames)
segs=$(hctr tso_segs)
assert_match "TSO frames were sent" "${tso:-0}" '^[1-9][0-9]*$'
if ((${tso:-0} > 0)); then
	assert_match "a TSO frame carries several segments (avg $((segs / tso)))" "$((segs / tso))" '^([2-9]|[1-9][0-9]+)$'
fi
assert_eq "clients saw no checksum errors" 0 "$(client_csum_errors)"
assert_eq "the port refused no frame" 0 "$(ctr_sum worker tx_refused "$HTTP_CTRS")"
stp_stop
assert_eq "server stopped cleanly" 0 "$STP_RC"

# Full-size segments: the PMD refuses the first TSO frame; the server
# drops it after 50 ms, makes no more, and TCP recovers the segments.
client_mtu 1500
tap_config "$cfg" true
tap_start "$cfg" || { fail "server on net_tap0, MTU 1500" "$(tail -n 5 "$STP_LOG" | tr '\n' '|')"; stp_finish; }
downloads refused
http_counters
assert_eq "one refused TSO frame dropped" 1 "$(ctr_sum worker tx_refused "$HTTP_CTRS")"
assert_eq "then no more TSO frames" 1 "$(hctr tso_frames)"
stp_stop

tap_config "$cfg" false
tap_start "$cfg" || { fail "server on net_tap0, tx_offload false" "$(tail -n 5 "$STP_LOG" | tr '\n' '|')"; stp_finish; }
assert_contains "tx_offload false: log says none" "$(grep 'tx offloads' "$STP_LOG")" "none (port.tx_offload: false)"
downloads software
http_counters
assert_eq "no TSO frames when off" 0 "$(hctr tso_frames)"
assert_eq "clients saw no checksum errors (software)" 0 "$(client_csum_errors)"
stp_stop
assert_eq "server stopped cleanly (software)" 0 "$STP_RC"
stp_finish
