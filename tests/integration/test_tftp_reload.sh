#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# SIGHUP reloads the object cache; a transfer in flight finishes on the
# version it started on. Three paused python3 transfers of one file pinned
# to three cache versions (the file replaced by rename before each HUP)
# must each end with their own version's sha256, while new requests get the
# newest content; a file removed before a HUP is gone (ERROR 1), a new one
# is served. A real client (curl at blksize 512 on a 24 Mbit/s link) is in
# the middle of a 6 MB download when the file is overwritten in place and
# the server HUPed: it must get the old bytes. A reload that meets a
# symlink leading out of the root is refused and the previous version
# stays served. Finally 5 HUPs in a row during 8 downloads.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_tftp.sh
. "$(dirname "$0")/lib_tftp.sh"

lab_up
tftp_client c1 10.77.0.11
tftp_client c2 10.77.0.12
root=$(tftp_root)
out="$STP_WORK/out"
ver="$STP_WORK/versions"
mkdir -p "$out" "$ver"
for v in 1 2 3; do head -c 3000000 /dev/urandom >"$ver/r$v"; done
head -c 6000000 /dev/urandom >"$ver/slow1"
head -c 6000000 /dev/urandom >"$ver/slow2"
cp "$ver/r1" "$root/reload.bin"
cp "$ver/slow1" "$root/slow.bin"
head -c 10000 /dev/urandom >"$root/gone.bin"
head -c 10000 /dev/urandom >"$ver/new"

cfg="$STP_WORK/stampede.yaml"
tftp_config "$cfg"
stp_start "$cfg" || { fail server-start "stampede did not start"; stp_finish; }

# The version serving at start: control publishes its scripts on top of
# the files, so it need not be 1.
GEN=$(sed -n 's/.*(cache version \([0-9]*\)).*/\1/p' "$STP_LOG" | head -n 1)
GEN=${GEN:-1}
# hup WHAT — SIGHUP; wait for "reload: cache version N+1" (GEN counts).
hup() {
	kill -HUP "$STP_PID"
	if wait_for 15 grep -q "reload: cache version $((GEN + 1))," "$STP_LOG"; then
		GEN=$((GEN + 1))
		pass "$1: reloaded (cache version $GEN)"
	else
		fail "$1: reloaded" "no 'reload: cache version $((GEN + 1))' in the log: $(tail -n 3 "$STP_LOG" | tr '\n' '|')"
	fi
}
# replace SRC DST — a new file swapped in by rename, as an installer would.
replace() {
	cp "$1" "$2.tmp.$$"
	mv "$2.tmp.$$" "$2"
}
# curl_get CLIENT NAME OUT — curl blksize 1468; status in CURL_RC.
CURL_RC=0
curl_get() {
	CURL_RC=0
	nsx "$1" timeout 60 curl -sS --max-time 50 --tftp-blksize 1468 -o "$3" \
		"tftp://$TFTP_SRV/$2" 2>"$3.err" || CURL_RC=$?
}

# ------------------------------------------------- versions pinned in flight
pids=()
for v in 1 2 3; do
	bg_start "$out/p$v.log" ip netns exec "$STP_P-c1" timeout 90 "$TFTP_PY" "$STP_ROOT/tests/tools/tftp_get.py" \
		"$TFTP_SRV" reload.bin "$out/p$v" blksize=1468 --pause-at 50 \
		--mark "$out/p$v.paused" --go "$out/go"
	pids+=("$BG_PID")
	if wait_for 10 test -e "$out/p$v.paused"; then pass "v$v transfer paused at block 50"; else
		fail "v$v transfer paused at block 50" "$(cat "$out/p$v.log")"; fi
	case $v in
	1)
		replace "$ver/r2" "$root/reload.bin"
		rm "$root/gone.bin"
		cp "$ver/new" "$root/new.bin"
		hup "after v1 started, reload.bin replaced, gone.bin removed, new.bin added"
		;;
	2)
		replace "$ver/r3" "$root/reload.bin"
		hup "after v2 started, reload.bin replaced"
		;;
	esac
done
curl_get c2 reload.bin "$out/now"
assert_eq "new request after the reloads: curl exit status" 0 "$CURL_RC"
assert_sha "new request after the reloads: the newest content" "$ver/r3" "$out/now"
curl_get c2 new.bin "$out/new"
assert_sha "a file added before the HUP is served" "$ver/new" "$out/new"
curl_get c2 gone.bin "$out/gone"
assert_eq "a file removed before the HUP: curl gets ERROR 1 (exit 68)" 68 "$CURL_RC"
r=$(tftp_py c2 raw "$TFTP_SRV" 69 "$(tftp_req_hex 1 gone.bin octet)")
assert_match "a file removed before the HUP: ERROR 1 on the wire" "$r" "^from=[0-9]+ op=5 code=1 "

