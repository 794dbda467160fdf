/**
 * cloud-seed — uses: profile.cloud_init, profile.ssh_username/ssh_private_key_file, state.sshKey,
 * state.id. Produces: state.seedPath, the NoCloud seed (an ISO labelled `cidata`, written by
 * vmbench's own ISO writer: no cloud-localds or genisoimage) that start-vm attaches as a CD.
 * The seed's files are also kept in the log folder (cloud-init/) with the keys as they were
 * given — public keys only, nothing secret. Cleanup: removes the image.
 */
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {nocloudSeed, seedHostname} from '../../cloud/nocloud.js';
import {writeIso} from '../../media/iso-writer.js';
import {publicKeyOf} from '../../ssh/index.js';
import {StepError, type Step} from '../step.js';
import type {BuildState} from '../state.js';
import {watchedTempDir} from '../../qemu/watchdog.js';

const dirs = new WeakMap<BuildState, string>();

export const cloudSeed: Step<BuildState> = {
  id: 'cloud-seed',
  title: 'Write cloud-init seed',
  applies: (state) => state.profile.cloud_init !== undefined,
  async run(ctx) {
    const {profile, profileDir, options, sshKey} = ctx.state;
    const opts = profile.cloud_init!;
    const keys: string[] = [];
    if (sshKey) keys.push(sshKey.publicKey);
    const keyFile = profile.ssh_private_key_file ?? options.env.PACKER_PRIVATE_KEY;
    if (keyFile) {
      const file = path.resolve(profileDir, keyFile);
      try {
        keys.push(publicKeyOf(await readFile(file, 'utf8'), 'vmbench-build'));
      } catch (err) {
        throw new StepError(`ssh_private_key_file ${file}: cannot derive its public key for the cloud-init seed: ${(err as Error).message}`, 'give an unencrypted private key (the guest gets its public half), or leave ssh_private_key_file out to use the build’s temporary key');
      }
    }
    const files = nocloudSeed({
      options: opts,
      username: profile.ssh_username,
      publicKeys: keys,
      instanceId: `vmbench-${ctx.state.id}`,
      hostname: seedHostname(profile.vm_name),
    });
    const dir = dirs.get(ctx.state) ?? (await watchedTempDir('vmbench-seed-'));
    dirs.set(ctx.state, dir);
    const file = path.join(dir, 'cidata.iso');
    const entries = Object.entries(files).map(([name, text]) => ({path: name, content: text}));
    const s = await writeIso({files: entries, label: 'cidata'}, file, {signal: ctx.signal});
    ctx.state.seedPath = file;
    // A copy to read after the build (owner-only: user-data may carry passwords).
    const copies = path.join(options.logDir, 'cloud-init');
    await mkdir(copies, {recursive: true, mode: 0o700});
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(copies, name), text, {mode: 0o600});
    ctx.log('vmbench', 'info', `cloud-init seed "${s.label}": ${Object.keys(files).join(', ')} (${keys.length} public key${keys.length === 1 ? '' : 's'} for ${profile.ssh_username}); copies in the log folder under cloud-init/`);
  },
  async cleanup(ctx) {
    const dir = dirs.get(ctx.state);
    if (dir) await rm(dir, {recursive: true, force: true});
    dirs.delete(ctx.state);
    ctx.state.seedPath = undefined;
  },
};
