import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {gzipSync} from 'node:zlib';
import {beforeAll, describe, expect, it} from 'vitest';
import {readCpio} from '../../src/iso/cpio.js';
import {countTemplates, describeAssets, loadInstallerAssets, type InstallerAssets} from '../../src/installer/assets.js';
import {initrdRefs, refCandidates} from '../../src/installer/boot-config.js';
import {tarFiles} from '../../src/installer/udeb.js';
import {screenFonts} from '../../src/engine/screen.js';
import type {BuildState} from '../../src/engine/state.js';
import {loadAssets} from '../../src/engine/steps/fetch-iso.js';
import {defaultFonts} from '../../src/screen/screen-text.js';
import {installerFixtureIso, makeIso, tinyIso, type Tree} from '../support/iso-images.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-installer-assets-');
const DI_INITRD = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz';
const PSF = '/usr/share/consolefonts/default8x16.psf.gz'; // console-data (scripts/setup.sh)

/** A newc cpio archive of `files` (path → bytes), uncompressed. */
function cpio(files: Record<string, string | Uint8Array>): Buffer {
  const parts: Buffer[] = [];
  const pad = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1;
  for (const [name, content] of [...Object.entries(files), ['TRAILER!!!', ''] as const]) {
    const data = Buffer.from(content);
    const mode = name === 'TRAILER!!!' ? 0 : 0o100644;
    const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length + 1, 0];
    const head = Buffer.from('070701' + fields.map((f) => f.toString(16).toUpperCase().padStart(8, '0')).join('') + name + '\0', 'latin1');
    parts.push(head, pad(head.length), data, pad(data.length));
  }
  return Buffer.concat(parts);
}

/** A udeb (a .deb by another name) with `templates`, its control member compressed with `z`. */
function udeb(dir: string, pkg: string, templates: string, z: 'gzip' | 'xz' | 'zstd' | 'none'): Buffer {
  const root = path.join(dir, `${pkg}-${z}`);
  mkdirSync(path.join(root, 'DEBIAN'), {recursive: true});
  writeFileSync(path.join(root, 'DEBIAN/control'), `Package: ${pkg}\nVersion: 1.0\nArchitecture: amd64\nMaintainer: t <t@example.org>\nDescription: test\n`);
  writeFileSync(path.join(root, 'DEBIAN/templates'), templates);
  const out = path.join(dir, `${pkg}-${z}.udeb`);
  execFileSync('dpkg-deb', [`-Z${z}`, '--build', root, out], {stdio: 'ignore'});
  return readFileSync(out);
}

const template = (name: string, desc: string): string => `Template: ${name}\nType: string\nDescription: ${desc}\n\n`;

describe('boot configs', () => {
  it.each([
    ['syslinux append', 'label install\n\tkernel /install.amd/vmlinuz\n\tappend vga=788 initrd=/install.amd/initrd.gz --- quiet', ['/install.amd/initrd.gz']],
    ['syslinux comma list', 'APPEND initrd=a.gz,/b/c.gz quiet', ['a.gz', '/b/c.gz']],
    ['syslinux INITRD keyword', 'LABEL tiny\n  KERNEL /tiny/vmlinuz\n  INITRD /tiny/initrd.img', ['/tiny/initrd.img']],
    ['grub, device and two files', "menuentry 'Try' {\n  linux /casper/vmlinuz ---\n  initrd\t($root)/casper/initrd /casper/extra.img\n}", ['/casper/initrd', '/casper/extra.img']],
    ['grub initrdefi', '  initrdefi /images/pxeboot/initrd.img', ['/images/pxeboot/initrd.img']],
    ['comments and variables skipped', '# initrd=/old.gz\ninitrd ${prefix}/initrd.gz\nappend initrd=/new.gz', ['/new.gz']],
    ['no initrd', 'default vesamenu.c32\nprompt 0\ninclude menu.cfg', []],
  ])('%s', (_, text, refs) => {
    expect(initrdRefs(text)).toEqual(refs);
  });

  it('resolves relative references against the config directory and every directory above it', () => {
    expect(refCandidates('debian-installer/amd64/initrd.gz', '/debian-installer/amd64/boot-screens/txt.cfg')).toEqual([
      '/debian-installer/amd64/boot-screens/debian-installer/amd64/initrd.gz',
      '/debian-installer/amd64/debian-installer/amd64/initrd.gz',
      '/debian-installer/debian-installer/amd64/initrd.gz',
      '/debian-installer/amd64/initrd.gz',
    ]);
    expect(refCandidates('/install.amd/initrd.gz', '/isolinux/txt.cfg')).toEqual(['/install.amd/initrd.gz']);
    expect(refCandidates('initrd.gz', '/isolinux.cfg')).toEqual(['/initrd.gz']);
  });
});

