/**
 * prepare-efivars — uses: state.workDir, profile.efi_firmware_code/efi_firmware_vars. Produces:
 * state.efiVarsPath. Packer's step_prepare_efivars.go: UEFI keeps its settings (boot entries
 * the installer writes) in a variables store, so every build gets its own copy of the OVMF
 * template, `efivars.fd` in the output (left out with efi_drop_efivars). Only in builds with
 * UEFI. Cleanup: none of its own (the file is in the work directory).
 */
import {access, copyFile} from 'node:fs/promises';
import path from 'node:path';
import {need, StepError, type Step} from '../step.js';
import type {BuildState} from '../state.js';

const OVMF_HINT = 'install Debian’s ovmf package (apt-get install ovmf), or point efi_firmware_code / efi_firmware_vars at your OVMF files';

export const prepareEfivars: Step<BuildState> = {
  id: 'prepare-efivars',
  title: 'Prepare UEFI variables',
  applies: (state) => state.profile.efi_boot,
  async run(ctx) {
    const {profile, profileDir} = ctx.state;
    const code = path.resolve(profileDir, profile.efi_firmware_code);
    const vars = path.resolve(profileDir, profile.efi_firmware_vars);
    for (const [field, file] of [['efi_firmware_code', code], ['efi_firmware_vars', vars]] as const) {
      try {
        await access(file);
      } catch {
        throw new StepError(`${field}: ${file} does not exist`, OVMF_HINT);
      }
    }
    const dst = path.join(need(ctx.state.workDir, 'work directory'), 'efivars.fd');
    await copyFile(vars, dst);
    ctx.state.efiVarsPath = dst;
    ctx.log('vmbench', 'info', `UEFI: ${code}, variables copied from ${vars}`);
  },
};
