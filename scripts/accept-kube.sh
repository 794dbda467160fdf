#!/usr/bin/env bash
# npm run accept:kube — vmbench's own image built here from the repo's Containerfile with Debian's
# buildah, then checked from inside: the tools are there, vmbench runs, and the build command a
# `vmbench kube job` Job runs builds the tiny guest (TCG) in the image, the profile carried the
# way the Job carries it (ConfigMap items laid out as kubelet does, copied by the init container's
# own command).
#
# The official base image (node:20-bookworm-slim) cannot be pulled on these machines (no network
# but the Debian and npm mirrors), so a stand-in is made: Debian bookworm minbase by mmdebstrap
# from the host's own apt sources, with the host's Node 20 in /usr/local as the node image has it,
# the host's extra CA certificates, and npm pointed at the registry the host's npm uses. Nothing
# is pulled; the Containerfile is built as it is, with --build-arg BASE=<that image>.
#
# buildah runs with --isolation=chroot: crun cannot start containers here (cgroups v1 in hybrid
# mode, and setrlimit is refused), so neither `buildah build` with the default isolation nor
# `podman run` works; chroot isolation needs neither.
#
# Prints the figures (times, image size); exit status 1 when a check fails. --keep keeps the
# images (localhost/vmbench-accept:<version>) and the work folder.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1
VERSION=$(node -p "require('$ROOT/package.json').version")
TAG="accept-$$"
BASE_IMG="localhost/vmbench-accept-base:$TAG"
IMG="localhost/vmbench-accept:$VERSION-$TAG"
WORK=$(mktemp -d /tmp/vmbench-accept-kube-XXXXXX)
CONTAINER=""
FAILED=0

