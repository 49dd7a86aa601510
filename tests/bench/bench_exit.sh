#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_exit.sh — how long stampede takes to exit on SIGTERM while a
# download is running, RUNS times, and where the time went. Reports; never
# asserts.
#
#   tests/bench/bench_exit.sh                   20 stops, the suite's config
#   RUNS=40 VMS=3 tests/bench/bench_exit.sh     with 3 TCG VMs booting
#   STP_DEFAULTS=1 tests/bench/bench_exit.sh    AF_XDP + hugepages
#   BIN_B=/path/to/other/stampede ...           alternate two binaries (A/B)
#
# Each run: start the server (lib_http.sh's config: 512 MB, the 60 MB
# object), start curl on the 60 MB object at 20 MB/s, SIGTERM the server a
# second later, time until the process is gone (10 ms polling). Printed per
# run: the exit time, the exit status and the server's own "stopped in"
# line (wall/cpu/runq ms per step: runq is time spent runnable, waiting
# for a CPU); at the end min / median / p90 / max per binary.
#
# VMS=K keeps K qemu VMs (TCG, 384 MB) booting the imaging-OS stand-in
# (tools/imaging-os/build.sh into build/imaging-os) on the lab bridge,
# each restarted when it ends: the load under which exits were slow.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/integration/lib_http.sh
. "$(dirname "$0")/../integration/lib_http.sh"

RUNS=${RUNS:-20}
VMS=${VMS:-0}
BIN_A=$STP_BIN
BIN_B=${BIN_B:-}

# vm_keeper N — keep a TCG VM booting the imaging OS; restart it when it ends.
# shellcheck disable=SC2317  # runs through bg_start
vm_keeper() {
	local n=$1 tap="t-k$1" q="" img="$STP_ROOT/build/imaging-os"
	ip -n "$STP_LAN" tuntap add "$tap" mode tap
	ip -n "$STP_LAN" link set "$tap" master br0
	ip -n "$STP_LAN" link set "$tap" up
	trap '[[ -z "$q" ]] || kill -KILL "$q" 2>/dev/null; exit 0' TERM
	while :; do
		ip netns exec "$STP_LAN" qemu-system-x86_64 -accel tcg -m 384 -nographic -no-reboot \
			-kernel "$img/bzImage" -initrd "$img/init.xz" -append "console=ttyS0 panic=1" \
			-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
			-device "e1000,netdev=n0,mac=52:54:00:77:01:0$n" >>"$STP_WORK/vm.$n.log" 2>&1 &
		q=$!
		wait "$q" || true
		q=""
	done
}

# summary LABEL MS... — min / median / p90 / max.
summary() {
	local label=$1
	shift
	printf '%s\n' "$@" | sort -n | awk -v l="$label" '{ v[NR] = $1 }
		END { if (NR) printf "%-7s n=%d  min %d  median %d  p90 %d  max %d ms\n", l, NR,
			v[1], v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.999)], v[NR] }'
}

lab_up
tftp_client cl1 10.77.0.11
http_root >/dev/null
cfg="$STP_WORK/stampede.yaml"
http_config "$cfg"
if ((VMS > 0)); then
	[[ -f "$STP_ROOT/build/imaging-os/bzImage" ]] ||
		"$STP_ROOT/tools/imaging-os/build.sh" "$STP_ROOT/build/imaging-os" >"$STP_WORK/img.log" 2>&1
	for ((v = 1; v <= VMS; v++)); do bg_start "$STP_WORK/keeper.$v" vm_keeper "$v"; done
fi

times_a=() times_b=()
for ((k = 1; k <= RUNS; k++)); do
	label=A STP_BIN=$BIN_A
	if [[ -n "$BIN_B" ]] && ((k % 2 == 0)); then label=B STP_BIN=$BIN_B; fi
	stp_start "$cfg" >/dev/null 2>&1 || { say "run $k: the server did not start"; continue; }
	http_wait_up 20 cl1 || true
	bg_start "$STP_WORK/dl.$k" ip netns exec "$STP_P-cl1" curl -s -o /dev/null --limit-rate 20M \
		"$HTTP_BASE/f60m.bin"
	dl=$BG_PID
	sleep 1
	t0=$EPOCHREALTIME
	kill -TERM "$STP_PID"
	for ((i = 0; i < 12000; i++)); do kill -0 "$STP_PID" 2>/dev/null || break; sleep 0.01; done
	ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
	bg_stop "$STP_PID" TERM 1
	rc=$BG_RC STP_PID=""
	bg_stop "$dl" TERM 1
	if [[ "$label" == A ]]; then times_a+=("$ms"); else times_b+=("$ms"); fi
	printf 'run %d %s: exit %d ms, status %d | %s\n' "$k" "$label" "$ms" "$rc" \
		"$(sed -n 's/^stampede: stopped in //p' "$STP_LOG")"
done
summary "A" "${times_a[@]}"
[[ -z "$BIN_B" ]] || summary "B" "${times_b[@]}"
pass "bench_exit: $RUNS stops"
stp_finish
