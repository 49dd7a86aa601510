#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TFTP at scale on a clean wire: a 60 MB file at blksize 512 (122881
# blocks: the 16-bit block number rolls over past 65535, to 0 as curl,
# tftp-hpa and the python client expect) fetched by curl and by the python3
# client, then 64 clients downloading at once from 16 namespaces (curl 512
# and 1468, tftp-hpa, atftp windowsize 16, python3 windowsize 8), every
# download compared by sha256 with its source.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_tftp.sh
. "$(dirname "$0")/lib_tftp.sh"

lab_up
tftp_client c1 10.77.0.11
tftp_crowd_lab 16
root=$(tftp_root)
out="$STP_WORK/out"
mkdir -p "$out"
big="$root/big60m.bin"
head -c $((60 * 1048576 + 123)) /dev/urandom >"$big"

cfg="$STP_WORK/stampede.yaml"
# the cache holds ~63 MB of files; memory_mb must exceed cache + 96
TFTP_MEMORY_MB=352 TFTP_CACHE_MB=192 tftp_config "$cfg"
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

# -------------------------------------------------------- block rollover
rc=0
t0=$SECONDS
nsx c1 timeout 150 curl -sS --max-time 140 --tftp-blksize 512 -o "$out/big.curl" \
	"tftp://$TFTP_SRV/big60m.bin" 2>"$out/big.curl.err" || rc=$?
assert_eq "60 MB at blksize 512, curl: exit status" 0 "$rc"
assert_sha "60 MB at blksize 512, curl: sha256 (block rollover)" "$big" "$out/big.curl"
note "curl 60 MB in $((SECONDS - t0)) s"

t0=$SECONDS
r=$(tftp_py c1 get "$TFTP_SRV" big60m.bin "$out/big.py" blksize=512 windowsize=4 --deadline 110)
note "python 60 MB in $((SECONDS - t0)) s: $r"
assert_eq "60 MB at blksize 512 windowsize 4, python3: result" ok "$(kv "$r" result)"
assert_eq "60 MB at blksize 512, python3: 122881 blocks" 122881 "$(kv "$r" blocks)"
assert_sha "60 MB at blksize 512, python3: sha256 (rollover to 0)" "$big" "$out/big.py"
tftp_counters >/dev/null
before=$TFTP_CTRS
d=$(ctr_sum tftp data_sent)
if ((d >= 2 * 122881)); then pass "counters: data_sent covers both transfers ($d)"; else
	fail "counters: data_sent covers both transfers" "data_sent=$d < $((2 * 122881))"; fi

# ------------------------------------------------------------ 64 at once
nsx cr01 ping -c 1 -W 2 "$TFTP_SRV" >/dev/null || true
tftp_crowd clean 64 f256k.bin f1m.bin
assert_eq "64 clients: every download intact" 64 "$CROWD_OK"

tftp_wait_idle 10 || true
note "$(grep ' tftp: ' <<<"$TFTP_CTRS")"
assert_eq "counters: no session active" 0 "$(ctr_sum tftp active)"
assert_eq "counters: 64 sessions started" 64 \
	$(($(ctr_sum tftp sessions_started) - $(ctr_sum tftp sessions_started "$before")))
assert_eq "counters: 64 sessions done" 64 \
	$(($(ctr_sum tftp sessions_done) - $(ctr_sum tftp sessions_done "$before")))
assert_eq "counters: no failed session" 0 "$(ctr_sum tftp sessions_failed)"
assert_eq "counters: no session refused for a full table" 0 "$(ctr_sum tftp table_full)"
assert_eq "counters: no mbuf shortage" 0 "$(ctr_sum tftp nombuf)"

if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
