#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_storm.sh — the boot server at storm scale, measured with
# stampede-storm. Reports one table; never asserts (tests do that).
#
#   tests/bench/bench_storm.sh                 everything, default profile
#   PROFILE=full tests/bench/bench_storm.sh    8 MB kernel, 32 MB initrd
#   CLIENTS=2000 PHASES="chain dhcp" tests/bench/bench_storm.sh
#
# Phases (PHASES, default "chain dhcp tftp-lockstep tftp-window http veth"):
#  chain          over memif: stampede with one worker (lcores 0-1: control
#                 on CPU 0, the worker on CPU 1) against stampede-storm on
#                 CPU 0, hugepages on both sides. CLIENTS (10,000) mixed
#                 clients (70% BIOS, 30% UEFI), each with a deploy job,
#                 through every stage. Profile "default": 70 KB / 1 MB
#                 firmware, 2 MB kernel, 8 MB initrd; "full": 8 MB / 32 MB.
#                 CHAIN_EXTRA: YAML for the server (e.g. "http:\n  max_transfers: 64").
#  dhcp           each client's two DORAs alone (firmware + iPXE): DORA/s
#                 (this and the next three: closed loop, MAX_ACTIVE in flight)
#  tftp-lockstep  BIOS clients only (blksize 1432, lock-step): DATA/s
#  tftp-window    UEFI clients only (blksize 1468, windowsize 4): DATA/s
#  http           the script chain, kernel and initrd alone: Gbit/s
#                 (new connections/s is not measured: the clients keep
#                 their connection for all three fetches, as iPXE does)
#  dhcp-tftp-100k 100,000 BIOS clients through DHCP and TFTP (70 KB
#                 undionly.kpxe), MAX_ACTIVE_100K (4096) in flight: failures
#  veth           1,000 clients over the veth lab through DHCP, TFTP and
#                 HTTP (a static script: kernel + initrd): stampede (AF_XDP)
#                 next to dnsmasq (DHCP + TFTP) + nginx (HTTP), same files.
#
# For stampede each row gives the worker's cycles per operation (TSC
# cycles spent on bursts, over the phase, divided by the operations:
# DORAs, DATA blocks, TCP segments sent) and the generator's busy share:
# near 100% the generator, not the server, was the limit.
#
# Hugepages: the script reserves BENCH_HUGEPAGES (1024 x 2 MB) when fewer
# are free, and says so; with none it runs both sides with --no-huge and
# says that the figures are not the hugepage ones.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/integration/lib_http.sh
. "$(dirname "$0")/../integration/lib_http.sh"
# shellcheck source=tests/integration/lib_storm.sh
. "$(dirname "$0")/../integration/lib_storm.sh"

CLIENTS=${CLIENTS:-10000}
PROFILE=${PROFILE:-default}
PHASES=${PHASES:-"chain dhcp tftp-lockstep tftp-window http dhcp-tftp-100k veth"}
VETH_CLIENTS=${VETH_CLIENTS:-1000}
# Each stage alone runs closed-loop at this many clients in flight (the
# maximum rate, not the firmware's retry timers after a burst overflowed
# the rings); the chain is a burst, as a storm is.
MAX_ACTIVE=${MAX_ACTIVE:-512}
HP=/sys/kernel/mm/hugepages/hugepages-2048kB
case $PROFILE in
default) export STORM_KB_BIOS=70 STORM_KB_UEFI=1024 STORM_KB_KERNEL=2048 STORM_KB_INITRD=8192 ;;
full) export STORM_KB_BIOS=70 STORM_KB_UEFI=1024 STORM_KB_KERNEL=8192 STORM_KB_INITRD=32768 ;;
*) say "bench_storm: PROFILE=$PROFILE: expected default or full"; exit 2 ;;
esac
[[ -x "$STORM_BIN" ]] || { say "bench_storm: $STORM_BIN not built (ninja -C build)"; exit 1; }

# ---------------------------------------------------------------- hugepages
HUGE=1
want=${BENCH_HUGEPAGES:-1024}
if (($(cat "$HP/free_hugepages" 2>/dev/null || echo 0) < want / 2)); then
	echo $(($(cat "$HP/nr_hugepages") + want)) >"$HP/nr_hugepages" 2>/dev/null || true
	note "reserved hugepages: now $(cat "$HP/nr_hugepages") x 2 MB, $(cat "$HP/free_hugepages") free"
fi
if (($(cat "$HP/free_hugepages" 2>/dev/null || echo 0) < 300)); then
	HUGE=0
	say "bench_storm: fewer than 300 free 2 MB hugepages: both sides run with --no-huge;"
	say "             these are not the hugepage figures the README quotes"
