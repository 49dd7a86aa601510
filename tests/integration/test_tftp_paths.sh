#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Both payload paths. The same downloads (curl 512 and 1468, atftp
# windowsize 16, python3 windowsize 64, a netascii file, an empty file)
# through:
#   af_packet, zero_copy off  -> every DATA frame copied (copy_frames > 0,
#                                zero_copy_frames == 0)
#   af_packet, zero_copy on   -> DATA chained from the cache (zero_copy_frames > 0)
#   af_xdp,    zero_copy auto -> copied (AF_XDP cannot send chained mbufs);
#   af_xdp,    zero_copy on   -> refused at start, with the reason.
# If AF_XDP cannot start on this kernel the af_xdp part is reported as
# skipped and does not fail the test. In every run each DATA frame is made
# by exactly one path: zero_copy_frames + copy_frames = data_sent + data_resent.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_tftp.sh
. "$(dirname "$0")/lib_tftp.sh"

lab_up
tftp_client c1 10.77.0.11
root=$(tftp_root)

# downloads TAG — the download set; checks every sha256.
downloads() {
	local tag=$1 o="$STP_WORK/$1" rc r
	mkdir -p "$o"
	for bs in 512 1468; do
		rc=0
		nsx c1 timeout 60 curl -sS --max-time 50 --tftp-blksize "$bs" -o "$o/curl$bs" \
			"tftp://$TFTP_SRV/f1m.bin" 2>"$o/curl$bs.err" || rc=$?
		assert_eq "$tag: curl blksize $bs: exit status" 0 "$rc"
		assert_sha "$tag: curl blksize $bs f1m.bin" "$root/f1m.bin" "$o/curl$bs"
	done
	rc=0
	nsx c1 timeout 60 atftp --option "windowsize 16" --option "blksize 1468" -g -r f1m.bin \
		-l "$o/atftp" "$TFTP_SRV" >"$o/atftp.log" 2>&1 || rc=$?
	assert_eq "$tag: atftp windowsize 16: exit status" 0 "$rc"
	assert_sha "$tag: atftp windowsize 16 f1m.bin" "$root/f1m.bin" "$o/atftp"
	r=$(tftp_py c1 get "$TFTP_SRV" dir/sub/deep.bin "$o/py64" blksize=1468 windowsize=64)
	assert_eq "$tag: python3 windowsize 64: result" ok "$(kv "$r" result)"
	assert_sha "$tag: python3 windowsize 64 deep.bin" "$root/dir/sub/deep.bin" "$o/py64"
	r=$(tftp_py c1 get "$TFTP_SRV" text.txt "$o/ascii" --mode netascii)
	assert_sha "$tag: netascii text.txt on the wire" "$root/text.txt.netascii" "$o/ascii"
	r=$(tftp_py c1 get "$TFTP_SRV" empty.bin "$o/empty" blksize=1468)
	assert_sha "$tag: empty.bin" "$root/empty.bin" "$o/empty"
}

# frames_add_up TAG — every DATA frame came from one of the two paths.
frames_add_up() {
	local z c s x
	z=$(ctr_sum tftp zero_copy_frames)
	c=$(ctr_sum tftp copy_frames)
	s=$(ctr_sum tftp data_sent)
	x=$(ctr_sum tftp data_resent)
	assert_eq "$1: zero_copy_frames + copy_frames = data_sent + data_resent" \
		$((s + x)) $((z + c))
	assert_eq "$1: no failed session" 0 "$(ctr_sum tftp sessions_failed)"
}

cfg="$STP_WORK/stampede.yaml"

