#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# HTTP requests a server must refuse, and slow clients it must shed: a NUL
# in the path (raw and %00) -> 400; path traversal in many spellings ->
# 404 or 400 and never the bytes of a canary file placed just outside the
# boot root (nor /etc/passwd); an endless request line -> 414; an endless
# header line and too many header lines -> 431 (or 414/400), each with a
# short body and a close; random garbage -> an error or a close, and a
# normal request on a new connection still works; slowloris: a partial
# head gets 408 or a close within the head deadline (2 s here), also when
# the head trickles in a byte at a time; 200 partial heads held at once do
# not keep curl from downloading; a kept-alive connection left idle is
# closed after the idle deadline (3 s here).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_http.sh
. "$(dirname "$0")/lib_http.sh"

HEAD_S=2
IDLE_S=3
HTTP_HEAD_MS=$((HEAD_S * 1000))
HTTP_IDLE_MS=$((IDLE_S * 1000))

lab_up
tftp_client cl1 10.77.0.11
tftp_client cl2 10.77.0.12
root=$(http_root)
out="$STP_WORK/out"
mkdir -p "$out"
# a canary one level above the boot root: no request may ever return it
canary="CANARY-$STP_P-$RANDOM$RANDOM"
echo "$canary" >"$STP_WORK/secret.txt"

http_server_start cl1 || { fail server-start "$HTTP_TARGET does not answer HTTP"; stp_finish; }

# raw CLIENT REQ [ARGS...] — the tool's raw command against the server.
raw() {
	local c=$1 req=$2
	shift 2
	http_py "$c" raw "$HTTP_SRV" "$HTTP_PORT" "$req" "$@" || true
}

# first_status OUTPUT — status of the first response in a raw output.
first_status() { { grep -m1 '^resp ' <<<"$1" || true; } | sed -n 's/^resp status=\([^ ]*\).*/\1/p'; }

# refused NAME OUTPUT ERE — first answer's status matches ERE, its body is
# short, and the server closed the connection.
refused() {
	local st
	st=$(first_status "$2")
	if [[ "$st" =~ ^($3)$ ]]; then pass "$1: status $st"; else
		fail "$1: status" "'$st' not /$3/; $(tr '\n' '|' <<<"$2" | head -c 500)"; fi
	assert_match "$1: short body" "$(grep -m1 '^resp ' <<<"$2" || true)" ' len=[0-9]{1,3} '
	assert_contains "$1: connection closed" "$(grep '^end ' <<<"$2" || true)" "closed=yes"
}

# ---- NUL in the path
r=$(raw cl1 'GET /k1\x00.bin HTTP/1.1\r\nHost: t\r\n\r\n')
refused "NUL byte in the path" "$r" 400
r=$(raw cl1 'GET /k1%00.bin HTTP/1.1\r\nHost: t\r\n\r\n')
assert_match "%00 in the path: 400 or 404" "$(first_status "$r")" '^(400|404)$'
r=$(raw cl1 'GET /k1.bin HTTP/1.1\r\nHost: t\r\nX-Bad: a\x00b\r\n\r\n')
refused "NUL in a header value" "$r" 400

# ---- traversal: never the canary, never /etc/passwd
n=0
for t in '/../secret.txt' '/%2e%2e/secret.txt' '/%2E%2E/secret.txt' '/dir/../../secret.txt' \
	'/dir/sub/../../../secret.txt' '/..%2fsecret.txt' '/%2e%2e%2fsecret.txt' '/.%2e/secret.txt' \
	'/dir/%2e%2e/%2e%2e/secret.txt' '/..\\secret.txt' '/%2e%2e%5csecret.txt' '//../secret.txt' \
	'/../../etc/passwd' '/%2e%2e/%2e%2e/etc/passwd' '/../../../../../../../../etc/passwd' \
	'/dir/sub/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd' 'http://t/../secret.txt'; do
	n=$((n + 1))
	r=$(raw cl1 "GET $t HTTP/1.1\\r\\nHost: t\\r\\nConnection: close\\r\\n\\r\\n")
	st=$(first_status "$r")
	if [[ "$st" =~ ^(400|404)$ && "$r" != *CANARY* && "$r" != *root:x:0:0* ]]; then
		pass "traversal $t: $st, no file"
	else
		fail "traversal $t" "status '$st'; $(tr '\n' '|' <<<"$r" | head -c 400)"
	fi
