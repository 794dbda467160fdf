/**
 * The ansible provisioner (Packer's remote `ansible` with `use_proxy: false`): runs
 * ansible-playbook on the host against the VM's forwarded SSH port, streaming its output as
 * provisioner lines.
 *
 * Credentials: the profile's key file, else this build's temporary key (the guest got it as
 * {{ .SSHPublicKey }}), copied to a private 0600 file; with ssh_password too, and sshpass
 * installed, the password is offered after the key. The password only ever goes into a private
 * 0600 extra-vars file (never the inventory, the command line or a log line), so a kept
 * inventory holds no secret. The same goes for Packer's variables and for extra_arguments'
 * `-e`/`--extra-vars` that set a password-like variable (`ansible_become_pass=…`): each goes
 * into a 0600 file passed as `-e @file`, and their values are hidden in ansible's output too.
 * The private folder (key copy, password file) and the inventory are removed when the
 * provisioner ends, and synchronously if vmbench exits first (a second Ctrl-C).
 *
 * Processes: ansible-playbook runs in its own process group; cancelling kills the group
 * (SIGTERM, then SIGKILL), and the group is swept again after a normal exit. OpenSSH's
 * ControlPersist masters detach into their own session, so their sockets live in our private
 * directory and each is told `ssh -O exit` at the end — no ssh left connected to the VM.
 *
 * galaxy_file: ansible-galaxy installs its roles and collections first, with the argv Packer
 * builds (galaxyCommands), through the host-command machinery. Where Packer installs into the
 * user's ~/.ansible (no roles_path / collections_path), vmbench installs into the private folder
 * and points ansible-playbook at it (ANSIBLE_ROLES_PATH / ANSIBLE_COLLECTIONS_PATH): the build
 * leaves the user's home as it was, and removes what it installed.
 */
