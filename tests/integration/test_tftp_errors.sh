#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TFTP error cases, checked on the exact ERROR opcode/code bytes a client
# receives (python3 raw UDP in a client namespace, plus curl and tftp-hpa
# where a real client can say it): missing file -> 1; names escaping the
# root -> 2 or 1 and never the file; WRQ -> 2; malformed requests -> 4;
# refused options -> 8, blksize 99999999 clamped; a stray source port
# sending to a session's TID -> 5 to that port while the transfer goes on;
# 2000 RRQs from one client with max_sessions 16 -> no answer (admission) for
# all but 16, a transfer already running is not disturbed, and once the
# abandoned sessions have timed out the server serves curl again.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_tftp.sh
. "$(dirname "$0")/lib_tftp.sh"

SESSIONS=16

lab_up
tftp_client c1 10.77.0.11
root=$(tftp_root)
out="$STP_WORK/out"
mkdir -p "$out"
# A file right next to the root: "../secret.txt" from the root reaches it.
secret="$STP_WORK/secret.txt"
echo "stampede-secret-$$" >"$secret"

cfg="$STP_WORK/stampede.yaml"
# short retransmission timeouts so abandoned sessions end within ~5 s
TFTP_SESSIONS=$SESSIONS TFTP_TIMEOUT_MS=300 TFTP_RETRIES=3 tftp_config "$cfg"
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

req() { tftp_req_hex "$@"; }
# raw NAME HEX [PORT] — send one datagram, RAW_OUT gets every reply line.
RAW_OUT=""
raw() {
	RAW_OUT=$(tftp_py c1 raw "$TFTP_SRV" "${3:-69}" "$2" 1.0)
	note "$1: $(tr '\n' '|' <<<"$RAW_OUT")"
}
# expect_err NAME HEX CODE — exactly one reply: ERROR CODE, NUL-terminated.
expect_err() {
	raw "$1" "$2"
	assert_match "$1: ERROR $3" "$RAW_OUT" "^from=[0-9]+ op=5 code=$3 nul=1 msg=[^ ]+\$"
}

# ----------------------------------------------------------- not found
expect_err "missing file" "$(req 1 nope.bin octet)" 1
expect_err "missing file with options" "$(req 1 nope.bin octet blksize 1468 tsize 0)" 1
expect_err "a directory" "$(req 1 dir octet)" 1
rc=0
nsx c1 timeout 20 curl -sS --max-time 10 -o "$out/curl.nope" "tftp://$TFTP_SRV/nope.bin" \
	2>"$out/curl.nope.err" || rc=$?
assert_eq "curl: missing file -> CURLE_TFTP_NOTFOUND (68)" 68 "$rc"
nsx c1 timeout 20 tftp -m octet "$TFTP_SRV" -c get nope.bin "$out/hpa.nope" \
	>"$out/hpa.nope.log" 2>&1 || true
assert_contains "tftp-hpa: missing file -> Error code 1" "$(cat "$out/hpa.nope.log")" "Error code 1"

# ---------------------------------------------------- escapes from the root
for name in ../../etc/passwd /etc/passwd ../secret.txt dir/../../secret.txt \
	dir/sub/../../../secret.txt ./../secret.txt '..\secret.txt' \
	'..\..\etc\passwd' .. ../ //etc/passwd /../secret.txt; do
	raw "escape '$name'" "$(req 1 "$name" octet)"
	assert_match "escape '$name': ERROR 2 or 1" "$RAW_OUT" "^from=[0-9]+ op=5 code=[12] nul=1 msg=[^ ]+\$"
done
# the same through real clients: they must not get the file
for name in ../secret.txt ../../etc/passwd; do
	o="$out/curl.esc.${name//[^a-z]/_}"
	nsx c1 timeout 20 curl -sS --max-time 10 -o "$o" "tftp://$TFTP_SRV/$name" 2>/dev/null || true
	if [[ -s "$o" ]]; then fail "curl '$name': nothing served" "got $(stat -c %s "$o") bytes"; else
		pass "curl '$name': nothing served"; fi
done
nsx c1 timeout 20 tftp -m octet "$TFTP_SRV" -c get ../secret.txt "$out/hpa.esc" \
	>"$out/hpa.esc.log" 2>&1 || true
if [[ -s "$out/hpa.esc" ]] && grep -q stampede-secret "$out/hpa.esc"; then
	fail "tftp-hpa '../secret.txt': nothing served" "it got the file"
else pass "tftp-hpa '../secret.txt': nothing served"; fi

