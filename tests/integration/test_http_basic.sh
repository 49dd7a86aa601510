#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# HTTP/1.1 with real clients: curl GET of objects of many sizes (0 B to
# 1 MB, one in a subdirectory) compared by sha256 and Content-Length,
# Content-Type by extension, ETag and Last-Modified, HEAD (headers, no
# body: a GET pipelined behind it must come out intact), the three forms of
# a single Range and an unsatisfiable one (416, "bytes */len"),
# If-None-Match with the ETag (304) and with another tag (200), two URLs on
# one kept-alive connection (curl must reuse it), three pipelined requests
# answered in order, HTTP/1.0 without keep-alive (closed after the
# answer), 404, 405 for POST (with Allow), 501 for an unknown method, 505
# for HTTP/2.0, wget, GET /api/v1/status as valid JSON, and the server's
# counters agreeing with what was sent.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lib_http.sh
. "$(dirname "$0")/lib_http.sh"

lab_up
tftp_client cl1 10.77.0.11
root=$(http_root)
out="$STP_WORK/out"
mkdir -p "$out"

# docs/design.md "Checksums on veth": lib.sh must turn TX checksum offload off
# on the bridge end of the server's veth
x=$(nsx lan ethtool -k s-stp0 | sed -n 's/^tx-checksumming: //p')
assert_eq "lab: tx checksum offload off on s-stp0 (bridge end of stp0)" off "$x"

http_server_start cl1 || { fail server-start "$HTTP_TARGET does not answer HTTP"; stp_finish; }

