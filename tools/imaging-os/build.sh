#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# build.sh OUTDIR — build the imaging-OS stand-in that the end-to-end PXE
# tests boot (docs/design.md, "The boot chain", step 6):
#
#   OUTDIR/bzImage   Debian's kernel (the vmlinuz of linux-image-amd64's
#                    versioned package), taken from the .deb, never installed
#   OUTDIR/init.xz   a newc cpio, xz with CRC32 checks (the kernel's xz
#                    decoder knows no CRC64), holding busybox-static, the NIC
#                    modules and /init (tools/imaging-os/init)
#   OUTDIR/VERSION   what went in: kernel package and version, modules
#
# Tests call this often, so OUTDIR is reused as is when both images exist and
# are newer than every file in tools/imaging-os/. Builds of one OUTDIR are
# serialised with flock, and the images are replaced by rename, so a
# concurrent reader sees the old or the new file, never half of one.
#
# Environment:
#   STP_IMAGING_OS_REBUILD=1  rebuild even if OUTDIR is up to date
#   STP_KERNEL_PKG            the package to resolve (default linux-image-amd64)
#
# Needs (Debian): apt (apt-get download), dpkg (dpkg-deb), kmod (modinfo),
# busybox-static, cpio, xz-utils, util-linux (flock). No root needed except
# that apt-get download wants a writable directory it may hand to _apt.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KERNEL_PKG=${STP_KERNEL_PKG:-linux-image-amd64}
# The NICs the lab's VMs use (e1000 for BIOS, virtio-net-pci for UEFI, e1000e
# as q35's default) and a virtio disk for the register run; dependencies are
# added from the modules' own "depends:" field.
WANT_MODULES=(e1000 e1000e virtio_pci virtio_net virtio_blk)
BUSYBOX=/bin/busybox

