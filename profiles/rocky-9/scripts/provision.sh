#!/bin/sh
# Provisioning for the rocky-9 profile (runs as root), in seed 002's style: each part of the
# work between BEGIN{name} and END{name} lines, so vmbench (and `vmbench sections build.log`)
# shows it as a section with its own status and duration.
set -eu
rule() { echo "============================================================================"; }

rule
echo "BEGIN{system}"
cat /etc/rocky-release
uname -r
echo "END{system}"

rule
echo "BEGIN{install_packages}"
# From the distribution's repositories (their mirrorlist, as installed).
dnf -y -q install ca-certificates curl
echo "END{install_packages}"

rule
echo "BEGIN{clean_packages}"
dnf -y -q autoremove
dnf -q clean all
rm -rf /var/cache/dnf/*
echo "END{clean_packages}"

rule
echo "BEGIN{zero_freespace}"
# Zeroed free space compresses away when the image is converted.
dd if=/dev/zero of=/EMPTY bs=1M 2>/dev/null || true
rm -f /EMPTY
sync
echo "END{zero_freespace}"
rule
