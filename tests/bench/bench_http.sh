#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_http.sh — HTTP throughput of stampede next to nginx (sendfile on),
# on the same veth lab, one after the other. Reports; never asserts.
#
#   tests/bench/bench_http.sh                    both servers (~3 min)
#   SERVERS=stampede tests/bench/bench_http.sh
#   SECS=5 STREAMS=16 tests/bench/bench_http.sh
#
# Figures, per server:
#   1-stream   Gbit/s of one curl download of a 30 MiB object (best of 3;
#              curl -o /dev/null -w '%{speed_download}')
#   N-stream   aggregate Gbit/s of STREAMS (32) parallel downloads of it,
#              spread over 4 client namespaces: all bytes / wall time
#   req/s      wrk -t 1 -c 32 on a 1 KiB object over kept-alive connections
#   conn/s     the same with "Connection: close": one request per connection
#   1% loss    Mbit/s of one 30 MiB download with 1% random loss both ways
#              (nftables on the client's veth, no segmentation offload on the
#              path so the loss hits 1500-byte frames for both servers)
# and for stampede the cycles per TCP segment sent in each phase: delta
# worker busy_cycles / delta seg_out (every cycle of the worker's bursts —
# RX of the ACKs and requests, TX, timers — over every segment it sent).
#
# Placement (2 cores): the server on CPU 1 — stampede's worker lcore 1
# (lcores 0-1; its control thread on 0 does not poll), nginx with one
# worker under taskset -c 1 on stp0 with the kernel address 10.77.0.1/24
# (stampede owns the address itself, with no kernel IP); clients under
# taskset -c 0. nginx keeps the kernel's TSO/GSO on the veth (64 KB
# super-frames, a large advantage on veth that no wire gives) except in
# the loss run; stampede's af_packet port sends 1500-byte frames, and
# af_packet on veth caps the packet rate (~0.4-0.7 Mpps; docs/design.md,
# "Benchmarks").
# nginx-light is installed from Debian when no nginx is found.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/integration/lib_http.sh
. "$(dirname "$0")/../integration/lib_http.sh"

SERVERS=${SERVERS:-"stampede nginx"}
SECS=${SECS:-10}
STREAMS=${STREAMS:-32}
NS_N=4
RESULTS="$STP_WORK/results.txt"
: >"$RESULTS"

for t in taskset curl wrk; do
	command -v "$t" >/dev/null || { say "bench_http: $t missing (apt-get install $t)"; exit 1; }
done
if [[ " $SERVERS " == *" nginx "* ]] && ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
	# policy-rc.d (exit 101) keeps the package from starting its service
	# on the host; without it, install nothing
	if [[ -x /usr/sbin/policy-rc.d ]]; then
		say "bench_http: installing nginx-light (its service stays off: policy-rc.d)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			nginx-light >"$STP_WORK/apt.log" 2>&1 || say "bench_http: apt-get failed: $(tail -n 2 "$STP_WORK/apt.log")"
	else
		say "bench_http: nginx missing and no policy-rc.d to keep its service off: skipping nginx"
	fi
fi

lab_up
for ((i = 1; i <= NS_N; i++)); do
	tftp_client "$(printf 'hc%02d' "$i")" "10.77.0.$((20 + i))"
done
root=$(http_root)

# ------------------------------------------------------------- servers

start_server() {
	case $1 in
	stampede)
		CFG_LCORES=0-1 http_config "$STP_WORK/stampede.yaml"
		stp_start "$STP_WORK/stampede.yaml" || return 1
		;;
	nginx)
		command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || return 1
		http_nginx_start "$root" 1 || return 1
		;;
	esac
	HTTP_TARGET=$1 http_wait_up 20 hc01
}

stop_server() {
	case $1 in
	stampede) stp_stop ;;
	nginx) http_nginx_stop ;;
	esac
}

# ------------------------------------------------------------- counters

C0=""
# cyc_start / cyc_end PHASE — stampede's cycles per segment over a phase.
cyc_start() { C0=""; [[ "$1" != stampede ]] || C0=$(stp_counters || true); }
cyc_end() {
	local s=$1 ph=$2 c1 db ds
	[[ "$s" == stampede && -n "$C0" ]] || return 0
	c1=$(stp_counters || true)
	db=$(($(ctr_sum worker busy_cycles "$c1") - $(ctr_sum worker busy_cycles "$C0")))
	ds=$(($(ctr_sum ' http: ' seg_out "$c1") - $(ctr_sum ' http: ' seg_out "$C0")))
	if ((ds > 0)); then CYC[$ph]="$((db / ds)) ($ds seg)"; else CYC[$ph]="-"; fi
	grep -F ' http: ' <<<"$c1" >>"$STP_WORK/counters.$ph.txt" || true
}

# ------------------------------------------------------------- phases

declare -A R=() CYC=()

# single SERVER — best of three single-stream downloads.
single() {
	local s=$1 i v best=0
	for ((i = 0; i < 3; i++)); do
		v=$(ip netns exec "$STP_P-hc01" taskset -c 0 curl -sS --max-time 60 -o /dev/null \
			-w '%{speed_download} %{size_download}' "$HTTP_BASE/f30m.bin" 2>/dev/null || echo "0 0")
		[[ "${v#* }" == "$(stat -c %s "$root/f30m.bin")" ]] || { say "  single: short download ($v)"; continue; }
		best=$(awk -v a="$best" -v b="${v%% *}" 'BEGIN { print (b > a) ? b : a }')
	done
	R[$s,single]=$(awk -v b="$best" 'BEGIN { printf "%.2f", b * 8 / 1e9 }')
}

