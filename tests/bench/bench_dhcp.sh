#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_dhcp.sh — DHCP DORA throughput of stampede next to dnsmasq and ISC
# Kea, on the same veth lab, driven by ISC perfdhcp. Reports; never asserts.
#
#   tests/bench/bench_dhcp.sh                  all servers, default rates
#   RATES="2000 8000" PERIOD=10 tests/bench/bench_dhcp.sh
#   SERVERS="stampede kea" tests/bench/bench_dhcp.sh
#
# Each (server, rate) pair runs on a freshly started server with an empty
# lease store: perfdhcp (in client ns "perf", 10.77.0.10/16, pinned to CPU 0)
# initiates RATE DORA exchanges/s for PERIOD seconds from CLIENTS simulated
# MACs. The server runs in the srv ns pinned to CPU 1: stampede's worker
# lcore is 1 (its control thread, lcore 0, does not poll); dnsmasq and
# kea-dhcp4 are started under taskset -c 1 on stp0, which gets 10.77.0.1/16
# for them (stampede owns that address itself, with no kernel IP).
#
# perfdhcp relays its traffic (giaddr = 10.77.0.10) so every server answers
# by unicast to UDP 67 of the generator. Lease stores are persistent for
# every server (stampede: sqlite, dnsmasq: lease file, kea: memfile CSV).
#
# The veth/af_packet path caps what any server can do here (~0.4-0.7
# Mpps; docs/design.md, "Benchmarks"); this gives ratios and stampede's
# cycles per DHCP packet.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

RATES=${RATES:-"1000 5000 20000"}
PERIOD=${PERIOD:-10}
CLIENTS=${CLIENTS:-10000}
SERVERS=${SERVERS:-"stampede dnsmasq kea"}
POOL_FIRST=10.77.1.1
POOL_LAST=10.77.200.254
RESULTS="$STP_WORK/results.txt"
: >"$RESULTS"

for t in perfdhcp taskset; do
	command -v "$t" >/dev/null || { say "bench_dhcp: $t missing (tools/setup.sh)"; exit 1; }
done

lab_up
lab_add_client perf
nsx perf ip addr add 10.77.0.10/16 dev eth0

# ------------------------------------------------------------- servers
# Each start_X leaves the server's PID in SRV_PID and its log in SRV_LOG;
# stop_server ends it and prints "cycles_per_dhcp" if the server told one.

SRV_PID=""
SRV_LOG=""
SRV_N=0

kernel_ip() {
	if [[ "$1" == on ]]; then
		nsx srv ip addr replace 10.77.0.1/16 dev stp0
	else
		nsx srv ip addr flush dev stp0
	fi
}

start_stampede() {
	local cfg="$STP_WORK/stampede.$SRV_N.yaml"
	kernel_ip off
	CFG_ADDRESS=10.77.0.1/16 CFG_POOL="$POOL_FIRST-$POOL_LAST" CFG_ROUTER=10.77.0.1 \
		CFG_LCORES=0-1 CFG_DB="$STP_WORK/db.$SRV_N/leases.sqlite" \
		stp_write_config "$cfg" server
	stp_start "$cfg" || return 1
	SRV_PID=$STP_PID
	SRV_LOG=$STP_LOG
}

start_dnsmasq() {
	SRV_LOG="$STP_WORK/dnsmasq.$SRV_N.log"
	kernel_ip on
	# --dhcp-lease-max: the default 1000 would refuse most of CLIENTS;
	# --no-ping: no ICMP probe per new address (dnsmasq's own advice for load)
	bg_start "$SRV_LOG" ip netns exec "$STP_SRV" taskset -c 1 dnsmasq -k \
		--conf-file=/dev/null --port=0 --no-resolv --no-hosts -u root \
		--interface=stp0 --bind-interfaces --dhcp-authoritative --no-ping \
		--dhcp-lease-max=200000 --dhcp-leasefile="$STP_WORK/dnsmasq.$SRV_N.leases" \
		--dhcp-range="$POOL_FIRST,$POOL_LAST,255.255.0.0,10m" \
		--dhcp-option=3,10.77.0.1 --dhcp-option=6,10.77.0.53,10.77.0.54
	SRV_PID=$BG_PID
	sleep 1
	kill -0 "$SRV_PID" 2>/dev/null
}

