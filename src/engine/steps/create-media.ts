/**
 * create-media — uses: profile.floppy_files/floppy_dirs/floppy_content/floppy_label and
 * cd_files/cd_content/cd_label. Produces: state.floppyPath, state.cdPath. Packer's
 * StepCreateFloppy and StepCreateCD: the images are written by vmbench itself (src/media/, no
 * xorriso or mkisofs needed) into a temporary directory, not the output. Only in builds that ask
 * for a CD or a floppy. Cleanup: removes the images.
 */
import {rm} from 'node:fs/promises';
import path from 'node:path';
import {writeFloppy} from '../../media/fat-writer.js';
import {writeIso} from '../../media/iso-writer.js';
import {MediaError} from '../../media/media-tree.js';
import {cdEntries, floppyEntries, type MediaSources} from '../../media/packer-media.js';
import {StepError, type Step, type StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {watchedTempDir} from '../../qemu/watchdog.js';

const wantsFloppy = (p: BuildState['profile']): boolean => p.floppy_files.length + p.floppy_dirs.length + Object.keys(p.floppy_content).length > 0;
const wantsCd = (p: BuildState['profile']): boolean => p.cd_files.length + Object.keys(p.cd_content).length > 0;

/** Temporary directories of the media, per build (removed in cleanup). */
const dirs = new WeakMap<BuildState, string>();

/** What Packer would do without a word (a glob matching nothing, a file replaced by another) is said. */
function said(ctx: StepContext<BuildState>, list: MediaSources): MediaSources {
  for (const w of list.warnings) ctx.log('vmbench', 'warn', w);
  return list;
}

async function write<T>(what: string, make: () => Promise<T>): Promise<T> {
  try {
    return await make();
  } catch (err) {
    if (err instanceof MediaError) throw new StepError(`${what}: ${err.message}`);
    throw err;
  }
}

export const createMedia: Step<BuildState> = {
  id: 'create-media',
  title: 'Create CD / floppy',
  applies: (state) => wantsFloppy(state.profile) || wantsCd(state.profile),
  async run(ctx) {
    const {profile, profileDir} = ctx.state;
    const dir = dirs.get(ctx.state) ?? (await watchedTempDir('vmbench-media-'));
    dirs.set(ctx.state, dir);
    if (wantsFloppy(profile)) {
      const {entries} = said(ctx, await write('floppy', () => floppyEntries(profile, profileDir)));
      const file = path.join(dir, 'floppy.img');
      const s = await write('floppy', () => writeFloppy({files: entries, label: profile.floppy_label}, file, {signal: ctx.signal}));
      ctx.state.floppyPath = file;
      ctx.log('vmbench', 'info', `floppy "${s.label}": ${s.files} files, ${s.directories} directories, ${Math.round(s.freeBytes / 1024)} KiB free`);
    }
    if (wantsCd(profile)) {
      const {entries} = said(ctx, await write('CD', () => cdEntries(profile, profileDir)));
      const file = path.join(dir, 'cd.iso');
      const s = await write('CD', () => writeIso({files: entries, label: profile.cd_label}, file, {signal: ctx.signal}));
      ctx.state.cdPath = file;
      ctx.log('vmbench', 'info', `CD "${s.label}": ${s.files} files, ${s.directories} directories, ${(s.bytes / 1048576).toFixed(1)} MiB`);
    }
  },
  async cleanup(ctx) {
    const dir = dirs.get(ctx.state);
    if (dir) await rm(dir, {recursive: true, force: true});
    dirs.delete(ctx.state);
    ctx.state.cdPath = undefined;
    ctx.state.floppyPath = undefined;
  },
};
