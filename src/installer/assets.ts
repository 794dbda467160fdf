/**
 * What the OS installer on a bootable ISO really uses, read at run time from that ISO: its fonts
 * (bterm's /lib/unifont.bgf, console fonts `*.psf*`) and its debconf templates
 * (`var/lib/dpkg/info/*.templates`, cdebconf's templates.dat) from the initrd(s) its boot menus
 * load, plus the templates of the udebs a netinst carries under /pool. Nothing of it is copied
 * into this repository. The first load reads the ISO (about a second for an installer); the
 * result is cached per ISO (assets-cache.ts), so later builds pay milliseconds.
 */
import {stat} from 'node:fs/promises';
import path from 'node:path';
import {readCpio} from '../iso/cpio.js';
import {openIso, type IsoEntry, type IsoImage} from '../iso/iso9660.js';
import {parseBgf} from '../screen/bgf.js';
import {parsePsf, type ConsoleFont} from '../screen/font.js';
import {cacheEntryDir, readCacheEntry, writeCacheEntry, type CacheEntry, type CachedFont, type TemplateFile} from './assets-cache.js';
import {initrdRefs, isBootConfig, isInitrdName, refCandidates} from './boot-config.js';
import {MissingToolError, udebTemplates} from './udeb.js';

export type {TemplateFile} from './assets-cache.js';

/** One font file found in an initrd and the fonts parsed from it (a BGF gives one per glyph width). */
export interface InstallerFontFile extends CachedFont {
  fonts: ConsoleFont[];
}

export interface InstallerAssets {
  /** Every font of every font file, in the order found (the text initrd's first). */
  fonts: ConsoleFont[];
  fontFiles: InstallerFontFile[];
  /** One per package (the first found wins: an initrd's before a udeb's). */
  templateFiles: TemplateFile[];
  /** The initrds read, as paths on the ISO. */
  initrds: string[];
  /** What could not be read and why (unknown compression, a missing host tool, limits hit). */
  notes: string[];
  /** Whether this came from the cache. */
  cached: boolean;
  /** Milliseconds the load took. */
  ms: number;
}

