#!/bin/sh
# Provisioning for the fedora-coreos profile (runs as root through sudo), in seed 002's style:
# each part of the work between BEGIN{name} and END{name} lines, so vmbench (and `vmbench
# sections build.log`) shows it as a section with its own status and duration. The OS is an
# rpm-ostree image: configuration goes to /etc and /var; packages would be layered with
# `rpm-ostree install` and need a reboot, so this script adds none.
set -eu
rule() { echo "============================================================================"; }

rule
echo "BEGIN{system}"
. /etc/os-release
echo "$PRETTY_NAME"
rpm-ostree status --booted
echo "END{system}"

rule
echo "BEGIN{ignition}"
# What Ignition did on this first boot (its config came over fw_cfg and HTTP).
journalctl -b -o cat -t ignition --no-pager | tail -n 20 || true
echo "END{ignition}"

rule
echo "BEGIN{configure}"
mkdir -p /etc/vmbench
echo "built by vmbench from the fedora-coreos profile" >/etc/vmbench/build
echo "END{configure}"

rule
echo "BEGIN{clean_journal}"
journalctl --vacuum-time=1s
echo "END{clean_journal}"
rule
