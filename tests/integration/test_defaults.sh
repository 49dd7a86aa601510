#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What a user gets: the rest of the suite pins port.driver: af_packet and
# eal.no_huge: true; here the config leaves both at their defaults, as a
# user's config and tools/lab.sh do (STP_DEFAULTS=1, lib_defaults.sh):
# port.driver auto must choose AF_XDP (bpffs is mounted by tools/setup.sh)
# and DPDK must run on hugepages — both read from the start-up log; with
# too few free hugepages the run says so loudly and falls back to
# eal.no_huge. While it runs no hugepage file of ours exists (unlinked
# once mapped) and the pool's free count dropped.
#
# (Left at its default too, eal.memory_mb 1024 does not fit the 512 MB
# tools/setup.sh reserves: that start must fail saying both numbers.)
#
# Real clients through it: busybox udhcpc (lease in the pool), curl
# tftp:// (ipxe.efi and a 1 MB file, sha256), curl http:// (an 8 MiB file,
# sha256, and a Range request: 206, Content-Range, the slice's sha256),
# wget, wrk for a few seconds (0 socket errors, 0 non-2xx), and 16 curl
# downloads of the 8 MiB file at once, all intact.
#
# Payload paths: AF_XDP cannot send chained mbufs, so auto gives the copy
# path (the log says so). With port.zero_copy: on the driver auto falls
# back to af_packet, which can: the log gives that reason and the zero-copy
# path, and downloads stay intact.
#
# Ending: SIGKILL mid-download leaves no hugepage file and gives every page
# back, and the next start gets AF_XDP again; SIGTERM mid-download exits 0
# within 20 s, after writing its state, and gives every page back.
set -euo pipefail
export STP_DEFAULTS=${STP_DEFAULTS:-1}
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_tftp.sh
. "$(dirname "$0")/lib_tftp.sh"

WRK_SECS=${WRK_SECS:-4}
PARALLEL=16
BASE=http://10.77.0.1

lab_up
lab_add_client dh
tftp_client cl1 10.77.0.11
root=$(stp_boot_root)
head -c $((8 * 1048576 + 13)) /dev/urandom >"$root/big.bin"
head -c 1000003 /dev/urandom >"$root/f1m.bin"
head -c 1024 /dev/urandom >"$root/k1.bin"
out="$STP_WORK/out"
mkdir -p "$out"
cfg="$STP_WORK/stampede.yaml"
stp_write_config "$cfg" server
prefix=$(sed -n 's/^  file_prefix: //p' "$cfg")
assert_eq "config: no port.driver line" "" "$(grep -E '^  driver:' "$cfg" || true)"
if [[ "$STP_DEFAULTS" == nohuge ]]; then   # lib_defaults.sh said why, loudly
	assert_eq "config: eal.no_huge (fallback: no free hugepages)" "  no_huge: true  # no free hugepages" \
		"$(grep -E '^  no_huge:' "$cfg" || true)"
else
	assert_eq "config: no eal.no_huge line" "" "$(grep -E '^  no_huge:' "$cfg" || true)"
fi

# huge_files — how many hugepage files of this run's prefix exist.
huge_files() { find /dev/hugepages -maxdepth 1 -name "${prefix}map_*" 2>/dev/null | wc -l; }
on_huge() { [[ "$STP_DEFAULTS" != nohuge ]]; }
free0=$(defaults_huge_free_mb)
# shellcheck disable=SC2317  # called through wait_for
huge_back() { (($(defaults_huge_free_mb) >= free0)); }

# eal.memory_mb left at its default too (1024) asks for more than tools/setup.sh
# reserves (512 MB): the start must fail with both numbers, not a riddle.
if on_huge && ((free0 < 1024)); then
	sed '/^  memory_mb: /d' "$cfg" >"$cfg.m1024"
	if stp_start "$cfg.m1024" 2>/dev/null; then
		fail "memory_mb 1024 on ${free0} MB of free hugepages: refused" "it started"
		stp_stop
	else
		assert_contains "memory_mb 1024 on ${free0} MB of free hugepages: refused, saying why" \
			"$(grep 'error:' "$STP_LOG" || true)" "eal.memory_mb is 1024 MB but only ${free0} MB of hugepages are free"
	fi
