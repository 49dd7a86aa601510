# shellcheck shell=bash
# shellcheck disable=SC2034  # variables for the scripts that source this
# SPDX-License-Identifier: BSD-3-Clause
#
# lib_tftp.sh — TFTP helpers for tests/integration/test_tftp_*.sh and
# tests/bench/bench_tftp.sh. Source it after lib.sh, which owns the lab,
# the server, the EXIT trap and the PASS/FAIL tally; nothing here replaces
# any of that.
#
#   tftp_client NAME IP           a client namespace with a static address
#   tftp_config FILE              the lab config plus the TFTP_* knobs below
#   tftp_root                     boot root filled with the test files
#   tftp_py CLIENT CMD ARGS...    tests/tools/tftp_CMD.py in CLIENT's namespace
#   tftp_bg_wait PID              wait for a bg_start'ed process to end by itself
#   wire_faults CLIENT LOSS DUP   nftables loss/duplication on a client's veth
#   wire_fault_count CLIENT       what those rules dropped and duplicated
#   tftp_counters, tftp_wait_idle SECONDS   SIGUSR1 snapshots into TFTP_CTRS
#   ctr_sum KIND NAME [TEXT]      a counter summed over the worker lcores
#   tftp_crowd_lab N, tftp_crowd TAG N SMALL BIG [CURLFILE]   N clients at once
#   kv LINE KEY, hx STRING        field of a "k=v" line; hex of a string
#   tftp_req_hex OP NAME MODE [K V]...   a request as hex, for "raw"
#   assert_sha NAME WANT GOT      sha256 of two files equal
#
# Config knobs read by tftp_config (unset: the lab default):
#   TFTP_DRIVER (af_packet)  TFTP_ZERO_COPY (auto)  TFTP_MEMORY_MB
#   TFTP_CACHE_MB  TFTP_SESSIONS  TFTP_TIMEOUT_MS  TFTP_RETRIES
#   TFTP_MAX_WINDOW  TFTP_PORT_FIRST
#   CFG_MODE (server): dhcp.mode, as stp_write_config's MODE
#
# The client addresses are 10.77.0.11-10.77.0.99: below the DHCP pool, so
# no test here collides with a lease.

# The system python starts in 20 ms; a pyenv shim in PATH takes ~200 ms.
if [[ -x /usr/bin/python3 ]]; then TFTP_PY=/usr/bin/python3; else TFTP_PY=python3; fi
TFTP_SRV=${STP_ADDR:-10.77.0.1}

# sha FILE — the sha256 of FILE (hex), or "missing".
sha() {
	if [[ -f "$1" ]]; then sha256sum "$1" | cut -d' ' -f1; else echo missing; fi
}

# assert_sha NAME WANT_FILE GOT_FILE — the download equals its source.
assert_sha() {
	local want got
	want=$(sha "$2")
	got=$(sha "$3")
	if [[ "$want" == "$got" && "$want" != missing ]]; then pass "$1"; else
		fail "$1" "sha256 $got (size $(stat -c %s "$3" 2>/dev/null || echo -)) != source $want"
	fi
}

# tftp_client NAME IP — lab_add_client plus IP/24 on its eth0.
tftp_client() {
	lab_add_client "$1"
	ip -n "$STP_P-$1" addr add "$2/24" dev eth0
}

# tftp_bg_wait PID — wait for a process started with bg_start to end on its
# own; its status goes to BG_RC. The PID is dropped from lib.sh's cleanup
# list once reaped, so the EXIT trap never signals a reused PID.
tftp_bg_wait() {
	BG_RC=0
	wait "$1" 2>/dev/null || BG_RC=$?
	_stp_forget_pid "$1"
}

