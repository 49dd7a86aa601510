#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TFTP retransmission from measured round trips (README, "TFTP"): one
# client on a wire with 5% random loss and 2% duplication in each
# direction (wire_faults, nftables netdev rules; this kernel has no
# netem). curl fetches a 1 MiB file lock-step at blksize 1468 and asks for
# "timeout 6" (RFC 2349), which used to be the wait after every lost DATA
# block or ACK; the server now retransmits after SRTT + 4 RTTVAR (floored,
# capped at that 6 s). Every curl run must match the source by sha256;
# the median of the runs must be within LIMIT seconds (the figure the
# storm-control issue asks for) and every run within RUN_LIMIT, far below
# what a per-loss wait of seconds would take (the old server: over 300 s).
# A median, because two things no server can help make single runs slow:
# a machine busy with other work (2 cores here), and a lost RRQ, which
# only curl's own timer sends again (after ~7.3 s here). Counter rules
# around the loss rule see the latter; such a run gets 8 s more.
# tftp-hpa (no options, 512-byte blocks) and atftp (blksize 1468)
# lock-step downloads through the same wire must match too. The server's
# counters must show RTO-driven retransmissions, round-trip samples and
# ignored duplicate ACKs.
#
#   RUNS (5)        curl downloads, one after the other
#   LIMIT (5)       seconds the median run may take
#   RUN_LIMIT (20)  seconds any run may take (+ 8 per lost RRQ)
#   CURL_MAX (120)  seconds before a client is killed (300 for an old server)
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_tftp.sh
. "$(dirname "$0")/lib_tftp.sh"

LOSS=50   # per mille, each direction
DUP=20
RUNS=${RUNS:-5}
LIMIT=${LIMIT:-5}
RUN_LIMIT=${RUN_LIMIT:-20}
CURL_MAX=${CURL_MAX:-120}

lab_up
tftp_client rt01 10.77.0.31
root=$(tftp_root)
head -c 1048576 /dev/urandom >"$root/r1m.bin"
out="$STP_WORK/out"
mkdir -p "$out"

cfg="$STP_WORK/stampede.yaml"
tftp_config "$cfg"
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }
nsx rt01 ping -c 1 -W 2 "$TFTP_SRV" >/dev/null || true
wire_faults rt01 "$LOSS" "$DUP"
# RRQs (UDP 69) leaving rt01, counted before the loss rule and after it
nsx rt01 nft insert rule netdev stpfault out udp dport 69 counter
nsx rt01 nft add rule netdev stpfault out udp dport 69 counter

# rrq_lost — RRQs the wire has dropped so far (sent minus passed).
rrq_lost() {
	nsx rt01 nft list chain netdev stpfault out | awk '
		/udp dport 69 counter/ { for (i = 1; i <= NF; i++) if ($i == "packets") n[++k] = $(i + 1) }
		END { print n[1] - n[k] }'
}

# secs_since T0 — wall seconds since EPOCHREALTIME T0, two decimals.
secs_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# timed NAME CMD... — run CMD in rt01's namespace; TIMED_RC and TIMED_SECS.
timed() {
	local log="$out/$1.log" t0
	shift
	t0=$EPOCHREALTIME
	TIMED_RC=0
	nsx rt01 timeout "$CURL_MAX" "$@" >"$log" 2>&1 || TIMED_RC=$?
	TIMED_SECS=$(secs_since "$t0")
}