import {randomBytes} from 'node:crypto';
import {accessSync, constants, existsSync, rmSync} from 'node:fs';
import {mkdir, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import type {AnsibleProvisioner} from '../../../profiles/schema.js';
import {redact, redactAssignments} from '../../../profiles/sensitive.js';
import {LineSplitter} from '../../../util/lines.js';
import {need, StepError, type StepContext} from '../../step.js';
import type {BuildState} from '../../state.js';
import {sshSession} from '../ssh-session.js';
import {runHostCommand} from './host-command.js';
import {watchedTempDir} from '../../../qemu/watchdog.js';
import {watchProcess} from '../../../qemu/watchdog.js';

const RECONNECT_MS = 5 * 60_000;
const KILL_GRACE_MS = 3000;

/** An executable `name` on `PATH`, or undefined. A name with a slash is taken as it is. */
export function findExecutable(name: string, envPath: string | undefined): string | undefined {
  const candidates = name.includes('/') ? [name] : (envPath ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, name));
  return candidates.find((f) => {
    try {
      accessSync(f, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A value for an INI inventory line (ansible splits host lines with shlex). */
function iniValue(v: string): string {
  return /^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'"'"'`)}'`;
}

/** The inventory: the host line, then each group repeating it (Packer's layout). */
export function inventoryText(alias: string, vars: Record<string, string | number>, groups: string[]): string {
  const host = `${alias} ${Object.entries(vars)
    .map(([k, v]) => `${k}=${iniValue(String(v))}`)
    .join(' ')}\n`;
  return host + groups.map((g) => `[${g}]\n${host}`).join('');
}

/** The command line as logged: values of password/secret-like `-e k=v` arguments hidden, like Packer, and every `*_pass=` inside an argument. */
export function sanitizeArgs(args: string[]): string[] {
  return args.map((a) => redactAssignments(a).replace(/^([^=\s]*(?:password|passwd|secret|token)[^=\s]*=).*/i, '$1*****'));
}

/** Keys whose values ansible takes as passwords (`ansible_become_pass`, `ansible_password`, `vault_password`…). */
const SECRET_VAR = /(?:_pass|password|passwd|passphrase|secret|token)$/i;

/**
 * ansible's `key=value key2='v 2'` extra-vars form as a map, or undefined when it is not that
 * plainly (then it is left as it is). Values stay strings, as ansible reads them.
 */
export function parseKeyValues(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const token = /\s*([A-Za-z_][\w]*)=("([^"\\]*)"|'([^']*)'|([^\s"'\\]*))(?=\s|$)/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    token.lastIndex = at;
    const m = token.exec(text);
    if (!m) return undefined;
    out[m[1]!] = m[3] ?? m[4] ?? m[5] ?? '';
    at = token.lastIndex;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * extra_arguments with every `-e`/`--extra-vars` value that sets a password-like variable moved
 * into a private file (`-e @file`), so no password is on ansible-playbook's command line (which
 * any local user can read in `ps`). `files` are to be written 0600 under `dir`; `left` names
 * values that carry a secret but could not be moved (not plain key=value or JSON); `secrets` are
 * the values moved, to hide from ansible's own output too.
 */
export function privateExtraVars(args: readonly string[], dir: string): {args: string[]; files: {file: string; text: string}[]; left: string[]; secrets: string[]} {
  const out: string[] = [];
  const files: {file: string; text: string}[] = [];
  const left: string[] = [];
  const secrets: string[] = [];
  const move = (value: string): string | undefined => {
    if (value.startsWith('@')) return undefined;
    const trimmed = value.trim();
    let vars: Record<string, unknown> | undefined;
    if (trimmed.startsWith('{')) {
      try {
        vars = JSON.parse(trimmed) as Record<string, unknown>;
      } catch {
        vars = undefined;
      }
    } else vars = parseKeyValues(value);
    const hasSecret = vars ? Object.keys(vars).some((k) => SECRET_VAR.test(k)) : redactAssignments(value) !== value;
    if (!hasSecret) return undefined;
    if (!vars || typeof vars !== 'object' || Array.isArray(vars)) {
      left.push(value);
      return undefined;
    }
    for (const [k, v] of Object.entries(vars)) if (SECRET_VAR.test(k) && typeof v === 'string' && v.length > 1) secrets.push(v);
    const file = path.join(dir, `extra-vars-${files.length + 1}.json`);
    files.push({file, text: JSON.stringify(vars)});
    return `@${file}`;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === '-e' || a === '--extra-vars') && i + 1 < args.length) {
      const to = move(args[i + 1]!);
      out.push(a, to ?? args[i + 1]!);
      i++;
    } else if (a.startsWith('--extra-vars=')) {
      const to = move(a.slice('--extra-vars='.length));
      out.push(to ? `--extra-vars=${to}` : a);
    } else out.push(a);
  }
  return {args: out, files, left, secrets: [...new Set(secrets)].sort((x, y) => y.length - x.length)};
}

/**
 * The ansible-galaxy runs for a requirements file, as Packer's executeGalaxy builds them: roles
 * (`install -r FILE`) when the file has a top-level `roles:` or no `collections:` (the old
 * list-of-roles form), collections (`collection install -r FILE`) when it has `collections:`;
 * each with `-f` / `--force-with-deps` when asked and `-p` its install folder.
 */
export function galaxyCommands(o: {
  command: string;
  file: string;
  requirements: string;
  rolesPath?: string;
  collectionsPath?: string;
  force?: boolean;
  forceWithDeps?: boolean;
}): {what: 'roles' | 'collections'; argv: string[]}[] {
  const flags = [...(o.force ? ['-f'] : []), ...(o.forceWithDeps ? ['--force-with-deps'] : [])];
  const kinds = galaxyKinds(o.requirements);
  const runs: {what: 'roles' | 'collections'; argv: string[]}[] = [];
  if (kinds.roles) runs.push({what: 'roles', argv: [o.command, 'install', '-r', o.file, ...flags, ...(o.rolesPath ? ['-p', o.rolesPath] : [])]});
  if (kinds.collections) runs.push({what: 'collections', argv: [o.command, 'collection', 'install', '-r', o.file, ...flags, ...(o.collectionsPath ? ['-p', o.collectionsPath] : [])]});
  return runs;
}

/** What a requirements file installs, by Packer's test of its top-level keys. */
export function galaxyKinds(requirements: string): {roles: boolean; collections: boolean} {
  const collections = /^collections:/m.test(requirements);
  return {roles: /^roles:/m.test(requirements) || !collections, collections};
}

/**
 * ANSIBLE_ROLES_PATH / ANSIBLE_COLLECTIONS_PATH for ansible-playbook (and ansible-galaxy). Given
 * roles_path / collections_path: those, as written. Else, when a galaxy file installed into the
 * build's private folder: that folder first, then what ansible would have used (the variable
 * from ansible_env_vars or vmbench's environment, else ansible's default under ANSIBLE_HOME), so
 * roles and collections already installed for the user are still found.
 */
export function ansiblePathVars(o: {rolesPath?: string; collectionsPath?: string; privateRoles?: string; privateCollections?: string; env: Record<string, string | undefined>}): Record<string, string> {
  const home = o.env.ANSIBLE_HOME || '~/.ansible';
  const out: Record<string, string> = {};
  if (o.rolesPath) out.ANSIBLE_ROLES_PATH = o.rolesPath;
  else if (o.privateRoles) out.ANSIBLE_ROLES_PATH = `${o.privateRoles}:${o.env.ANSIBLE_ROLES_PATH || `${home}/roles:/usr/share/ansible/roles:/etc/ansible/roles`}`;
  if (o.collectionsPath) out.ANSIBLE_COLLECTIONS_PATH = o.collectionsPath;
  else if (o.privateCollections) {
    const was = o.env.ANSIBLE_COLLECTIONS_PATH || o.env.ANSIBLE_COLLECTIONS_PATHS || `${home}/collections:/usr/share/ansible/collections`;
    out.ANSIBLE_COLLECTIONS_PATH = `${o.privateCollections}:${was}`;
  }
  return out;
}

/**
 * Private files a running provisioner made (key copy, password file, inventory), removed
 * synchronously if vmbench exits before its own cleanup runs (a second Ctrl-C calls
 * process.exit; the awaited rm in `finally` never comes).
 */
const privatePaths = new Set<string>();
let exitHooked = false;
function removeOnExit(p: string): void {
  privatePaths.add(p);
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const q of privatePaths) {
      try {
        rmSync(q, {recursive: true, force: true});
      } catch {
        // Nothing more can be done while exiting.
      }
    }
  });
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // Nothing left in the group.
  }
}