# tftp_config FILE — stp_write_config (dhcp.mode CFG_MODE, default server)
# with a tftp: block and
# the TFTP_* knobs patched into its eal: and port: blocks (CFG_EXTRA only
# appends top-level keys, and a second eal: would be a duplicate key).
tftp_config() {
	local f=$1 extra
	extra="tftp:
  enabled: true
  max_sessions: ${TFTP_SESSIONS:-4096}
  max_windowsize: ${TFTP_MAX_WINDOW:-64}
  port_first: ${TFTP_PORT_FIRST:-49152}
  timeout_ms: ${TFTP_TIMEOUT_MS:-1000}
  retries: ${TFTP_RETRIES:-6}"
	[[ -z "${TFTP_CACHE_MB:-}" ]] || extra+="
cache:
  max_mb: $TFTP_CACHE_MB"
	[[ -z "${CFG_EXTRA:-}" ]] || extra+="
$CFG_EXTRA"
	CFG_EXTRA=$extra stp_write_config "$f" "${CFG_MODE:-server}"
	awk -v mem="${TFTP_MEMORY_MB:-}" -v drv="${TFTP_DRIVER:-af_packet}" \
		-v zc="${TFTP_ZERO_COPY:-auto}" '
		/^eal:$/ { print; if (mem != "") print "  memory_mb: " mem; next }
		/^  driver: / { print "  driver: " drv; print "  zero_copy: " zc; next }
		{ print }' "$f" >"$f.tmp"
	mv "$f.tmp" "$f"
}

# tftp_root — the lab boot root (lib.sh's stp_boot_root) plus the files the
# TFTP tests fetch. Sizes straddle block boundaries on purpose:
#   empty.bin 0 B; one.bin 1 B; b512x4.bin 2048 B (last DATA block empty
#   at blksize 512); b1468x3.bin 4404 B; f1m.bin 1000003 B; f256k.bin
#   262144 B; dir/sub/deep.bin 70000 B; text.txt ~6 KB of lines ending in
#   LF, CRLF and bare CR (and a CR last); text.txt.netascii is that file as
#   RFC 764 netascii (CR -> CR NUL, then LF -> CR LF) — what the wire must
#   carry; computed here, independently of the server.
tftp_root() {
	local d
	d=$(stp_boot_root)
	if [[ ! -f "$d/f1m.bin" ]]; then
		: >"$d/empty.bin"
		printf 'x' >"$d/one.bin"
		head -c 2048 /dev/urandom >"$d/b512x4.bin"
		head -c 4404 /dev/urandom >"$d/b1468x3.bin"
		head -c 1000003 /dev/urandom >"$d/f1m.bin"
		head -c 262144 /dev/urandom >"$d/f256k.bin"
		mkdir -p "$d/dir/sub"
		head -c 70000 /dev/urandom >"$d/dir/sub/deep.bin"
		"$TFTP_PY" "$STP_ROOT/tests/tools/mixed_eol_text.py" "$d/text.txt"
		"$TFTP_PY" "$STP_ROOT/tests/tools/netascii_encode.py" "$d/text.txt" "$d/text.txt.netascii"
	fi
	echo "$d"
}

# tftp_py CLIENT CMD ARGS... — the TFTP client tests/tools/tftp_CMD.py (get,
# edk2, raw, flood, multi; usage in each file's docstring), run in the
# namespace of CLIENT (never in the host's), with a 120 s limit.
tftp_py() {
	local c=$1 cmd=$2
	shift 2
	ip netns exec "$STP_P-$c" timeout 120 "$TFTP_PY" "$STP_ROOT/tests/tools/tftp_$cmd.py" "$@"
}

# hx STRING — the hex of STRING's bytes.
hx() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# tftp_req_hex OP NAME MODE [OPTNAME OPTVALUE]... — hex of a whole RRQ (OP
# 1) or WRQ (2), every string NUL-terminated; for the tool's raw command.
tftp_req_hex() {
	local h
	h=$(printf '%04x' "$1")$(hx "$2")00$(hx "$3")00
	shift 3
	while (($# >= 2)); do
		h+=$(hx "$1")00$(hx "$2")00
		shift 2
	done
	echo "$h"
}

# kv LINE KEY — the value of KEY=... in a "k=v k=v" line.
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n 1; }

# ctr_sum KIND NAME [TEXT] — NAME summed over the lcores' counter lines of
# KIND (tftp: the "lcore N tftp:" lines; worker: the "lcore N (queue Q):"
# lines) in TEXT (default: the last tftp_counters snapshot). 0 if absent.
TFTP_CTRS=""
ctr_sum() {
	local text=${3-$TFTP_CTRS} pat
	case "$1" in
	tftp) pat=' tftp: ' ;;
	worker) pat=' (queue ' ;;
	*) pat="$1" ;;
	esac
	grep -F -- "$pat" <<<"$text" | tr ' ' '\n' |
		awk -F= -v k="$2" '$1 == k { s += $2 } END { printf "%.0f\n", s }'
}

# tftp_counters — SIGUSR1 snapshot into TFTP_CTRS (also returned on stdout).
tftp_counters() {
	TFTP_CTRS=$(stp_counters) || TFTP_CTRS=""
	printf '%s\n' "$TFTP_CTRS"
}