fi
STORM_MEM=()
((HUGE)) || STORM_MEM=(--no-huge)

declare -a ROWS=()
row() { ROWS+=("$(printf '%-34s %16s %14s %10s' "$1" "$2" "$3" "$4")"); }
pct() { awk -v b="$1" 'BEGIN { printf "%.0f%%", b * 100 }'; }

# ---------------------------------------------------------------- memif server
SOCK="$STP_WORK/memif.sock"
CFG="$STP_WORK/stampede.yaml"
_stp_ns_add "$STP_SRV"
ROOT="$STP_WORK/storm-root"
storm_root "$ROOT"

memif_server() { # [EXTRA YAML]
	CFG_EXTRA="${1:-}" storm_memif_config "$CFG" "$SOCK"
	if ((HUGE)); then sed -i 's/^  no_huge: true$/  memory_mb: 512/' "$CFG"; fi
	rm -f "$STP_WORK"/storm.sqlite*
	stp_start "$CFG"
}

C0=""
cyc_start() { C0=$(stp_counters || true); }
# cyc_per NAME OPS — worker busy cycles since cyc_start per operation.
cyc_per() {
	local c1 db
	c1=$(stp_counters || true)
	db=$(($(ctr_sum worker busy_cycles "$c1") - $(ctr_sum worker busy_cycles "$C0")))
	if (($2 > 0)); then echo "$((db / $2))"; else echo "-"; fi
}
ctr_delta() { # PATTERN KEY — a counter's growth since cyc_start
	local c1
	c1=$(stp_counters || true)
	echo $(($(ctr_sum "$1" "$2" "$c1") - $(ctr_sum "$1" "$2" "$C0")))
}

storm_memif() { # NAME ARGS...
	local name=$1
	shift
	storm_run "$name" --vdev "net_memif0,role=client,socket=$SOCK" --lcores 0 \
		"${STORM_MEM[@]}" --quiet --timeout 1800 "$@"
}

j() { jget "$STP_WORK/$1.json" "$2"; }

# ---------------------------------------------------------------- phases
phase_chain() {
	memif_server "${CHAIN_EXTRA:-}" || return 1
	storm_jobs "$CLIENTS" || return 1
	cyc_start
	storm_memif chain --clients "$CLIENTS"
	local segs
	segs=$(ctr_delta ' http: ' seg_out)
	row "chain: $CLIENTS clients done/failed" "$(j chain '["done"]')/$(j chain '["failed"]')" \
		"$(j chain '["wall_s"]') s" "$(pct "$(j chain '["generator_busy"]')")"
	row "chain: goodput Gbit/s" "$(j chain '["gbps"]')" "$(cyc_per x "$segs") c/seg" ""
	for st in dhcp tftp ipxe_dhcp script kernel initrd os; do
		row "chain: $st p50/p99 ms" "$(j chain "[\"$st\"][\"p50_ms\"]")/$(j chain "[\"$st\"][\"p99_ms\"]")" "" ""
	done
	stp_stop
}

phase_dhcp() {
	memif_server || return 1
	cyc_start
	storm_memif dhcp --clients "$CLIENTS" --stages dhcp --max-active "$MAX_ACTIVE"
	local dora=$((2 * $(j dhcp '["done"]')))
	row "DHCP DORA/s (both stages)" "$(python3 -c "import json; d = json.load(open('$STP_WORK/dhcp.json'))
print(int(2 * d['done'] / d['wall_s']))")" \
		"$(cyc_per x "$dora") c/DORA" "$(pct "$(j dhcp '["generator_busy"]')")"
	stp_stop
}