# ------------------------------------------------ af_packet, zero_copy off
TFTP_ZERO_COPY=off tftp_config "$cfg"
if stp_start "$cfg"; then
	assert_contains "af_packet off: log names the copy path" "$(cat "$STP_LOG")" \
		"payload by copy (port.zero_copy: off)"
	downloads "af_packet zero_copy off"
	tftp_wait_idle 5 || true
	note "$(grep ' tftp: ' <<<"$TFTP_CTRS")"
	c=$(ctr_sum tftp copy_frames)
	if ((c > 0)); then pass "af_packet off: copy_frames > 0 ($c)"; else
		fail "af_packet off: copy_frames > 0" "copy_frames=$c"; fi
	assert_eq "af_packet off: zero_copy_frames" 0 "$(ctr_sum tftp zero_copy_frames)"
	frames_add_up "af_packet off"
	stp_stop
	assert_eq "af_packet off: SIGTERM exit status" 0 "$STP_RC"
else
	fail "af_packet zero_copy off: server start" "$(tail -n 5 "$STP_LOG" | tr '\n' '|')"
fi

# ------------------------------------------------- af_packet, zero_copy on
TFTP_ZERO_COPY=on tftp_config "$cfg"
if stp_start "$cfg"; then
	assert_contains "af_packet on: log names the zero-copy path" "$(cat "$STP_LOG")" \
		"payload by zero copy"
	downloads "af_packet zero_copy on"
	tftp_wait_idle 5 || true
	note "$(grep ' tftp: ' <<<"$TFTP_CTRS")"
	z=$(ctr_sum tftp zero_copy_frames)
	if ((z > 0)); then pass "af_packet on: zero_copy_frames > 0 ($z)"; else
		fail "af_packet on: zero_copy_frames > 0" "zero_copy_frames=$z"; fi
	# only netascii and empty blocks may take the copy path
	c=$(ctr_sum tftp copy_frames)
	if ((c < 50)); then pass "af_packet on: copies only netascii/empty blocks ($c)"; else
		fail "af_packet on: copies only netascii/empty blocks" "copy_frames=$c"; fi
	frames_add_up "af_packet on"
	stp_stop
	assert_eq "af_packet on: SIGTERM exit status" 0 "$STP_RC"
else
	fail "af_packet zero_copy on: server start" "$(tail -n 5 "$STP_LOG" | tr '\n' '|')"
fi

# ------------------------------------------------------------ af_xdp
TFTP_DRIVER=af_xdp tftp_config "$cfg"
if STP_READY_TIMEOUT=20 stp_start "$cfg"; then
	assert_contains "af_xdp: port is net_af_xdp" "$(cat "$STP_LOG")" "port net_af_xdp0 on stp0"
	assert_contains "af_xdp: log names the copy path" "$(cat "$STP_LOG")" "payload by copy"
	downloads "af_xdp"
	tftp_wait_idle 5 || true
	note "$(grep ' tftp: ' <<<"$TFTP_CTRS")"
	c=$(ctr_sum tftp copy_frames)
	if ((c > 0)); then pass "af_xdp: copy_frames > 0 ($c)"; else
		fail "af_xdp: copy_frames > 0" "copy_frames=$c"; fi
	assert_eq "af_xdp: zero_copy_frames" 0 "$(ctr_sum tftp zero_copy_frames)"
	frames_add_up "af_xdp"
	stp_stop
	assert_eq "af_xdp: SIGTERM exit status" 0 "$STP_RC"

	# zero_copy on cannot be had on AF_XDP: the start must fail and say why
	TFTP_DRIVER=af_xdp TFTP_ZERO_COPY=on tftp_config "$cfg"
	if STP_READY_TIMEOUT=20 stp_start "$cfg" 2>/dev/null; then
		fail "af_xdp zero_copy on: start refused" "the server started"
		stp_stop
	else
		pass "af_xdp zero_copy on: start refused"
		assert_contains "af_xdp zero_copy on: the reason" "$(cat "$STP_LOG")" \
			"port.zero_copy: on, but"
	fi
else
	say "SKIP af_xdp: AF_XDP did not start on this kernel: $(grep -v '^libbpf\|^libxdp' "$STP_LOG" | tail -n 3 | tr '\n' '|')"
fi

stp_finish
