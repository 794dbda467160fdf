#!/bin/sh
# Provisioning for debian-12-cloud, in seed 002's style: each part of the work between
# BEGIN{name} and END{name} lines, so vmbench shows it as a section with its own status and time.
# Runs as root (the profile's execute_command uses sudo); PACKAGES comes from the profile.
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

if [ -n "${PACKAGES:-}" ]; then
  rule
  echo "BEGIN{install_packages}"
  apt-get update -q
  # shellcheck disable=SC2086 # a list of package names
  apt-get install -y -q --no-install-recommends $PACKAGES
  echo "END{install_packages}"

  rule
  echo "BEGIN{clean_packages}"
  apt-get clean
  rm -rf /var/lib/apt/lists/*
  echo "END{clean_packages}"
fi

rule