# tftp_wait_idle SECONDS — poll the counters until no TFTP session is active.
tftp_wait_idle() {
	local end=$((SECONDS + $1))
	while ((SECONDS < end)); do
		tftp_counters >/dev/null
		[[ -n "$TFTP_CTRS" && "$(ctr_sum tftp active)" == 0 ]] && return 0
		sleep 1
	done
	return 1
}

# wire_faults CLIENT LOSS DUP — random loss and duplication, both ways, in
# per mille, on CLIENT's veth (docs/design.md "Faults on the wire"):
#   client eth0 egress  (client -> server): drop LOSS, then dup DUP
#   c-CLIENT egress     (server -> client): dup DUP (before the loss below)
#   client eth0 ingress (server -> client): drop LOSS
# Every rule counts; wire_fault_count reads the counts back.
wire_faults() {
	local c=$1 loss=$2 dup=$3
	ip netns exec "$STP_P-$c" nft -f - <<EOF
table netdev stpfault {
	chain out {
		type filter hook egress device "eth0" priority 0; policy accept;
		numgen random mod 1000 < $loss counter drop
		numgen random mod 1000 < $dup counter dup to "eth0"
	}
	chain in {
		type filter hook ingress device "eth0" priority 0; policy accept;
		numgen random mod 1000 < $loss counter drop
	}
}
EOF
	ip netns exec "$STP_LAN" nft -f - <<EOF
table netdev stpfault_$c {
	chain out {
		type filter hook egress device "c-$c" priority 0; policy accept;
		numgen random mod 1000 < $dup counter dup to "c-$c"
	}
}
EOF
}

# wire_fault_count CLIENT — "drops=N dups=N" the rules of wire_faults hit.
wire_fault_count() {
	local a b
	a=$(ip netns exec "$STP_P-$1" nft list table netdev stpfault 2>/dev/null || true)
	b=$(ip netns exec "$STP_LAN" nft list table netdev "stpfault_$1" 2>/dev/null || true)
	printf '%s\n%s\n' "$a" "$b" | awk '
		/counter packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") n = $(i + 1)
			if ($0 ~ / drop/) d += n; else if ($0 ~ /dup to/) u += n }
		END { printf "drops=%d dups=%d\n", d, u }'
}

# ---------------------------------------------------------------- crowds

# tftp_crowd_lab NNS — client namespaces cr01..crNNS (10.77.0.21...).
tftp_crowd_lab() {
	local i
	for ((i = 1; i <= $1; i++)); do
		tftp_client "$(printf 'cr%02d' "$i")" "10.77.0.$((20 + i))"
	done
	TFTP_CROWD_NS=$1
}

# _crowd_argv KIND NS FILE OUT — the command of one crowd client in CROWD_ARGV.
CROWD_ARGV=()
_crowd_argv() {
	local k=$1 ns=$2 f=$3 o=$4
	CROWD_ARGV=(ip netns exec "$ns" timeout 170)
	case $k in
	0) CROWD_ARGV+=(curl -sS --max-time 160 --tftp-blksize 512 -o "$o" "tftp://$TFTP_SRV/$f") ;;
	1) CROWD_ARGV+=(curl -sS --max-time 160 --tftp-blksize 1468 -o "$o" "tftp://$TFTP_SRV/$f") ;;
	2) CROWD_ARGV+=(tftp -m octet "$TFTP_SRV" -c get "$f" "$o") ;;
	3) CROWD_ARGV+=(atftp --option "blksize 1468" --option "windowsize 16" -g -r "$f"
		-l "$o" "$TFTP_SRV") ;;
	4) CROWD_ARGV+=("$TFTP_PY" "$STP_ROOT/tests/tools/tftp_get.py" "$TFTP_SRV" "$f" "$o"
		blksize=1468 windowsize=8 --deadline 160) ;;
	esac
}