# ------------------------------------------------------------------ WRQ
expect_err "WRQ of a new file" "$(req 2 upload.bin octet)" 2
expect_err "WRQ over an existing file" "$(req 2 f1m.bin octet)" 2
expect_err "WRQ with an escaping name" "$(req 2 ../evil.bin octet)" 2
expect_err "WRQ with a bad mode" "$(req 2 upload.bin binary)" 2
head -c 5000 /dev/urandom >"$out/upload.src"
rc=0
nsx c1 timeout 20 tftp -m octet "$TFTP_SRV" -c put "$out/upload.src" upload.bin \
	>"$out/hpa.put.log" 2>&1 || rc=$?
assert_contains "tftp-hpa put -> Error code 2" "$(cat "$out/hpa.put.log")" "Error code 2"
if [[ -e "$root/upload.bin" ]]; then fail "WRQ wrote nothing" "$root/upload.bin exists"; else
	pass "WRQ wrote nothing"; fi

# ----------------------------------------------------- malformed requests
expect_err "RRQ: opcode only" 0001 4
expect_err "RRQ: file name without its NUL" "0001$(hx f1m.bin)" 4
expect_err "RRQ: no mode" "0001$(hx f1m.bin)00" 4
expect_err "RRQ: mode without its NUL" "0001$(hx f1m.bin)00$(hx octet)" 4
expect_err "RRQ: option value without its NUL" "$(req 1 f1m.bin octet)$(hx blksize)00$(hx 1468)" 4
expect_err "RRQ: option name without a value" "$(req 1 f1m.bin octet)$(hx blksize)00" 4
expect_err "RRQ: unknown mode" "$(req 1 f1m.bin binary)" 4
expect_err "RRQ: mail mode" "$(req 1 f1m.bin mail)" 4
expect_err "opcode 9 to port 69" 0009000100 4
expect_err "ACK to port 69" 00040001 4
expect_err "DATA to port 69" "00030001$(hx hello)" 4
raw "one byte to port 69" 01
assert_match "one byte to port 69: ERROR 4 or nothing" "$RAW_OUT" "^(none|from=[0-9]+ op=5 code=4 nul=1 msg=[^ ]+)\$"
raw "ERROR to port 69" "0005000000"
assert_eq "ERROR to port 69: no reply" none "$RAW_OUT"
raw "ACK to a TID port with no session" 00040001 $((49152 + SESSIONS - 1))
assert_match "ACK to an idle TID port: ERROR 5" "$RAW_OUT" "^from=$((49152 + SESSIONS - 1)) op=5 code=5 nul=1 msg=[^ ]+\$"

# ---------------------------------------------------------------- options
expect_err "blksize 3 refused" "$(req 1 f1m.bin octet blksize 3)" 8
expect_err "blksize 7 refused" "$(req 1 f1m.bin octet blksize 7)" 8
expect_err "blksize 0 refused" "$(req 1 f1m.bin octet blksize 0)" 8
expect_err "blksize not a number" "$(req 1 f1m.bin octet blksize abc)" 8
expect_err "windowsize 0 refused" "$(req 1 f1m.bin octet windowsize 0)" 8
expect_err "tsize not a number" "$(req 1 f1m.bin octet tsize x)" 8
r=$(nsx c1 timeout 60 "$TFTP_PY" "$STP_ROOT/tests/tools/tftp_get.py" "$TFTP_SRV" f1m.bin "$out/big" blksize=99999999)
assert_eq "blksize 99999999: clamped to 1468" "blksize:1468" "$(kv "$r" oack)"
assert_sha "blksize 99999999: download" "$root/f1m.bin" "$out/big"
rc=0
nsx c1 timeout 20 curl -sS --max-time 10 --tftp-blksize 3 -o "$out/curl.b3" \
	"tftp://$TFTP_SRV/f1m.bin" 2>"$out/curl.b3.err" || rc=$?
if ((rc == 0)); then
	# curl refuses blksize < 8 itself and sends 512: that is fine as long
	# as the file arrives intact
	assert_sha "curl --tftp-blksize 3" "$root/f1m.bin" "$out/curl.b3"
else
	assert_contains "curl --tftp-blksize 3: refused" "$(cat "$out/curl.b3.err")" "(71)"
fi

# ----------------------------------------------------------- stray TID
r=$(nsx c1 timeout 60 "$TFTP_PY" "$STP_ROOT/tests/tools/tftp_get.py" "$TFTP_SRV" f1m.bin "$out/stray" \
	blksize=512 --stray-at 5)