# parallel SERVER — STREAMS downloads at once over the client namespaces.
parallel() {
	local s=$1 i v pids=() t0 secs total=0 short=0 want d="$STP_WORK/par.$1"
	mkdir -p "$d"
	want=$(stat -c %s "$root/f30m.bin")
	t0=$EPOCHREALTIME
	for ((i = 0; i < STREAMS; i++)); do
		bg_start "$d/$i" ip netns exec "$STP_P-$(printf 'hc%02d' $((i % NS_N + 1)))" taskset -c 0 \
			curl -sS --max-time 120 -o /dev/null -w '%{size_download}\n' "$HTTP_BASE/f30m.bin"
		pids+=("$BG_PID")
	done
	for i in "${pids[@]}"; do tftp_bg_wait "$i"; done
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
	for ((i = 0; i < STREAMS; i++)); do
		v=$(tail -n 1 "$d/$i")
		[[ "$v" == "$want" ]] || short=$((short + 1))
		total=$((total + ${v//[^0-9]/}))
	done
	R[$s,parallel]=$(awk -v b="$total" -v t="$secs" 'BEGIN { printf "%.2f", b * 8 / t / 1e9 }')
	((short == 0)) || R[$s,parallel]+=" ($short short)"
}

# wrkrun SERVER KEY [HEADER] — wrk -c 32 for SECS on the 1 KiB object.
wrkrun() {
	local s=$1 k=$2 o="$STP_WORK/wrk.$1.$2" rps err
	local args=(-t 1 -c 32 -d "${SECS}s" --timeout 5s)
	[[ -z "${3:-}" ]] || args+=(-H "$3")
	ip netns exec "$STP_P-hc01" taskset -c 0 timeout $((SECS + 30)) wrk "${args[@]}" \
		"$HTTP_BASE/k1.bin" >"$o" 2>&1 || true
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$o")
	err=$(grep -E 'Socket errors|Non-2xx' "$o" | tr -s ' ' | tr '\n' ' ' || true)
	R[$s,$k]=$(printf '%.0f' "${rps:-0}")
	[[ -z "$err" ]] || R[$s,$k]+=" ($err)"
}

# lossy SERVER — one 30 MiB download with 1% loss both ways.
lossy() {
	local s=$1 v t0 secs
	nsx hc02 ethtool -K eth0 tso off gso off gro off >/dev/null 2>&1 || true
	nsx lan ethtool -K c-hc02 tso off gso off gro off >/dev/null 2>&1 || true
	[[ "$s" == stampede ]] || nsx srv ethtool -K stp0 tso off gso off >/dev/null 2>&1 || true
	wire_faults hc02 10 0
	t0=$EPOCHREALTIME
	v=$(ip netns exec "$STP_P-hc02" taskset -c 0 curl -sS --max-time 120 -o /dev/null \
		-w '%{size_download}' "$HTTP_BASE/f30m.bin" 2>/dev/null || echo 0)
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
	R[$s,loss]=$(awk -v b="$v" -v t="$secs" 'BEGIN { printf "%.0f", b * 8 / t / 1e6 }')
	[[ "$v" == "$(stat -c %s "$root/f30m.bin")" ]] || R[$s,loss]+=" (short: $v B)"
	R[$s,loss]+=" [$(wire_fault_count hc02)]"
	ip netns exec "$STP_P-hc02" nft delete table netdev stpfault
	ip netns exec "$STP_LAN" nft delete table netdev stpfault_hc02
	[[ "$s" == stampede ]] || nsx srv ethtool -K stp0 tso on gso on >/dev/null 2>&1 || true
}

say "bench_http: servers: $SERVERS; $STREAMS streams; wrk ${SECS}s"
others=$(pgrep -c -x stampede || true)
say "bench_http: load average $(cut -d' ' -f1-3 /proc/loadavg); other stampede processes: ${others:-0}"
ran=()
for s in $SERVERS; do
	if ! start_server "$s"; then
		say "bench_http: $s did not start or answer; skipped"
		stop_server "$s"
		continue
	fi
	ran+=("$s")
	say "bench_http: $s: single stream"
	cyc_start "$s"; single "$s"; cyc_end "$s" single
	say "bench_http: $s: $STREAMS streams"
	cyc_start "$s"; parallel "$s"; cyc_end "$s" parallel
	say "bench_http: $s: requests/s (keep-alive)"
	cyc_start "$s"; wrkrun "$s" rps; cyc_end "$s" rps
	say "bench_http: $s: new connections/s"
	cyc_start "$s"; wrkrun "$s" cps "Connection: close"; cyc_end "$s" cps
	say "bench_http: $s: 1% loss"
	cyc_start "$s"; lossy "$s"; cyc_end "$s" loss
	stop_server "$s"
done

{
	printf '\n%-34s' "HTTP, veth lab, server on CPU 1"
	for s in "${ran[@]}"; do printf ' %-22s' "$s"; done
	printf ' %s\n' "stampede cycles/segment"
	for k in single parallel rps cps loss; do
		case $k in
		single) l="1 stream, 30 MiB (Gbit/s)" ;;
		parallel) l="$STREAMS streams, 30 MiB (Gbit/s)" ;;
		rps) l="1 KiB, keep-alive, c32 (req/s)" ;;
		cps) l="1 KiB, Connection: close (conn/s)" ;;
		loss) l="1 stream, 1% loss (Mbit/s)" ;;
		esac
		printf '%-34s' "$l"
		for s in "${ran[@]}"; do printf ' %-22s' "${R[$s,$k]:--}"; done
		printf ' %s\n' "${CYC[$k]:--}"
	done
} | tee -a "$RESULTS"
say "bench_http: results in $RESULTS; stampede's counters per phase in $STP_WORK/counters.*.txt"
rm -f "$root"/f*.bin   # keep the figures, not 100 MB of test objects
STP_KEEP=1
