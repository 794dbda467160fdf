#!/usr/bin/env bash
# Build the vmbench "tiny" guest ISO from the host's Debian packages.
#
# Usage: bash profiles/tiny/build-iso.sh <cache-dir>
#
# Prints only the absolute path of the ISO on stdout (last line); all logging
# goes to stderr. The ISO is named tiny-<16 hex>.iso after a sha256 over this
# script, every file under profiles/tiny/iso/, the versions of the Debian
# packages used and the kernel version, and is only rebuilt when that changes.
# Exit status 3 (with the apt-get command on stderr) if host packages are
# missing. Needs no root: everything is read-only on the host, file ownership
# in the initramfs is forced to root and /dev/console is emitted as a
# hand-written cpio entry.
#
# Environment: TINY_KVER=<version> to pick a kernel (default: the newest
# /boot/vmlinuz-* that has a /lib/modules/<version>/modules.dep).
set -euo pipefail

log() { printf 'build-iso: %s\n' "$*" >&2; }
die() { printf 'build-iso: ERROR %s\n' "$*" >&2; exit 1; }

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: bash $0 <cache-dir>" >&2
  exit 2
fi

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
HERE=$(dirname "$SCRIPT")
ISO_SRC=$HERE/iso
mkdir -p "$1"
CACHE=$(cd "$1" && pwd -P)

ISOLINUX_BIN=/usr/lib/ISOLINUX/isolinux.bin
ISOHDPFX=/usr/lib/ISOLINUX/isohdpfx.bin
LDLINUX_C32=/usr/lib/syslinux/modules/bios/ldlinux.c32
BUSYBOX=/bin/busybox
DROPBEAR=/usr/sbin/dropbear
DROPBEARKEY=/usr/bin/dropbearkey
SFTP_SERVER=/usr/lib/openssh/sftp-server
SCP=/usr/bin/scp

# ---------------------------------------------------------------- host checks
missing=()
need_file() { [ -e "$1" ] || missing+=("$2"); }
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }

pick_kernel() {
  if [ -n "${TINY_KVER:-}" ]; then
    echo "$TINY_KVER"
    return
  fi
  local v best=
  for f in /boot/vmlinuz-*; do
    [ -e "$f" ] || continue
    v=${f#/boot/vmlinuz-}
    [ -f "/lib/modules/$v/modules.dep" ] || continue
    best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n 1)
  done
  echo "$best"
}
KVER=$(pick_kernel)
if [ -z "$KVER" ] || [ ! -f "/boot/vmlinuz-$KVER" ] || [ ! -f "/lib/modules/$KVER/modules.dep" ]; then
  missing+=(linux-image-amd64)
