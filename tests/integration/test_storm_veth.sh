#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# stampede-storm on the veth lab, as an operator would storm a real
# network: the generator on a kernel interface (--iface, AF_XDP), 100
# virtual clients.
#  1. against stampede (the lab's config; STP_DEFAULTS=1 for AF_XDP and
#     hugepages), every stage, each client with a deploy job;
#  2. against the classic FOG-style setup we did not write: dnsmasq (DHCP
#     + TFTP) and nginx (HTTP) serving the same files and a static script,
#     stages dhcp,tftp,http;
#  3. against a server that answers DHCP with garbage: every client fails
#     with a named cause by --timeout, nothing hangs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_http.sh"
source "$(dirname "$0")/lib_storm.sh"

N=${STORM_CLIENTS:-100}
[[ -x "$STORM_BIN" ]] || { fail "stampede-storm built" "$STORM_BIN missing"; stp_finish; }
lab_up
lab_add_client storm
ROOT=$(stp_boot_root)
rm -f "$ROOT/boot.ipxe"           # control renders the chain script
storm_root "$ROOT"
CFG="$STP_WORK/stampede.yaml"
CFG_EXTRA="  token: \"$STORM_TOKEN\"
  api_listen: 127.0.0.1:$STORM_API_PORT" stp_write_config "$CFG"
stp_start "$CFG" || { fail "server start"; stp_finish; }
storm_jobs "$N" || { fail "hosts and jobs made"; stp_finish; }

# storm_veth NAME ARGS... — the generator in the client namespace on eth0.
storm_veth() {
	local name=$1
	shift
	STORM_RC=0
	nsx storm "$STORM_BIN" --iface eth0 --no-huge --lcores 0 --file-prefix "stpstorm-$$" \
		--json "$STP_WORK/$name.json" --quiet "$@" >"$STP_WORK/$name.out" 2>&1 || STORM_RC=$?
	_STP_PREFIXES+=("stpstorm-$$")
	sed 's/^/    | /' "$STP_WORK/$name.out" >&2
}

# ---- 1. stampede, every stage
storm_veth stampede --clients "$N" --server 10.77.0.1 --timeout 180
J="$STP_WORK/stampede.json"
assert_eq "stampede: generator exit 0" 0 "$STORM_RC"
assert_eq "stampede: every client done" "$N" "$(jget "$J" '["done"]')"
for st in dhcp tftp ipxe_dhcp script kernel initrd os; do
	assert_eq "stampede: stage $st: $N done" "$N" "$(jget "$J" "[\"$st\"][\"done\"]")"
done
assert_eq "stampede: every job done" "$N" "$(storm_ctl job list | awk '$5 == "done"' | wc -l)"
leases=$(sqlite3 "$STP_WORK/db/leases.sqlite" 'select count(distinct ip) from leases' 2>/dev/null || echo "?")
assert_eq "stampede: a lease per client, no address twice" "$N" "$leases"
stp_stop

# ---- 2. dnsmasq + nginx, the same files
cat >"$ROOT/boot.ipxe" <<'EOF'
#!ipxe
kernel http://10.77.0.1/bzImage
initrd http://10.77.0.1/init.xz
boot
EOF
http_nginx_start "$ROOT" || { fail "nginx start"; stp_finish; }
# A kernel server on a veth leaves UDP/TCP checksums to an offload that
# never happens; the generator (like any raw reader) would see them wrong.
nsx srv ethtool -K stp0 tx off >/dev/null
storm_dnsmasq_start "$ROOT" 10.77.0.100 10.77.0.250
wait_for 10 bash -c "grep -q 'DHCP, IP range' '$STP_WORK/dnsmasq.log'" ||
	note "dnsmasq did not say it is up: $(tail -n 3 "$STP_WORK/dnsmasq.log")"
storm_veth peers --clients "$N" --server 10.77.0.1 --stages dhcp,tftp,http --timeout 180 \
	--mac-base 02:00:00:10:00:00
J="$STP_WORK/peers.json"
assert_eq "dnsmasq+nginx: generator exit 0" 0 "$STORM_RC"
assert_eq "dnsmasq+nginx: every client done" "$N" "$(jget "$J" '["done"]')"
for st in dhcp tftp ipxe_dhcp script kernel initrd; do
	assert_eq "dnsmasq+nginx: stage $st: $N done" "$N" "$(jget "$J" "[\"$st\"][\"done\"]")"
done
bios=$(python3 -c "print(sum(1 for g in range($N) if (g * 37) % 100 < 70))")
want=$(storm_bytes "$ROOT" "$bios" $((N - bios)) 1)
got=$(jget "$J" '["bytes"]')
if [[ "$got" =~ ^[0-9]+$ ]] && ((got >= want && got < want + N * 1024)); then
	pass "dnsmasq+nginx: bytes received: the files ($want) and the scripts"
else
	fail "dnsmasq+nginx: bytes received" "got $got, want $want plus the scripts"
fi
bg_stop "$DNSMASQ_PID"
http_nginx_stop

# ---- 3. garbage answers to DHCP
bg_start "$STP_WORK/garbage.log" ip netns exec "$STP_SRV" python3 \
	"$STP_ROOT/tests/tools/dhcp_garbage.py" stp0 10.77.0.1
GPID=$BG_PID
sleep 0.5
t0=$SECONDS
storm_veth garbage --clients 10 --stages dhcp --timeout 8 --mac-base 02:00:00:20:00:00
el=$((SECONDS - t0))
assert_eq "garbage server: exit status 1" 1 "$STORM_RC"
assert_eq "garbage server: every client failed" 10 "$(jget "$STP_WORK/garbage.json" '["failed"]')"
assert_match "garbage server: failures named" "$(jget "$STP_WORK/garbage.json" '["failures"]')" \
	"dhcp|timeout"
ign=$(jget "$STP_WORK/garbage.json" '["frames"]["rx_ignored"]')
if [[ "$ign" =~ ^[0-9]+$ ]] && ((ign > 0)); then pass "garbage server: its frames counted and dropped ($ign)"
else fail "garbage server: its frames counted and dropped" "rx_ignored $ign"; fi
if ((el <= 30)); then pass "garbage server: ended at --timeout ($el s)"; else
	fail "garbage server: ended at --timeout" "took $el s"; fi
bg_stop "$GPID"
stp_finish