describe('udeb control archives', () => {
  it('reads templates out of a control tar, with ./ prefixes and GNU long names', () => {
    const dir = fresh('tar');
    mkdirSync(path.join(dir, 'c'));
    writeFileSync(path.join(dir, 'c', 'templates'), 'Template: a/b\n');
    const long = 'x'.repeat(120);
    writeFileSync(path.join(dir, 'c', long), 'long');
    execFileSync('tar', ['--format=gnu', '-cf', path.join(dir, 'c.tar'), '-C', path.join(dir, 'c'), '.'], {stdio: 'ignore'});
    const files = tarFiles(readFileSync(path.join(dir, 'c.tar')), () => true);
    expect(files.get('templates')?.toString()).toBe('Template: a/b\n');
    expect(files.get(long)?.toString()).toBe('long');
  });
});

describe('loadInstallerAssets on the real Debian installer fixture ISO', () => {
  let iso = '';
  beforeAll(() => {
    iso = installerFixtureIso();
  }, 120_000);

  it('finds bterm unifont.bgf and the initrd templates, then loads them again from the cache, fast and equal', async () => {
    const cacheDir = fresh('cache');
    const lines: string[] = [];
    const first = await loadInstallerAssets(iso, {cacheDir, log: (l) => lines.push(l)});
    expect(first.cached).toBe(false);
    expect(lines.join('\n')).toMatch(/reading debian-installer-12-\w+\.iso/);
    expect(first.initrds).toEqual(['/debian-installer/amd64/initrd.gz']);
    expect(first.notes).toEqual([]);
    expect(first.fonts.map((f) => [f.name, f.width, f.height])).toEqual([
      ['unifont.bgf/8px', 8, 16],
      ['unifont.bgf/16px', 16, 16],
    ]);
    expect(first.fonts[0]!.glyphCount).toBeGreaterThan(1000); // Latin, Greek, Cyrillic, box drawing…
    const names = first.templateFiles.map((f) => path.basename(f.path));
    expect(names.length).toBeGreaterThanOrEqual(20);
    expect(names).toEqual(expect.arrayContaining(['netcfg.templates', 'choose-mirror-bin.templates']));
    const netcfg = first.templateFiles.find((f) => f.path === 'var/lib/dpkg/info/netcfg.templates')!;
    expect(netcfg.source).toBe('/debian-installer/amd64/initrd.gz');
    expect(netcfg.text).toMatch(/^Template: netcfg\/get_hostname$/m);
    // The bytes are the package's own: the same font as a direct read of its initrd.
    const direct = readCpio(readFileSync(DI_INITRD), (p) => p === 'lib/unifont.bgf').files[0]!;
    expect(first.fontFiles).toMatchObject([{path: 'lib/unifont.bgf', kind: 'bgf', source: '/debian-installer/amd64/initrd.gz'}]);
    expect(readdirSync(path.join(cacheDir, 'installer-assets'))).toHaveLength(1);
    const [key] = readdirSync(path.join(cacheDir, 'installer-assets'));
    expect(readFileSync(path.join(cacheDir, 'installer-assets', key!, 'fonts', '0-unifont.bgf')).equals(direct.data)).toBe(true);
    expect(describeAssets(first)).toMatch(
      /^installer assets: unifont\.bgf \(bterm, \d+\+\d+ glyphs\), \d+ template files \([\d,]+ templates\) from debian-installer\/amd64\/initrd\.gz$/,
    );

    const second = await loadInstallerAssets(iso, {cacheDir, log: (l) => lines.push(l)});
    expect(second.cached).toBe(true);
    expect(lines.filter((l) => l.includes('reading'))).toHaveLength(1);
    expect(second.ms).toBeLessThan(first.ms / 3);
    const strip = ({cached: _c, ms: _m, ...rest}: InstallerAssets) => rest;
    expect(strip(second)).toEqual(strip(first));
    expect(second.templateFiles.reduce((n, f) => n + countTemplates(f), 0)).toBeGreaterThan(200);
  });
});

