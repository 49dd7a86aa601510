#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_tftp.sh — TFTP download throughput of stampede next to dnsmasq's
# TFTP server and tftpd-hpa, on the same veth lab. Reports; never asserts.
#
#   tests/bench/bench_tftp.sh                     everything (~3-5 min)
#   SERVERS="stampede dnsmasq" tests/bench/bench_tftp.sh
#   SIZES="1" CLIENTS="1 64" MODES="lock win16" tests/bench/bench_tftp.sh
#   SIZES=1 CLIENTS=1 MODES=lossy tests/bench/bench_tftp.sh   (~3 min)
#
# Each server serves one root holding a 1 MB and a 30 MB file; for every
# (server, size, clients, mode) the clients start together and fetch the
# file once:
#   lock   curl --tftp-blksize 1468: lockstep, one block per ACK
#   win16  atftp --option "blksize 1468" --option "windowsize 16" (RFC
#          7440); a server without windowsize answers without it and the
#          transfer runs in lockstep ("win" column: n)
#   lossy  as lock, through 5% random loss and 2% duplication each way on
#          the clients' veths (wire_faults, lib_tftp.sh), curl without
#          --max-time so that it asks for "timeout 6" as a user's does;
#          what each lost DATA block or ACK costs is the server's
#          retransmission timeout. Not in the default MODES (dnsmasq needs
#          minutes). The loss hits every server alike; a lost RRQ costs
#          curl's own ~7 s whatever the server.
# 64 clients are spread over 16 client namespaces, 4 in each.
#
# Placement (2 cores): the server runs on CPU 1 — stampede's worker lcore
# is 1 (its control thread, lcore 0, does not poll); dnsmasq and in.tftpd
# (and the children it forks per transfer) under taskset -c 1, on stp0
# with the kernel address 10.77.0.1/24 (stampede owns that address itself,
# with no kernel IP). Clients run under taskset -c 0. Both sides share one
# machine, so the client side caps what any server can show here, and
# af_packet on veth caps the packet rate (~0.4-0.7 Mpps; docs/design.md,
# "Benchmarks").
#
# Reported per run: aggregate MB/s (all bytes / wall time from the first
# start to the last end), per-client MB/s (min / median / max), downloads
# whose sha256 did not match (should be 0), and for stampede the cycles per
# DATA frame: delta worker busy_cycles / delta (data_sent + data_resent).
# busy_cycles counts every cycle spent on bursts (RX of the ACKs, TX of the
# DATA, timers), so this is the whole cost of one DATA frame on the server.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/integration/lib_tftp.sh
. "$(dirname "$0")/../integration/lib_tftp.sh"

SERVERS=${SERVERS:-"stampede dnsmasq tftpd-hpa"}
SIZES=${SIZES:-"1 30"}
CLIENTS=${CLIENTS:-"1 64"}
MODES=${MODES:-"lock win16"}
NS_N=16
RESULTS="$STP_WORK/results.txt"
WIN_OK=n
: >"$RESULTS"

for t in taskset curl atftp dnsmasq; do
	command -v "$t" >/dev/null || { say "bench_tftp: $t missing (tools/setup.sh)"; exit 1; }
done
TFTPD=$(command -v in.tftpd || true)
if [[ -z "$TFTPD" && " $SERVERS " == *" tftpd-hpa "* ]]; then
	# policy-rc.d (exit 101) keeps the package from starting its daemon on
	# the host; without it, do not install anything
	if [[ -x /usr/sbin/policy-rc.d ]]; then
		say "bench_tftp: installing tftpd-hpa (its service stays off: policy-rc.d)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			tftpd-hpa >"$STP_WORK/apt.log" 2>&1 || say "bench_tftp: apt-get failed: $(tail -n 2 "$STP_WORK/apt.log")"
		TFTPD=$(command -v in.tftpd || true)
	else
		say "bench_tftp: in.tftpd missing and no policy-rc.d to keep its service off: skipping tftpd-hpa"
	fi
fi

lab_up
for ((i = 1; i <= NS_N; i++)); do
	tftp_client "$(printf 'cr%02d' "$i")" "10.77.0.$((20 + i))"
done
root=$(stp_boot_root)
head -c 1048576 /dev/urandom >"$root/bench1.bin"
head -c $((30 * 1048576)) /dev/urandom >"$root/bench30.bin"
chmod -R a+rX "$root"

