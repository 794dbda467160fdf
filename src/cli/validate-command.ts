/** `vmbench validate` and `vmbench profiles`. */
import {loadSettings, profileDefaults} from '../settings/index.js';
import {loadProfile, ProfileError} from '../profiles/loader.js';
import type {CliValues} from './main.js';
import {listProfileNames, resolveProfileArg} from '../session/paths.js';

export function parseVars(list: string[] = []): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const v of list) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new Error(`--var ${v}: expected NAME=VALUE`);
    vars[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return vars;
}

export async function validateCommand(args: string[], values: CliValues): Promise<number> {
  if (args.length !== 1) {
    process.stderr.write('usage: vmbench validate <profile>\n');
    return 2;
  }
  try {
    const loaded = loadProfile(resolveProfileArg(args[0]!), {vars: parseVars(values.var), defaults: profileDefaults(loadSettings())});
    process.stdout.write(`${loaded.file}: ok (${loaded.profile.name}, ${loaded.profile.provisioners.length} provisioners)\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof ProfileError ? err.message : `vmbench: ${(err as Error).message}`}\n`);
    return 2;
  }
}

export async function profilesCommand(): Promise<number> {
  for (const name of listProfileNames()) {
    try {
      const {profile} = loadProfile(resolveProfileArg(name));
      process.stdout.write(`${name.padEnd(16)} ${profile.distro.padEnd(12)} ${profile.install_method.padEnd(12)} ${profile.description}\n`);
    } catch (err) {
      process.stdout.write(`${name.padEnd(16)} INVALID: ${(err as Error).message.split('\n')[0]}\n`);
    }
  }
  return 0;
}
