/**
 * The on-disk cache of what loadInstallerAssets found on an ISO: `<cacheDir>/installer-assets/<key>/`
 * with index.json (notes, where each templates file and font came from), templates.txt (the
 * templates files' text one after the other: d-i's carry every translation, 3.4 MB that
 * JSON.parse takes 25 ms over and a plain read 2 ms) and the font files as they were in the initrd. The key is made from the ISO's identity (size, mtime, volume id) and the
 * extractor's version, so a changed ISO or a newer extractor reads the ISO again. Written to a
 * temporary directory and renamed into place, so a reader never sees half an entry.
 */
import {createHash} from 'node:crypto';
import {mkdir, mkdtemp, readFile, rename, rm, writeFile} from 'node:fs/promises';
import path from 'node:path';

/** Bump when what the extractor finds changes, so old cache entries are not used. */
export const EXTRACTOR_VERSION = 1;

export interface TemplateFile {
  /** Where dpkg keeps it in the installer: `var/lib/dpkg/info/netcfg.templates`. */
  path: string;
  text: string;
  /** Where it was read: the initrd's path on the ISO, or the udeb's. */
  source: string;
}

export interface CachedFont {
  /** The font's path inside its initrd (`lib/unifont.bgf`). */
  path: string;
  /** The initrd's path on the ISO. */
  source: string;
  kind: 'bgf' | 'psf';
}

export interface CacheEntry {
  initrds: string[];
  notes: string[];
  templateFiles: TemplateFile[];
  fonts: (CachedFont & {data: Buffer})[];
}

interface IndexFile {
  version: number;
  iso: IsoIdentity;
  initrds: string[];
  notes: string[];
  /** Each file's text is bytes [start, end) of templates.txt. */
  templateFiles: (Omit<TemplateFile, 'text'> & {start: number; end: number})[];
  fonts: (CachedFont & {file: string})[];
}

export interface IsoIdentity {
  bytes: number;
  mtimeMs: number;
  volumeId: string;
}

/** The cache directory for an ISO. */
export function cacheEntryDir(cacheDir: string, id: IsoIdentity): string {
  const key = createHash('sha256').update(JSON.stringify([id.bytes, Math.round(id.mtimeMs), id.volumeId, EXTRACTOR_VERSION])).digest('hex').slice(0, 20);
  return path.join(cacheDir, 'installer-assets', key);
}

/** The cached entry, or undefined when there is none (or it is unreadable: it is then removed). */
export async function readCacheEntry(dir: string): Promise<CacheEntry | undefined> {
  let index: IndexFile;
  try {
    index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as IndexFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    await rm(dir, {recursive: true, force: true});
    return undefined;
  }
  try {
    if (index.version !== EXTRACTOR_VERSION) throw new Error('version');
    const fonts = await Promise.all(index.fonts.map(async ({file, ...f}) => ({...f, data: await readFile(path.join(dir, file))})));
    const blob = await readFile(path.join(dir, 'templates.txt'));
    const templateFiles = index.templateFiles.map(({start, end, ...f}): TemplateFile => {
      if (end > blob.length) throw new Error('short templates.txt');
      // Decoded on first use: a build that never needs the templates does not pay ~20 ms for them.
      let text: string | undefined;
      return Object.defineProperty({...f}, 'text', {enumerable: true, get: () => (text ??= blob.toString('utf8', start, end))}) as TemplateFile;
    });
    return {initrds: index.initrds, notes: index.notes, templateFiles, fonts};
  } catch {
    await rm(dir, {recursive: true, force: true});
    return undefined;
  }
}

/** Store an entry atomically; a concurrent writer that got there first wins. */
export async function writeCacheEntry(dir: string, id: IsoIdentity, entry: CacheEntry): Promise<void> {
  const parent = path.dirname(dir);
  await mkdir(parent, {recursive: true});
  const tmp = await mkdtemp(path.join(parent, `.tmp-${path.basename(dir)}-`));
  try {
    await mkdir(path.join(tmp, 'fonts'));
    const fonts: IndexFile['fonts'] = [];
    for (const [i, {data, ...f}] of entry.fonts.entries()) {
      const file = `fonts/${i}-${path.posix.basename(f.path)}`;
      await writeFile(path.join(tmp, file), data);
      fonts.push({...f, file});
    }
    const texts: Buffer[] = [];
    let at = 0;
    const templateFiles = entry.templateFiles.map(({text, ...f}) => {
      const bytes = Buffer.from(text, 'utf8');
      texts.push(bytes);
      at += bytes.length;
      return {...f, start: at - bytes.length, end: at};
    });
    await writeFile(path.join(tmp, 'templates.txt'), Buffer.concat(texts));
    const index: IndexFile = {version: EXTRACTOR_VERSION, iso: id, initrds: entry.initrds, notes: entry.notes, templateFiles, fonts};
    await writeFile(path.join(tmp, 'index.json'), JSON.stringify(index, null, 1));
    await rename(tmp, dir).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST' && err.code !== 'ENOTEMPTY') throw err;
    });
  } finally {
    await rm(tmp, {recursive: true, force: true});
  }
}
