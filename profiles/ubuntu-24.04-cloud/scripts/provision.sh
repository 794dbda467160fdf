#!/bin/sh
# Provisioning for the ubuntu-24.04-cloud profile (runs as root through sudo), in seed 002's
# style: each part of the work between BEGIN{name} and END{name} lines, so vmbench (and
# `vmbench sections build.log`) shows it as a section with its own status and duration.
# cloud-init has finished when this runs (vmbench waits for it), and its clean-up runs after.
set -eu
export DEBIAN_FRONTEND=noninteractive
rule() { echo "============================================================================"; }

rule
echo "BEGIN{system_info}"
. /etc/os-release
echo "system: $PRETTY_NAME, kernel $(uname -r)"
echo "cloud-init: $(cloud-init --version 2>&1)"
df -h /
echo "END{system_info}"

rule
echo "BEGIN{apt_update}"
apt-get update -q
echo "END{apt_update}"

rule
echo "BEGIN{install_packages}"
apt-get install -y -q --no-install-recommends ca-certificates curl
echo "END{install_packages}"

rule
echo "BEGIN{clean_packages}"
apt-get -y -q autoremove --purge
apt-get clean
rm -rf /var/lib/apt/lists/*
echo "END{clean_packages}"

rule
echo "BEGIN{zero_freespace}"
# Zeroed free space compresses away when the image is converted.
dd if=/dev/zero of=/EMPTY bs=1M 2>/dev/null || true
rm -f /EMPTY
sync
echo "END{zero_freespace}"
rule
