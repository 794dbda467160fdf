/**
 * A KubeVirt containerDisk written by vmbench itself, without buildah or docker: the disk image in
 * a one-layer container image, as `FROM scratch` + `ADD --chown=107:107 <image> /disk/` makes it.
 * The layer is a tar of `disk/` (0555) and `disk/<image>` (0440), both owned by 107:107 (KubeVirt's
 * qemu user), optionally gzip-compressed (pgzip.ts, every core). The image goes into
 *  - an OCI image archive (`oci`): a tar of an OCI image layout (oci-layout, index.json,
 *    blobs/sha256/…), what `skopeo … oci-archive:FILE` reads; the tag is the index entry's
 *    org.opencontainers.image.ref.name (`oci-archive:FILE:TAG`), `name:tag` its
 *    io.containerd.image.name;
 *  - or a docker-archive (`docker`): manifest.json (Config, RepoTags, Layers), the config and the
 *    layer tar, what `docker load` and `skopeo … docker-archive:FILE` read.
 * Output is deterministic: every mtime and the config's dates are `created` (default:
 * SOURCE_DATE_EPOCH, else the disk's mtime), so the same disk gives the same digests, byte for byte.
 *
 * One pass over the disk: the layer is hashed (its diff_id, and its blob digest once compressed)
 * while it is written into the archive; the layer's tar header in the archive is written as a
 * placeholder block and rewritten in place when its name (the digest) and size are known. The
 * archive is written to a temporary file beside the target and renamed into place when whole
 * (engine/post-processors/atomic.ts); a failure or an abort removes it. Plain functions: a disk
 * path in, an archive out; nothing here knows about builds.
 */
import {createHash} from 'node:crypto';
import {createReadStream, type Stats} from 'node:fs';
import {open, stat} from 'node:fs/promises';
import path from 'node:path';
import {pipeline as pipelineCallback, Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {createAtomicStream} from '../engine/post-processors/atomic.js';
import {createParallelGzip} from '../engine/post-processors/pgzip.js';
import {BLOCK, entryHeader, fileEntry, fixedHeader, padding, trailer} from './tar-entry.js';

/** KubeVirt's qemu user and group, which must be able to read the disk. */
export const QEMU_UID = 107;
export const QEMU_GID = 107;
export const DISK_MODE = 0o440;
export const DISK_DIR_MODE = 0o555;

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export type ContainerDiskArchive = 'oci' | 'docker';

/** A failure the user can act on; `hint` says what to do. */
export class ContainerDiskError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ContainerDiskError';
  }
}

export interface ContainerDiskOptions {
  /** The disk image (qcow2, raw…): read, never changed. */
  disk: string;
  /** The archive to write (its folder is created). */
  output: string;
  archive?: ContainerDiskArchive;
  /** Repository recorded in the archive (RepoTags; io.containerd.image.name). Default `containerdisk`. */
  imageName?: string;
  /** Default `latest`. */
  imageTag?: string;
  layerCompression?: 'none' | 'gzip';
  /** gzip level 1–9 (default zlib's 6) and threads (default: every core). */
  gzipLevel?: number;
  gzipParallel?: number;
  /** The image's date and every mtime in it. Default: SOURCE_DATE_EPOCH from `env`, else the disk's mtime. */
  created?: Date;
  /** OCI architecture (amd64, arm64…). Default amd64. */
  architecture?: string;
  /** For SOURCE_DATE_EPOCH; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  /** Bytes of the disk read so far, of `total`. */
  onProgress?: (done: number, total: number) => void;
}

export interface ContainerDiskResult {
  file: string;
  archive: ContainerDiskArchive;
  /** Size of the archive. */
  bytes: number;
  /** `name:tag` recorded in the archive. */
  reference: string;
  /** The OCI manifest's digest (oci archives): what a registry reports for the image when pushed as is. */
  manifestDigest?: string;
  /** The config's digest: docker's image id. */
  configDigest: string;
  /** The layer blob's digest and size (compressed when gzip). */
  layerDigest: string;
  layerBytes: number;
  /** sha256 of the uncompressed layer: the config's rootfs.diff_ids[0]. */
  diffId: string;
  created: string;
  diskBytes: number;
}

