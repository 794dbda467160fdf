/**
 * Which initrds an ISO's boot menus load: `initrd=` options and `INITRD`/`initrd` keywords of
 * isolinux/syslinux configs, and `initrd`/`initrdefi`/`initrd16` lines of GRUB configs. Pure.
 */
import path from 'node:path';

/** The initrd references in a boot loader config, in the order they appear (duplicates kept). */
export function initrdRefs(text: string): string[] {
  const refs: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    // syslinux `append ... initrd=a.gz,b.gz`, EFI-stub kernels' command lines alike
    for (const m of line.matchAll(/(?:^|\s)initrd=(\S+)/gi)) refs.push(...m[1]!.split(','));
    // syslinux `INITRD a.gz[,b.gz]`; GRUB `initrd /a.gz /b.gz` (also initrdefi/initrd16)
    const kw = /^initrd(?:efi|16)?\s+(.+)$/i.exec(line);
    if (kw) refs.push(...kw[1]!.split(/[\s,]+/));
  }
  return refs.map(clean).filter((r): r is string => r !== undefined);
}

/** Strip quotes and a GRUB device (`(cd0)/casper/initrd`); drop options and unexpanded variables. */
function clean(ref: string): string | undefined {
  const r = ref.replace(/^["']|["']$/g, '').replace(/^\([^)]*\)/, '');
  if (!r || r.startsWith('-') || r.includes('$') || r === '---') return undefined;
  return r;
}

/**
 * Where a reference in the config at `cfgPath` may point: absolute as it is; relative to the
 * config's directory or any directory above it (syslinux resolves against the directory it
 * started from, which an included file does not know), ending with the image's root.
 */
export function refCandidates(ref: string, cfgPath: string): string[] {
  if (ref.startsWith('/')) return [path.posix.normalize(ref)];
  const out: string[] = [];
  for (let dir = path.posix.dirname(path.posix.normalize('/' + cfgPath)); ; dir = path.posix.dirname(dir)) {
    out.push(path.posix.join(dir, ref));
    if (dir === '/') break;
  }
  return [...new Set(out)];
}

/** Is this the file name of a boot loader config worth reading? */
export const isBootConfig = (name: string): boolean => /\.(cfg|conf)$/i.test(name);

/** File names an initrd goes by, for the fallback when no config names one. */
export const isInitrdName = (name: string): boolean => /^initrd(\.(gz|img|lz|xz|zst|lzma))?$/i.test(name) || /\.cpio\.gz$/i.test(name);