export interface LoadInstallerAssetsOptions {
  /** The cache root (entries go under `<cacheDir>/installer-assets/`). */
  cacheDir: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** Directories of an ISO that hold packages or metadata, not boot menus. */
const NOT_BOOT_DIRS = new Set(['/pool', '/dists', '/firmware', '/.disk']);
const MAX_INITRDS = 8;
const MAX_INITRD_BYTES = 512 << 20;
const MAX_CONFIG_BYTES = 256 << 10;
const MAX_UDEBS = 3000;

const TEMPLATES_DAT = 'var/lib/cdebconf/templates.dat';
const isTemplateFile = (p: string): boolean => /^var\/lib\/dpkg\/info\/[^/]+\.templates$/.test(p) || p === TEMPLATES_DAT;
const fontKind = (p: string): 'bgf' | 'psf' | undefined => (/\.bgf$/i.test(p) ? 'bgf' : /\.psfu?(\.gz)?$/i.test(p) ? 'psf' : undefined);

/**
 * Load the installer assets of the ISO at `isoPath`, from the cache when this ISO was read
 * before. An ISO without an installer gives empty lists. Throws (naming the file) only when the
 * ISO cannot be opened as ISO 9660; unreadable parts become `notes`.
 */
export async function loadInstallerAssets(isoPath: string, opts: LoadInstallerAssetsOptions): Promise<InstallerAssets> {
  const started = performance.now();
  const st = await stat(isoPath);
  const iso = await openIso(isoPath);
  try {
    const id = {bytes: st.size, mtimeMs: st.mtimeMs, volumeId: iso.volumeId};
    const dir = cacheEntryDir(opts.cacheDir, id);
    let entry = await readCacheEntry(dir);
    const cached = entry !== undefined;
    if (!entry) {
      opts.log?.(`installer assets: reading ${path.basename(isoPath)} (once: cached after)`);
      entry = await extract(iso, opts.signal);
      await writeCacheEntry(dir, id, entry).catch((err: Error) => opts.log?.(`installer assets: not cached: ${err.message}`));
    }
    return {...assemble(entry), cached, ms: Math.round(performance.now() - started)};
  } finally {
    await iso.close();
  }
}

/** Parse the cached font files (cheap: a few ms for unifont) and put the result together. */
function assemble(entry: CacheEntry): Omit<InstallerAssets, 'cached' | 'ms'> {
  const notes = [...entry.notes];
  const fontFiles: InstallerFontFile[] = [];
  for (const {data, ...f} of entry.fonts) {
    const fonts = parseFont(f, data, notes);
    if (fonts.length > 0) fontFiles.push({...f, fonts});
  }
  return {fonts: fontFiles.flatMap((f) => f.fonts), fontFiles, templateFiles: entry.templateFiles, initrds: entry.initrds, notes};
}

function parseFont(f: CachedFont, data: Buffer, notes: string[]): ConsoleFont[] {
  const name = path.posix.basename(f.path);
  try {
    return f.kind === 'bgf' ? parseBgf(data, name) : [parsePsf(data, name.replace(/\.gz$/i, '').replace(/\.psfu?$/i, ''))];
  } catch (err) {
    notes.push(`${f.source}: ${f.path}: ${(err as Error).message}`);
    return [];
  }
}

async function extract(iso: IsoImage, signal?: AbortSignal): Promise<CacheEntry> {
  const notes: string[] = [];
  const initrds = await findInitrds(iso, notes);
  const templates = new Map<string, TemplateFile>();
  const fonts: CacheEntry['fonts'] = [];
  const seenFonts = new Set<string>();
  for (const initrd of initrds) {
    signal?.throwIfAborted();
    let files;
    try {
      const data = await iso.read(initrd, {maxBytes: MAX_INITRD_BYTES});
      const r = readCpio(data, (p) => isTemplateFile(p) || fontKind(p) !== undefined);
      files = r.files;
      if (r.unread) {
        const notCpio = files.length === 0 && r.unread.startsWith('unknown data');
        notes.push(notCpio ? `${initrd}: not a cpio archive (${r.unread})` : unreadNote(initrd, r.unread, files.length));
      }
    } catch (err) {
      notes.push(`${initrd}: ${(err as Error).message}`);
      continue;
    }
    for (const f of files) {
      const kind = fontKind(f.path);
      if (kind) {
        const key = `${path.posix.basename(f.path)}:${f.data.length}:${f.data.subarray(0, 64).toString('hex')}`;
        if (seenFonts.has(key)) continue;
        seenFonts.add(key);
        // Keep only what parses, so the cache never holds a font that fails on every load.
        if (parseFont({path: f.path, source: initrd, kind}, f.data, notes).length > 0) fonts.push({path: f.path, source: initrd, kind, data: f.data});
      } else if (!templates.has(f.path)) {
        templates.set(f.path, {path: f.path, text: f.data.toString('utf8'), source: initrd});
      }
    }
  }
  await readPoolTemplates(iso, templates, notes, signal);
  return {initrds, notes, templateFiles: [...templates.values()], fonts};
}

function unreadNote(initrd: string, what: string, filesRead: number): string {
  const where = filesRead > 0 ? 'after its first archive(s)' : 'from its start';
  return `${initrd}: ${what} ${where} was not read (vmbench reads gzip and uncompressed cpio); fonts and templates in it are missing`;
}

/**
 * The initrds the ISO's boot menus load (every `.cfg`/`.conf` outside the package pool is read;
 * a reference may be absolute or relative to the config's directory or one above), else the
 * files named like an initrd. The text installer's come before the graphical one's (gtk/).
 */
async function findInitrds(iso: IsoImage, notes: string[]): Promise<string[]> {
  const named: string[] = [];
  const byName: string[] = [];
  const walk = iso.walk('/', {descend: (d) => !NOT_BOOT_DIRS.has(d.path.toLowerCase()), maxEntries: 20_000, maxDepth: 8});
  for await (const e of walk) {
    if (e.type !== 'file') continue;
    if (isBootConfig(e.name) && e.size <= MAX_CONFIG_BYTES) {
      const text = (await iso.read(e)).toString('utf8');
      for (const ref of initrdRefs(text)) {
        for (const candidate of refCandidates(ref, e.path)) {
          const hit = await iso.stat(candidate);
          if (hit?.type === 'file') {
            named.push(hit.path);
            break;
          }
        }
      }
    } else if (isInitrdName(e.name)) byName.push(e.path);
  }
  let list = [...new Set(named.length > 0 ? named : byName)];
  list = [...list.filter((p) => !/\/gtk\//i.test(p)), ...list.filter((p) => /\/gtk\//i.test(p))];
  if (list.length > MAX_INITRDS) {
    notes.push(`${list.length} initrds on the ISO; read the first ${MAX_INITRDS}: ${list.slice(0, MAX_INITRDS).join(', ')}`);
    list = list.slice(0, MAX_INITRDS);
  }
  return list;
}

/**
 * Templates of the udebs under /pool (a netinst's installer components, loaded by anna after
 * boot): only each udeb's control member is read. Two at a time: xz/zstd run as host processes.
 */
async function readPoolTemplates(iso: IsoImage, templates: Map<string, TemplateFile>, notes: string[], signal?: AbortSignal): Promise<void> {
  const pool = await iso.stat('/pool');
  if (pool?.type !== 'dir') return;
  let udebs: IsoEntry[] = [];
  for await (const e of iso.walk('/pool', {maxEntries: 200_000})) if (e.type === 'file' && /\.udeb$/i.test(e.name)) udebs.push(e);
  if (udebs.length > MAX_UDEBS) {
    notes.push(`${udebs.length} udebs under /pool; read the templates of the first ${MAX_UDEBS}`);
    udebs = udebs.slice(0, MAX_UDEBS);
  }
  const found: ({pkg: string; text: string} | undefined)[] = new Array(udebs.length);
  const missing = new Map<string, number>();
  const failed: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < udebs.length; i = next++) {
      signal?.throwIfAborted();
      const u = udebs[i]!;
      try {
        found[i] = await udebTemplates((offset, length) => iso.readRange(u, offset, length), u.name, signal);
      } catch (err) {
        if (err instanceof MissingToolError) missing.set(err.tool, (missing.get(err.tool) ?? 0) + 1);
        else if (signal?.aborted) throw err;
        else failed.push(`${u.path}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  found.forEach((t, i) => {
    const p = t && `var/lib/dpkg/info/${t.pkg}.templates`;
    if (t && p && !templates.has(p)) templates.set(p, {path: p, text: t.text, source: udebs[i]!.path});
  });
  for (const [tool, n] of missing) {
    const pkg = tool === 'xz' ? 'xz-utils' : 'zstd';
    const these = n === 1 ? '1 udeb under /pool has' : `${n} udebs under /pool have`;
    notes.push(`${these} ${tool}-compressed control archives and the host has no \`${tool}\` (Debian package ${pkg}): their templates were not read`);
  }
  if (failed.length > 0) notes.push(`${failed.length} udebs could not be read, first: ${failed[0]}`);
}

/** How many templates a templates file defines. */
export function countTemplates(file: Pick<TemplateFile, 'path' | 'text'>): number {
  return (file.text.match(file.path.endsWith('templates.dat') ? /^Name:/gm : /^Template:/gm) ?? []).length;
}

/**
 * One line for the build log: "installer assets: unifont.bgf (bterm, 1117+2461 glyphs),
 * 25 template files (1,234 templates) from debian-installer/amd64/initrd.gz".
 */
export function describeAssets(a: Pick<InstallerAssets, 'fontFiles' | 'templateFiles' | 'initrds' | 'notes'>): string {
  const parts: string[] = a.fontFiles.map(
    (f) => `${path.posix.basename(f.path)} (${f.kind === 'bgf' ? 'bterm' : 'console font'}, ${f.fonts.map((x) => x.glyphCount).join('+')} glyphs)`,
  );
  if (a.templateFiles.length > 0) {
    const n = a.templateFiles.reduce((sum, f) => sum + countTemplates(f), 0);
    parts.push(`${a.templateFiles.length} template files (${n.toLocaleString('en-US')} templates)`);
  }
  if (parts.length === 0) return `installer assets: none found${a.initrds.length > 0 ? ` in ${a.initrds.join(', ')}` : ' (no initrd on the ISO)'}`;
  const sources = [...new Set([...a.fontFiles.map((f) => f.source), ...a.templateFiles.map((f) => f.source)])];
  const initrds = sources.filter((s) => !s.startsWith('/pool/')).map((s) => s.replace(/^\//, ''));
  const udebs = sources.length - initrds.length;
  const from = [...initrds, ...(udebs > 0 ? [`${udebs} udebs under /pool`] : [])];
  return `installer assets: ${parts.join(', ')} from ${from.join(' + ')}`;
}