# No --max-time: curl derives its timeout option from its time limit, and
# without one it asks for "timeout 6" as a user's curl does; the limit
# here is timeout(1)'s.
times=()
for ((i = 1; i <= RUNS; i++)); do
	rm -f "$out/curl.$i"
	lost0=$(rrq_lost)
	timed "curl.$i" curl -sS --tftp-blksize 1468 -o "$out/curl.$i" "tftp://$TFTP_SRV/r1m.bin"
	lost=$(($(rrq_lost) - lost0))
	times+=("$TIMED_SECS")
	note "curl run $i: exit $TIMED_RC, ${TIMED_SECS}s, RRQs lost $lost, wire $(wire_fault_count rt01)"
	assert_eq "curl run $i: exit status" 0 "$TIMED_RC"
	assert_sha "curl run $i: sha256" "$root/r1m.bin" "$out/curl.$i"
	lim=$((RUN_LIMIT + 8 * lost))
	if awk -v t="$TIMED_SECS" -v l="$lim" 'BEGIN { exit !(t <= l) }'; then
		pass "curl run $i: ${TIMED_SECS}s (<= ${lim}s)"
	else
		fail "curl run $i: within ${lim}s" "took ${TIMED_SECS}s"
	fi
done
med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ t[NR] = $1 }
	END { printf "%.2f", NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }')
note "curl times (s): ${times[*]}; median $med; load average $(cut -d' ' -f1-3 /proc/loadavg)"
if awk -v t="$med" -v l="$LIMIT" 'BEGIN { exit !(t <= l) }'; then
	pass "curl: 1 MiB through 5% loss + 2% dup each way in ${med}s (median of $RUNS, <= ${LIMIT}s)"
else
	fail "curl: 1 MiB through 5% loss + 2% dup each way, median within ${LIMIT}s" \
		"median ${med}s of ${times[*]}"
fi

timed hpa tftp -m octet "$TFTP_SRV" -c get r1m.bin "$out/hpa"
note "tftp-hpa (512-byte blocks, no options): exit $TIMED_RC, ${TIMED_SECS}s"
assert_sha "tftp-hpa lock-step through the bad wire: sha256" "$root/r1m.bin" "$out/hpa"

# atftp 0.8.0 aborts ("unexpected OACK") when an OACK arrives twice, which
# 2% duplication does now and then (lib_tftp.sh, tftp_crowd): run it again
# then, at most 3 times; any other failure is final. atftp is slow here
# whatever the server: it ACKs a repeated block once, then ignores repeats
# until its own 5 s timer fires, which every repeat restarts, so when that
# one ACK is lost only a silence of over 5 s (the server's backoff
# reaching 5.12 s) moves it on.
for try in 1 2 3; do
	rm -f "$out/atftp"
	timed atftp atftp --option "blksize 1468" -g -r r1m.bin -l "$out/atftp" "$TFTP_SRV"
	if ((TIMED_RC == 0)) || ! grep -q 'unexpected OACK' "$out/atftp.log"; then break; fi
	note "atftp aborted on a duplicated OACK; again ($try)"
done
note "atftp (blksize 1468): exit $TIMED_RC, ${TIMED_SECS}s"
assert_sha "atftp lock-step through the bad wire: sha256" "$root/r1m.bin" "$out/atftp"

w=$(wire_fault_count rt01)
note "wire: $w"
if (($(kv "$w" drops) > 50)); then pass "faults: frames were dropped ($(kv "$w" drops))"; else
	fail "faults: frames were dropped" "$w"; fi
if (($(kv "$w" dups) > 20)); then pass "faults: frames were duplicated ($(kv "$w" dups))"; else
	fail "faults: frames were duplicated" "$w"; fi

tftp_wait_idle 20 || true
note "$(grep -E ' tftp: ' <<<"$TFTP_CTRS")"
x=$(ctr_sum tftp rto_resent)
if ((x > 0)); then pass "counters: DATA resent by the RTO timer ($x)"; else
	fail "counters: DATA resent by the RTO timer" "rto_resent=$x"; fi
x=$(ctr_sum tftp rtt_samples)
if ((x > 0)); then pass "counters: round-trip samples taken ($x)"; else
	fail "counters: round-trip samples taken" "rtt_samples=$x"; fi
x=$(ctr_sum tftp dup_acks)
if ((x > 0)); then pass "counters: duplicate ACKs ignored ($x)"; else
	fail "counters: duplicate ACKs ignored" "dup_acks=$x"; fi

if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
