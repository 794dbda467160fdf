#!/usr/bin/env node
/**
 * npm run accept:debian — the debian-12 profile against the REAL Debian 12 installer, here:
 * the real boot menu, the boot command typed at `boot:`, the preseed fetched over HTTP, the
 * preseeded questions answered; then the installer's stop named, with an independent VNC
 * viewer timing how long after the stop appeared on screen vmbench named it.
 *
 *   A  the profile as shipped. Where the package mirror serves the installer's components the
 *      build must succeed (pass --expect-install); on these machines the mirror 404s them, so
 *      the installer stops at a [!!] dialog, which must be named well within a minute.
 *   B  the same preseed with one answer removed (mirror/http/hostname): the question and the
 *      missing preseed line must be named.
 *   C  an answer file that answers 404: named as such, not as an SSH failure.
 *   D  B in debug mode: the build pauses at the question, "the user" answers it through a VNC
 *      viewer, goes on, and gets the preseed line for that answer.
 *
 * Prints the figures; exit status 1 when an expectation fails. Takes several minutes (TCG).
 */
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {ROOT, installerIso, readerFonts, typeIntoVm, vmbenchBuild, vncPassword} from './lib/installer-run.mjs';

const expectInstall = process.argv.includes('--expect-install');
// --only B,D runs some scenarios (B's profile copy is made for D too).
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const want = (s) => !only || only.includes(s);
const keep = process.argv.includes('--keep');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vmbench-accept-debian-'));
const failures = [];
const rows = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};
const secs = (ms) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);

const {iso, cache} = await installerIso();
console.log(`installer ISO: ${iso}`);
const fonts = await readerFonts(iso, cache);
const common = ['--force', '--var', `iso_url=${iso}`, '--var', 'iso_checksum=none', '--cache-dir', cache];

async function scenario(name, profileDir, watch, extra = [], onPrompt) {
  console.log(`\n== ${name}`);
  const t0 = Date.now();
  const r = await vmbenchBuild(profileDir, [...common, ...extra, '--output', path.join(tmp, `out-${name}`), '--log-dir', path.join(tmp, `log-${name}`)], {
    fonts,
    watch,
    onPrompt,
    onEvent: (e) => {
      const at = `${((e.time - t0) / 1000).toFixed(1).padStart(6)}s`;
      if (e.type === 'step' && (e.status === 'done' || e.status === 'failed')) console.log(`${at} step ${e.id}: ${e.status}`);
      if (e.type === 'installer' && e.kind === 'stage') console.log(`${at} installer: ${e.stage}`);
      if (e.type === 'installer' && e.kind === 'answer') console.log(`${at} installer: answered ${e.template} = ${e.value} → ${e.preseedLine}`);
      if (e.type === 'installer' && e.kind === 'question') console.log(`${at} installer asks: ${e.prompt} (${e.template ?? '?'})`);
      if (e.type === 'log' && e.source === 'http') console.log(`${at} http: ${e.line}`);
      if (e.type === 'diagnosis') console.log(`${at} DIAGNOSIS: ${e.cause}\n${e.evidence.map((x) => `          - ${x}`).join('\n')}${e.hint ? `\n          hint: ${e.hint}` : ''}`);
    },
  });
  const ev = r.events;
  const diagnosis = ev.find((e) => e.type === 'diagnosis');
  const failed = ev.find((e) => e.type === 'step' && e.status === 'failed');
  const built = ev.find((e) => e.type === 'build' && e.status !== 'started');
  const fetched = ev.find((e) => e.type === 'log' && e.source === 'http' && / → 200 /.test(e.line));
  const typed = ev.find((e) => e.type === 'step' && e.id === 'type-boot-command' && e.status === 'done');
  const namedAt = diagnosis?.time ?? failed?.time;
  const latency = r.seenAt !== undefined && namedAt !== undefined ? namedAt - r.seenAt : undefined;
  rows.push({name, wall: r.wallMs, typed: typed && typed.time - r.started, fetched: fetched && fetched.time - r.started, seen: r.seenAt && r.seenAt - r.started, named: namedAt && namedAt - r.started, latency});
  return {r, ev, diagnosis, failed, built, fetched, latency};
}

