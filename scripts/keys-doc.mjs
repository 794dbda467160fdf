#!/usr/bin/env node
// Prints the workbench's key table as markdown, generated from the keymap (src/tui/keymap.ts),
// so README's key list cannot drift from the keys. Needs the build: `npm run build` first.
//   node scripts/keys-doc.mjs            the table
//   node scripts/keys-doc.mjs README.md  replace the table between the keys-doc markers in a file
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const keymap = path.join(root, 'dist', 'tui', 'keymap.js');
let mod;
try {
  mod = await import(pathToFileURL(keymap).href);
} catch (err) {
  console.error(`keys-doc: cannot load ${path.relative(process.cwd(), keymap)} (${err.message}); run \`npm run build\` first`);
  process.exit(1);
}
const table = mod.markdownKeyTable();
const file = process.argv[2];
if (!file) {
  process.stdout.write(`${table}\n`);
} else {
  const BEGIN = '<!-- keys-doc:begin -->';
  const END = '<!-- keys-doc:end -->';
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a === -1 || b < a) {
    console.error(`keys-doc: ${file} has no ${BEGIN} … ${END} markers`);
    process.exit(1);
  }
  writeFileSync(file, `${text.slice(0, a + BEGIN.length)}\n${table}\n${text.slice(b)}`);
  console.error(`keys-doc: updated the key table in ${file}`);
}
