/** The build, in order (Packer's qemu builder step order). */
import type {BuildState} from '../state.js';
import type {Step} from '../step.js';
import {clearKeys} from './clear-keys.js';
import {convert} from './convert.js';
import {createDisk} from './create-disk.js';
import {fetchIso} from './fetch-iso.js';
import {postProcess} from './post-process.js';
import {prepareOutput} from './prepare-output.js';
import {provision} from './provision.js';
import {serveHttp} from './serve-http.js';
import {shutdown} from './shutdown.js';
import {sshKey} from './ssh-key.js';
import {startVm} from './start-vm.js';
import {typeBootCommandStep} from './type-boot-command.js';
import {waitSsh} from './wait-ssh.js';

export const BUILD_STEPS: readonly Step<BuildState>[] = [
  fetchIso,
  prepareOutput,
  createDisk,
  sshKey,
  serveHttp,
  startVm,
  typeBootCommandStep,
  waitSsh,
  provision,
  clearKeys,
  shutdown,
  convert,
  postProcess,
];