# tftp_crowd TAG N SMALL BIG [CURLFILE] — N downloads at once, spread
# round-robin over the crowd namespaces, the clients in turn:
#   0 curl blksize 512 (SMALL)        1 curl blksize 1468 (BIG)
#   2 tftp-hpa octet, no options (SMALL)
#   3 atftp blksize 1468 windowsize 16 (BIG)
#   4 python3 blksize 1468 windowsize 8 (BIG)
# SMALL/BIG are names below the boot root; CURLFILE, if given, replaces
# them for both curl kinds (curl always sends a timeout option of at least
# 1 s, 5 s with --max-time 160, which the server must honour as its RTO
# (RFC 2349): on a lossy wire each loss costs curl that long). Each
# download's exit status and sha256 is checked against its source: one
# PASS/FAIL per client kind, the failures listed.
# atftp 0.8.0 aborts ("tftp: unexpected OACK") when an OACK arrives twice —
# duplicated on the wire, or resent by the server because the client's ACK
# 0 was lost, as RFC 2347 wants. Such a download is run again (at most 3
# times), after the crowd, and counted in CROWD_RETRIED; any other failure
# is final.
# Leaves CROWD_OK (downloads intact), CROWD_RETRIED, CROWD_SECS.
CROWD_OK=0
CROWD_RETRIED=0
CROWD_SECS=0
tftp_crowd() {
	local tag=$1 n=$2 small=$3 big=$4 cf=${5:-} root i k ns f o pids=() kinds=() files=()
	local t0 kname bad try
	root=$(tftp_root)
	mkdir -p "$STP_WORK/crowd.$tag"
	t0=$EPOCHREALTIME
	for ((i = 0; i < n; i++)); do
		k=$((i % 5))
		ns="$STP_P-$(printf 'cr%02d' $((i % TFTP_CROWD_NS + 1)))"
		o="$STP_WORK/crowd.$tag/$i"
		case $k in
		0 | 2) f=$small ;;
		*) f=$big ;;
		esac
		[[ -z "$cf" ]] || ((k > 1)) || f=$cf
		_crowd_argv "$k" "$ns" "$f" "$o"
		bg_start "$o.log" "${CROWD_ARGV[@]}"
		pids+=("$BG_PID")
		kinds+=("$k")
		files+=("$f")
	done
	declare -A nk=() nbad=() why=()
	CROWD_OK=0
	CROWD_RETRIED=0
	for ((i = 0; i < n; i++)); do
		tftp_bg_wait "${pids[i]}"
		k=${kinds[i]}
		o="$STP_WORK/crowd.$tag/$i"
		for try in 1 2 3; do
			if ((BG_RC == 0 || k != 3)) || ! grep -q 'unexpected OACK' "$o.log"; then break; fi
			note "$tag: #$i atftp aborted on a second OACK; again ($try)"
			CROWD_RETRIED=$((CROWD_RETRIED + 1))
			mv "$o.log" "$o.log.$try"
			ns="$STP_P-$(printf 'cr%02d' $((i % TFTP_CROWD_NS + 1)))"
			_crowd_argv "$k" "$ns" "${files[i]}" "$o"
			BG_RC=0
			"${CROWD_ARGV[@]}" >"$o.log" 2>&1 || BG_RC=$?
		done
		nk[$k]=$((${nk[$k]:-0} + 1))
		bad=""
		if ((BG_RC != 0)); then
			bad="#$i exit $BG_RC ($(tr '\n' ' ' <"$o.log" | head -c 120))"
		elif [[ "$(sha "$o")" != "$(sha "$root/${files[i]}")" ]]; then
			bad="#$i sha256 mismatch (size $(stat -c %s "$o" 2>/dev/null || echo -))"
		fi
		if [[ -n "$bad" ]]; then
			nbad[$k]=$((${nbad[$k]:-0} + 1))
			why[$k]+="$bad; "
		else
			CROWD_OK=$((CROWD_OK + 1))
		fi
	done
	CROWD_SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	for k in 0 1 2 3 4; do
		[[ -n "${nk[$k]:-}" ]] || continue
		case $k in
		0) kname="curl blksize 512 ${cf:-$small}" ;;
		1) kname="curl blksize 1468 ${cf:-$big}" ;;
		2) kname="tftp-hpa octet $small" ;;
		3) kname="atftp blksize 1468 windowsize 16 $big" ;;
		4) kname="python3 blksize 1468 windowsize 8 $big" ;;
		esac
		if [[ -z "${nbad[$k]:-}" ]]; then
			pass "$tag: ${nk[$k]} x $kname: all sha256 match"
		else
			fail "$tag: ${nk[$k]} x $kname" "${nbad[$k]} bad: $(head -c 700 <<<"${why[$k]}")"
		fi
	done
	note "$tag: $CROWD_OK of $n downloads intact in ${CROWD_SECS}s ($CROWD_RETRIED atftp retried)"
}
