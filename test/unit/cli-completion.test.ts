/**
 * Shell completion scripts from the command table: each parses in its shell (bash -n, zsh -n,
 * fish -n — a shell that is not installed is skipped), and bash and fish really complete
 * commands, options, option values and profile names (asked of a stub `vmbench` on PATH).
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {COMMANDS} from '../../src/cli/commands.js';
import {completionScript, SHELLS} from '../../src/cli/completion.js';

const has = (shell: string): boolean => spawnSync(shell, ['-c', 'exit 0']).status === 0;

let dir: string;
let env: NodeJS.ProcessEnv;
const file = (shell: string): string => path.join(dir, `vmbench.${shell}`);

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-completion-'));
  for (const s of SHELLS) writeFileSync(file(s), completionScript(s));
  // The scripts ask `vmbench profiles --names` for profile names: a stub answers.
  const stub = path.join(dir, 'bin', 'vmbench');
  execFileSync('mkdir', ['-p', path.dirname(stub)]);
  writeFileSync(stub, '#!/bin/sh\n[ "$1 $2" = "profiles --names" ] && printf "tiny\\ndebian-12\\n"\n');
  chmodSync(stub, 0o755);
  env = {...process.env, PATH: `${path.dirname(stub)}:${process.env.PATH}`, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir};
});
afterAll(() => rmSync(dir, {recursive: true, force: true}));

describe.each(SHELLS)('%s script', (shell) => {
  it.skipIf(!has(shell))('parses (-n)', () => {
    const r = spawnSync(shell, ['-n', file(shell)], {encoding: 'utf8'});
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('names every command and every visible option', () => {
    const text = completionScript(shell);
    for (const c of COMMANDS) {
      expect(text).toContain(c.name);
      for (const o of c.options.filter((x) => !x.hidden)) expect(text, `${c.name} --${o.name}`).toMatch(new RegExp(`(--|-l )${o.name}\\b`));
    }
  });
});

/** What bash completes for the words (the last one is the word being completed). */
function bashComplete(words: string[]): string[] {
  const script = `source ${JSON.stringify(file('bash'))}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=()
_vmbench; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script], {encoding: 'utf8', env, cwd: dir});
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('bash completes', () => {
  it.each([
    [['vmbench', 'bu'], ['build']],
    [['vmbench', ''], COMMANDS.map((c) => c.name).sort()],
    [['vmbench', 'build', '--fo'], ['--force']],
    [['vmbench', 'build', '--on-error', ''], ['abort', 'ask', 'cleanup']],
    [['vmbench', 'build', '-on-error', 'a'], ['abort', 'ask']],
    // --on-error=<Tab>: bash splits the word at '='.
    [['vmbench', 'build', '--on-error', '=', 'c'], ['cleanup']],
    [['vmbench', 'build', 'ti'], ['tiny']],
    [['vmbench', 'validate', 'deb'], ['debian-12']],
    [['vmbench', 'validate', '--j'], ['--json']],
    [['vmbench', 'profiles', '--'], ['--cache-dir', '--color', '--help', '--json']],
    [['vmbench', 'completion', ''], ['bash', 'fish', 'zsh']],
    [['vmbench', 'help', 'va'], ['validate']],
    // An option's value is not taken for the command.
    [['vmbench', '--color', 'false', 'build', '--for'], ['--force']],
  ])('%j → %j', (words, expected) => {
    expect(bashComplete(words)).toEqual(expected);
  });
});

describe.skipIf(!has('fish'))('fish completes', () => {
  const fish = (line: string): string[] => {
    const r = spawnSync('fish', ['--no-config', '-c', `source ${JSON.stringify(file('fish'))}; complete -C ${JSON.stringify(line)}`], {encoding: 'utf8', env, cwd: dir});
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!).sort();
  };
  it.each([
    ['vmbench bu', ['build']],
    ['vmbench build --fo', ['--force']],
    ['vmbench build --on-error ', ['abort', 'ask', 'cleanup']],
    ['vmbench validate ti', ['tiny']],
    ['vmbench completion ', ['bash', 'fish', 'zsh']],
  ])('%s → %j', (line, expected) => {
    expect(fish(line)).toEqual(expected);
  });
});

describe.skipIf(!has('zsh'))('zsh', () => {
  it('loads under compinit and defines its functions', () => {
    const r = spawnSync('zsh', ['-f', '-c', `autoload -U compinit; compinit -u -d ${dir}/zcompdump; source ${JSON.stringify(file('zsh'))}; whence -w _vmbench _vmbench_profiles; print -r -- $_comps[vmbench]`], {encoding: 'utf8', env});
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['_vmbench: function', '_vmbench_profiles: function', '_vmbench']);
  });
});