/** Runs one ansible provisioner. */
export async function runAnsible(ctx: StepContext<BuildState>, p: AnsibleProvisioner): Promise<void> {
  const {state} = ctx;
  const {profile, profileDir} = state;
  const env: Record<string, string> = Object.fromEntries(Object.entries(state.options.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const name = p.name ?? 'ansible';
  const where = `the ansible provisioner is defined at ${p.source}`;

  const playbook = path.resolve(profileDir, p.playbook_file);
  const pb = await stat(playbook).catch(() => undefined);
  if (!pb?.isFile()) throw new StepError(`${p.source}: playbook_file ${playbook}: ${pb ? 'not a file' : 'no such file'}`, `playbook_file is relative to the profile directory ${profileDir}`);
  const command = findExecutable(p.command.includes('/') ? path.resolve(profileDir, p.command) : p.command, env.PATH);
  if (!command) {
    throw new StepError(
      `${p.source}: ${p.command} not found${p.command.includes('/') ? '' : ' on PATH'}: the ansible provisioner runs it on this host`,
      p.command === 'ansible-playbook' ? 'install it: apt-get install ansible-core' : `set command to an executable (now: ${p.command})`,
    );
  }

  let galaxy: {file: string; command: string; requirements: string} | undefined;
  if (p.galaxy_file) {
    const file = path.resolve(profileDir, p.galaxy_file);
    const requirements = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new StepError(`${p.source}: galaxy_file ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'not a file' : err.message}`, `galaxy_file is relative to the profile directory ${profileDir}`);
    });
    const wanted = p.galaxy_command ?? 'ansible-galaxy';
    const galaxyCommand = findExecutable(wanted.includes('/') ? path.resolve(profileDir, wanted) : wanted, env.PATH);
    if (!galaxyCommand) {
      throw new StepError(
        `${p.source}: ${wanted} not found${wanted.includes('/') ? '' : ' on PATH'}: the ansible provisioner runs it on this host for galaxy_file`,
        wanted === 'ansible-galaxy' ? 'install it: apt-get install ansible-core' : `set galaxy_command to an executable (now: ${wanted})`,
      );
    }
    galaxy = {file, command: galaxyCommand, requirements};
  }

  // Credentials, in OpenSSH's order of trying: key first, then password.
  const keyFile = profile.ssh_private_key_file ?? env.PACKER_PRIVATE_KEY;
  let key: string | undefined;
  if (keyFile) {
    const file = path.resolve(profileDir, keyFile);
    key = await readFile(file, 'utf8').catch((err: Error) => {
      throw new StepError(`${p.source}: ssh_private_key_file ${file}: ${err.message}`);
    });
  } else key = state.sshKey?.privateKey;
  const password = profile.ssh_password;
  const sshpass = password ? findExecutable('sshpass', env.PATH) : undefined;
  if (!key && !password) throw new StepError(`${p.source}: no SSH credentials for ansible (no key and no ssh_password)`, where);
  if (!key && !sshpass) {
    throw new StepError(`${p.source}: ansible can only log in with ssh_password through sshpass, which is not installed`, 'apt-get install sshpass, or set ssh_private_key_file');
  }
  if (key && password && !sshpass) ctx.log('vmbench', 'info', `${name}: sshpass is not installed, so ansible offers only the SSH key (not ssh_password)`);

  await sshSession(ctx, RECONNECT_MS); // the guest answers SSH (again, after a reboot)
  const port = need(state.sshHostPort, 'SSH host port');
  const user = p.user ?? profile.ssh_username;

  const priv = await watchedTempDir('vmbench-ansible-');
  removeOnExit(priv);
  // The work dir becomes the output directory: a kept inventory ends up beside the image.
  const inventoryDir = state.workDir && existsSync(state.workDir) ? state.workDir : p.keep_inventory_file ? os.tmpdir() : priv;
  const inventory = path.join(inventoryDir, `ansible-inventory-${randomBytes(4).toString('hex')}.ini`);
  if (!p.keep_inventory_file) removeOnExit(inventory);
  let pid: number | undefined;
  try {
    await mkdir(path.join(priv, 'tmp'), {mode: 0o700});
    await mkdir(path.join(priv, 'cp'), {mode: 0o700});
    const hostVars: Record<string, string | number> = {ansible_host: '127.0.0.1', ansible_port: port, ansible_user: user};
    const extraVars: Record<string, string> = {};
    if (key) {
      const keyPath = path.join(priv, 'id_key');
      await writeFile(keyPath, key.endsWith('\n') ? key : `${key}\n`, {mode: 0o600});
      hostVars.ansible_ssh_private_key_file = keyPath;
      // As Packer does: -e outranks any ansible_ssh_private_key_file the playbook's vars set.
      extraVars.ansible_ssh_private_key_file = keyPath;
    }
    if (password && sshpass) extraVars.ansible_password = password;
    await writeFile(inventory, inventoryText(p.host_alias, hostVars, p.groups), {mode: 0o600});
    const varsFile = path.join(priv, 'vars.json');
    await writeFile(varsFile, JSON.stringify(extraVars), {mode: 0o600});

    const packerVars: Record<string, string> = {packer_build_name: profile.name, packer_builder_type: 'qemu'};
    if (state.http) packerVars.packer_http_addr = `${state.http.guestIp}:${state.http.port}`;
    // Extra vars vmbench passes go in private files (-e @file), never on the command line.
    const packerVarsFile = path.join(priv, 'packer-vars.json');
    await writeFile(packerVarsFile, JSON.stringify(packerVars), {mode: 0o600});
    const extra = privateExtraVars(p.extra_arguments, priv);
    for (const f of extra.files) await writeFile(f.file, f.text, {mode: 0o600});
    for (const v of extra.left) {
      ctx.log('vmbench', 'warn', `${name}: an extra argument (${redactAssignments(v)}) sets a password on ansible-playbook's command line, where other local users can read it: put it in a file and pass -e @file`);
    }
    const hide = (l: string): string => redact(l, extra.secrets);
    const args = ['-e', `@${packerVarsFile}`, ...extra.args, '-e', `@${varsFile}`, '-i', inventory, playbook];
    const childEnv: Record<string, string> = {
      ...env,
      ANSIBLE_HOST_KEY_CHECKING: 'False',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
      ANSIBLE_RETRY_FILES_ENABLED: 'False',
      ANSIBLE_LOCAL_TEMP: path.join(priv, 'tmp'),
      ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(priv, 'cp'),
      // Each build's guest has new host keys on a recycled port: never record them, or the next
      // build gets OpenSSH's "host identification has changed" (and password auth turned off).
      ANSIBLE_SSH_COMMON_ARGS: `-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR${key ? ' -o IdentitiesOnly=yes' : ''}`,
      PYTHONUNBUFFERED: '1',
    };
    for (const v of p.ansible_env_vars) {
      const eq = v.indexOf('=');
      childEnv[v.slice(0, eq)] = v.slice(eq + 1);
    }
    // Without roles_path/collections_path, what galaxy_file names goes into this build's private
    // folder (removed at the end), not into the user's ~/.ansible as with Packer.
    const kinds = galaxy ? galaxyKinds(galaxy.requirements) : {roles: false, collections: false};
    const privateRoles = kinds.roles && !p.roles_path ? path.join(priv, 'galaxy', 'roles') : undefined;
    const privateCollections = kinds.collections && !p.collections_path ? path.join(priv, 'galaxy', 'collections') : undefined;
    Object.assign(childEnv, ansiblePathVars({rolesPath: p.roles_path, collectionsPath: p.collections_path, privateRoles, privateCollections, env: childEnv}));
    if (galaxy) await runGalaxy(ctx, p, galaxy, {rolesPath: p.roles_path ?? privateRoles, collectionsPath: p.collections_path ?? privateCollections, env: {...childEnv, ANSIBLE_GALAXY_CACHE_DIR: childEnv.ANSIBLE_GALAXY_CACHE_DIR ?? path.join(priv, 'galaxy', 'cache')}, hide: (l) => redact(l, extra.secrets)});

    ctx.log('vmbench', 'info', `${name}: running ${[command, ...sanitizeArgs(args)].join(' ')} (user ${user}, 127.0.0.1:${port}, ${key ? `key${sshpass && password ? ' then password' : ''}` : 'password'})`);
    const started = Date.now();
    const child = execa(command, args, {
      cwd: profileDir,
      env: childEnv,
      extendEnv: false,
      detached: true,
      buffer: false,
      reject: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    pid = child.pid;
    watchProcess(pid, true);
    const out = new LineSplitter((l) => ctx.log('provisioner', 'stdout', hide(l)));
    const errOut = new LineSplitter((l) => ctx.log('provisioner', 'stderr', hide(l)));
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => errOut.push(d));
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (pid === undefined) return;
      ctx.log('vmbench', 'info', `${name}: stopping ansible-playbook (process group ${pid})`);
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => pid !== undefined && killGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    ctx.signal.addEventListener('abort', onAbort, {once: true});
    // If vmbench itself exits now (a second Ctrl-C), take the playbook down with it.
    const onExit = (): void => void (pid !== undefined && killGroup(pid, 'SIGKILL'));
    process.once('exit', onExit);
    const r = await child.finally(() => {
      ctx.signal.removeEventListener('abort', onAbort);
      process.removeListener('exit', onExit);
      clearTimeout(killTimer);
    });
    out.flush();
    errOut.flush();
    const took = `${((Date.now() - started) / 1000).toFixed(1)}s`;
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ctx.state.sections?.scriptEnded(name, r.exitCode ?? -1);
    if ((r as {code?: string}).code === 'ENOENT' || (r.failed && r.exitCode === undefined && !r.signal)) {
      throw new StepError(`${p.source}: could not run ${command}: ${(r as {shortMessage?: string}).shortMessage ?? r.message}`, 'install it: apt-get install ansible-core');
    }
    if (r.exitCode !== 0) {
      const how = r.exitCode === undefined ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
      const keyOnly = key && password && !sshpass ? '; if the guest refused the key (UNREACHABLE, Permission denied), apt-get install sshpass so ansible can use ssh_password' : '';
      throw new StepError(`${p.source}: ansible-playbook ${p.playbook_file} ${how} after ${took}`, `ansible's output is above; ${where}${keyOnly}`);
    }
    ctx.log('vmbench', 'info', `${name}: ansible-playbook ${p.playbook_file} done in ${took}`);
  } finally {
    // Whatever ansible left in its group (an ssh it spawned), then the detached ssh masters.
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
    await stopControlMasters(path.join(priv, 'cp'), env);
    await rm(priv, {recursive: true, force: true}).catch(() => undefined);
    privatePaths.delete(priv);
    if (p.keep_inventory_file && inventoryDir !== priv) ctx.log('vmbench', 'info', `${name}: kept the inventory ${inventory}`);
    else await rm(inventory, {force: true}).catch(() => undefined);
    privatePaths.delete(inventory);
  }
}

/**
 * ansible-galaxy for galaxy_file, before the playbook: each run through the host-command
 * machinery (own process group, output as provisioner lines, stopped by Ctrl-C or the
 * provisioner's timeout, the build's watchdog). A failure stops the provisioner, naming the
 * command and the last lines it wrote to stderr.
 */
async function runGalaxy(
  ctx: StepContext<BuildState>,
  p: AnsibleProvisioner,
  galaxy: {file: string; command: string; requirements: string},
  o: {rolesPath?: string; collectionsPath?: string; env: Record<string, string>; hide: (l: string) => string},
): Promise<void> {
  const name = p.name ?? 'ansible';
  const runs = galaxyCommands({command: galaxy.command, file: galaxy.file, requirements: galaxy.requirements, rolesPath: o.rolesPath, collectionsPath: o.collectionsPath, force: p.galaxy_force_install, forceWithDeps: p.galaxy_force_with_deps});
  const {profileDir} = ctx.state;
  for (const run of runs) {
    const into = run.what === 'roles' ? o.rolesPath : o.collectionsPath;
    ctx.log('vmbench', 'info', `${name}: installing the ${run.what} of ${p.galaxy_file}${into ? ` into ${path.resolve(profileDir, into)}` : ''}: ${run.argv.join(' ')}`);
    const stderrTail: string[] = [];
    const r = await runHostCommand(run.argv, {
      cwd: profileDir,
      env: o.env,
      signal: ctx.signal,
      what: `${name}'s ansible-galaxy`,
      log: (source, stream, line) => {
        const l = source === 'provisioner' ? o.hide(line) : line;
        if (source === 'provisioner' && stream === 'stderr' && l.trim()) {
          stderrTail.push(l);
          if (stderrTail.length > 8) stderrTail.shift();
        }
        ctx.log(source, stream, l);
      },
    });
    const took = `${(r.durationMs / 1000).toFixed(1)}s`;
    if (r.startError) throw new StepError(`${p.source}: could not run ${galaxy.command}: ${r.startError}`, 'install it: apt-get install ansible-core, or set galaxy_command');
    if (r.exitCode !== 0) {
      const how = r.exitCode === undefined ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
      const tail = stderrTail.length ? `:\n  ${stderrTail.join('\n  ')}` : ' (nothing on stderr)';
      throw new StepError(`${p.source}: ${run.argv.join(' ')} ${how} after ${took}${tail}`, `ansible-galaxy's output is above; galaxy_file ${p.galaxy_file} is named by the ansible provisioner at ${p.source}`);
    }
    ctx.log('vmbench', 'info', `${name}: ansible-galaxy installed the ${run.what} of ${p.galaxy_file} in ${took}`);
  }
}

/** `ssh -O exit` for every ControlPersist socket ansible left (they outlive ansible by 60 s). */
async function stopControlMasters(dir: string, env: Record<string, string>): Promise<void> {
  const sockets = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    sockets.map((s) =>
      execa('ssh', ['-o', `ControlPath=${path.join(dir, s)}`, '-O', 'exit', 'vmbench-ansible'], {env, extendEnv: false, reject: false, timeout: 5000, stdin: 'ignore'}),
    ),
  );
}
