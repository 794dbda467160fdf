/** How wait-ssh picks credentials from the profile and the environment (seed 000's PACKER_PRIVATE_KEY). */
import {mkdtempSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {BuildState} from '../../src/engine/state.js';
import {StepError, type StepContext} from '../../src/engine/step.js';
import {sshTarget} from '../../src/engine/steps/wait-ssh.js';
import {parseProfile} from '../../src/profiles/loader.js';
import {scratchDirs} from '../support/scratch.js';

const scratch = scratchDirs('vmbench-unit-');

const TEMP_KEY = {privateKey: 'temporary-private', publicKey: 'ssh-ed25519 AAAA tmp'};

function ctx(yaml: string, env: Record<string, string> = {}, dir = os.tmpdir()): StepContext<BuildState> {
  const profile = parseProfile(`iso_url: x.iso\nssh_username: root\n${yaml}`, 'p.yaml', 'p');
  const state = {profile, profileDir: dir, options: {env}, sshHostPort: 2222, sshKey: TEMP_KEY} as unknown as BuildState;
  return {state} as StepContext<BuildState>;
}

describe('sshTarget', () => {
  it('uses the temporary key when the profile gives no password', async () => {
    expect(await sshTarget(ctx(''))).toMatchObject({port: 2222, username: 'root', privateKey: 'temporary-private', agent: undefined});
  });

  it('uses only the password when one is given', async () => {
    const t = await sshTarget(ctx('ssh_password: pw'));
    expect(t).toMatchObject({password: 'pw', privateKey: undefined});
  });

  it('reads PACKER_PRIVATE_KEY when ssh_private_key_file is not set, relative to the profile', async () => {
    const dir = scratch('t');
    writeFileSync(path.join(dir, 'id'), 'key-from-env');
    expect((await sshTarget(ctx('', {PACKER_PRIVATE_KEY: 'id'}, dir))).privateKey).toBe('key-from-env');
    await expect(sshTarget(ctx('', {PACKER_PRIVATE_KEY: 'missing'}, dir))).rejects.toThrow(/ssh_private_key_file .*missing: ENOENT/);
  });

  it('offers the ssh-agent with ssh_agent_auth, and says so when there is none', async () => {
    expect((await sshTarget(ctx('ssh_agent_auth: true', {SSH_AUTH_SOCK: '/run/agent.sock'}))).agent).toBe('/run/agent.sock');
    const err = await sshTarget(ctx('ssh_agent_auth: true')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as Error).message).toMatch(/SSH_AUTH_SOCK is not/);
  });
});
