/**
 * The shelf (issue 11 item 3): every profile under profiles/ — found by listing the folder, so a
 * new profile is covered without touching this file — loads, passes `vmbench validate`, serves
 * answer files that render with the build's fields and parse as what the guest expects, types a
 * boot command that parses, fetches only URLs it serves, and provisions with a shell script whose
 * BEGIN{name}/END{name} sections (seed 002) are balanced and whose syntax the shell accepts.
 * None of this boots anything; the distros other than tiny cannot be built on this machine.
 */
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {describe, expect, it} from 'vitest';
import {parse as parseYaml} from 'yaml';
import {validateTarget} from '../../src/cli/validate-command.js';
import {fillBuildFields, renderQemuArgs} from '../../src/engine/build-fields.js';
import {nocloudSeed} from '../../src/cloud/nocloud.js';
import {parsePreseed} from '../../src/installer/debian/preseed.js';
import {loadProfile} from '../../src/profiles/loader.js';
import {validateBootCommand} from '../../src/profiles/boot-check.js';
import type {Profile} from '../../src/profiles/schema.js';
import {generateKeyPair} from '../../src/ssh/keys.js';
import {parseBootCommand} from '../../src/vnc/boot-command.js';
import {scratchDirs} from '../support/scratch.js';

const SHELF = path.resolve('profiles');
const PROFILES = readdirSync(SHELF)
  .filter((n) => existsSync(path.join(SHELF, n, 'profile.yaml')))
  .sort();