describe('the engine: fetch-iso loads the assets, readScreen reads with them', () => {
  const run = async (iso: string) => {
    const state = {options: {cacheDir: fresh('engine-cache')}} as unknown as BuildState;
    const lines: string[] = [];
    await loadAssets({state, signal: new AbortController().signal, log: (_src, stream, line) => lines.push(`${stream} ${line}`)}, iso);
    return {state, lines};
  };

  it('logs one line naming the fonts and templates, and puts the installer fonts first, in one array per build', async () => {
    const {state, lines} = await run(installerFixtureIso());
    expect(lines.filter((l) => l.startsWith('info'))).toEqual([
      expect.stringMatching(/^info installer assets: unifont\.bgf \(bterm, 1117\+2461 glyphs\), 25 template files \([\d,]+ templates\) from debian-installer\/amd64\/initrd\.gz \(\d+ ms\)$/),
    ]);
    const fonts = await screenFonts(state);
    expect(fonts.slice(0, 2)).toEqual(state.installerAssets!.fonts);
    expect(fonts.slice(2)).toEqual(await defaultFonts());
    expect(await screenFonts(state)).toBe(fonts); // the same array: glyph tables are cached by its identity
  }, 120_000);

  it('warns instead of failing the build when the ISO cannot be read, and reads with the default fonts then', async () => {
    const file = path.join(fresh('engine-broken'), 'broken.iso');
    writeFileSync(file, 'not an iso');
    const {state, lines} = await run(file);
    expect(state.installerAssets).toBeUndefined();
    expect(lines).toEqual([expect.stringMatching(/^warn installer assets not read \(screens are read with the default console fonts only\): .*broken\.iso: not an ISO 9660 image/)]);
    expect(await screenFonts(state)).toBe(await defaultFonts());
  });
});

