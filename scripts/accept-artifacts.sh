#!/usr/bin/env bash
# npm run accept:artifacts — issue #12 on a real distribution: the debian-12-cloud profile built
# from the Debian 12 cloud image fixture (scripts/fixtures/debian-cloud-image.sh; apt install
# skipped, as in the default suite), with zero_free_space and
#   --also raw,vmdk,vdi,vhd,vhdx,qcow2,containerdisk --timestamp
# then checked with the host's own tools: sha256sum -c, qemu-img check/compare for every format,
# skopeo + umoci for the containerDisk (the disk at /disk/, 107:107, byte for byte). Prints the
# build's step times and every artifact's size against the virtual size (from the manifest).
# Exit status 1 when a check fails. --keep keeps the output.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1
CACHE=${VMBENCH_TEST_CACHE:-/tmp/vmbench-test-cache}
WORK=$(mktemp -d /tmp/vmbench-accept-artifacts-XXXXXX)
cleanup() { [ "$KEEP" = 1 ] && echo "kept: $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "accept:artifacts: FAILED: $*" >&2; exit 1; }

t0=$(date +%s)
IMAGE=$(bash "$ROOT/scripts/fixtures/debian-cloud-image.sh" "$CACHE/fixtures")
echo "fixture: $IMAGE ($(( $(date +%s) - t0 )) s)"

t1=$(date +%s)
CI=true XDG_STATE_HOME="$WORK/state" node "$ROOT/bin/vmbench" build debian-12-cloud --plain \
  --var "image_url=$IMAGE" --var image_checksum=none --var packages= \
  --output "$WORK/out" --cache-dir "$CACHE" --timestamp \
  --also raw,vmdk,vdi,vhd,vhdx,qcow2,containerdisk > "$WORK/build.out" 2>&1 || { tail -40 "$WORK/build.out"; fail "the build"; }
echo "build: $(( $(date +%s) - t1 )) s"
OUT=$(ls -d "$WORK"/out-*)
echo "output folder: $(basename "$OUT")"
[[ $(basename "$OUT") =~ ^out-[0-9]{8}-[0-9]{6}$ ]] || fail "the output folder has no timestamp"
cd "$OUT"
sha256sum -c --strict --quiet SHA256SUMS || fail "sha256sum -c"
echo "sha256sum -c SHA256SUMS: OK ($(wc -l < SHA256SUMS) files)"
IMG=debian-12-cloud.qcow2
[ -f "$IMG" ] || IMG=$(ls *.qcow2 | grep -v compressed | head -1)
stem=${IMG%.qcow2}
for pair in raw:raw vmdk:vmdk vdi:vdi vhd:vpc vhdx:vhdx compressed.qcow2:qcow2; do
  ext=${pair%%:*} fmt=${pair##*:}
  f="$stem.$ext"
  [ -f "$f" ] || fail "$f missing"
  case $fmt in qcow2|vdi|vhdx) qemu-img check -q "$f" || fail "qemu-img check $f";; esac
  qemu-img compare -q -f qcow2 -F "$fmt" "$IMG" "$f" || fail "qemu-img compare $IMG $f"
done
echo "qemu-img compare: every format holds the same disk as $IMG"
skopeo copy -q "oci-archive:$stem.containerdisk.tar" "oci:$WORK/layout:cd"
umoci unpack --image "$WORK/layout:cd" "$WORK/bundle" > /dev/null
cmp "$WORK/bundle/rootfs/disk/$IMG" "$IMG" || fail "the containerDisk's disk differs"
[ "$(stat -c %u:%g "$WORK/bundle/rootfs/disk/$IMG")" = 107:107 ] || fail "the containerDisk's disk is not 107:107"
echo "containerDisk: skopeo copies it, umoci unpacks /disk/$IMG (107:107), identical"
node -e '
const m = JSON.parse(require("fs").readFileSync("manifest.json", "utf8")).builds[0].vmbench;
console.log("steps: " + m.steps.map((s) => `${s.id} ${s.seconds.toFixed(1)}s`).join(", "));
for (const a of m.artifacts) console.log(`  ${a.file.padEnd(36)} ${(a.size / 1048576).toFixed(1).padStart(8)} MiB` + (a.virtual_size ? `  ${(a.ratio * 100).toFixed(1).padStart(5)}% of ${(a.virtual_size / 1073741824).toFixed(1)} GiB` : ""));
console.log("tools: " + Object.entries(m.tools).map(([k, v]) => `${k}: ${v}`).join("; "));
'
echo "accept:artifacts: all checks passed in $(( $(date +%s) - t0 )) s"