/** The build fields as a build fills them in (a real key, as the ssh-key step makes one). */
const KEY = generateKeyPair('vmbench-shelf-test').publicKey.trim();
const FIELDS = {HTTPIP: '10.0.2.2', HTTPPort: '8123', Name: 'shelf-vm', SSHPublicKey: KEY, HTTPDir: '', OutputDir: '/tmp/out', SSHHostPort: '2222'};
const SERVED = /http:\/\/10\.0\.2\.2:8123(\/[^\s'"<>,]*)/g;

const fresh = scratchDirs('vmbench-shelf-');


interface Loaded {
  profile: Profile;
  dir: string;
}
const cache = new Map<string, Loaded>();
function load(name: string): Loaded {
  if (!cache.has(name)) {
    const l = loadProfile(path.join(SHELF, name));
    cache.set(name, {profile: l.profile, dir: l.dir});
  }
  return cache.get(name)!;
}

// ---- answer files: one check per kind, chosen by the URL path it is served at ----------------

type Check = (text: string, p: Profile, url: string) => void;

/** A #cloud-config document (autoinstall's user-data and cloud-init's alike). */
function cloudConfig(text: string, what: string): Record<string, unknown> {
  expect(text.split('\n')[0], `${what} must start with #cloud-config`).toMatch(/^#cloud-config\s*$/);
  const doc = parseYaml(text) as unknown;
  expect(doc, `${what} is a YAML mapping`).toBeTypeOf('object');
  return doc as Record<string, unknown>;
}

/** openssl's crypt(3) of `password` with the salt of `hash` equals `hash`. */
function cryptMatches(hash: string, password: string): boolean {
  const m = /^\$(6|5|1)\$([^$]+)\$/.exec(hash);
  if (!m) throw new Error(`not a crypt(3) hash: ${hash}`);
  const out = execFileSync('openssl', ['passwd', `-${m[1]}`, '-salt', m[2]!, '-stdin'], {input: password, encoding: 'utf8'}).trim();
  return out === hash;
}

const userData: Check = (text, p) => {
  const doc = cloudConfig(text, 'user-data');
  if (p.install_method === 'autoinstall') {
    const ai = doc.autoinstall as Record<string, unknown> | undefined;
    expect(ai, 'autoinstall user-data has an autoinstall: key').toBeTypeOf('object');
    expect(ai!.version).toBe(1);
    expect(ai!.identity ?? ai!['user-data'], 'autoinstall needs identity (or user-data)').toBeTruthy();
    const id = ai!.identity as {username?: string; password?: string} | undefined;
    if (id) {
      expect(id.username).toBe(p.ssh_username);
      if (p.ssh_password) expect(cryptMatches(String(id.password), p.ssh_password), 'identity.password is the hash of ssh_password').toBe(true);
    }
    expect((ai!.ssh as {'install-server'?: boolean} | undefined)?.['install-server'], 'the installed system runs sshd').toBe(true);
  }
};

const metaData: Check = (text) => {
  const doc = parseYaml(text) as unknown;
  expect(doc === null || typeof doc === 'object', 'meta-data is YAML (a mapping or empty)').toBe(true);
};

const ignition: Check = (text, p) => {
  const doc = JSON.parse(text) as {ignition?: {version?: string}; passwd?: {users?: {name: string; sshAuthorizedKeys?: string[]}[]}};
  expect(doc.ignition?.version).toMatch(/^3\.\d+\.\d+$/);
  const user = doc.passwd?.users?.find((u) => u.name === p.ssh_username);
  expect(user, `the Ignition config creates ${p.ssh_username}`).toBeDefined();
  expect(user!.sshAuthorizedKeys, 'the build key is filled in').toContain(KEY);
};

const kickstart: Check = (text, p) => {
  const lines = text.split('\n').map((l) => l.trim());
  const commands = new Set(lines.filter((l) => l && !l.startsWith('#') && !l.startsWith('%')).map((l) => l.split(/\s+/)[0]!));
  for (const required of ['lang', 'keyboard', 'timezone', 'rootpw', 'bootloader', 'network']) expect(commands, `kickstart command ${required}`).toContain(required);
  expect(['autopart', 'part', 'reqpart'].some((c) => commands.has(c)), 'kickstart partitioning (autopart/part)').toBe(true);
  expect(['cdrom', 'url', 'harddrive', 'nfs', 'liveimg'].some((c) => commands.has(c)), 'kickstart installation source').toBe(true);
  expect(['reboot', 'poweroff', 'shutdown', 'halt'].some((c) => commands.has(c)), 'kickstart ends with reboot/poweroff').toBe(true);
  // Every %packages/%post/%pre section is closed by %end.
  let open: string | undefined;
  for (const l of lines) {
    if (/^%(packages|post|pre|pre-install|onerror|addon|anaconda)\b/.test(l)) {
      expect(open, `${l} inside ${open}`).toBeUndefined();
      open = l;
    } else if (l === '%end') {
      expect(open, 'a %end without its section').toBeDefined();
      open = undefined;
    }
  }
  expect(open, 'unclosed kickstart section').toBeUndefined();
  expect(lines.some((l) => l.startsWith('%packages')), 'a %packages section').toBe(true);
  if (p.ssh_username === 'root' && p.ssh_password) {
    const rootpw = lines.find((l) => l.startsWith('rootpw '))!;
    expect(rootpw).toContain('--plaintext');
    expect(rootpw.split(/\s+/).at(-1)).toBe(p.ssh_password);
  }
};

/** The keys setup-alpine reads from an answer file to install without asking. */
const ALPINE_KEYS = ['KEYMAPOPTS', 'HOSTNAMEOPTS', 'INTERFACESOPTS', 'TIMEZONEOPTS', 'PROXYOPTS', 'APKREPOSOPTS', 'USEROPTS', 'SSHDOPTS', 'NTPOPTS', 'DISKOPTS'];
const alpineAnswers: Check = (text) => {
  // setup-alpine sources the file with /bin/sh: do the same and read the variables back.
  const file = path.join(fresh('alpine'), 'answers');
  writeFileSync(file, text);
  const script = `. "$1"; for k in ${ALPINE_KEYS.join(' ')}; do eval "v=\\\${$k-__unset__}"; printf '%s\\0%s\\0' "$k" "$v"; done`;
  const out = execFileSync('sh', ['-c', script, 'sh', file], {encoding: 'utf8'}).split('\0');
  const values = Object.fromEntries(ALPINE_KEYS.map((k, i) => [k, out[2 * i + 1]!]));
  for (const k of ALPINE_KEYS) expect(values[k], `${k} is set`).not.toBe('__unset__');
  for (const k of ALPINE_KEYS) expect(values[k], `${k} is not empty`).not.toBe('');
  expect(values.DISKOPTS).toMatch(/-m sys .*\/dev\/[a-z]+/);
  expect(values.SSHDOPTS).toMatch(/openssh/);
  expect(values.INTERFACESOPTS).toMatch(/iface eth0 inet dhcp/);
};

/** OpenBSD autoinstall(8): `question = answer` lines; the questions a build must answer. */
const installConf: Check = (text, p) => {
  const answers = new Map<string, string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([^=]*\S) = (.*)$/.exec(line);
    expect(m, `install.conf line ${i + 1} is "question = answer": ${raw}`).not.toBeNull();
    answers.set(m![1]!, m![2]!);
  }
  const answer = (q: string): string | undefined => [...answers].find(([k]) => k.toLowerCase().includes(q.toLowerCase()))?.[1];
  for (const q of ['System hostname', 'Password for root', 'Allow root ssh login', 'Location of sets', 'Start sshd']) expect(answer(q), `install.conf answers "${q}"`).toBeDefined();
  expect(answer('Start sshd')).toBe('yes');
  if (p.ssh_username === 'root') {
    expect(answer('Allow root ssh login')).toBe('yes');
    if (p.ssh_password) expect(answer('Password for root')).toBe(p.ssh_password);
  }
};

const preseed: Check = (text) => {
  const entries = parsePreseed(text);
  expect(entries.length).toBeGreaterThan(0);
  expect(entries.map((e) => e.question)).toContain('passwd/root-password');
};

const tinyCfg: Check = (text) => {
  const lines = text.split('\n').filter(Boolean);
  for (const l of lines) expect(l).toMatch(/^[a-z_]+=/);
  expect(lines).toContain(`authorized_key=${KEY}`);
};

const CHECKS: [RegExp, Check][] = [
  [/\/user-data$/, userData],
  [/\/meta-data$/, metaData],
  [/\.ign$/, ignition],
  [/\/ks\.cfg$/, kickstart],
  [/\/answers$/, alpineAnswers],
  [/\/install\.conf$/, installConf],
  [/\/preseed\.cfg$/, preseed],
  [/\/tiny\.cfg$/, tinyCfg],
];

// ---- provisioning scripts: sections read from the script as its output would show them ----------

/**
 * The section markers a script prints, in order: literal `BEGIN{name}`/`END{name}` lines, and
 * calls of helper functions that print `BEGIN{$1}`/`END{$1}` (the tiny guest's `begin disk`).
 */
function sectionMarkers(script: string): {kind: 'BEGIN' | 'END'; name: string; line: number}[] {
  const lines = script.split('\n');
  const helpers = new Map<string, 'BEGIN' | 'END'>();
  const inFunction = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    const fn = /^\s*([A-Za-z_]\w*)\s*\(\)\s*\{(.*)$/.exec(lines[i]!);
    if (!fn) continue;
    let body = fn[2]!;
    let j = i;
    inFunction.add(i);
    while (!/}\s*$/.test(lines[j]!) && j + 1 < lines.length) body += `\n${lines[++j]!}`, inFunction.add(j);
    if (body.includes('BEGIN{$1}')) helpers.set(fn[1]!, 'BEGIN');
    if (body.includes('END{$1}')) helpers.set(fn[1]!, 'END');
  }
  const markers: {kind: 'BEGIN' | 'END'; name: string; line: number}[] = [];
  lines.forEach((l, i) => {
    if (inFunction.has(i) || /^\s*#/.test(l)) return;
    const lit = /\b(BEGIN|END)\{([^}$]+)\}/.exec(l);
    if (lit) return void markers.push({kind: lit[1] as 'BEGIN' | 'END', name: lit[2]!, line: i + 1});
    const call = /^\s*([A-Za-z_]\w*)\s+(\S+)\s*$/.exec(l);
    if (call && helpers.has(call[1]!)) markers.push({kind: helpers.get(call[1]!)!, name: call[2]!, line: i + 1});
  });
  return markers;
}

/** Problems with the markers' nesting: every BEGIN closed by its END, innermost first. */
function unbalanced(markers: ReturnType<typeof sectionMarkers>): string[] {
  const problems: string[] = [];
  const open: {name: string; line: number}[] = [];
  for (const m of markers) {
    if (m.kind === 'BEGIN') open.push(m);
    else if (open.at(-1)?.name === m.name) open.pop();
    else problems.push(`line ${m.line}: END{${m.name}} while ${open.length ? `BEGIN{${open.at(-1)!.name}}` : 'no section'} is open`);
  }
  for (const o of open) problems.push(`line ${o.line}: BEGIN{${o.name}} is never closed`);
  return problems;
}

describe('the section reader used below', () => {
  it('reads literal markers and helper calls, and finds what is unbalanced', () => {
    const helper = 'begin() {\n  echo "BEGIN{$1}"\n}\nend() { echo "END{$1}"; }\nbegin a\necho "BEGIN{b}"\necho "END{b}"\nend a\n';
    expect(sectionMarkers(helper).map((m) => `${m.kind}:${m.name}`)).toEqual(['BEGIN:a', 'BEGIN:b', 'END:b', 'END:a']);
    expect(unbalanced(sectionMarkers(helper))).toEqual([]);
    expect(unbalanced(sectionMarkers('echo "BEGIN{a}"\necho "BEGIN{b}"\necho "END{a}"\n'))).toEqual([
      'line 3: END{a} while BEGIN{b} is open',
      'line 1: BEGIN{a} is never closed',
      'line 2: BEGIN{b} is never closed',
    ]);
  });
});

describe.each(PROFILES)('profile %s', (name) => {
  const dir = path.join(SHELF, name);

  it('passes vmbench validate without errors or warnings', () => {
    const r = validateTarget(dir, {});
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('has a one-line description saying whether it was built here', () => {
    const {profile} = load(name);
    expect(profile.description.trim()).not.toBe('');
    expect(profile.description).not.toContain('\n');
    // Each says what was proven here: built end to end, run up to a point, or only validated.
    expect(profile.description).toMatch(/validated only|built end to end|not installed end to end/);
  });

  it('serves answer files that render with the build fields and parse', () => {
    const {profile} = load(name);
    const served = Object.entries(profile.http_content);
    for (const [url, text] of served) {
      const rendered = fillBuildFields(text, FIELDS);
      expect(rendered, `${url}: a build field left unrendered`).not.toMatch(/\{\{[^}]*\.(HTTPIP|HTTPPort|Name|SSHPublicKey)\b/);
      const check = CHECKS.find(([re]) => re.test(url))?.[1];
      expect(check, `${url}: no check for this kind of answer file — add one to CHECKS`).toBeDefined();
      check!(rendered, profile, url);
    }
    if (!served.length) expect(profile.disk_image || !!profile.http_directory, 'an installer profile serves its answers').toBe(true);
  });

  it('gives a cloud image a NoCloud seed that parses, with the build key for its user', () => {
    const {profile} = load(name);
    if (profile.install_method === 'cloud-image') expect(profile.cloud_init ?? profile.qemuargs.some((g) => g[0] === '-fw_cfg'), 'a cloud image gets cloud_init (or Ignition over -fw_cfg)').toBeTruthy();
    if (!profile.cloud_init) return;
    const seed = nocloudSeed({options: profile.cloud_init, username: profile.ssh_username, publicKeys: [KEY], instanceId: 'i-shelf', hostname: 'shelf-vm'});
    const ud = cloudConfig(seed['user-data']!, 'the seed\'s user-data');
    const users = (ud.users ?? []) as (string | {name: string; ssh_authorized_keys?: string[]})[];
    const user = users.find((u): u is {name: string; ssh_authorized_keys?: string[]} => typeof u === 'object' && u.name === profile.ssh_username);
    expect(user?.ssh_authorized_keys, `the key for ${profile.ssh_username}`).toContain(KEY);
    expect(parseYaml(seed['meta-data']!)).toMatchObject({'instance-id': expect.any(String)});
  });

  it('types a boot command that parses, and fetches only what it serves', () => {
    const {profile} = load(name);
    const parts = profile.boot_steps.length ? profile.boot_steps.map((s) => s.command) : profile.boot_command;
    const problems: string[] = [];
    validateBootCommand(parts, (i, col, msg) => problems.push(`[${i}]:${col} ${msg}`));
    expect(problems).toEqual([]);
    const typed = parts.map((p) => fillBuildFields(p, FIELDS)).join('');
    if (!profile.disk_image) expect(parseBootCommand(typed).length, 'an installer needs keys typed').toBeGreaterThan(0);
    // Every URL on vmbench's HTTP server that the guest is told about — typed, or in qemuargs.
    const qemu = renderQemuArgs(profile.qemuargs, FIELDS).flat().join(' ');
    const urls = [...`${typed} ${qemu}`.matchAll(SERVED)].map((m) => m[1]!);
    const paths = urls.flatMap((u) => (u.endsWith('/') ? [`${u}user-data`, `${u}meta-data`] : [u]));
    for (const p of paths) expect(Object.keys(profile.http_content), `${p} is fetched but not served`).toContain(p);
    if (Object.keys(profile.http_content).length) expect(paths.length, 'http_content that nothing fetches').toBeGreaterThan(0);
  });

  it('provisions with shell scripts that parse and have balanced BEGIN/END sections', () => {
    const {profile, dir: pdir} = load(name);
    const scripts = profile.provisioners.flatMap((p) => (p.type === 'shell' ? [...(p.script ? [p.script] : []), ...p.scripts] : []));
    expect(scripts.length, 'a shell provisioning script').toBeGreaterThan(0);
    for (const s of new Set(scripts)) {
      const file = path.resolve(pdir, s);
      const text = readFileSync(file, 'utf8');
      const shell = /^#!.*\bbash\b/.test(text) ? 'bash' : 'sh';
      expect(() => execFileSync(shell, ['-n', file], {stdio: 'pipe'}), `${s}: ${shell} -n`).not.toThrow();
      const markers = sectionMarkers(text);
      expect(markers.length, `${s} prints BEGIN{name}/END{name} sections`).toBeGreaterThan(0);
      expect(unbalanced(markers), s).toEqual([]);
    }
  });
});