try {
  // A: the profile as shipped.
  if (want('A')) {
  const a = await scenario('A-as-shipped', path.join(ROOT, 'profiles/debian-12'), /\[!!?\]/);
  if (expectInstall) {
    check(a.r.code === 0, `A: the install finished and the image was written (exit ${a.r.code})`);
  } else {
    check(!!a.ev.find((e) => e.type === 'log' && e.source === 'vnc' && /typed boot command/.test(e.line)), 'A: the boot command was typed at the real boot: prompt');
    check(!!a.fetched, 'A: the installer fetched the preseed over HTTP');
    check(a.r.code === 1, `A: the build stopped with status 1 (got ${a.r.code})`);
    check(/^the installer (stopped at an error|asks a question)/.test(a.diagnosis?.cause ?? ''), `A: the stop is named from the installer's dialog: "${a.diagnosis?.cause}"`);
    check(a.ev.some((e) => e.type === 'installer' && e.kind === 'log' && e.lines.length > 5), "A: the installer's own log (console 4) was read");
    check(a.latency !== undefined && a.latency < 60_000, `A: named ${secs(a.latency)} after it appeared on screen (< 60 s)`);
    const buildLine = (a.built?.reason ?? '').split('\n')[0];
    check(buildLine === a.diagnosis?.cause, `A: the final verdict line leads with the cause: "${buildLine}"`);
  }
  }

  // B: one answer removed.
  const bDir = path.join(tmp, 'debian-12-no-mirror-host');
  cpSync(path.join(ROOT, 'profiles/debian-12'), bDir, {recursive: true});
  const preseed = path.join(bDir, 'http/preseed.cfg');
  writeFileSync(preseed, readFileSync(preseed, 'utf8').replace(/^d-i mirror\/http\/hostname .*\n/m, ''));
  if (want('B')) {
  const b = await scenario('B-answer-removed', bDir, /\[!!?\]/);
  check(/asks a question the preseed did not answer: "Debian archive mirror hostname:".*mirror\/http\/hostname/.test(b.diagnosis?.cause ?? ''), `B: the question and its template are named: "${b.diagnosis?.cause}"`);
  check(/add to http\/preseed\.cfg: d-i mirror\/http\/hostname string \S+/.test(b.diagnosis?.hint ?? ''), `B: the missing preseed line is given: "${b.diagnosis?.hint}"`);
  check(b.latency !== undefined && b.latency < 60_000, `B: named ${secs(b.latency)} after it appeared on screen`);
  }

  // C: the answer file 404s.
  if (want('C')) {
  const c = await scenario('C-preseed-404', path.join(ROOT, 'profiles/debian-12'), /\[!!?\]/, ['--var', 'preseed=missing.cfg']);
  check(/Failed to retrieve the preconfiguration file|never got its answer file/.test(c.diagnosis?.cause ?? ''), `C: the missing answer file is named: "${c.diagnosis?.cause}"`);
  check(JSON.stringify(c.diagnosis ?? {}).includes('404'), 'C: the 404 is in the evidence');
  }

  // D: B in debug mode, answered by hand.
  if (want('D')) {
  let asked = 0;
  const d = await scenario('D-debug-answer', bDir, /\[!!?\]/, ['--debug'], async (prompt, evs) => {
    if (!/the installer asks:/.test(prompt)) return ''; // Enter at every step pause
    asked++;
    const vnc = evs.find((e) => e.type === 'info' && e.key === 'vnc');
    const port = Number(/:(\d+)/.exec(vnc.value.replace(/^vnc:\/\//, ''))[1]);
    // As a user at a VNC viewer: clear the offered host, type one, look at it, press Enter — then go on.
    await typeIntoVm(port, `${'<bs>'.repeat(40)}mirror.example.org<wait1s><enter>`, vncPassword(vnc.value));
    return '';
  });
  check(asked === 1, `D: the build paused once, at the installer's question (${asked})`);
  const answered = d.ev.find((e) => e.type === 'installer' && e.kind === 'answer');
  check(answered?.preseedLine === 'd-i mirror/http/hostname string mirror.example.org', `D: the answer comes back as a preseed line: "${answered?.preseedLine}"`);
  check(answered?.preseedFile?.endsWith('http/preseed.cfg'), `D: offered for the answer file the guest fetched: ${answered?.preseedFile}`);
  check(/Bad archive mirror/.test(d.diagnosis?.cause ?? ''), `D: after the pause the next stop is named: "${d.diagnosis?.cause}"`);
  }
} finally {
  console.log('\nscenario              wall     typed    preseed   stop seen  named    seen→named');
  for (const r of rows) console.log(`${r.name.padEnd(20)} ${secs(r.wall).padStart(8)} ${secs(r.typed).padStart(8)} ${secs(r.fetched).padStart(9)} ${secs(r.seen).padStart(10)} ${secs(r.named).padStart(8)} ${secs(r.latency).padStart(10)}`);
  if (!keep) rmSync(tmp, {recursive: true, force: true});
  else console.log(`kept ${tmp}`);
}
if (failures.length) {
  console.log(`\n${failures.length} expectation(s) failed`);
  process.exit(1);
}
console.log('\nall expectations met');