done
# curl normalises dot segments unless told not to
code=$(hcurl cl1 --path-as-is -o "$out/trav" -w '%{http_code}' "$HTTP_BASE/../secret.txt" 2>&1 || true)
assert_match "curl --path-as-is /../secret.txt: 400 or 404" "$code" '^(400|404)$'
assert_not_contains "curl --path-as-is /../secret.txt: not the canary" "$(cat "$out/trav" 2>/dev/null || true)" CANARY
# an in-root "..", which resolves inside the root, may be served or refused:
# if it is served it must be the right file
r=$(raw cl1 'GET /dir/../k1.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
st=$(first_status "$r")
if [[ "$st" =~ ^(400|404)$ ]] || { [[ "$st" == 200 ]] && [[ "$r" == *"sha256=$(sha "$root/k1.bin")"* ]]; }; then
	pass "/dir/../k1.bin: $st (refused, or the right file)"
else
	fail "/dir/../k1.bin" "$(tr '\n' '|' <<<"$r" | head -c 400)"
fi

# ---- too long, too many
r=$(http_py cl1 endless "$HTTP_SRV" "$HTTP_PORT" 'GET /' 1048576 || true)
note "endless request line: $(tr '\n' '|' <<<"$r" | head -c 300)"
refused "endless request line" "$r" '414|400'
r=$(http_py cl1 endless "$HTTP_SRV" "$HTTP_PORT" 'GET /k1.bin HTTP/1.1\r\nHost: t\r\nX-Long: ' 1048576 || true)
note "endless header line: $(tr '\n' '|' <<<"$r" | head -c 300)"
refused "endless header line" "$r" '431|414|400'
x=$(kv "$(grep '^sent=' <<<"$r" || true)" sent)
if ((${x:-999999999} < 262144)); then
	pass "endless header line: refused before 256 KiB were sent"
else
	fail "endless header line: refused before 256 KiB were sent" "$(head -n 1 <<<"$r")"
fi
many=$(for ((i = 0; i < 200; i++)); do printf 'X-H%d: v\\r\\n' "$i"; done)
r=$(raw cl1 "GET /k1.bin HTTP/1.1\\r\\nHost: t\\r\\n${many}\\r\\n")
refused "200 header lines" "$r" '431|400'
long=$(head -c 9000 /dev/zero | tr '\0' a)
r=$(raw cl1 "GET /$long HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n")
refused "9000-byte target" "$r" '414'

# ---- garbage, then a normal request on a new connection
for seed in 1 2 3; do
	g=$("$TFTP_PY" "$STP_ROOT/tests/tools/http_garbage_request.py" "$seed")
	r=$(raw cl1 "$g" --wait 3)
	st=$(first_status "$r")
	if [[ "$r" == *"end closed=yes"* && ( -z "$st" || "$st" =~ ^(400|414|431|501|505)$ ) ]]; then
		pass "garbage #$seed: ${st:-no answer}, closed"
	else
		fail "garbage #$seed" "$(tr '\n' '|' <<<"$r" | head -c 400)"
	fi
done
code=$(hcurl cl1 -o "$out/after" -w '%{http_code}' "$HTTP_BASE/f100k.bin" 2>&1 || true)
assert_eq "after the garbage: GET on a new connection" 200 "$code"
assert_sha "after the garbage: body" "$root/f100k.bin" "$out/after"

# ---- slowloris: partial head, then silence
r=$(raw cl1 'GET /k1.bin HTTP/1.1\r\nHost: t\r\n' --wait $((HEAD_S * 3)))
note "partial head: $(tr '\n' '|' <<<"$r" | head -c 300)"
st=$(first_status "$r")
assert_match "partial head: 408 or a bare close" "${st:-none}" '^(408|none)$'
c=$(sed -n 's/^end closed=yes first=[^ ]* close=\([0-9.]*\).*/\1/p' <<<"$r")
if [[ -n "$c" ]] && awk -v c="$c" -v d="$HEAD_S" 'BEGIN { exit !(c >= d * 0.7 && c <= d + 1.5) }'; then
	pass "partial head: closed at ${c}s (head deadline ${HEAD_S}s)"
else
	fail "partial head: closed within the head deadline" "close=${c:-never} (deadline ${HEAD_S}s)"
fi
# a byte every 0.25 s: trickling must not extend the deadline
r=$(raw cl1 'GET /k1.bin HTTP/1.1\r\nHost: t\r\nUser-Agent: slow-slow-slow-slow\r\n\r\n' \
	--split 60 --gap 0.25 --wait 2)
c=$(sed -n 's/^end closed=yes first=[^ ]* close=\([0-9.]*\).*/\1/p' <<<"$r")
note "trickled head: $(tr '\n' '|' <<<"$r" | head -c 300)"
if [[ -n "$c" ]] && awk -v c="$c" -v d="$HEAD_S" 'BEGIN { exit !(c <= d + 1.5) }'; then
	pass "trickled head: closed at ${c}s, not extended by each byte"
else
	fail "trickled head: closed within the head deadline" "close=${c:-never}; $(tr '\n' '|' <<<"$r" | head -c 300)"
fi
assert_match "trickled head: 408 or a bare close" "$(first_status "$r")" '^(408|)$'

# 200 slowloris connections held from cl2 while cl1 downloads
bg_start "$out/hold.log" ip netns exec "$STP_P-cl2" "$TFTP_PY" "$STP_ROOT/tests/tools/http_hold.py" \
	"$HTTP_SRV" "$HTTP_PORT" 200 $((HEAD_S * 3)) 'GET /k1.bin HTTP/1.1\r\nHost: t\r\n'
hold=$BG_PID
wait_for 10 grep -q '^opened=' "$out/hold.log" || true
code=$(hcurl cl1 -o "$out/during" -w '%{http_code}' "$HTTP_BASE/f1m.bin" 2>&1 || true)
assert_eq "200 partial heads held: curl still gets 200" 200 "$code"
assert_sha "200 partial heads held: curl's body" "$root/f1m.bin" "$out/during"
tftp_bg_wait "$hold"
h=$(grep '^held=' "$out/hold.log" || true)
note "slowloris crowd: $(tr '\n' '|' <"$out/hold.log")"
assert_eq "200 partial heads: all closed by the server" 200 "$(kv "$h" closed)"
l=$(kv "$h" last_close)
if [[ "$l" != - && -n "$l" ]] && awk -v c="$l" -v d="$HEAD_S" 'BEGIN { exit !(c <= d + 2) }'; then
	pass "200 partial heads: the last closed at ${l}s"
else
	fail "200 partial heads: closed within the head deadline" "$h"
fi

# ---- idle keep-alive connection
r=$(raw cl1 'GET /k1.bin HTTP/1.1\r\nHost: t\r\n\r\n' --wait $((IDLE_S * 3)))
c=$(sed -n 's/^end closed=yes first=[^ ]* close=\([0-9.]*\).*/\1/p' <<<"$r")
assert_contains "idle keep-alive: the answer came" "$r" "sha256=$(sha "$root/k1.bin")"
if [[ -n "$c" ]] && awk -v c="$c" -v d="$IDLE_S" 'BEGIN { exit !(c >= d * 0.7 && c <= d + 1.5) }'; then
	pass "idle keep-alive: closed at ${c}s (idle deadline ${IDLE_S}s)"
else
	fail "idle keep-alive: closed at the idle deadline" "close=${c:-never}"
fi

http_counters cl1 || true
note "$(grep -F ' http: ' <<<"$HTTP_CTRS" || true)"
assert_ctr_gt "counters: traversal attempts refused" traversal 5
assert_ctr_gt "counters: head deadline closes" head_timeouts 100
assert_ctr_gt "counters: idle closes" idle_timeouts 0
assert_ctr_gt "counters: 400 answers" status_400 2
assert_ctr_gt "counters: 414 answers" status_414 0
assert_ctr_gt "counters: 431 answers" status_431 0

if http_server_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
http_server_stop
stp_finish