fi
need_file "$ISOLINUX_BIN" isolinux
need_file "$LDLINUX_C32" syslinux-common
need_file "$DROPBEAR" dropbear-bin
need_file "$DROPBEARKEY" dropbear-bin
need_file "$SFTP_SERVER" openssh-sftp-server
need_cmd xorriso xorriso
need_cmd cpio cpio
need_cmd gzip gzip
need_cmd ldd libc-bin
need_cmd dpkg-query dpkg
# the initramfs needs a *static* busybox (the "busybox" package is dynamic)
if [ ! -x "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
  missing+=(busybox-static)
fi
if [ ${#missing[@]} -gt 0 ]; then
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  echo "build-iso: missing host packages; install them with:" >&2
  echo "apt-get install -y ${pkgs% }" >&2
  exit 3
fi
HAVE_SCP=0
[ -x "$SCP" ] && HAVE_SCP=1

# ---------------------------------------------------------------- content hash
PKGS=(busybox-static dropbear-bin openssh-sftp-server openssh-client isolinux
  syslinux-common "linux-image-$KVER" libc6 libcrypt1 libtomcrypt1 libtommath1
  zlib1g libgmp10)
content_hash() {
  {
    echo "script"
    cat "$SCRIPT"
    (cd "$ISO_SRC" && find . -type f | LC_ALL=C sort) | while IFS= read -r f; do
      echo "file $f"
      cat "$ISO_SRC/$f"
    done
    echo "packages"
    dpkg-query -W -f '${Package} ${Version}\n' "${PKGS[@]}" 2>/dev/null || true
    echo "kernel $KVER"
    # the initramfs compressor depends on whether zstd is installed
    echo "zstd $(command -v zstd >/dev/null 2>&1 && dpkg-query -W -f '${Version}' zstd 2>/dev/null || echo none)"
  } | sha256sum | cut -c1-16
}
HASH=$(content_hash)
ISO=$CACHE/tiny-$HASH.iso
if [ -f "$ISO" ]; then
  log "up to date: $ISO"
  echo "$ISO"
  exit 0
fi

# ---------------------------------------------------------------- build
START=$(date +%s.%N)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmbench-tiny.XXXXXX")
PART=
cleanup() {
  rm -rf "$TMP"
  if [ -n "$PART" ]; then rm -f "$PART"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log "building $ISO (kernel $KVER)"

R=$TMP/root
mkdir -p "$R"/{bin,dev,etc,lib,lib64,proc,sys,tmp,run,root,mnt,var/log,usr/lib}
ln -s bin "$R/sbin"
ln -s ../bin "$R/usr/bin"
ln -s ../bin "$R/usr/sbin"
chmod 1777 "$R/tmp"
chmod 700 "$R/root"

# busybox + one symlink per applet, all in /bin (/sbin, /usr/bin, /usr/sbin
# point there, so any PATH finds poweroff & co.)
install -m 0755 "$BUSYBOX" "$R/bin/busybox"
for a in $("$BUSYBOX" --list); do
  case "$a" in busybox) continue ;; esac
  [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"
done

# copy a binary to the same path in the initramfs, plus its shared libraries
# and the dynamic loader (as reported by ldd)
copy_libs() {
  local lib
  for lib in $(ldd "$1" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}'); do
    if [ ! -e "$R$lib" ]; then
      mkdir -p "$R$(dirname "$lib")"
      cp -L "$lib" "$R$lib"
    fi
  done
}
copy_bin() { # <host path> <path in initramfs>
  mkdir -p "$(dirname "$R$2")"
  cp -L "$1" "$R$2"
  chmod 0755 "$R$2"
  copy_libs "$1"
}
copy_bin "$DROPBEAR" /bin/dropbear
copy_bin "$DROPBEARKEY" /bin/dropbearkey
# dropbear runs the sftp subsystem from the path compiled into it
SFTP_PATH=$(grep -a -o -m1 '/[[:alnum:]/._-]*sftp-server' "$DROPBEAR" | head -n 1 || true)
[ -n "$SFTP_PATH" ] || SFTP_PATH=/usr/lib/sftp-server
copy_bin "$SFTP_SERVER" /usr/lib/openssh/sftp-server
if [ "$SFTP_PATH" != /usr/lib/openssh/sftp-server ]; then
  mkdir -p "$R$(dirname "$SFTP_PATH")"
  ln -sf /usr/lib/openssh/sftp-server "$R$SFTP_PATH"
fi
if [ $HAVE_SCP = 1 ]; then
  copy_bin "$SCP" /bin/scp
else
  log "note: $SCP not found (package openssh-client): no scp in the guest (sftp still works)"
fi

# kernel modules: resolve dependencies from modules.dep, skip built-ins,
# decompress .ko.{xz,zst,gz}, emit /etc/modules.order (dependencies first)
MODDIR=/lib/modules/$KVER
norm() { printf '%s' "${1//-/_}"; }
declare -A MODPATH=() BUILTIN=() SEEN=()
while IFS= read -r line; do
  p=${line%%:*}
  b=${p##*/}
  b=${b%%.ko*}
  MODPATH[${b//-/_}]=$p
done <"$MODDIR/modules.dep"
if [ -f "$MODDIR/modules.builtin" ]; then
  while IFS= read -r p; do
    b=${p##*/}
    b=${b%%.ko*}
    BUILTIN[${b//-/_}]=1
  done <"$MODDIR/modules.builtin"
fi
need_now() { # <command> <package>: exit 3 if a tool needed only now is missing
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "build-iso: missing host packages; install them with:" >&2
  echo "apt-get install -y $2" >&2
  exit 3
}
ORDER=()
add_module() { # <name> <depth>
  local m d p
  m=$(norm "$1")
  [ -z "${SEEN[$m]:-}" ] || return 0
  [ "$2" -lt 20 ] || die "module dependency loop at $m"
  if [ -n "${BUILTIN[$m]:-}" ]; then
    log "module $m is built into the kernel, skipped"
    SEEN[$m]=1
    return 0
  fi
  p=${MODPATH[$m]:-}
  [ -n "$p" ] || die "module $m not found in $MODDIR/modules.dep"
  for d in $(grep -m1 -E "^${p//./\\.}:" "$MODDIR/modules.dep" | cut -d: -f2-); do
    d=${d##*/}
    add_module "${d%%.ko*}" $(($2 + 1))
  done
  SEEN[$m]=1
  ORDER+=("$m")
}
while IFS= read -r m; do
  m=${m%%#*}
  m=${m//[[:space:]]/}
  [ -n "$m" ] || continue
  add_module "$m" 0
done <"$ISO_SRC/modules.list"
mkdir -p "$R/lib/modules"
: >"$R/etc/modules.order"
for m in "${ORDER[@]}"; do
  src=$MODDIR/${MODPATH[$m]}
  dst=$R/lib/modules/$m.ko
  # busybox insmod can't read compressed modules: decompress them here
  case "$src" in
    *.ko) cp "$src" "$dst" ;;
    *.ko.xz) need_now xz xz-utils && xz -dc "$src" >"$dst" ;;
    *.ko.zst) need_now zstd zstd && zstd -qdc "$src" >"$dst" ;;
    *.ko.gz) gzip -dc "$src" >"$dst" ;;
    *) die "unknown module format: $src" ;;
  esac
  echo "$m.ko" >>"$R/etc/modules.order"
done
log "modules (load order): ${ORDER[*]}"

# guest files
install -m 0755 "$ISO_SRC/init" "$R/init"
install -m 0644 "$ISO_SRC/inittab" "$R/etc/inittab"
install -m 0644 "$ISO_SRC/profile" "$R/etc/profile"
echo tiny >"$R/etc/hostname"

# initramfs: cpio newc (owner forced to root) + a hand-made second archive
# holding /dev/console (mknod would need root), compressed as one stream:
# zstd when the host has it (smaller and faster to decompress), else gzip
if command -v zstd >/dev/null 2>&1; then
  COMPRESS=(zstd -q -12 --long=23 -T0)
else
  COMPRESS=(gzip -9n)
fi
newc() { # <name> <mode octal> <rdevmajor> <rdevminor> [nlink]
  local name=$1 mode=$2 maj=$3 min=$4 nlink=${5:-1} len pad
  len=$((${#name} + 1))
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
    "$NEWC_INO" "$((8#$mode))" 0 0 "$nlink" 0 0 0 0 "$maj" "$min" "$len" 0
  printf '%s\0' "$name"
  pad=$(((4 - (110 + len) % 4) % 4))
  [ "$pad" -eq 0 ] || head -c "$pad" /dev/zero
  NEWC_INO=$((NEWC_INO + 1))
}
NEWC_INO=900000
{
  (cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
  {
    newc dev 040755 0 0 2
    newc dev/console 020600 5 1
    newc TRAILER!!! 0 0 0
  }
} | "${COMPRESS[@]}" >"$TMP/initrd.img"

# ISO tree
I=$TMP/iso
mkdir -p "$I/isolinux" "$I/tiny"
cp "$ISOLINUX_BIN" "$I/isolinux/isolinux.bin"
cp "$LDLINUX_C32" "$I/isolinux/ldlinux.c32"
cp "$ISO_SRC/isolinux.cfg" "$ISO_SRC/boot.msg" "$I/isolinux/"
cp "/boot/vmlinuz-$KVER" "$I/tiny/vmlinuz"
cp "$TMP/initrd.img" "$I/tiny/initrd.img"
HYBRID=()
[ -f "$ISOHDPFX" ] && HYBRID=(-isohybrid-mbr "$ISOHDPFX")
PART=$ISO.$$.part
xorriso -as mkisofs -quiet -o "$PART" -V VMBENCH_TINY -r -J \
  "${HYBRID[@]}" \
  -b isolinux/isolinux.bin -c isolinux/boot.cat \
  -no-emul-boot -boot-load-size 4 -boot-info-table \
  "$I" >&2 || die "xorriso failed"
mv -f "$PART" "$ISO"
PART=
log "initrd ${COMPRESS[0]} $(stat -c %s "$TMP/initrd.img") bytes, iso $(stat -c %s "$ISO") bytes, $(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}') s"
echo "$ISO"
