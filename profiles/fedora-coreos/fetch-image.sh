#!/usr/bin/env bash
# Get the Fedora CoreOS qemu image for the fedora-coreos profile (its iso_build script).
#
# Usage: bash fetch-image.sh <cache-dir>
#
# vmbench downloads and checks ISOs and images itself, but does not decompress them, and Fedora
# CoreOS publishes its qemu image only as .qcow2.xz. This script does what vmbench cannot:
# it reads the stream's metadata (streams/<stream>.json), downloads the .qcow2.xz (resuming a
# partial download), checks its sha256, decompresses it with xz, checks the uncompressed
# image's sha256 (both from the metadata) and keeps it in <cache-dir>/fedora-coreos/. An image
# already there that still matches is used as it is (so is a verified .xz whose image did not
# match: nothing is downloaded twice). Prints only the image's absolute path on
# stdout (last line); progress and messages go to stderr.
#
# Environment:
#   FCOS_STREAM      stable (default), testing or next
#   FCOS_STREAM_URL  the metadata's URL (default: the official one for FCOS_STREAM)
#   FCOS_IMAGE       an already decompressed qcow2 to use instead (no download, no check)
# Needs curl, xz and node (vmbench's own runtime, used to read the JSON).
set -euo pipefail

log() { printf 'fetch-image: %s\n' "$*" >&2; }
die() { printf 'fetch-image: ERROR %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: bash $0 <cache-dir>" >&2; exit 2; }

if [ -n "${FCOS_IMAGE:-}" ]; then
  [ -f "$FCOS_IMAGE" ] || die "FCOS_IMAGE=$FCOS_IMAGE: no such file"
  log "using FCOS_IMAGE $FCOS_IMAGE (not checked)"
  readlink -f "$FCOS_IMAGE"
  exit 0
fi

for tool in curl xz node sha256sum; do
  command -v "$tool" >/dev/null || die "$tool is needed (Debian: apt-get install curl xz-utils coreutils)"
done

STREAM=${FCOS_STREAM:-stable}
META_URL=${FCOS_STREAM_URL:-https://builds.coreos.fedoraproject.org/streams/$STREAM.json}
mkdir -p "$1/fedora-coreos"
DIR=$(cd "$1/fedora-coreos" && pwd -P)

log "reading $META_URL"
META=$(curl -fsSL "$META_URL") || die "could not read the stream metadata $META_URL"
# release, location, sha256, uncompressed-sha256 of the x86_64 qemu qcow2.xz, one per line.
FIELDS=$(printf '%s' "$META" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const q = JSON.parse(s).architectures?.x86_64?.artifacts?.qemu;
    const d = q?.formats?.["qcow2.xz"]?.disk;
    if (!q?.release || !d?.location || !d.sha256 || !d["uncompressed-sha256"]) { console.error("no x86_64 qemu qcow2.xz in the metadata"); process.exit(1); }
    console.log([q.release, d.location, d.sha256, d["uncompressed-sha256"]].join("\n"));
  });') || die "unexpected stream metadata from $META_URL"
{ read -r RELEASE; read -r LOCATION; read -r SHA_XZ; read -r SHA_IMG; } <<<"$FIELDS"
case $RELEASE in *[!A-Za-z0-9._-]*) die "unexpected release name '$RELEASE'";; esac

IMG=$DIR/fedora-coreos-$RELEASE-qemu.x86_64.qcow2
XZ=$IMG.xz
sha() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$IMG" ]; then
  if [ "$(sha "$IMG")" = "$SHA_IMG" ]; then
    log "using cached $IMG"
    echo "$IMG"
    exit 0
  fi
  log "cached $IMG no longer matches its sha256: fetching it again"
  rm -f "$IMG"
fi

if [ ! -f "$XZ" ] || [ "$(sha "$XZ")" != "$SHA_XZ" ]; then
  rm -f "$XZ"
  log "downloading $LOCATION (Fedora CoreOS $STREAM $RELEASE)"
  curl -fsSL --retry 3 -C - -o "$XZ.part" "$LOCATION" >&2 || die "download failed: $LOCATION (run again to resume)"
  got=$(sha "$XZ.part")
  if [ "$got" != "$SHA_XZ" ]; then
    rm -f "$XZ.part"
    die "checksum mismatch for $LOCATION: expected sha256:$SHA_XZ, got sha256:$got"
  fi
  mv "$XZ.part" "$XZ"
fi

log "decompressing $(basename "$XZ")"
xz -dc "$XZ" >"$IMG.part" || { rm -f "$IMG.part"; die "xz could not decompress $XZ"; }
got=$(sha "$IMG.part")
if [ "$got" != "$SHA_IMG" ]; then
  rm -f "$IMG.part"
  die "the decompressed image does not match: expected sha256:$SHA_IMG, got sha256:$got"
fi
mv "$IMG.part" "$IMG"
rm -f "$XZ"
echo "$IMG"
