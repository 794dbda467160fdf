#!/usr/bin/env bash
# Set-up for a fresh machine: Debian packages (QEMU + what the tiny profile's ISO is built from),
# npm dependencies, and the compiled CLI. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# qemu/qemu-img run builds; the rest builds the tiny test ISO (profiles/tiny/build-iso.sh).
# console-data's fonts let vmbench read text off graphical screens (read at run time, never
# copied). tmux is for the real-terminal tests. ansible-core + openssh-client run the ansible
# provisioner (ansible-playbook over ssh to the guest). debian-installer-12-netboot-amd64 is the
# real Debian installer the debian-12 fixture ISO is built from (scripts/fixtures/), whose fonts
# and templates tests read; xz-utils and zstd undo the compression of installer packages (udebs).
# mtools, dosfstools, libarchive-tools (bsdtar) and genisoimage (isoinfo) are only the tests' real
# readers of the CD and floppy images vmbench writes itself (src/media/); builds never run them.
# mmdebstrap, grub-pc-bin, fdisk (sfdisk) and e2fsprogs (mkfs.ext4 -d) build the Debian 12 cloud
# image the debian-12-cloud tests start from (scripts/fixtures/debian-cloud-image.sh) without a
# loop device or a mounted disk image.
# skopeo pushes containerDisks (the containerdisk post-processor's push); skopeo, umoci and
# docker-registry (a registry the push test runs itself on 127.0.0.1, with openssl's self-signed
# certificate) are the tests' real readers of the archives vmbench writes. apt enables the
# package's own docker-registry service (on :5000) where systemd runs; the tests never use it,
# and set-up must not leave a registry listening: it is stopped and disabled right after.
PACKAGES=(qemu-system-x86 qemu-utils linux-image-amd64 busybox-static dropbear-bin isolinux
  syslinux-common xorriso openssh-sftp-server cpio console-data tmux ansible-core openssh-client
  debian-installer-12-netboot-amd64 xz-utils zstd mtools dosfstools libarchive-tools genisoimage
  mmdebstrap grub-pc-bin fdisk e2fsprogs skopeo umoci docker-registry openssl)
# packer (the anchor of the benchmarks) and cloud-localds (the seed Packer users make by hand, seed 000).
if [ "${VMBENCH_WITH_PACKER:-0}" = 1 ]; then PACKAGES+=(packer cloud-image-utils); fi
# guestfs-tools (virt-sparsify, used by the convert post-processor's sparsify when present) pulls
# in libguestfs' appliance with mdadm and lvm2: opt-in, for the test that runs it for real.
if [ "${VMBENCH_WITH_GUESTFS:-0}" = 1 ]; then PACKAGES+=(guestfs-tools); fi
# vagrant and vagrant-libvirt (Ruby and some 60 gems, ~100 MB): opt-in, for the test that adds
# a box the vagrant post-processor wrote with `vagrant box add` (skipped without them).
if [ "${VMBENCH_WITH_VAGRANT:-0}" = 1 ]; then PACKAGES+=(vagrant vagrant-libvirt); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
    if printf '%s\n' "${missing[@]}" | grep -qx docker-registry && [ -d /run/systemd/system ]; then
      systemctl disable --now docker-registry.service >&2 || true
    fi
  else
    echo "setup: missing Debian packages. Run as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

# npm dependencies: install when node_modules does not match the lock file.
stamp=node_modules/.vmbench-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >&2
  echo "$want" > "$stamp"
fi

# Compile (fast when nothing changed).
npx tsc -p tsconfig.json >&2
