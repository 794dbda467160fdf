/**
 * ssh-key — produces: state.sshKey, a temporary ed25519 key pair for this build only, offered
 * to the guest as {{ .SSHPublicKey }} and used to log in. Cleanup: forgets it (never written to disk).
 */
import {generateKeyPair} from '../../ssh/index.js';
import type {BuildState} from '../state.js';
import type {Step} from '../step.js';

export const sshKey: Step<BuildState> = {
  id: 'ssh-key',
  title: 'Create temporary SSH key',
  // Packer makes the key only for the SSH communicator.
  applies: (state) => state.profile.communicator !== 'none',
  async run(ctx) {
    ctx.state.sshKey = generateKeyPair(`vmbench-${ctx.state.id}`);
    ctx.log('vmbench', 'debug', 'generated a temporary ed25519 key pair for this build');
  },
  async cleanup(ctx) {
    ctx.state.sshKey = undefined;
  },
};