say() { printf 'imaging-os: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

usage() {
	sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}

[[ $# -eq 1 ]] || usage 2
[[ "$1" != -h && "$1" != --help ]] || usage 0
OUT=$1

# up_to_date — both images exist and are newer than every source file.
up_to_date() {
	local img src
	for img in "$OUT/bzImage" "$OUT/init.xz"; do
		[[ -s "$img" ]] || return 1
		for src in "$HERE"/*; do
			[[ "$img" -nt "$src" ]] || return 1
		done
	done
}

for tool in apt-get dpkg-deb modinfo cpio xz flock; do
	command -v "$tool" >/dev/null || die "$tool not found (tools/setup.sh installs it)"
done
[[ -x "$BUSYBOX" ]] || die "$BUSYBOX missing: apt-get install busybox-static"
# A dynamic busybox would find no libc in the initramfs.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked: apt-get install busybox-static"
fi

mkdir -p "$OUT"
exec 9>"$OUT/.build.lock"
flock 9
if up_to_date && [[ -z "${STP_IMAGING_OS_REBUILD:-}" ]]; then
	say "$OUT is up to date ($(head -n 1 "$OUT/VERSION" 2>/dev/null || echo '?'))"
	exit 0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/stampede-imaging-os.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
STAGE=$TMP/root
mkdir -p "$TMP/dl" "$TMP/kernel" "$STAGE"

# --------------------------------------------------------------- kernel

# apt-get download drops to user _apt for the fetch; let it write the
# directory (otherwise apt warns and downloads unsandboxed as root).
chmod 755 "$TMP"
if [[ $EUID -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$TMP/dl"; fi

# dl PKG — apt-get download PKG into $TMP/dl; prints the .deb's path.
dl() {
	(cd "$TMP/dl" && apt-get download -q "$1" >"$TMP/apt.log" 2>&1) || {
		sed 's/^/  | /' "$TMP/apt.log" >&2
		die "apt-get download $1 failed"
	}
	find "$TMP/dl" -maxdepth 1 -name "${1}_*.deb" -print -quit
}

# linux-image-amd64 is a metapackage; its first dependency names the
# versioned package that really holds the kernel.
meta=$(dl "$KERNEL_PKG")
[[ -n "$meta" ]] || die "apt-get download $KERNEL_PKG left no .deb"
kpkg=$(dpkg-deb -f "$meta" Depends | sed 's/[,|]/\n/g' | sed 's/^ *//; s/ .*//' |
	grep -m 1 '^linux-image-' || true)
if [[ -z "$kpkg" ]]; then
	kpkg=$KERNEL_PKG   # already a versioned package
	kdeb=$meta
else
	kdeb=$(dl "$kpkg")
	[[ -n "$kdeb" ]] || die "apt-get download $kpkg left no .deb"
fi
kver_pkg=$(dpkg-deb -f "$kdeb" Version)
say "kernel package $kpkg $kver_pkg"
dpkg-deb -x "$kdeb" "$TMP/kernel"
vmlinuz=$(find "$TMP/kernel/boot" -maxdepth 1 -name 'vmlinuz-*' -print -quit)
[[ -n "$vmlinuz" ]] || die "$kpkg has no /boot/vmlinuz-*"
kver=${vmlinuz##*/vmlinuz-}
MODDIR=$TMP/kernel/lib/modules/$kver
[[ -d "$MODDIR" ]] || die "$kpkg has no lib/modules/$kver"

# ---------------------------------------------------------------- modules

# Index every module file by its module name (dashes read as underscores,
# as the kernel does) so dependencies can be looked up by name.
declare -A KO=()
while IFS= read -r -d '' f; do
	n=${f##*/}
	n=${n%%.ko*}
	KO[${n//-/_}]=$f
done < <(find "$MODDIR/kernel" -name '*.ko*' -print0)

declare -A BUILTIN=()
if [[ -f "$MODDIR/modules.builtin" ]]; then
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		BUILTIN[${n//-/_}]=1
	done <"$MODDIR/modules.builtin"
fi

mkdir -p "$STAGE/lib/modules"
declare -A SEEN=()
ORDER=()

# add_module NAME — NAME and, first, what it depends on: copied into the
# initramfs as plain .ko (busybox insmod reads no compressed modules) and
# appended to ORDER after its dependencies, so loading ORDER front to back
# never hits an unresolved symbol. Built-in modules need nothing.
add_module() {
	local m=${1//-/_} f dep deps
	[[ -z "${SEEN[$m]:-}" ]] || return 0
	SEEN[$m]=1
	[[ -z "${BUILTIN[$m]:-}" ]] || return 0
	f=${KO[$m]:-}
	[[ -n "$f" ]] || die "module $m not in $kpkg (neither built in nor a .ko)"
	deps=$(modinfo -F depends "$f")
	for dep in ${deps//,/ }; do add_module "$dep"; done
	case "$f" in
	*.ko.xz) xz -dc "$f" >"$STAGE/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$STAGE/lib/modules/$m.ko" ;;
	*.ko) cp "$f" "$STAGE/lib/modules/$m.ko" ;;
	*) die "unknown module format: $f" ;;
	esac
	ORDER+=("$m")
}

for m in "${WANT_MODULES[@]}"; do add_module "$m"; done
printf '%s\n' "${ORDER[@]}" >"$STAGE/lib/modules/load.order"
say "modules (load order): ${ORDER[*]}"

# -------------------------------------------------------------- initramfs

mkdir -p "$STAGE"/{bin,dev,proc,sys,tmp,run,etc,mnt} "$STAGE/usr/share/udhcpc"
ln -s bin "$STAGE/sbin"
ln -s ../bin "$STAGE/usr/bin"
ln -s ../bin "$STAGE/usr/sbin"
chmod 1777 "$STAGE/tmp"
cp "$BUSYBOX" "$STAGE/bin/busybox"
while IFS= read -r applet; do
	[[ "$applet" == busybox || -e "$STAGE/bin/$applet" ]] || ln -s busybox "$STAGE/bin/$applet"
done < <("$BUSYBOX" --list)
# The kernel opens /dev/console for /init before /init mounts devtmpfs;
# Debian's kernel has a built-in one too, so failing here (not root) is fine.
mknod -m 600 "$STAGE/dev/console" c 5 1 2>/dev/null || true
install -m 755 "$HERE/init" "$STAGE/init"
install -m 755 "$HERE/udhcpc.script" "$STAGE/usr/share/udhcpc/default.script"
{
	echo "stampede imaging-OS stand-in"
	echo "kernel $kpkg $kver_pkg ($kver)"
	echo "busybox $("$BUSYBOX" | head -n 1)"
	echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$STAGE/etc/stampede-imaging-os"

(cd "$STAGE" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) |
	xz --check=crc32 --lzma2=dict=1MiB -T1 >"$TMP/init.xz"

# ---------------------------------------------------------------- publish

cp "$vmlinuz" "$TMP/bzImage"
{
	echo "$kpkg $kver_pkg kernel $kver"
	echo "modules ${ORDER[*]}"
	echo "busybox $("$BUSYBOX" | head -n 1)"
} >"$TMP/VERSION"
for f in bzImage init.xz VERSION; do
	cp "$TMP/$f" "$OUT/.$f.new"
	mv -f "$OUT/.$f.new" "$OUT/$f"
done
say "built $OUT: bzImage $(($(stat -c %s "$OUT/bzImage") / 1024)) KiB," \
	"init.xz $(($(stat -c %s "$OUT/init.xz") / 1024)) KiB (kernel $kver)"