# timed.sh NS MODE FILE OUT — one client: prints "secs bytes rc".
timed="$STP_WORK/timed.sh"
cat >"$timed" <<EOF
#!/bin/bash
ns=\$1 mode=\$2 f=\$3 o=\$4 rc=0
s=\$EPOCHREALTIME
if [[ \$mode == lock ]]; then
	ip netns exec "\$ns" taskset -c 0 timeout 120 curl -sS --max-time 110 --tftp-blksize 1468 \\
		-o "\$o" "tftp://$TFTP_SRV/\$f" 2>"\$o.err" || rc=\$?
elif [[ \$mode == lossy ]]; then
	ip netns exec "\$ns" taskset -c 0 timeout ${LOSSY_MAX:-400} curl -sS --tftp-blksize 1468 \\
		-o "\$o" "tftp://$TFTP_SRV/\$f" 2>"\$o.err" || rc=\$?
else
	ip netns exec "\$ns" taskset -c 0 timeout 120 atftp --option "blksize 1468" \\
		--option "windowsize 16" -g -r "\$f" -l "\$o" $TFTP_SRV >"\$o.err" 2>&1 || rc=\$?
fi
e=\$EPOCHREALTIME
echo "\$(awk -v a="\$s" -v b="\$e" 'BEGIN { printf "%.4f", b - a }') \$(stat -c %s "\$o" 2>/dev/null || echo 0) \$rc"
EOF
chmod +x "$timed"

# ------------------------------------------------------------- servers

SRV_PID=""
kernel_ip() {
	if [[ "$1" == on ]]; then nsx srv ip addr replace 10.77.0.1/24 dev stp0
	else nsx srv ip addr flush dev stp0; fi
}

start_server() {
	local s=$1 cfg
	case $s in
	stampede)
		kernel_ip off
		cfg="$STP_WORK/stampede.yaml"
		CFG_LCORES=0-1 TFTP_MAX_WINDOW=64 tftp_config "$cfg"
		stp_start "$cfg" || return 1
		SRV_PID=$STP_PID
		;;
	dnsmasq)
		kernel_ip on
		bg_start "$STP_WORK/dnsmasq.log" ip netns exec "$STP_SRV" taskset -c 1 dnsmasq \
			--no-daemon --port=0 --enable-tftp=stp0 --tftp-root="$root" \
			--listen-address=10.77.0.1 --bind-interfaces --tftp-max=1000 \
			--pid-file="$STP_WORK/dnsmasq.pid" --user=root --group=root \
			--conf-file=/dev/null --log-facility=-
		SRV_PID=$BG_PID
		;;
	tftpd-hpa)
		[[ -n "$TFTPD" ]] || return 1
		kernel_ip on
		bg_start "$STP_WORK/tftpd.log" ip netns exec "$STP_SRV" taskset -c 1 "$TFTPD" \
			-L -s "$root" -a 10.77.0.1:69 -u root -v
		SRV_PID=$BG_PID
		;;
	esac
	sleep 1
	kill -0 "$SRV_PID" 2>/dev/null
}

stop_server() {
	case $1 in
	stampede) stp_stop ;;
	*) bg_stop "$SRV_PID" TERM ;;
	esac
	SRV_PID=""
}

# ---------------------------------------------------------------- runs

# lossy_wire on|off N — 5% loss and 2% duplication (wire_faults) on the
# client namespaces N clients use, or those rules removed again.
lossy_wire() {
	local i c
	for ((i = 1; i <= $2 && i <= NS_N; i++)); do
		c=$(printf 'cr%02d' "$i")
		if [[ $1 == on ]]; then
			wire_faults "$c" 50 20
		else
			say "bench_tftp: $c wire: $(wire_fault_count "$c")"
			nsx "$c" nft delete table netdev stpfault
			ip netns exec "$STP_LAN" nft delete table netdev "stpfault_$c"
		fi
	done
}

