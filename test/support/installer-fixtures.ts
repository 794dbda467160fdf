/**
 * The real Debian installer frames of test/fixtures/installer-screens/ as screens for the d-i
 * parsers: the exact text from each .txt, the per-cell colours read off the .png with the glyph
 * reader and unifont.bgf from the installed installer's initrd. Also that initrd's debconf
 * templates (var/lib/dpkg/info/*.templates), read once.
 */
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {PNG} from 'pngjs';
import {readCpio} from '../../src/iso/cpio.js';
import {parseBgf} from '../../src/screen/bgf.js';
import {matchGlyphs} from '../../src/screen/glyph-match.js';
import {buildGlyphTables, type GlyphTable} from '../../src/screen/glyph-table.js';
import type {ScreenLike} from '../../src/installer/debian/newt-grid.js';
import {parseTemplates} from '../../src/installer/debian/templates.js';
import type {DebconfTemplate} from '../../src/installer/debian/types.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/installer-screens');
export const INITRD = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz';

/** Is the installer package (its initrd) installed here? */
export const haveInitrd = existsSync(INITRD);

interface InitrdData {
  tables: GlyphTable[];
  templates: DebconfTemplate[];
  files: Map<string, string>;
}
let initrd: InitrdData | undefined;

/** unifont's glyph tables and every template of the initrd (one pass over the 40 MB archive). */
export function initrdData(): InitrdData {
  if (initrd) return initrd;
  const {files} = readCpio(readFileSync(INITRD), (p) => p.endsWith('.bgf') || (p.startsWith('var/lib/dpkg/info/') && p.endsWith('.templates')));
  const font = files.find((f) => f.path.endsWith('unifont.bgf'));
  if (!font) throw new Error(`${INITRD}: no unifont.bgf`);
  const texts = new Map<string, string>();
  const templates: DebconfTemplate[] = [];
  for (const f of files.filter((f) => f.path.endsWith('.templates'))) {
    const pkg = path.basename(f.path, '.templates');
    texts.set(pkg, f.data.toString('utf8'));
    templates.push(...parseTemplates(f.data.toString('utf8'), pkg));
  }
  initrd = {tables: buildGlyphTables(parseBgf(font.data, 'unifont.bgf').filter((g) => g.width === 8)), templates, files: texts};
  return initrd;
}

/** A fixture as a screen: text from its .txt, colours from its .png (when the grid lines up). */
export function fixtureScreen(name: string, opts: {colours?: boolean} = {}): ScreenLike {
  const png = PNG.sync.read(readFileSync(path.join(FIXTURES, `${name}.png`)));
  const lines = readFileSync(path.join(FIXTURES, `${name}.txt`), 'utf8').replace(/\n$/, '').split('\n');
  const cols = Math.floor(png.width / 8);
  const rows = Math.floor(png.height / 16);
  const screen: ScreenLike = {lines: lines.length === 1 && lines[0] === '' ? [] : lines, cols, rows};
  if (opts.colours === false) return screen;
  const pixels = new Uint32Array(png.width * png.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (png.data[i * 4]! << 16) | (png.data[i * 4 + 1]! << 8) | png.data[i * 4 + 2]!;
  const g = matchGlyphs({width: png.width, height: png.height, pixels}, initrdData().tables, {
    layout: {glyphWidth: 8, glyphHeight: 16, cellWidth: 8, originX: 0, originY: 0},
  });
  if (g && g.cols === cols && g.rows === rows) return {...screen, fg: g.fg, bg: g.bg};
  return screen;
}
