/** The build, in order (Packer's qemu builder step order); steps that do not apply to a profile are left out (Step.applies). */
import type {BuildState} from '../state.js';
import type {Step} from '../step.js';
import {clearKeys} from './clear-keys.js';
import {cloudClean, cloudInitWait} from './cloud-init.js';
import {cloudSeed} from './cloud-seed.js';
import {convert} from './convert.js';
import {createDisk} from './create-disk.js';
import {createMedia} from './create-media.js';
import {fetchIso} from './fetch-iso.js';
import {postProcess} from './post-process.js';
import {prepareEfivars} from './prepare-efivars.js';
import {prepareOutput} from './prepare-output.js';
import {provision} from './provision.js';
import {records} from './records.js';
import {serveHttp} from './serve-http.js';
import {shutdown} from './shutdown.js';
import {sshKey} from './ssh-key.js';
import {startVm} from './start-vm.js';
import {typeBootCommandStep} from './type-boot-command.js';
import {waitSsh} from './wait-ssh.js';
import {zeroFreeSpace} from './zero-free-space.js';

export const BUILD_STEPS: readonly Step<BuildState>[] = [
  fetchIso,
  prepareOutput,
  createMedia,
  createDisk,
  sshKey,
  cloudSeed,
  serveHttp,
  prepareEfivars,
  startVm,
  typeBootCommandStep,
  waitSsh,
  cloudInitWait,
  provision,
  cloudClean,
  zeroFreeSpace,
  clearKeys,
  shutdown,
  convert,
  postProcess,
  records,
];
