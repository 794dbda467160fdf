#!/bin/sh
# Provisioning for the openbsd-7 profile (runs as root). POSIX sh only — OpenBSD has no bash
# unless a package brings it. Seed 002's style: each part of the work between BEGIN{name} and
# END{name} lines, so vmbench (and `vmbench sections build.log`) shows it as a section with its
# own status and duration.
set -eu
rule() { echo "============================================================================"; }

rule
echo "BEGIN{system}"
uname -a
sysctl -n kern.version | head -n 1
echo "END{system}"

rule
echo "BEGIN{install_packages}"
# From the package mirror in /etc/installurl (written by the installer).
pkg_add -I curl
echo "END{install_packages}"

rule
echo "BEGIN{zero_freespace}"
# Zeroed free space compresses away when the image is converted.
dd if=/dev/zero of=/EMPTY bs=1m 2>/dev/null || true
rm -f /EMPTY
sync
echo "END{zero_freespace}"
rule