# run SERVER SIZE N MODE — one row in RESULTS.
run() {
	local s=$1 size=$2 n=$3 mode=$4 f="bench$2.bin" d="$STP_WORK/run.$1.$2.$3.$4"
	local i ns pids=() t0 t1 c0="" c1 cyc="-" bad=0 total=0 win="-" want secs bytes rc
	mkdir -p "$d"
	[[ "$mode" != lossy ]] || lossy_wire on "$n"
	if [[ "$s" == stampede ]]; then c0=$(stp_counters); fi
	t0=$EPOCHREALTIME
	for ((i = 0; i < n; i++)); do
		ns="$STP_P-$(printf 'cr%02d' $((i % NS_N + 1)))"
		bg_start "$d/$i.res" "$timed" "$ns" "$mode" "$f" "$d/$i"
		pids+=("$BG_PID")
	done
	for ((i = 0; i < n; i++)); do tftp_bg_wait "${pids[i]}"; done
	t1=$EPOCHREALTIME
	[[ "$mode" != lossy ]] || lossy_wire off "$n"
	want=$(sha "$STP_WORK/boot/$f")
	for ((i = 0; i < n; i++)); do
		read -r secs bytes rc <"$d/$i.res" || { bad=$((bad + 1)); continue; }
		total=$((total + bytes))
		if [[ "$rc" != 0 || "$(sha "$d/$i")" != "$want" ]]; then bad=$((bad + 1)); fi
		awk -v t="$secs" -v b="$bytes" 'BEGIN { printf "%.3f\n", (t > 0) ? b / 1048576 / t : 0 }' >>"$d/rates"
	done
	[[ "$mode" == win16 ]] && win=$WIN_OK
	# lossy: the seconds of the slowest download instead of cycles per frame
	[[ "$mode" != lossy ]] || cyc=$(awk '{ print $1 }' "$d"/*.res | sort -g | tail -n 1)
	if [[ "$s" == stampede ]]; then
		c1=$(stp_counters)
		local db dd
		db=$(($(ctr_sum worker busy_cycles "$c1") - $(ctr_sum worker busy_cycles "$c0")))
		dd=$(($(ctr_sum tftp data_sent "$c1") + $(ctr_sum tftp data_resent "$c1") -
			$(ctr_sum tftp data_sent "$c0") - $(ctr_sum tftp data_resent "$c0")))
		((dd > 0)) && [[ "$mode" != lossy ]] && cyc=$((db / dd))
	fi
	for ((i = 0; i < n; i++)); do rm -f "$d/$i"; done
	sort -g "$d/rates" | awk -v s="$s" -v size="$size" -v n="$n" -v mode="$mode" \
		-v t0="$t0" -v t1="$t1" -v total="$total" -v bad="$bad" -v cyc="$cyc" -v win="$win" '
		{ r[NR] = $1 }
		END {
			m = NR
			med = (m % 2) ? r[(m + 1) / 2] : (r[m / 2] + r[m / 2 + 1]) / 2
			printf "%-10s %4s MB %3d %-6s %-3s %9.1f %8.1f %8.1f %8.1f %4d %8s\n", s, size, n,
				mode, win, total / 1048576 / (t1 - t0), r[1], med, r[m], bad, cyc
		}' | tee -a "$RESULTS"
}

say "bench_tftp: servers: $SERVERS; sizes (MB): $SIZES; clients: $CLIENTS; modes: $MODES"
# Two cores: anything else busy (another DPDK process polling, a test run)
# takes from the server's core and the numbers mean little.
others=$(pgrep -c -x stampede || true)
say "bench_tftp: load average $(cut -d' ' -f1-3 /proc/loadavg); other stampede processes: ${others:-0}"
for s in $SERVERS; do
	if ! start_server "$s"; then
		say "bench_tftp: $s did not start; skipped"
		[[ -z "$SRV_PID" ]] || stop_server "$s"
		continue
	fi
	nsx cr01 ping -c 1 -W 2 "$TFTP_SRV" >/dev/null 2>&1 || true
	# does the server acknowledge windowsize? (an RRQ with it, then ERROR 8)
	WIN_OK=n
	tftp_py cr01 raw "$TFTP_SRV" 69 "$(tftp_req_hex 1 bench1.bin octet blksize 1468 windowsize 16)" \
		1.0 | grep -q 'windowsize:16' && WIN_OK=y
	for size in $SIZES; do
		for n in $CLIENTS; do
			for mode in $MODES; do
				run "$s" "$size" "$n" "$mode"
			done
		done
	done
	stop_server "$s"
done

echo
echo "TFTP downloads, blksize 1468, veth + af_packet lab, server on CPU 1, clients on CPU 0"
echo "win: windowsize 16 acknowledged by the server (y/n); bad: downloads whose sha256 differed"
echo "lossy rows: 5% loss + 2% dup each way; their last column is the slowest download in seconds"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %7s %3s %-6s %-3s %9s %8s %8s %8s %4s %8s\n' server file cli mode win \
	"agg MB/s" "min" "median" "max" bad "cyc/DATA"
cat "$RESULTS"