phase_tftp() { # NAME MIX BLKSIZE
	local name=$1 mix=$2 bs=$3 blocks
	memif_server || return 1
	cyc_start
	storm_memif "$name" --clients "$CLIENTS" --stages dhcp,tftp --mix "$mix" --max-active "$MAX_ACTIVE"
	blocks=$(python3 -c "import json; d = json.load(open('$STP_WORK/$name.json'))
print(int(d['bytes'] / $bs))")
	row "TFTP DATA/s $name" "$(python3 -c "import json; d = json.load(open('$STP_WORK/$name.json'))
t = d['tftp']; r = t['rate_per_s']; print(int($blocks / t['done'] * r) if t['done'] else 0)")" \
		"$(cyc_per x "$blocks") c/DATA" "$(pct "$(j "$name" '["generator_busy"]')")"
	stp_stop
}

phase_http() {
	memif_server || return 1
	storm_jobs "$CLIENTS" || return 1
	cyc_start
	storm_memif http --clients "$CLIENTS" --stages dhcp,http --max-active "$MAX_ACTIVE"
	local segs
	segs=$(ctr_delta ' http: ' seg_out)
	row "HTTP Gbit/s (kernel + initrd)" "$(python3 -c "import json; d = json.load(open('$STP_WORK/http.json'))
k, i = d['kernel'], d['initrd']
print('%.2f' % (d['bytes'] * 8 / 1e9 / max(d['wall_s'], 1e-9)))")" \
		"$(cyc_per x "$segs") c/seg" "$(pct "$(j http '["generator_busy"]')")"
	stp_stop
}

phase_100k() {
	memif_server "tftp:
  max_sessions: 8192" || return 1
	cyc_start
	storm_memif big --clients 100000 --stages dhcp,tftp --mix bios:100 \
		--max-active "${MAX_ACTIVE_100K:-4096}"
	row "100,000 clients DHCP+TFTP done/failed" "$(j big '["done"]')/$(j big '["failed"]')" \
		"$(j big '["wall_s"]') s" "$(pct "$(j big '["generator_busy"]')")"
	stp_stop
}

phase_veth() {
	local s n=$VETH_CLIENTS vroot
	ip netns del "$STP_SRV" 2>/dev/null || true   # the memif phases' namespace
	lab_up
	lab_add_client storm
	vroot=$(stp_boot_root)
	storm_root "$vroot"
	printf '#!ipxe\nkernel http://10.77.0.1/bzImage\ninitrd http://10.77.0.1/init.xz\nboot\n' \
		>"$vroot/boot.ipxe"
	for s in stampede peers; do
		if [[ $s == stampede ]]; then
			CFG_POOL=10.77.1.0-10.77.200.255 CFG_ADDRESS=10.77.0.1/16 STP_DEFAULTS=1 \
				stp_write_config "$STP_WORK/veth.yaml"
			stp_start "$STP_WORK/veth.yaml" || return 1
		else
			http_nginx_start "$vroot" || return 1
			nsx srv ip addr replace 10.77.0.1/16 dev stp0
			nsx srv ethtool -K stp0 tx off >/dev/null
			STORM_PEER_CPU=1 storm_dnsmasq_start "$vroot" 10.77.1.0 10.77.200.255 /dev/null
			sleep 1
		fi
		nsx storm taskset -c 0 "$STORM_BIN" --iface eth0 --lcores 0 "${STORM_MEM[@]}" \
			--file-prefix "stpbs-$$" --clients "$n" --server 10.77.0.1 --stages dhcp,tftp,http \
			--timeout 600 --quiet --json "$STP_WORK/veth-$s.json" \
			>"$STP_WORK/veth-$s.out" 2>&1 || true
		_STP_PREFIXES+=("stpbs-$$")
		row "veth $n clients: $s done, wall" "$(j "veth-$s" '["done"]')" \
			"$(j "veth-$s" '["wall_s"]') s" "$(pct "$(j "veth-$s" '["generator_busy"]')")"
		for st in dhcp tftp kernel initrd; do
			row "veth: $s $st p50/p99 ms" \
				"$(j "veth-$s" "[\"$st\"][\"p50_ms\"]")/$(j "veth-$s" "[\"$st\"][\"p99_ms\"]")" "" ""
		done
		if [[ $s == stampede ]]; then stp_stop; else bg_stop "$DNSMASQ_PID"; http_nginx_stop; fi
	done
}

for ph in $PHASES; do
	note "phase $ph"
	case $ph in
	chain) phase_chain || say "phase chain failed" ;;
	dhcp) phase_dhcp || say "phase dhcp failed" ;;
	tftp-lockstep) phase_tftp tftp-lockstep bios:100 1432 || say "phase tftp-lockstep failed" ;;
	tftp-window) phase_tftp tftp-window uefi:100 1468 || say "phase tftp-window failed" ;;
	http) phase_http || say "phase http failed" ;;
	dhcp-tftp-100k) phase_100k || say "phase dhcp-tftp-100k failed" ;;
	veth) phase_veth || say "phase veth failed" ;;
	*) say "unknown phase $ph" ;;
	esac
done

printf '\nbench_storm: %s, profile %s, %s clients, %s, %s\n' "$(date -u +%F)" "$PROFILE" \
	"$CLIENTS" "$( ((HUGE)) && echo hugepages || echo no-huge)" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
printf '%-34s %16s %14s %10s\n' "measurement" "value" "server" "gen busy"
for r in "${ROWS[@]}"; do printf '%s\n' "$r"; done