fi

stp_start "$cfg" || { fail server-start "stampede did not start with the defaults"; stp_finish; }
note "$(grep -E '^stampede: (tftp|tx offloads)' "$STP_LOG" | tr '\n' '|')"
assert_contains "auto on AF_XDP: copy payload path (AF_XDP cannot chain mbufs)" \
	"$(cat "$STP_LOG")" "payload by copy (the port cannot send chained mbufs)"
if on_huge; then
	free1=$(defaults_huge_free_mb)
	if ((free1 < free0)); then pass "hugepages in use (free ${free0} -> ${free1} MB)"; else
		fail "hugepages in use" "free ${free0} -> ${free1} MB"; fi
	assert_eq "no hugepage file of ours while running (unlinked once mapped)" 0 "$(huge_files)"
fi

# ---- DHCP: busybox udhcpc
if udhcpc_run dh; then pass "udhcpc: lease obtained"; else
	fail "udhcpc: lease obtained" "$(tail -n 3 "$STP_WORK/udhcpc.dh.log" | tr '\n' '|')"; fi
assert_ip_in "udhcpc: address in the pool" "$(udhcpc_get dh bound ip)" 10.77.0.100 10.77.0.250

# ---- TFTP: curl tftp://
for f in ipxe.efi f1m.bin; do
	nsx cl1 timeout 60 curl -sS --max-time 50 -o "$out/tftp.$f" "tftp://10.77.0.1/$f" \
		2>"$out/tftp.$f.err" || true
	assert_sha "curl tftp://$f" "$root/$f" "$out/tftp.$f"
done

# dl_check NAME FILE — curl http:// FILE in cl1, compare by sha256.
dl_check() {
	local o="$out/dl.$RANDOM"
	nsx cl1 timeout 60 curl -sS --max-time 50 -o "$o" "$BASE/$2" 2>"$o.err" || true
	assert_sha "$1" "$root/$2" "$o"
	rm -f "$o"
}

# ---- HTTP: curl, a Range request, wget
dl_check "curl http:// big.bin (8 MiB)" big.bin
h=$(nsx cl1 timeout 30 curl -sS --max-time 20 -D - -o "$out/range" -w '%{http_code}' \
	-r 1000000-3000999 "$BASE/big.bin" 2>&1 || true)
assert_eq "Range bytes=1000000-3000999: 206" 206 "${h##*$'\n'}"
assert_match "Range: Content-Range" "$(tr -d '\r' <<<"$h" | grep -i '^content-range:' || true)" \
	"bytes 1000000-3000999/$(stat -c %s "$root/big.bin")\$"
dd if="$root/big.bin" of="$out/range.want" iflag=skip_bytes,count_bytes skip=1000000 \
	count=2001000 status=none
assert_sha "Range: the slice's sha256" "$out/range.want" "$out/range"
rm -f "$out/wget"
nsx cl1 timeout 60 wget -q -O "$out/wget" "$BASE/f1m.bin" || true
assert_sha "wget f1m.bin" "$root/f1m.bin" "$out/wget"

# ---- wrk: a few seconds, kept-alive connections
if command -v wrk >/dev/null; then
	nsx cl1 timeout $((WRK_SECS + 30)) wrk -t 1 -c 16 -d "${WRK_SECS}s" --timeout 5s \
		"$BASE/k1.bin" >"$out/wrk" 2>&1 || true
	note "wrk: $(grep -E 'requests in|Requests/sec|Socket errors|Non-2xx' "$out/wrk" | tr -s ' ' | tr '\n' '|')"
	n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$out/wrk")
	assert_match "wrk ${WRK_SECS} s: requests answered" "${n:-0}" '^[1-9][0-9]*$'
	assert_eq "wrk: no socket errors" "" "$(grep -E 'Socket errors' "$out/wrk" || true)"
	assert_eq "wrk: no non-2xx/3xx" "" "$(grep -E 'Non-2xx' "$out/wrk" || true)"