describe('loadInstallerAssets on other ISOs', () => {
  it('finds nothing on the tiny profile ISO (not an installer), quickly', async () => {
    const file = tinyIso();
    const a = await loadInstallerAssets(file, {cacheDir: fresh('tiny-cache')});
    expect(a.fonts).toEqual([]);
    expect(a.templateFiles).toEqual([]);
    expect(a.initrds).toEqual(['/tiny/initrd.img']);
    expect(a.ms).toBeLessThan(5000);
    expect(describeAssets(a)).toBe('installer assets: none found in /tiny/initrd.img');
  }, 180_000);

  it('fails with a clear error on a file that is not an ISO', async () => {
    const file = path.join(fresh('broken'), 'broken.iso');
    writeFileSync(file, Buffer.alloc(64 * 2048, 0x55));
    await expect(loadInstallerAssets(file, {cacheDir: fresh('broken-cache')})).rejects.toThrow(/broken\.iso: not an ISO 9660 image/);
  });

  it('reads what precedes a zstd part of an initrd and notes the rest (an Ubuntu-style early cpio)', async () => {
    const psf = readFileSync(PSF);
    const zst = execFileSync('zstd', ['-q', '-c'], {input: cpio({'var/lib/dpkg/info/late.templates': template('late/q', 'Late')})});
    const initrd = Buffer.concat([cpio({'usr/share/consolefonts/default8x16.psf.gz': psf}), zst]);
    const tree: Tree = {
      'boot/grub/grub.cfg': "menuentry 'Try' {\n  linux /casper/vmlinuz\n  initrd /casper/initrd\n}\n",
      'casper/initrd': initrd,
    };
    const a = await loadInstallerAssets(makeIso(fresh('zstd'), tree, ['-r', '-J']), {cacheDir: fresh('zstd-cache')});
    expect(a.initrds).toEqual(['/casper/initrd']);
    expect(a.fontFiles).toMatchObject([{path: 'usr/share/consolefonts/default8x16.psf.gz', kind: 'psf'}]);
    expect(a.fonts.map((f) => [f.name, f.width, f.height])).toEqual([['default8x16', 8, 16]]);
    expect(a.templateFiles).toEqual([]);
    expect(a.notes).toEqual([expect.stringMatching(/^\/casper\/initrd: zstd-compressed data after its first archive\(s\) was not read/)]);
    expect(describeAssets(a)).toBe('installer assets: default8x16.psf.gz (console font, 256 glyphs) from casper/initrd');
  });

  describe('a netinst-like ISO: initrds named by isolinux and GRUB, udebs under /pool', () => {
    let dir = '';
    let file = '';
    beforeAll(() => {
      dir = fresh('netinst');
      const u = path.join(dir, 'udebs');
      mkdirSync(u);
      const text = gzipSync(cpio({
        'lib/unifont.bgf': readCpio(readFileSync(DI_INITRD), (p) => p === 'lib/unifont.bgf').files[0]!.data,
        'var/lib/dpkg/info/netcfg.templates': template('netcfg/get_hostname', 'Hostname:'),
        'var/lib/cdebconf/templates.dat': 'Name: debconf/language\nType: string\n\nName: debconf/priority\nType: select\n',
      }));
      const gtk = gzipSync(cpio({'var/lib/dpkg/info/cdebconf-gtk-udeb.templates': template('cdebconf-gtk/x', 'Gtk')}));
      const tree: Tree = {
        'isolinux/isolinux.cfg': 'include txt.cfg\n',
        'isolinux/txt.cfg': 'label install\n  kernel /install.amd/vmlinuz\n  append vga=788 initrd=/install.amd/initrd.gz --- quiet\n',
        'boot/grub/grub.cfg': "menuentry 'Graphical install' {\n  initrd (cd0)/install.amd/gtk/initrd.gz\n}\nmenuentry 'Install' {\n  initrd /install.amd/initrd.gz\n}\n",
        'install.amd/initrd.gz': text,
        'install.amd/gtk/initrd.gz': gtk,
        'pool/main/n/netcfg/netcfg_9.9_amd64.udeb': udeb(u, 'netcfg', template('netcfg/other', 'From the pool'), 'xz'),
        'pool/main/c/choose-mirror/choose-mirror-bin_1.0_amd64.udeb': udeb(u, 'choose-mirror-bin', template('mirror/http/hostname', 'Mirror host'), 'xz'),
        'pool/main/p/partman-base/partman-base_1.0_amd64.udeb': udeb(u, 'partman-base', template('partman/choose_partition', 'Partitions'), 'gzip'),
        'pool/main/a/anna/anna_1.0_amd64.udeb': udeb(u, 'anna', template('anna/choose_modules', 'Components'), 'zstd'),
        'pool/main/s/plain/plain_1.0_amd64.udeb': udeb(u, 'plain', template('plain/q', 'Uncompressed'), 'none'),
        'pool/main/n/nodeb/nodeb_1.0_amd64.deb': 'not read: only udebs are',
      };
      file = makeIso(dir, tree, ['-r', '-J'], 'Debian 12 amd64 n');
    });

    it('reads the text initrd first, the gtk one after, and each udeb control archive (gz, xz, zstd, none)', async () => {
      const a = await loadInstallerAssets(file, {cacheDir: fresh('netinst-cache')});
      expect(a.initrds).toEqual(['/install.amd/initrd.gz', '/install.amd/gtk/initrd.gz']);
      expect(a.notes).toEqual([]);
      expect(a.fontFiles.map((f) => f.path)).toEqual(['lib/unifont.bgf']);
      const bySource = Object.fromEntries(a.templateFiles.map((f) => [f.path, f.source]));
      expect(bySource).toEqual({
        'var/lib/dpkg/info/netcfg.templates': '/install.amd/initrd.gz', // the initrd's wins over the pool's
        'var/lib/cdebconf/templates.dat': '/install.amd/initrd.gz',
        'var/lib/dpkg/info/cdebconf-gtk-udeb.templates': '/install.amd/gtk/initrd.gz',
        'var/lib/dpkg/info/anna.templates': '/pool/main/a/anna/anna_1.0_amd64.udeb',
        'var/lib/dpkg/info/choose-mirror-bin.templates': '/pool/main/c/choose-mirror/choose-mirror-bin_1.0_amd64.udeb',
        'var/lib/dpkg/info/partman-base.templates': '/pool/main/p/partman-base/partman-base_1.0_amd64.udeb',
        'var/lib/dpkg/info/plain.templates': '/pool/main/s/plain/plain_1.0_amd64.udeb',
      });
      expect(a.templateFiles.find((f) => f.path.endsWith('anna.templates'))!.text).toContain('Template: anna/choose_modules');
      expect(a.templateFiles.find((f) => f.path.endsWith('templates.dat'))).toSatisfy((f: {path: string; text: string}) => countTemplates(f) === 2);
      expect(describeAssets(a)).toMatch(/7 template files \(8 templates\) from install\.amd\/initrd\.gz \+ install\.amd\/gtk\/initrd\.gz \+ 4 udebs under \/pool$/);
    });

    it('notes udebs whose compression the host cannot undo, instead of failing', async () => {
      const saved = process.env.PATH;
      const empty = fresh('no-tools');
      process.env.PATH = empty; // no xz, no zstd
      try {
        const a = await loadInstallerAssets(file, {cacheDir: fresh('no-tools-cache')});
        expect(a.templateFiles.map((f) => path.basename(f.path)).sort()).toEqual(['cdebconf-gtk-udeb.templates', 'netcfg.templates', 'partman-base.templates', 'plain.templates', 'templates.dat']);
        expect(a.notes).toHaveLength(2);
        expect(a.notes).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/^2 udebs under \/pool have xz-compressed control archives and the host has no `xz` \(Debian package xz-utils\)/),
            expect.stringMatching(/^1 udeb under \/pool has zstd-compressed control archives and the host has no `zstd`/),
          ]),
        );
      } finally {
        process.env.PATH = saved;
      }
    });

    it('caches under installer-assets/<key>/ and reads the ISO again when it changes', async () => {
      const cacheDir = fresh('rekey');
      await loadInstallerAssets(file, {cacheDir});
      expect((await loadInstallerAssets(file, {cacheDir})).cached).toBe(true);
      const later = new Date(Date.now() + 5000);
      execFileSync('touch', ['-d', later.toISOString(), file]);
      const again = await loadInstallerAssets(file, {cacheDir});
      expect(again.cached).toBe(false);
      const entries = readdirSync(path.join(cacheDir, 'installer-assets'));
      expect(entries).toHaveLength(2);
      expect(entries.every((e) => !e.startsWith('.tmp-') && existsSync(path.join(cacheDir, 'installer-assets', e, 'index.json')))).toBe(true);
    });
  });
});