# ---- GET: every size, sha256 and Content-Length
for f in boot.ipxe empty.bin one.bin k1.bin b1468x3.bin f100k.bin f1m.bin dir/sub/deep.bin page.html; do
	h=$(hcurl cl1 -D - -o "$out/get.${f//\//_}" -w '%{http_code}' "$HTTP_BASE/$f" 2>&1) || true
	code=${h##*$'\n'}
	if [[ "$code" == 200 && "$(sha "$out/get.${f//\//_}")" == "$(sha "$root/$f")" ]]; then
		pass "GET /$f: 200, sha256 matches"
	else
		fail "GET /$f" "status '$code', sha256 $(sha "$out/get.${f//\//_}") want $(sha "$root/$f"); $(tr '\r\n' ' |' <<<"$h" | head -c 400)"
	fi
	assert_eq "GET /$f: Content-Length" "$(stat -c %s "$root/$f")" "$(hdr_of content-length "$h")"
done

# ---- headers of a GET
h=$(hcurl cl1 -D - -o /dev/null "$HTTP_BASE/page.html" || true)
assert_match "Content-Type of .html" "$(hdr_of content-type "$h")" '^text/html'
h=$(hcurl cl1 -D - -o /dev/null "$HTTP_BASE/k1.bin" || true)
assert_match "Content-Type of .bin" "$(hdr_of content-type "$h")" '^application/octet-stream'
h=$(hcurl cl1 -D - -o /dev/null "$HTTP_BASE/boot.ipxe" || true)
assert_match "Content-Type of .ipxe (iPXE wants a script as text)" "$(hdr_of content-type "$h")" '^text/plain'
h=$(hcurl cl1 -D - -o /dev/null "$HTTP_BASE/f100k.bin" || true)
etag=$(hdr_of etag "$h")
assert_match "ETag present and quoted" "$etag" '^(W/)?"[^"]+"$'
assert_match "Last-Modified is an IMF-fixdate" "$(hdr_of last-modified "$h")" \
	'^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$'
assert_match "Date is an IMF-fixdate" "$(hdr_of date "$h")" \
	'^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$'
h2=$(hcurl cl1 -D - -o /dev/null "$HTTP_BASE/f1m.bin" || true)
assert_ne "ETags of two objects differ" "$etag" "$(hdr_of etag "$h2")"
assert_eq "same object, same ETag" "$etag" "$(hdr_of etag "$(hcurl cl1 -D - -o /dev/null "$HTTP_BASE/f100k.bin" || true)")"

# ---- HEAD: the headers of a GET, no body
h=$(hcurl cl1 -I "$HTTP_BASE/f1m.bin" || true)
assert_match "HEAD /f1m.bin: status" "$(head -n 1 <<<"$h" | tr -d '\r')" '^HTTP/1\.1 200'
assert_eq "HEAD /f1m.bin: Content-Length of the object" 1000003 "$(hdr_of content-length "$h")"
assert_eq "HEAD /f1m.bin: the GET's ETag" "$(hdr_of etag "$h2")" "$(hdr_of etag "$h")"
# the proof of "no body": a GET pipelined behind the HEAD is parsed right
# after the HEAD's blank line, and nothing is left over
r=$(http_py cl1 raw "$HTTP_SRV" "$HTTP_PORT" \
	"HEAD /f1m.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /one.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" \
	--nobody 1 || true)
note "HEAD+GET: $(tr '\n' '|' <<<"$r" | head -c 300)"
assert_eq "HEAD then GET on one connection: two responses" 2 "$(grep -c '^resp ' <<<"$r" || true)"
assert_contains "HEAD then GET: the GET's body is the 1-byte object" "$(sed -n 2p <<<"$r")" "sha256=$(sha "$root/one.bin")"
assert_not_contains "HEAD then GET: no stray bytes (HEAD sent no body)" "$r" "trailing bytes"

# ---- Range
rng() { # NAME RANGE WANT_STATUS WANT_CONTENT_RANGE EXPECTED_BODY_FILE
	local h code
	h=$(hcurl cl1 -D - -o "$out/range" -w '%{http_code}' -H "Range: $2" "$HTTP_BASE/f100k.bin" 2>&1 || true)
	code=${h##*$'\n'}
	assert_eq "$1: status" "$3" "$code"
	assert_eq "$1: Content-Range" "$4" "$(hdr_of content-range "$h")"
	if [[ -n "$5" ]]; then
		assert_sha "$1: body" "$5" "$out/range"
		assert_eq "$1: Content-Length" "$(stat -c %s "$5")" "$(hdr_of content-length "$h")"
	fi
}
head -c 100 "$root/f100k.bin" >"$out/want.0-99"
tail -c +101 "$root/f100k.bin" >"$out/want.100-"
tail -c 100 "$root/f100k.bin" >"$out/want.-100"
rng "Range bytes=0-99" "bytes=0-99" 206 "bytes 0-99/100000" "$out/want.0-99"
rng "Range bytes=100-" "bytes=100-" 206 "bytes 100-99999/100000" "$out/want.100-"
rng "Range bytes=-100" "bytes=-100" 206 "bytes 99900-99999/100000" "$out/want.-100"
rng "Range bytes=100000-100100 (past the end)" "bytes=100000-100100" 416 "bytes */100000" ""
h=$(hcurl cl1 -D - -o /dev/null "$HTTP_BASE/f100k.bin" || true)
assert_eq "Accept-Ranges: bytes" bytes "$(hdr_of accept-ranges "$h")"

# ---- If-None-Match
rm -f "$out/inm"
h=$(hcurl cl1 -D - -o "$out/inm" -w '%{http_code}' -H "If-None-Match: $etag" "$HTTP_BASE/f100k.bin" 2>&1 || true)
assert_eq "If-None-Match with the ETag: 304" 304 "${h##*$'\n'}"
assert_eq "304: no body" 0 "$(stat -c %s "$out/inm" 2>/dev/null || echo 0)"
assert_eq "304: the ETag again" "$etag" "$(hdr_of etag "$h")"
h=$(hcurl cl1 -o "$out/inm" -w '%{http_code}' -H 'If-None-Match: "not-this-one"' "$HTTP_BASE/f100k.bin" 2>&1 || true)
assert_eq "If-None-Match with another tag: 200" 200 "${h##*$'\n'}"
assert_sha "If-None-Match with another tag: full body" "$root/f100k.bin" "$out/inm"

# ---- keep-alive: two URLs, one connection
v=$(hcurl cl1 -v -w 'nc=%{num_connects}\n' -o "$out/ka1" -o "$out/ka2" \
	"$HTTP_BASE/f100k.bin" "$HTTP_BASE/dir/sub/deep.bin" 2>&1 || true)
assert_eq "keep-alive: connections made for two URLs (num_connects)" "nc=1 nc=0" \
	"$(grep -o '^nc=[0-9]*' <<<"$v" | tr '\n' ' ' | sed 's/ $//')"
assert_match "keep-alive: curl says it re-used the connection" "$v" '[Rr]e-?using existing connection'
assert_sha "keep-alive: first body" "$root/f100k.bin" "$out/ka1"
assert_sha "keep-alive: second body" "$root/dir/sub/deep.bin" "$out/ka2"

# ---- pipelining: three requests in one write, answered in order
r=$(http_py cl1 raw "$HTTP_SRV" "$HTTP_PORT" \
	"GET /k1.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /f100k.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /b1468x3.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" \
	--wait 5 || true)
assert_eq "pipelined: three responses" 3 "$(grep -c '^resp status=200 ' <<<"$r" || true)"
assert_eq "pipelined: bodies in request order" \
	"$(sha "$root/k1.bin") $(sha "$root/f100k.bin") $(sha "$root/b1468x3.bin")" \
	"$(grep -o 'sha256=[0-9a-f]*' <<<"$r" | cut -d= -f2 | tr '\n' ' ' | sed 's/ $//')"
assert_contains "pipelined: closed after Connection: close" "$r" "end closed=yes"

# ---- HTTP/1.0 without keep-alive: closed after the answer
r=$(http_py cl1 raw "$HTTP_SRV" "$HTTP_PORT" "GET /k1.bin HTTP/1.0\r\n\r\n" --wait 4 || true)
assert_contains "HTTP/1.0: 200 with the body" "$r" "sha256=$(sha "$root/k1.bin")"
assert_match "HTTP/1.0: closed by the server within 2 s" "$(grep '^end ' <<<"$r")" 'closed=yes first=[0-9.]+ close=(0|1)\.'

# ---- errors
code=$(hcurl cl1 -o "$out/e404" -w '%{http_code}' "$HTTP_BASE/no-such-file.bin" 2>&1 || true)
assert_eq "404 for a missing object" 404 "$code"
if (($(stat -c %s "$out/e404") < 1024)); then pass "404: short body"; else
	fail "404: short body" "$(stat -c %s "$out/e404") bytes"; fi
h=$(hcurl cl1 -D - -o /dev/null -w '%{http_code}' -X POST -d 'x=1' "$HTTP_BASE/k1.bin" 2>&1 || true)
assert_eq "POST on a file: 405" 405 "${h##*$'\n'}"
assert_match "405: Allow lists GET and HEAD" "$(hdr_of allow "$h")" 'GET.*HEAD|HEAD.*GET'
h=$(hcurl cl1 -D - -o /dev/null -w '%{http_code}' -X POST "$HTTP_BASE/k1.bin" 2>&1 || true)
assert_eq "POST without a body on a file: 405" 405 "${h##*$'\n'}"
assert_match "405 (no body): Allow lists GET and HEAD" "$(hdr_of allow "$h")" 'GET.*HEAD|HEAD.*GET'
h=$(hcurl cl1 -D - -o /dev/null -w '%{http_code}' -X DELETE "$HTTP_BASE/k1.bin" 2>&1 || true)
assert_eq "DELETE on a file: 405" 405 "${h##*$'\n'}"
code=$(hcurl cl1 -o /dev/null -w '%{http_code}' -X FOO "$HTTP_BASE/k1.bin" 2>&1 || true)
assert_eq "unknown method FOO: 501" 501 "$code"
r=$(http_py cl1 raw "$HTTP_SRV" "$HTTP_PORT" "GET /k1.bin HTTP/2.0\r\nHost: t\r\n\r\n" || true)
assert_contains "HTTP/2.0 request line: 505" "$(grep '^resp ' <<<"$r" | head -n 1)" "status=505"
r=$(http_py cl1 raw "$HTTP_SRV" "$HTTP_PORT" "GET /k1.bin HTTP/1.1\r\n\r\n" || true)
assert_contains "HTTP/1.1 without Host: 400" "$(grep '^resp ' <<<"$r" | head -n 1)" "status=400"
r=$(http_py cl1 raw "$HTTP_SRV" "$HTTP_PORT" "GET /k1.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" || true)
assert_match "GET with a body: 413 (or 400)" "$(grep '^resp ' <<<"$r" | head -n 1)" 'status=(413|400) '

# ---- wget
rm -f "$out/wget.bin"
nsx cl1 timeout 60 wget -q -O "$out/wget.bin" "$HTTP_BASE/f1m.bin" || true
assert_sha "wget /f1m.bin" "$root/f1m.bin" "$out/wget.bin"
rm -f "$out/wget.html"
nsx cl1 timeout 60 wget -q -O "$out/wget.html" "$HTTP_BASE/page.html" || true
assert_sha "wget /page.html" "$root/page.html" "$out/wget.html"

# ---- the status API
h=$(hcurl cl1 -D "$out/api.h" -o "$out/api.json" -w '%{http_code}' "$HTTP_BASE/api/v1/status" 2>&1 || true)
assert_eq "GET /api/v1/status: 200" 200 "$h"
if "$TFTP_PY" -m json.tool "$out/api.json" >/dev/null 2>&1; then
	pass "GET /api/v1/status: valid JSON"
else
	fail "GET /api/v1/status: valid JSON" "$(head -c 300 "$out/api.json")"
fi
assert_match "GET /api/v1/status: Content-Type" "$(hdr_of content-type "$(cat "$out/api.h")")" '^application/json'

# ---- the server's own view
http_counters cl1 || true
note "$(grep -F ' http: ' <<<"$HTTP_CTRS" || true)"
assert_ctr_gt "counters: requests parsed" requests 30
assert_ctr_gt "counters: 206 answers (3 ranges)" status_206 2
assert_ctr_gt "counters: 304 answers" status_304 0
assert_ctr_gt "counters: 416 answers" status_416 0
assert_ctr_gt "counters: 404 answers" status_404 0
assert_ctr_gt "counters: 405 answers" status_405 0
assert_ctr_gt "counters: 501 answers" status_501 0
assert_ctr_gt "counters: 505 answers" status_505 0
assert_ctr_gt "counters: requests on a kept-alive connection" keepalive_reuse 2
assert_ctr_gt "counters: connections established" tcp_conn_opened 20

if http_server_alive; then pass "server alive"; else fail "server alive" "it exited"; fi
http_server_stop
stp_finish