else
	fail wrk "wrk not installed (apt-get install wrk)"
fi

# para_dl TAG — PARALLEL curl downloads of big.bin at once; all intact?
para_dl() {
	local i pids=() bad=0
	for ((i = 0; i < PARALLEL; i++)); do
		bg_start "$out/para.$i.err" ip netns exec "$STP_P-cl1" timeout 120 curl -sS --max-time 110 \
			-o "$out/para.$i" "$BASE/big.bin"
		pids+=("$BG_PID")
	done
	for i in "${pids[@]}"; do tftp_bg_wait "$i"; done
	for ((i = 0; i < PARALLEL; i++)); do
		[[ "$(sha "$out/para.$i")" == "$(sha "$root/big.bin")" ]] || bad=$((bad + 1))
	done
	rm -f "$out"/para.*
	assert_eq "$1: $PARALLEL parallel downloads of big.bin intact" 0 "$bad"
}
para_dl "auto (AF_XDP, copy)"

# ---- SIGKILL mid-download: nothing left behind, AF_XDP again on restart
bg_start "$out/kill.dl.err" ip netns exec "$STP_P-cl1" curl -sS --limit-rate 2M -o /dev/null "$BASE/big.bin"
dl=$BG_PID
sleep 1
stp_kill9
bg_stop "$dl" TERM 2
if on_huge; then
	assert_eq "SIGKILL: no hugepage file left" 0 "$(huge_files)"
	wait_for 5 huge_back || true
	assert_eq "SIGKILL: every hugepage back in the pool" "$free0" "$(defaults_huge_free_mb)"
fi
if stp_start "$cfg"; then pass "restart after SIGKILL"; else
	fail "restart after SIGKILL" "it did not come back"; stp_finish; fi
dl_check "after the restart: curl http:// big.bin" big.bin

# ---- port.zero_copy: on — auto falls back to af_packet, zero-copy path
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
sed -i 's/^  iface: stp0$/  iface: stp0\n  zero_copy: on/' "$cfg"
STP_DEFAULTS_DRIVER=af_packet
if stp_start "$cfg"; then
	assert_contains "zero_copy on: AF_XDP refused, with the reason" \
		"$(grep -m 1 '^stampede: port ' "$STP_LOG")" "AF_XDP did not start (port.zero_copy: on"
	assert_contains "zero_copy on: zero-copy payload path" "$(cat "$STP_LOG")" "payload by zero copy"
	dl_check "zero copy (af_packet): curl http:// big.bin" big.bin
	para_dl "zero copy (af_packet)"
	nsx cl1 timeout 60 curl -sS --max-time 50 -o "$out/tftp.zc" "tftp://10.77.0.1/f1m.bin" \
		2>/dev/null || true
	assert_sha "zero copy (af_packet): curl tftp:// f1m.bin" "$root/f1m.bin" "$out/tftp.zc"
else
	fail "start with port.zero_copy: on" "did not start"
fi
unset STP_DEFAULTS_DRIVER

# ---- SIGTERM mid-download: clean, timed, every page back
bg_start "$out/term.dl.err" ip netns exec "$STP_P-cl1" curl -sS --limit-rate 2M -o /dev/null "$BASE/big.bin"
dl=$BG_PID
sleep 1
t0=$EPOCHREALTIME
stp_stop
ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
bg_stop "$dl" TERM 2
assert_eq "SIGTERM mid-download: exit status" 0 "$STP_RC"
note "exit took $ms ms; $(grep -m 1 '^stampede: stopped in' "$STP_LOG" || echo 'no stop timing line')"
assert_contains "SIGTERM: the stop was timed step by step" "$(cat "$STP_LOG")" "stampede: stopped in"
if on_huge; then
	wait_for 5 huge_back || true
	assert_eq "SIGTERM: no hugepage file left" 0 "$(huge_files)"
	assert_eq "SIGTERM: every hugepage back in the pool" "$free0" "$(defaults_huge_free_mb)"
else
	say "WARNING: this run fell back to eal.no_huge (no free hugepages): the hugepage default was NOT tested"
fi
stp_finish
