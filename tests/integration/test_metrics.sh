#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# GET /metrics on the admin port (Prometheus text format 0.0.4) after real
# traffic, checked three ways:
#  1. the text itself: Content-Type, `promtool check metrics` (format and
#     naming lint), and values that match what the clients did: one
#     machine through the PXE chain (dhclient posing as PXE firmware, TFTP
#     of the boot file with tftp-hpa, dhclient posing as iPXE, curl of its
#     per-host script) plus a plain udhcpc client;
#  2. a real Prometheus server (Debian's prometheus) started in the server's
#     namespace with its own storage in the work directory and a 1 s scrape
#     interval against the admin port on that namespace's loopback: once it
#     has scraped, its query API returns stampede's series with the same
#     values (DHCP ACKs = the leases the clients got, one TFTP transfer,
#     the HTTP 200s, hosts by stage, the boot-stage histograms);
#  3. control.metrics_public: false: no token 401, the token 200 (and the
#     key is in `stampede --help-config`).
# Everything runs in this run's namespaces, on loopback inside them; only
# the PIDs this test started are ended.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

TOKEN=metrics-token-0123456789
ADMIN=http://127.0.0.1:8080        # the default control.api_listen, in the srv namespace
for b in promtool prometheus curl dhclient tftp busybox python3; do
	command -v "$b" >/dev/null || { fail "needs $b" "not installed (tools/setup.sh)"; stp_finish; }
done

# The key list comes from the parser's tables (config_each_key()).
keys=$("$STP_BIN" --help-config 2>&1)
assert_match "--help-config: control.metrics_public, a bool" "$keys" 'control\.metrics_public +bool'

lab_up
cfg="$STP_WORK/stampede.yaml"
stp_write_config "$cfg"
stp_start "$cfg" || { fail "server start" "see the log above"; stp_finish; }

# scurl ARGS... — curl in the server's namespace (the admin port is there).
scurl() { nsx srv curl -sS -m 10 "$@"; }

# metric TEXT SERIES — the value of one sample line of TEXT ("" if absent);
# SERIES is the name with its labels exactly as written.
metric() { awk -v s="$2" 'index($0, s " ") == 1 { print $2; exit }' <<<"$1"; }