touch "$out/go"
for v in 1 2 3; do
	tftp_bg_wait "${pids[v - 1]}"
	r=$(cat "$out/p$v.log")
	assert_eq "v$v transfer: result" ok "$(kv "$r" result)"
	assert_sha "v$v transfer: finished with the v$v content" "$ver/r$v" "$out/p$v"
done

# ------------------------------------------- a real client in flight
# 24 Mbit/s towards c1: 6 MB take ~2.5 s at blksize 512
ip netns exec "$STP_LAN" tc qdisc add dev c-c1 root tbf rate 24mbit burst 16kb latency 50ms
bg_start "$out/slow.log" ip netns exec "$STP_P-c1" timeout 60 curl -sS --max-time 50 \
	--tftp-blksize 512 -o "$out/slow" "tftp://$TFTP_SRV/slow.bin"
slow=$BG_PID
sleep 0.7
# overwritten in place (same inode) before the HUP: the cache holds a copy
cat "$ver/slow2" >"$root/slow.bin"
sz0=$(stat -c %s "$out/slow" 2>/dev/null || echo 0)
hup "curl in flight, slow.bin overwritten in place"
if kill -0 "$slow" 2>/dev/null; then pass "curl still downloading at the HUP ($sz0 bytes so far)"; else
	fail "curl still downloading at the HUP" "it had already ended: the check proves nothing"; fi
curl_get c2 slow.bin "$out/slow.new"
assert_sha "slow.bin after the HUP: new content for a new request" "$ver/slow2" "$out/slow.new"
tftp_bg_wait "$slow"
assert_eq "curl in flight: exit status" 0 "$BG_RC"
assert_sha "curl in flight: the old content" "$ver/slow1" "$out/slow"
ip netns exec "$STP_LAN" tc qdisc del dev c-c1 root

# ------------------------------------- a reload that must be refused
ln -s /etc/passwd "$root/escape.lnk"
replace "$ver/r1" "$root/reload.bin"
kill -HUP "$STP_PID"
if wait_for 15 grep -q "reload refused" "$STP_LOG"; then
	pass "symlink out of the root: reload refused"
else
	fail "symlink out of the root: reload refused" "$(tail -n 3 "$STP_LOG" | tr '\n' '|')"
fi
assert_not_contains "symlink out of the root: no new version" "$(cat "$STP_LOG")" \
	"reload: cache version $((GEN + 1)),"
curl_get c2 reload.bin "$out/refused"
assert_sha "refused reload: the previous version is still served" "$ver/r3" "$out/refused"
curl_get c2 escape.lnk "$out/escape"
if [[ -s "$out/escape" ]]; then fail "escape.lnk not served" "got $(stat -c %s "$out/escape") bytes"; else
	pass "escape.lnk not served"; fi
rm "$root/escape.lnk"
hup "symlink removed"
curl_get c2 reload.bin "$out/after"
assert_sha "after the good reload: reload.bin is v1 again" "$ver/r1" "$out/after"

# ------------------------------------------------------- HUP storm
pids=()
for i in 1 2 3 4 5 6 7 8; do
	bg_start "$out/storm$i.log" ip netns exec "$STP_P-c$((i % 2 + 1))" timeout 60 "$TFTP_PY" \
		"$STP_ROOT/tests/tools/tftp_get.py" "$TFTP_SRV" f1m.bin "$out/storm$i" blksize=512
	pids+=("$BG_PID")
done
for i in 1 2 3 4 5; do
	kill -HUP "$STP_PID"
	sleep 0.15
done
ok=0
for i in 1 2 3 4 5 6 7 8; do
	tftp_bg_wait "${pids[i - 1]}"
	[[ "$(sha "$out/storm$i")" == "$(sha "$root/f1m.bin")" ]] && ok=$((ok + 1))
done
assert_eq "5 HUPs during 8 downloads: all intact" 8 "$ok"
if wait_for 15 grep -q "reload: cache version $((GEN + 5))," "$STP_LOG"; then
	pass "5 HUPs: 5 reloads"; else
	fail "5 HUPs: 5 reloads" "$(grep -c 'reload: cache version' "$STP_LOG") reload lines in all"; fi
note "$(grep 'reload' "$STP_LOG" | tail -n 3 | tr '\n' '|')"
assert_match "reload log: unchanged files shared" "$(grep 'reload: cache version' "$STP_LOG" | tail -n 1)" \
	'\(([1-9][0-9]*) unchanged and shared\)'

tftp_wait_idle 10 || true
note "$(grep ' tftp: ' <<<"$TFTP_CTRS")"
assert_eq "counters: no session active" 0 "$(ctr_sum tftp active)"
assert_eq "counters: no failed session" 0 "$(ctr_sum tftp sessions_failed)"
if stp_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
stp_stop
assert_eq "SIGTERM: exit status" 0 "$STP_RC"
stp_finish
