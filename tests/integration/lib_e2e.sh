# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# lib_e2e.sh — a lab with the imaging-OS stand-in, the admin API and
# stampedectl, for the job tests (sourced after lib.sh, lib_tftp.sh and
# lib_vm.sh).

E2E_TOKEN=e2e-token-0123456789
E2E_CTL="$STP_ROOT/build/tools/stampedectl"

# e2e_up [MODE] — build the stand-in, write the config (dhcp.mode MODE,
# default server; E2E_EXTRA: YAML appended, e.g. an http: block), start the
# server, add the image "debian12", and a probe client at 10.77.0.9 to read
# scripts with.
e2e_up() {
	local img="$STP_ROOT/build/imaging-os" root mode=${1:-server}
	"$STP_ROOT/tools/imaging-os/build.sh" "$img" >"$STP_WORK/imaging-os.log" 2>&1 ||
		{ fail "imaging-OS build" "$(tail -n 5 "$STP_WORK/imaging-os.log")"; stp_finish; }
	lab_up
	E2E_CFG="$STP_WORK/stampede.yaml"
	CFG_EXTRA="${E2E_EXTRA:-}" CFG_MODE=$mode TFTP_MEMORY_MB=512 tftp_config "$E2E_CFG"
	sed -i "s|^  database: \(.*\)$|  database: \1\n  token: \"$E2E_TOKEN\"\n  api_listen: 127.0.0.1:8080|" \
		"$E2E_CFG"
	root=$(stp_boot_root)
	rm -f "$root/boot.ipxe" # control renders the chain script
	vm_boot_files "$root"
	cp "$img/bzImage" "$img/init.xz" "$root/"
	stp_start "$E2E_CFG" || { fail "server start"; stp_finish; }
	ctl image add debian12 --kernel bzImage --initrd init.xz --args "console=ttyS0" >/dev/null
	lab_add_client probe
	nsx probe ip addr add 10.77.0.9/24 dev eth0
}

# ctl ARGS... — stampedectl against the server's admin API.
ctl() { nsx srv "$E2E_CTL" --server http://127.0.0.1:8080 --token "$E2E_TOKEN" "$@"; }

# job_state ID — the job's STATE column.
job_state() { ctl job list | awk -v j="$1" '$1 == j { print $5 }'; }
