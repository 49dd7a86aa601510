#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TFTP through a bad wire: 5% random loss and 2% duplication in both
# directions on every client's veth (nftables netdev hooks; this kernel has
# no netem). The 64-client crowd of test_tftp_storm.sh runs again (curl 512
# and 1468, tftp-hpa, atftp windowsize 16, python3 windowsize 8), then the
# EDK2 pair and a single curl; every download must match its source by
# sha256 and the faults must really have hit (nft counters, server
# retransmissions and duplicate ACKs). The server's first RTO is 200 ms to
# keep the run short; recovery is its own (retransmit, ignore duplicates).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_tftp.sh
. "$(dirname "$0")/lib_tftp.sh"

LOSS=50   # per mille
DUP=20

lab_up
tftp_crowd_lab 16
root=$(tftp_root)
out="$STP_WORK/out"
mkdir -p "$out"

cfg="$STP_WORK/stampede.yaml"
TFTP_TIMEOUT_MS=200 TFTP_RETRIES=8 tftp_config "$cfg"
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

for ((i = 1; i <= TFTP_CROWD_NS; i++)); do
	c=$(printf 'cr%02d' "$i")
	nsx "$c" ping -c 1 -W 2 "$TFTP_SRV" >/dev/null || true
	wire_faults "$c" "$LOSS" "$DUP"
done

# curl gets a 4404-byte file: it asks for a timeout of 5 s (RFC 2349),
# which the server honours, so each loss costs a curl transfer 5-8 s
tftp_crowd lossy 64 f256k.bin f1m.bin b1468x3.bin
assert_eq "64 clients, 5% loss 2% dup: every download intact" 64 "$CROWD_OK"

r=$(tftp_py cr01 edk2 "$TFTP_SRV" f1m.bin "$out/edk2")
res=$(grep '^result=' <<<"$r" || true)
note "edk2: $(tr '\n' '|' <<<"$r")"
assert_eq "EDK2 pair on the bad wire: result" ok "$(kv "$res" result)"
assert_sha "EDK2 pair on the bad wire: sha256" "$root/f1m.bin" "$out/edk2"

drops=0
dups=0
for ((i = 1; i <= TFTP_CROWD_NS; i++)); do
	w=$(wire_fault_count "$(printf 'cr%02d' "$i")")
	drops=$((drops + $(kv "$w" drops)))
	dups=$((dups + $(kv "$w" dups)))
done
note "wire: $drops frames dropped, $dups duplicated"
if ((drops > 100)); then pass "faults: frames were dropped ($drops)"; else
	fail "faults: frames were dropped" "only $drops"; fi
if ((dups > 40)); then pass "faults: frames were duplicated ($dups)"; else
	fail "faults: frames were duplicated" "only $dups"; fi

tftp_wait_idle 5 || true
note "$(grep -E ' tftp: | \(queue ' <<<"$TFTP_CTRS")"
x=$(ctr_sum tftp data_resent)
if ((x > 0)); then pass "counters: DATA retransmitted ($x)"; else
	fail "counters: DATA retransmitted" "data_resent=$x"; fi
x=$(ctr_sum tftp dup_acks)
if ((x > 0)); then pass "counters: duplicate ACKs seen and ignored ($x)"; else
	fail "counters: duplicate ACKs seen and ignored" "dup_acks=$x"; fi
# Clients exit after their last ACK; when that ACK is lost the server can
# only retransmit until its retry limit (with curl's 5 s timeout option,
# about a minute). So: every session is done, failed, a probe or active.
st=$(ctr_sum tftp sessions_started)
dn=$(ctr_sum tftp sessions_done)
fl=$(ctr_sum tftp sessions_failed)
pr=$(ctr_sum tftp sessions_probe)
ac=$(ctr_sum tftp active)
note "sessions: started=$st done=$dn failed=$fl probe=$pr active=$ac"
assert_eq "counters: started = done + failed + probe + active" "$st" $((dn + fl + pr + ac))
# ~5% of the final ACKs are lost: a handful, not a quarter of the sessions
if ((fl + ac <= 16)); then pass "counters: few sessions failed or left hanging ($((fl + ac)))"; else
	fail "counters: few sessions failed or left hanging" "failed=$fl active=$ac of $st"; fi

if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