note "stray: $r"
sp=$(kv "$r" strayport)
assert_match "stray port: ERROR 5 back to the stray port from the TID" "$(kv "$r" strayreply)" \
	"^from:$(kv "$r" tid),op=5,code=5,nul=1,"
assert_match "stray port: it had its own port" "$sp" '^[0-9]+$'
assert_eq "stray port: the transfer completes" ok "$(kv "$r" result)"
assert_sha "stray port: sha256" "$root/f1m.bin" "$out/stray"

tftp_wait_idle 10 || true
before=$TFTP_CTRS
# ---------------------------------------------------------------- flood
# A transfer that is running when the flood comes (paused after block 20,
# well within its retransmission budget) must go on afterwards.
bg_start "$out/victim.log" ip netns exec "$STP_P-c1" timeout 60 "$TFTP_PY" "$STP_ROOT/tests/tools/tftp_get.py" \
	"$TFTP_SRV" f1m.bin "$out/victim" blksize=1468 --pause-at 20 --mark "$out/victim.paused" \
	--go "$out/victim.go"
victim=$BG_PID
wait_for 10 test -e "$out/victim.paused" || fail "flood: victim transfer started" "never reached block 20"
# 10 RRQs back to back, then 1 ms: ~8000 RRQs/s. At ~100000/s bursts the
# kernel drops some before the server sees them (af_packet's ring is 512
# frames), and every RRQ must reach the server for the tallies below.
nsx c1 ping -c 1 -W 2 "$TFTP_SRV" >/dev/null || true
flood=$(tftp_py c1 flood "$TFTP_SRV" f1m.bin 2000 2000 10)
touch "$out/victim.go"
note "flood: $(tr '\n' '|' <<<"$flood")"
nbusy=$(awk '/ op=5 code=0 / { s += $1 } END { print s + 0 }' <<<"$flood")
# the flood's RRQs carry blksize 512: an accepted one is answered by OACK
ndata=$(awk '$2 == "op=6" || $2 == "op=3" { s += $1 } END { print s + 0 }' <<<"$flood")
nnone=$(awk '$2 == "none" { s += $1 } END { print s + 0 }' <<<"$flood")
assert_eq "flood: 2000 RRQs sent" sent=2000 "$(head -n 1 <<<"$flood")"
assert_eq "flood: OACK to as many as the table had room for" $((SESSIONS - 1)) "$ndata"
assert_eq "flood: no ERROR to the others (a firmware would give up)" 0 "$nbusy"
assert_eq "flood: the others get no answer (they would retry)" $((2000 - SESSIONS + 1)) "$nnone"
tftp_bg_wait "$victim"
r=$(cat "$out/victim.log")
assert_eq "flood: the running transfer completes" ok "$(kv "$r" result)"
assert_sha "flood: the running transfer's sha256" "$root/f1m.bin" "$out/victim"

if tftp_wait_idle 15; then pass "flood: abandoned sessions time out"; else
	fail "flood: abandoned sessions time out" "$(grep ' tftp: ' <<<"$TFTP_CTRS")"; fi
d_full=$(($(ctr_sum tftp table_full) - $(ctr_sum tftp table_full "$before")))
# ERROR 0 also ends each abandoned session ("retry limit")
d_busy=$(($(ctr_sum tftp err_tx_0) - $(ctr_sum tftp err_tx_0 "$before") - $(ctr_sum tftp retry_limit) + $(ctr_sum tftp retry_limit "$before")))
d_fail=$(($(ctr_sum tftp sessions_failed) - $(ctr_sum tftp sessions_failed "$before")))
assert_eq "flood: counter table_full (the RRQs left unanswered)" "$nnone" "$d_full"
assert_eq "flood: counter err_tx_0 (none for admission)" 0 "$d_busy"
assert_eq "flood: counter sessions_failed (the abandoned ones)" "$ndata" "$d_fail"
rc=0
nsx c1 timeout 30 curl -sS --max-time 20 --tftp-blksize 1468 -o "$out/after" \
	"tftp://$TFTP_SRV/f1m.bin" 2>"$out/after.err" || rc=$?
assert_eq "after the flood: curl exit status" 0 "$rc"
assert_sha "after the flood: curl download" "$root/f1m.bin" "$out/after"

# --------------------------------------------------------------- tallies
tftp_counters >/dev/null
note "$(grep ' tftp: ' <<<"$TFTP_CTRS")"
for code in 1 2 4 5 8; do
	n=$(ctr_sum tftp "err_tx_$code")
	if ((n > 0)); then pass "counters: err_tx_$code counted ($n)"; else
		fail "counters: err_tx_$code counted" "err_tx_$code=$n"; fi
done
if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
