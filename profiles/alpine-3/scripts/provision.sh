#!/bin/sh
# Provisioning for the alpine-3 profile (runs as root, busybox ash), in seed 002's style: each
# part of the work between BEGIN{name} and END{name} lines, so vmbench (and `vmbench sections
# build.log`) shows it as a section with its own status and duration.
set -eu
rule() { echo "============================================================================"; }

rule
echo "BEGIN{system}"
cat /etc/alpine-release
uname -r
echo "END{system}"

rule
echo "BEGIN{apk_update}"
apk update -q
echo "END{apk_update}"

rule
echo "BEGIN{install_packages}"
apk add -q ca-certificates curl
echo "END{install_packages}"

rule
echo "BEGIN{clean_packages}"
rm -rf /var/cache/apk/*
echo "END{clean_packages}"

rule
echo "BEGIN{zero_freespace}"
# Zeroed free space compresses away when the image is converted.
dd if=/dev/zero of=/EMPTY bs=1M 2>/dev/null || true
rm -f /EMPTY
sync
echo "END{zero_freespace}"
rule