# msum TEXT NAME [LABEL_FILTER] — NAME summed over its samples in TEXT
# (those whose labels contain LABEL_FILTER, e.g. reason="200").
msum() {
	awk -v n="$2" -v f="${3:-}" '
		$1 ~ /^#/ { next }
		{ name = $1; sub(/\{.*/, "", name) }
		name == n && index($1, f) > 0 { s += $2 }
		END { printf "%.0f\n", s }' <<<"$1"
}

# ---------------------------------------------------------- traffic

lab_add_client pxe
lab_add_client plain
mac=${STP_MAC[pxe]}
acks=0
# 1. the firmware's DHCP (option 60 PXEClient, 93 = BIOS)
conf=$(dhc_conf pxe 'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";' \
	'send pxe-arch 0;')
if dhc_lease pxe "$conf"; then acks=$((acks + 1)); pass "pxe: firmware DHCP lease"; else
	fail "pxe: firmware DHCP lease" "no BOUND within 25 s"; fi
ip=$(lease_field "$STP_WORK/dhc.pxe.leases" fixed-address)
# 2. the boot file over TFTP (dhclient's script configured the address)
root=$(stp_boot_root)
if nsx pxe timeout 30 tftp -m octet 10.77.0.1 -c get undionly.kpxe "$STP_WORK/undionly.got" &&
	cmp -s "$root/undionly.kpxe" "$STP_WORK/undionly.got"; then
	pass "pxe: TFTP undionly.kpxe intact"
else
	fail "pxe: TFTP undionly.kpxe intact" "tftp failed or the file differs"
fi
# 3. iPXE's DHCP (user class iPXE, client id 01:MAC) a moment later
sleep 0.3
conf=$(dhc_conf pxe 'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";' \
	'send pxe-arch 0;' 'send user-class "iPXE";' "send dhcp-client-identifier 1:$mac;")
if dhc_lease pxe "$conf" "$STP_WORK/dhc.pxe.leases2"; then acks=$((acks + 1)); pass "pxe: iPXE DHCP lease"; else
	fail "pxe: iPXE DHCP lease" "no BOUND within 25 s"; fi
# 4. the chain script and the host's own script over HTTP (control renders
#    the host's script once it has seen the host: wait for it)
sleep 0.3
code=$(nsx pxe curl -s -m 5 -o /dev/null -w '%{http_code}' http://10.77.0.1/boot.ipxe || true)
assert_eq "pxe: GET /boot.ipxe" 200 "$code"
# shellcheck disable=SC2317  # called through wait_for
host_script() { [[ "$(nsx pxe curl -s -m 5 -o /dev/null -w '%{http_code}' "http://10.77.0.1/boot/$mac.ipxe")" == 200 ]]; }
if wait_for 10 host_script; then pass "pxe: GET /boot/$mac.ipxe"; else
	fail "pxe: GET /boot/$mac.ipxe" "no 200 within 10 s"; fi
# 5. a client that is no PXE firmware at all
if udhcpc_run plain; then acks=$((acks + 1)); pass "plain: udhcpc lease"; else
	fail "plain: udhcpc lease" "udhcpc exit $?"; fi
note "clients got $acks DHCP ACKs; pxe is $mac at ${ip:-?}"

# ---------------------------------------------------------- the text

# The host's stage events reach control through the event ring: wait until
# /metrics shows the script stage.
M=""
# shellcheck disable=SC2317  # called through wait_for
stage_seen() {
	M=$(scurl "$ADMIN/metrics") &&
		[[ "$(metric "$M" 'stampede_hosts_by_stage{stage="script"}')" == 1 ]]
}
wait_for 10 stage_seen || true
h=$(scurl -D - -o /dev/null "$ADMIN/metrics" | tr -d '\r')
assert_match "/metrics: 200" "$(head -n 1 <<<"$h")" '^HTTP/1\.[01] 200'
assert_contains "/metrics: Content-Type of the text format 0.0.4" "$h" \
	"Content-Type: text/plain; version=0.0.4; charset=utf-8"
printf '%s\n' "$M" >"$STP_WORK/metrics.txt"
if lint=$(promtool check metrics <"$STP_WORK/metrics.txt" 2>&1); then
	pass "promtool check metrics: no problems ($(grep -c '^# TYPE' <<<"$M") families)"
else
	fail "promtool check metrics" "$(head -c 600 <<<"$lint" | tr '\n' '|')"
fi
types=$(grep '^# TYPE ' <<<"$M" | awk '{ print $3 }' | sort | uniq -d | head -n 3)
assert_eq "/metrics: HELP/TYPE once per family" "" "$types"
bad=$(grep -v '^#' <<<"$M" | awk '{ n = $1; sub(/\{.*/, "", n) } n !~ /^stampede_/ { print n }' | head -n 3)
assert_eq "/metrics: every sample is stampede_*" "" "$bad"

assert_eq "text: DHCP ACKs = the leases the clients got" "$acks" "$(msum "$M" stampede_dhcp_ack_total)"
ctrs=$(stp_counters)
text_acks=$(grep -F ' dhcp: ' <<<"$ctrs" | tr ' ' '\n' | awk -F= '$1 == "ack" { s += $2 } END { print s + 0 }')
assert_eq "text: DHCP ACKs = the SIGUSR1 report's" "$text_acks" "$(msum "$M" stampede_dhcp_ack_total)"
assert_eq "text: one TFTP transfer done" 1 "$(msum "$M" stampede_tftp_sessions_done_total)"
assert_eq "text: two HTTP 200s" 2 "$(msum "$M" stampede_http_responses_by_status_total 'reason="200"')"
assert_eq "text: hosts discovered (pxe, plain)" 2 "$(metric "$M" 'stampede_hosts{state="discovered"}')"
assert_eq "text: pxe's boot reached the script stage" 1 "$(metric "$M" 'stampede_hosts_by_stage{stage="script"}')"
assert_eq "text: jobs queued" 0 "$(metric "$M" 'stampede_jobs{state="queued"}')"
for st in fw_tftp ipxe_dhcp script; do
	assert_eq "text: one $st latency observed" 1 \
		"$(metric "$M" "stampede_boot_stage_duration_seconds_count{stage=\"$st\"}")"
	assert_eq "text: $st histogram's +Inf bucket = its count" 1 \
		"$(metric "$M" "stampede_boot_stage_duration_seconds_bucket{stage=\"$st\",le=\"+Inf\"}")"
done
assert_match "text: per-lcore labels" "$M" 'stampede_worker_rx_total\{lcore="[0-9]+",queue="0"\} [1-9]'
assert_match "text: reason labels" "$M" 'stampede_http_requests_by_method_total\{lcore="[0-9]+",queue="[0-9]+",reason="GET"\} '
assert_match "text: cache bytes" "$(metric "$M" stampede_cache_bytes)" '^[1-9][0-9]*$'
assert_match "text: active TFTP sessions gauge" "$M" '# TYPE stampede_tftp_active gauge'
assert_match "text: open TCP connections gauge" "$M" '# TYPE stampede_tcp_active gauge'

# ---------------------------------------------------------- Prometheus

# A free port for Prometheus's own web API on the srv namespace's loopback.
pport=$(nsx srv python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PROM=http://127.0.0.1:$pport
mkdir -p "$STP_WORK/prom-data"
cat >"$STP_WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: stampede
    static_configs:
      - targets: ['127.0.0.1:8080']
EOF
bg_start "$STP_WORK/prometheus.log" ip netns exec "$STP_SRV" prometheus \
	--config.file="$STP_WORK/prometheus.yml" --storage.tsdb.path="$STP_WORK/prom-data" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn
PROM_PID=$BG_PID

# pq QUERY — the first result's value of an instant query ("" if none).
pq() {
	{ scurl -G "$PROM/api/v1/query" --data-urlencode "query=$1" 2>/dev/null || true; } |
		python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:  # not up yet
    d = {}
r = d.get("data", {}).get("result", []) if d.get("status") == "success" else []
print(r[0]["value"][1] if r else "")'
}
# shellcheck disable=SC2317  # called through wait_for
scraped() { [[ "$(pq 'up{job="stampede"}')" == 1 ]]; }
if wait_for 60 scraped; then
	pass "prometheus: scraped stampede (up == 1)"
else
	fail "prometheus: scraped stampede" "up is '$(pq 'up{job="stampede"}')'; log: $(tail -n 5 "$STP_WORK/prometheus.log" | tr '\n' '|')"
fi
# The traffic ended before Prometheus started: its first scrape has the values.
n=$(pq 'count({__name__=~"stampede_.+", job="stampede"})')
assert_match "prometheus: stampede's series stored ($n)" "${n:-0}" '^[0-9]{3,}$'
assert_eq "prometheus: DHCP ACKs = the leases the clients got" "$acks" \
	"$(pq 'sum(stampede_dhcp_ack_total)')"
assert_eq "prometheus: one TFTP transfer done" 1 "$(pq 'sum(stampede_tftp_sessions_done_total)')"
assert_eq "prometheus: two HTTP 200s" 2 \
	"$(pq 'sum(stampede_http_responses_by_status_total{reason="200"})')"
assert_eq "prometheus: hosts at the script stage" 1 "$(pq 'stampede_hosts_by_stage{stage="script"}')"
assert_eq "prometheus: fw_tftp latencies observed" 1 \
	"$(pq 'stampede_boot_stage_duration_seconds_count{stage="fw_tftp"}')"
q=$(pq 'histogram_quantile(0.5, stampede_boot_stage_duration_seconds_bucket{stage="ipxe_dhcp"})')
assert_match "prometheus: histogram_quantile over the ipxe_dhcp buckets ($q s)" "$q" '^[0-9.]+(e[-+][0-9]+)?$'
# Frames keep arriving now and then (ARP): at least what the text said.
rx=$(pq 'sum(stampede_worker_rx_total)')
if [[ "$rx" =~ ^[0-9]+$ ]] && ((rx >= $(msum "$M" stampede_worker_rx_total) && rx > 0)); then
	pass "prometheus: frames received by the workers ($rx), as the text said or more"
else
	fail "prometheus: frames received by the workers" "'$rx', the text said $(msum "$M" stampede_worker_rx_total)"
fi
bg_stop "$PROM_PID" TERM 10
assert_eq "prometheus: stopped cleanly" 0 "$BG_RC"

# ------------------------------------------ control.metrics_public: false

stp_stop
assert_eq "server: stopped cleanly" 0 "$STP_RC"
sed -i "s|^  database: \(.*\)$|  database: \1\n  token: \"$TOKEN\"\n  metrics_public: false|" "$cfg"
stp_start "$cfg" || { fail "server start (private metrics)" "see the log above"; stp_finish; }
assert_contains "log: metrics need the token" "$(cat "$STP_LOG")" "metrics at /metrics (need the bearer token)"
assert_eq "private: no token, 401" 401 "$(scurl -o /dev/null -w '%{http_code}' "$ADMIN/metrics")"
assert_eq "private: a wrong token, 401" 401 \
	"$(scurl -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong-token-000000' "$ADMIN/metrics")"
M=$(scurl -H "Authorization: Bearer $TOKEN" "$ADMIN/metrics")
assert_contains "private: the token, the text" "$M" "# TYPE stampede_dhcp_ack_total counter"
if lint=$(promtool check metrics <<<"$M" 2>&1); then pass "private: promtool check metrics"; else
	fail "private: promtool check metrics" "$(head -c 600 <<<"$lint" | tr '\n' '|')"; fi
stp_stop
assert_eq "server: stopped cleanly (private)" 0 "$STP_RC"
stp_finish