start_kea() {
	local conf="$STP_WORK/kea.$SRV_N.json" run="$STP_WORK/kea.$SRV_N"
	SRV_LOG="$STP_WORK/kea.$SRV_N.log"
	mkdir -p "$run"
	kernel_ip on
	cat >"$conf" <<EOF
{ "Dhcp4": {
    "interfaces-config": { "interfaces": [ "stp0" ] },
    "lease-database": { "type": "memfile", "persist": true,
                        "name": "$run/leases4.csv", "lfc-interval": 0 },
    "valid-lifetime": 600,
    "authoritative": true,
    "subnet4": [ { "id": 1, "subnet": "10.77.0.0/16",
        "pools": [ { "pool": "$POOL_FIRST - $POOL_LAST" } ],
        "option-data": [ { "name": "routers", "data": "10.77.0.1" },
                         { "name": "domain-name-servers", "data": "10.77.0.53, 10.77.0.54" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "severity": "WARN",
                   "output_options": [ { "output": "stderr" } ] } ]
} }
EOF
	KEA_PIDFILE_DIR="$run" KEA_LOCKFILE_DIR="$run" KEA_LOGGER_DESTINATION=stderr \
		bg_start "$SRV_LOG" ip netns exec "$STP_SRV" taskset -c 1 kea-dhcp4 -c "$conf"
	SRV_PID=$BG_PID
	sleep 2
	kill -0 "$SRV_PID" 2>/dev/null
}

stop_server() {
	if [[ "$1" == stampede ]]; then
		stp_stop
	else
		bg_stop "$SRV_PID" TERM
	fi
	SRV_PID=""
}

# cycles LOG — stampede's cycles per DHCP packet, "n/a" if it printed none.
cycles() {
	local v
	v=$(grep -ao 'cycles_per_dhcp=[0-9]*' "$1" 2>/dev/null | cut -d= -f2 | paste -sd/ - || true)
	echo "${v:-n/a}"
}

# cpu_ticks PID [TID] — user+system CPU ticks the process (or one of its
# threads) has used so far.
cpu_ticks() {
	local f="/proc/$1/stat"
	[[ -z "${2:-}" ]] || f="/proc/$1/task/$2/stat"
	awk '{ print $14 + $15 }' "$f" 2>/dev/null || echo 0
}
HZ=$(getconf CLK_TCK)

# ---------------------------------------------------------------- runs

# run_one SERVER RATE — one perfdhcp run; appends a result line.
run_one() {
	local srv=$1 rate=$2 out rc=0 achieved d_sent d_recv r_sent r_recv drop cyc t0 t1 tid cpu
	SRV_N=$((SRV_N + 1))
	if ! "start_$srv"; then
		say "bench: $srv did not start; log tail:"
		tail -n 10 "$SRV_LOG" | sed 's/^/    | /' >&2
		[[ -z "$SRV_PID" ]] || stop_server "$srv"
		printf '%s %s %s %s %s %s\n' "$srv" "$rate" "-" "-" "n/a" "n/a" >>"$RESULTS"
		return 0
	fi
	out="$STP_WORK/perfdhcp.$srv.$rate.txt"
	# stampede: only its main thread (the control thread: events, sqlite);
	# the worker lcore polls and burns its core whatever the load
	tid=""
	[[ "$srv" != stampede ]] || tid=$SRV_PID
	t0=$(cpu_ticks "$SRV_PID" "$tid")
	nsx perf timeout $((PERIOD + 30)) taskset -c 0 perfdhcp -4 -l eth0 -r "$rate" \
		-R "$CLIENTS" -p "$PERIOD" -W 1000000 -s 1 >"$out" 2>&1 || rc=$?
	t1=$(cpu_ticks "$SRV_PID" "$tid")
	stop_server "$srv"
	# exit 3 = some exchanges did not complete: that is the measurement
	if ((rc != 0 && rc != 3)); then
		say "bench: perfdhcp against $srv exited $rc; output tail:"
		tail -n 10 "$out" | sed 's/^/    | /' >&2
	fi
	read -r d_sent d_recv r_sent r_recv < <(awk '
		/Statistics for: DISCOVER-OFFER/ { s = "d" }
		/Statistics for: REQUEST-ACK/ { s = "r" }
		/^sent packets:/ { sent[s] = $3 }
		/^received packets:/ { recv[s] = $3 }
		END { printf "%d %d %d %d\n", sent["d"], recv["d"], sent["r"], recv["r"] }' "$out")
	# an exchange counts as done when its ACK came back; perfdhcp's own
	# "Rate:" divides by the run time including the exit wait (-W)
	achieved=$(awk -v a="$r_recv" -v p="$PERIOD" 'BEGIN { printf "%.0f", a / p }')
	# CPU the server burned per completed exchange (stampede: control
	# thread only, "+poll": plus a polling worker core, see cycles/DHCP)
	cpu=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v a="$r_recv" \
		'BEGIN { if (a > 0) printf "%.1f", t * 1e6 / hz / a; else print "-" }')
	[[ "$srv" != stampede ]] || cpu="$cpu+poll"
	if ((d_sent > 0)); then
		drop=$(awk -v s="$d_sent" -v a="$r_recv" 'BEGIN { printf "%.2f", 100 * (s - a) / s }')
	else
		drop="-"
	fi
	cyc=n/a
	[[ "$srv" != stampede ]] || cyc=$(cycles "$SRV_LOG")
	printf '%s %s %s %s %s %s\n' "$srv" "$rate" "${achieved:--}" "$drop" "$cyc" "$cpu" >>"$RESULTS"
	note "$srv @ $rate/s: ${achieved:--} exchanges/s, drops $drop % (offers $d_recv/$d_sent, acks $r_recv/$r_sent), cycles/dhcp $cyc, cpu us/exch $cpu"
}

say "bench_dhcp: servers [$SERVERS], rates [$RATES]/s, ${PERIOD}s each, $CLIENTS clients"
for srv in $SERVERS; do
	for rate in $RATES; do
		run_one "$srv" "$rate"
	done
done

echo
echo "DHCP DORA, perfdhcp over veth (af_packet for stampede), ${PERIOD}s per run, $CLIENTS clients"
echo "exchanges/s = ACKs received / run time; drops = exchanges without an ACK;"
echo "cycles/DHCP = stampede's worker cycles per DHCP packet (its own counter);"
echo "cpu us/exch = server process CPU per exchange (stampede: control thread, which"
echo "persists leases, + a worker core that polls)"
printf '%-10s %10s %12s %8s %12s %14s\n' server "target/s" "exchanges/s" "drops %" "cycles/DHCP" "cpu us/exch"
while read -r s r a d c u; do
	printf '%-10s %10s %12s %8s %12s %14s\n' "$s" "$r" "$a" "$d" "$c" "$u"
done <"$RESULTS"
echo "(perfdhcp has one CPU here; when every server tops out at the same rate, the"
echo " generator is the limit. dnsmasq rewrites its whole lease file on every change,"
echo " which caps it once it holds thousands of leases.)"