/** Docker's reference grammar (distribution/reference): a path of lower-case components, optionally after a registry host[:port]. */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?';
const NAME_RE = new RegExp(`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;

/** Why `name` is not a repository name a registry takes, or undefined when it is. */
export function imageNameProblem(name: string): string | undefined {
  if (!name) return 'is empty';
  if (name.length > 255) return `is ${name.length} characters long (at most 255)`;
  if (!NAME_RE.test(name)) return `${JSON.stringify(name)} is not a repository name: lower-case letters, digits and . _ - between them, components separated by /, optionally after a registry host[:port]/`;
  return undefined;
}

/** Why `tag` is not a tag, or undefined when it is. */
export function imageTagProblem(tag: string): string | undefined {
  if (!TAG_RE.test(tag)) return `${JSON.stringify(tag)} is not a tag: letters, digits, _ . - (not first), at most 128 characters`;
  return undefined;
}

/** SOURCE_DATE_EPOCH when set, else the disk's mtime, to the second. */
export function defaultCreated(disk: Pick<Stats, 'mtimeMs'>, env: Readonly<Record<string, string | undefined>> = process.env): Date {
  const epoch = env.SOURCE_DATE_EPOCH?.trim();
  if (epoch) {
    if (!/^\d+$/.test(epoch)) throw new ContainerDiskError(`SOURCE_DATE_EPOCH: ${JSON.stringify(epoch)} is not a number of seconds since 1970`);
    return new Date(Number(epoch) * 1000);
  }
  return new Date(Math.floor(disk.mtimeMs / 1000) * 1000);
}

/** RFC 3339 as Go writes it: no fraction when there is none. */
const rfc3339 = (d: Date): string => d.toISOString().replace('.000Z', 'Z');
const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const hexOf = (digest: string): string => digest.slice('sha256:'.length);
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** The image config: one layer, amd64/linux unless told, and the ADD that made it. */
export function imageConfig(o: {created: string; architecture: string; diffId: string; diskName: string}): Buffer {
  return json({
    created: o.created,
    architecture: o.architecture,
    os: 'linux',
    config: {},
    rootfs: {type: 'layers', diff_ids: [o.diffId]},
    history: [{created: o.created, created_by: `ADD --chown=${QEMU_UID}:${QEMU_GID} ${o.diskName} /disk/`, comment: 'vmbench containerdisk'}],
  });
}

/** The disk's layer, as a tar stream: `disk/`, then `disk/<name>` read from the disk, then the end blocks. */
async function* layerTar(disk: string, diskName: string, size: number, mtime: number, signal: AbortSignal | undefined, onRead: (n: number) => void): AsyncGenerator<Buffer> {
  const owner = {uid: QEMU_UID, gid: QEMU_GID, mtime};
  yield entryHeader({name: 'disk/', type: 'dir', mode: DISK_DIR_MODE, size: 0, ...owner});
  yield entryHeader({name: `disk/${diskName}`, type: 'file', mode: DISK_MODE, size, ...owner});
  let n = 0;
  for await (const chunk of createReadStream(disk, {signal, highWaterMark: 1 << 20})) {
    n += (chunk as Buffer).length;
    if (n > size) break;
    onRead(n);
    yield chunk as Buffer;
  }
  if (n !== size) throw new ContainerDiskError(`${disk} changed size while being written into the containerDisk (${size} → ${n > size ? `more than ${size}` : n} bytes)`, 'write the containerDisk when nothing else writes the image');
  yield padding(size);
  yield trailer();
}

/** Write the containerDisk archive; see the module comment. */
export async function writeContainerDisk(o: ContainerDiskOptions): Promise<ContainerDiskResult> {
  const archive = o.archive ?? 'oci';
  const name = o.imageName ?? 'containerdisk';
  const tag = o.imageTag ?? 'latest';
  const nameProblem = imageNameProblem(name);
  if (nameProblem) throw new ContainerDiskError(`image name ${nameProblem}`);
  const tagProblem = imageTagProblem(tag);
  if (tagProblem) throw new ContainerDiskError(`image tag ${tagProblem}`);
  const gzip = (o.layerCompression ?? 'none') === 'gzip';
  const st = await stat(o.disk).catch((err: NodeJS.ErrnoException) => {
    throw new ContainerDiskError(`the disk image ${o.disk} cannot be read: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  if (!st.isFile()) throw new ContainerDiskError(`the disk image ${o.disk} is not a regular file`);
  if (path.resolve(o.output) === path.resolve(o.disk)) throw new ContainerDiskError(`the containerDisk archive ${o.output} would replace the disk image it is made from`);
  const diskName = path.basename(o.disk);
  const createdDate = o.created ?? defaultCreated(st, o.env);
  if (Number.isNaN(createdDate.getTime()) || createdDate.getTime() < 0) throw new ContainerDiskError(`created: ${String(createdDate)} is not a date after 1970`);
  const mtime = Math.floor(createdDate.getTime() / 1000);
  const created = rfc3339(new Date(mtime * 1000));
  const architecture = o.architecture ?? 'amd64';
  const total = st.size;

  // Hashes filled in while the archive is written.
  const diffHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let blobBytes = 0;
  let layerHeaderAt = -1;
  let layerHeader: Buffer | undefined;
  const meta: Pick<ContainerDiskResult, 'manifestDigest' | 'configDigest' | 'layerDigest' | 'diffId'> = {configDigest: '', layerDigest: '', diffId: ''};

  async function* hashedLayer(): AsyncGenerator<Buffer> {
    for await (const b of layerTar(o.disk, diskName, total, mtime, o.signal, (n) => o.onProgress?.(n, total))) {
      diffHash.update(b);
      yield b;
    }
  }

  /** The layer blob: the tar itself, or it through parallel gzip (an error on either side ends the iteration). */
  function layerBlob(): AsyncIterable<Buffer> {
    const source = Readable.from(hashedLayer(), {objectMode: false});
    if (!gzip) return source;
    const gz = createParallelGzip({...(o.gzipLevel ? {level: o.gzipLevel} : {}), ...(o.gzipParallel ? {parallel: o.gzipParallel} : {})});
    return pipelineCallback(source, gz, () => undefined);
  }

  const top = {uid: 0, gid: 0, mtime};
  async function* archiveStream(): AsyncGenerator<Buffer> {
    let offset = 0;
    if (archive === 'oci') {
      for (const dir of ['blobs/', 'blobs/sha256/']) {
        yield entryHeader({name: dir, type: 'dir', mode: 0o755, size: 0, ...top});
        offset += BLOCK;
      }
    }
    // The layer's header: rewritten in place once its digest and size are known.
    layerHeaderAt = offset;
    yield Buffer.alloc(BLOCK);
    for await (const chunk of layerBlob()) {
      blobHash.update(chunk);
      blobBytes += chunk.length;
      yield chunk;
    }
    yield padding(blobBytes);

    meta.diffId = `sha256:${diffHash.digest('hex')}`;
    meta.layerDigest = `sha256:${blobHash.digest('hex')}`;
    const config = imageConfig({created, architecture, diffId: meta.diffId, diskName});
    meta.configDigest = sha256(config);
    if (archive === 'oci') {
      layerHeader = fixedHeader({name: `blobs/sha256/${hexOf(meta.layerDigest)}`, mode: 0o644, size: blobBytes, ...top});
      const manifest = json({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: {mediaType: MEDIA_TYPES.ociConfig, digest: meta.configDigest, size: config.length},
        layers: [{mediaType: gzip ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.ociLayer, digest: meta.layerDigest, size: blobBytes}],
        annotations: {'org.opencontainers.image.created': created},
      });
      meta.manifestDigest = sha256(manifest);
      const index = json({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests: [
          {
            mediaType: MEDIA_TYPES.ociManifest,
            digest: meta.manifestDigest,
            size: manifest.length,
            annotations: {'io.containerd.image.name': `${name}:${tag}`, 'org.opencontainers.image.ref.name': tag},
          },
        ],
      });
      yield fileEntry({name: `blobs/sha256/${hexOf(meta.configDigest)}`, mode: 0o644, ...top}, config);
      yield fileEntry({name: `blobs/sha256/${hexOf(meta.manifestDigest)}`, mode: 0o644, ...top}, manifest);
      yield fileEntry({name: 'index.json', mode: 0o644, ...top}, index);
      yield fileEntry({name: 'oci-layout', mode: 0o644, ...top}, json({imageLayoutVersion: '1.0.0'}));
    } else {
      // As skopeo names them in the docker-archives it writes: <diff id>.tar and <config digest>.json.
      const layerFile = `${hexOf(meta.diffId)}.tar`;
      layerHeader = fixedHeader({name: layerFile, mode: 0o644, size: blobBytes, ...top});
      const configFile = `${hexOf(meta.configDigest)}.json`;
      yield fileEntry({name: configFile, mode: 0o644, ...top}, config);
      yield fileEntry({name: 'manifest.json', mode: 0o644, ...top}, json([{Config: configFile, RepoTags: [`${name}:${tag}`], Layers: [layerFile]}]));
    }
    yield trailer();
  }

  const out = await createAtomicStream(o.output).catch((err: Error) => {
    throw new ContainerDiskError(`cannot write ${o.output}: ${err.message}`);
  });
  try {
    await pipeline(Readable.from(archiveStream(), {objectMode: false}), out.stream, ...(o.signal ? [{signal: o.signal}] : []));
    if (!layerHeader || layerHeaderAt < 0) throw new Error('internal: the layer header was not made');
    await new Promise<void>((resolve) => (out.stream.closed ? resolve() : out.stream.once('close', () => resolve())));
    const fh = await open(out.tmp, 'r+');
    try {
      await fh.write(layerHeader, 0, BLOCK, layerHeaderAt);
    } finally {
      await fh.close();
    }
    o.signal?.throwIfAborted();
    await out.commit();
  } catch (err) {
    await out.discard();
    if (o.signal?.aborted) throw o.signal.reason;
    if (err instanceof ContainerDiskError) throw err;
    throw new ContainerDiskError(`writing the containerDisk ${o.output} failed: ${(err as Error).message}`);
  }
  const bytes = (await stat(o.output)).size;
  return {
    file: o.output,
    archive,
    bytes,
    reference: `${name}:${tag}`,
    ...meta,
    layerBytes: blobBytes,
    created,
    diskBytes: total,
  };
}