log() { printf '%s\n' "$*"; }
check() { # check "what" command…
  local what=$1; shift
  if "$@" >"$WORK/check.out" 2>&1; then log "ok   $what"; else log "FAIL $what"; sed 's/^/     /' "$WORK/check.out" | tail -20; FAILED=1; fi
}
cleanup() {
  [ -n "$CONTAINER" ] && buildah rm "$CONTAINER" >/dev/null 2>&1 || true
  if [ "$KEEP" = 0 ]; then
    buildah rmi "$IMG" "$BASE_IMG" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  else
    log "kept: $IMG, $BASE_IMG, $WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Debian's buildah (and podman for import/inspect), mmdebstrap for the base: installed when missing.
need=()
for tool in buildah podman mmdebstrap; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { log "accept:kube needs ${need[*]}: sudo apt-get install ${need[*]}"; exit 2; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
fi
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f s", (b - a) / 1e9 }'; }

# --- 1. The stand-in base: bookworm minbase + the host's Node 20, made from the host's apt sources.
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && grep -qE '^[[:space:]]*(deb|URIs:)' "$f" && sources+=("$f")
done
[ ${#sources[@]} -gt 0 ] || { log "no apt sources on this host"; exit 2; }
NODE=$(command -v node)
NPM_DIR=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
REGISTRY=$(npm config get registry)
t0=$(date +%s%N)
mmdebstrap --quiet --variant=minbase --include=ca-certificates,libstdc++6 \
  --customize-hook="cp -a '$NODE' \"\$1/usr/local/bin/node\"" \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a '$NPM_DIR' \"\$1/usr/local/lib/node_modules/npm\"" \
  --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
  --customize-hook='cp -a /usr/local/share/ca-certificates/. "$1/usr/local/share/ca-certificates/" 2>/dev/null || true; chroot "$1" update-ca-certificates >/dev/null' \
  --customize-hook="mkdir -p \"\$1/usr/local/etc\" && printf 'registry=%s\ncafile=/etc/ssl/certs/ca-certificates.crt\n' '$REGISTRY' > \"\$1/usr/local/etc/npmrc\"" \
  bookworm "$WORK/base.tar" "${sources[@]}"
podman import "$WORK/base.tar" "$BASE_IMG" >/dev/null
rm -f "$WORK/base.tar"
t1=$(date +%s%N)
log "base image (mmdebstrap minbase + host Node $(node --version)): $(secs "$t0" "$t1")"

# --- 2. The image, from the Containerfile as committed, over the repo's files (tracked and new, not ignored).
mkdir -p "$WORK/context"
# Tracked and new files, deleted ones skipped (--ignore-failed-read).
(cd "$ROOT" && git ls-files -co --exclude-standard -z | grep -zv '^\.scratch/' | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$WORK/context" -xf -
t2=$(date +%s%N)
buildah build --isolation=chroot --pull=never --layers=false --build-arg "BASE=$BASE_IMG" -f "$WORK/context/Containerfile" -t "$IMG" "$WORK/context" >"$WORK/build.log" 2>&1 || {
  log "FAIL buildah build (last lines of the build log):"; tail -30 "$WORK/build.log"; exit 1; }
t3=$(date +%s%N)
SIZE=$(podman image inspect --format '{{.Size}}' "$IMG")
BASE_SIZE=$(podman image inspect --format '{{.Size}}' "$BASE_IMG")
log "image $IMG built: $(secs "$t2" "$t3"), $((SIZE / 1024 / 1024)) MiB (base $((BASE_SIZE / 1024 / 1024)) MiB)"

# --- 3. From inside the image.
CONTAINER=$(buildah from --pull=never "$IMG")
MNT_OUT="$WORK/pod/vmbench/output"
MNT_PROFILES="$WORK/pod/vmbench/profiles"
mkdir -p "$MNT_OUT" "$MNT_PROFILES" "$WORK/pod/tmp" "$WORK/pod/cache" "$WORK/iso"
chown -R 10001:10001 "$WORK/pod"
inside() { # inside [buildah run options…] -- command…
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  buildah run --isolation=chroot "${opts[@]}" "$CONTAINER" -- "$@"
}
check "vmbench --version is $VERSION" sh -c "[ \"\$(buildah run --isolation=chroot $CONTAINER -- vmbench --version)\" = 'vmbench $VERSION' ]"
check "the entrypoint is tini -- vmbench" sh -c "[ \"\$(buildah inspect --format '{{.OCIv1.Config.Entrypoint}}' $CONTAINER)\" = '[tini -- vmbench]' ]"
check "runs as uid 10001" sh -c "[ \"\$(buildah run --isolation=chroot $CONTAINER -- id -u)\" = 10001 ]"
check "qemu-system-x86_64, qemu-img, skopeo, ansible-playbook, ssh there" inside -- sh -c 'qemu-system-x86_64 --version && qemu-img --version && skopeo --version && ansible-playbook --version && ssh -V'
check "OVMF there" inside -- test -f /usr/share/OVMF/OVMF_CODE.fd
check "no genisoimage/xorriso (vmbench writes ISOs itself)" inside -- sh -c '! command -v genisoimage && ! command -v xorriso'
check "no dev dependencies in node_modules (vitest, typescript)" inside -- sh -c '! test -e /opt/vmbench/node_modules/vitest && ! test -e /opt/vmbench/node_modules/typescript'
check "vmbench validate debian-12 (built-in profiles in the image)" inside -- vmbench validate debian-12
node "$ROOT/bin/vmbench" kube job debian-12 --image "$IMG" >"$WORK/host.yaml"
inside -- vmbench kube job debian-12 --image "$IMG" >"$WORK/image.yaml" 2>"$WORK/image.err" || true
check "the image's vmbench prints the same Job as this checkout's" cmp "$WORK/host.yaml" "$WORK/image.yaml"

# --- 4. The Job's build, in the image: the tiny guest from a user profile folder, under TCG.
# The ISO is built on the host (the image has no busybox/dropbear/kernel for build-iso.sh) and
# given to the profile as a file at /vmbench/iso; the folder travels as the Job's ConfigMap.
ISO=$(bash "$ROOT/profiles/tiny/build-iso.sh" "$WORK/iso-cache" 2>/dev/null | tail -1)
cp "$ISO" "$WORK/iso/tiny.iso"
PROFILE="$WORK/user/tiny-kube"
mkdir -p "$(dirname "$PROFILE")"
cp -r "$ROOT/profiles/tiny" "$PROFILE"
rm -rf "$PROFILE/iso" "$PROFILE/build-iso.sh" "$PROFILE/packer"
sed -i -e 's|^iso_build: .*|iso_url: /vmbench/iso/tiny.iso|' "$PROFILE/profile.yaml"
node "$ROOT/bin/vmbench" kube job "$PROFILE" --kvm=none --image "$IMG" >"$WORK/tiny.yaml"
node --input-type=module - "$WORK/tiny.yaml" "$WORK/pod" >"$WORK/pod.json" <<'EOF'
// Lays the ConfigMap volume out as kubelet does (..data symlinks) and prints the build's args,
// env and the init container's command, with $(POD_NAME) expanded.
import {chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {parseAllDocuments} from 'yaml';
const [file, pod] = process.argv.slice(2);
const objs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).filter(Boolean);
const cm = objs.find((o) => o.kind === 'ConfigMap');
const job = objs.find((o) => o.kind === 'Job');
const spec = job.spec.template.spec;
const vol = spec.volumes.find((v) => v.configMap);
const src = path.join(pod, '/vmbench/profile-src');
const ts = path.join(src, '..2026_01_01');
for (const it of vol.configMap.items) {
  const f = path.join(ts, it.path);
  mkdirSync(path.dirname(f), {recursive: true});
  writeFileSync(f, cm.data?.[it.key] ?? Buffer.from(cm.binaryData[it.key], 'base64'));
  chmodSync(f, it.mode);
}
symlinkSync(path.basename(ts), path.join(src, '..data'));
symlinkSync('..data/profile', path.join(src, 'profile'));
const c = spec.containers[0];
const env = {POD_NAME: `${job.metadata.name}-accept`};
const expand = (s) => s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n) => (m === '$$' ? '$' : env[n] ?? m));
const envList = c.env.filter((e) => e.value !== undefined).map((e) => `${e.name}=${expand(e.value)}`);
console.log(JSON.stringify({init: spec.initContainers[0].command, args: c.args.map(expand), env: envList, job: job.metadata.name, deadline: job.spec.activeDeadlineSeconds}));
EOF
chown -R 10001:10001 "$WORK/pod"
INIT=$(node -p "JSON.parse(require('fs').readFileSync('$WORK/pod.json','utf8')).init.join('\n')")
ARGS=$(node -p "JSON.parse(require('fs').readFileSync('$WORK/pod.json','utf8')).args.join('\n')")
ENVS=$(node -p "JSON.parse(require('fs').readFileSync('$WORK/pod.json','utf8')).env.join('\n')")
JOB=$(node -p "JSON.parse(require('fs').readFileSync('$WORK/pod.json','utf8')).job")
VOLS=(-v "$WORK/pod/vmbench/profile-src:/vmbench/profile-src:ro" -v "$MNT_PROFILES:/vmbench/profiles" -v "$MNT_OUT:/vmbench/output" -v "$WORK/pod/cache:/vmbench/cache" -v "$WORK/pod/tmp:/tmp" -v "$WORK/iso:/vmbench/iso:ro")
mapfile -t init_cmd <<<"$INIT"
mapfile -t build_args <<<"$ARGS"
env_opts=()
while IFS= read -r e; do [ -n "$e" ] && env_opts+=(--env "$e"); done <<<"$ENVS"
check "init container: $(printf '%s ' "${init_cmd[@]}")" inside "${VOLS[@]}" -- "${init_cmd[@]}"
t4=$(date +%s%N)
# The entrypoint (tini -- vmbench; buildah run does not apply it, so it is spelled out): the Job's
# args follow it. Bounded as the Job is (activeDeadlineSeconds).
DEADLINE=$(node -p "JSON.parse(require('fs').readFileSync('$WORK/pod.json','utf8')).deadline")
if timeout --kill-after=30 "$DEADLINE" buildah run --isolation=chroot "${VOLS[@]}" "${env_opts[@]}" "$CONTAINER" -- tini -- vmbench "${build_args[@]}" >"$WORK/events.jsonl" 2>"$WORK/build.err"; then rc=0; else rc=$?; fi
t5=$(date +%s%N)
log "the Job's build in the image (tiny, TCG): exit $rc, $(secs "$t4" "$t5"), $(wc -l <"$WORK/events.jsonl") JSON events on stdout"
check "build exit status 0" test "$rc" = 0
check "stdout is the --json event stream (every line JSON)" node -e "for (const l of require('fs').readFileSync('$WORK/events.jsonl','utf8').split('\n').filter(Boolean)) JSON.parse(l)"
check "the image is on the output volume and qemu-img checks it" sh -c "ls '$MNT_OUT/$JOB'/*.qcow2 && qemu-img check '$MNT_OUT/$JOB'/*.qcow2"
check "logs on the volume under logs/$JOB/<pod>" sh -c "ls '$MNT_OUT/logs/$JOB/$JOB-accept/' | grep -q build.log"
check "no QEMU left running" sh -c "! pgrep -f '[q]emu-system.*$JOB' >/dev/null"
[ "$rc" = 0 ] || tail -20 "$WORK/build.err"

if [ "$FAILED" = 0 ]; then log "accept:kube: all checks passed"; else log "accept:kube: some checks FAILED"; exit 1; fi
