/**
 * fetch-iso — uses: profile.iso_urls/iso_checksum/iso_build. Produces: state.isoPath.
 * Cleanup: none (the cache keeps verified ISOs; partial downloads remove themselves).
 */
import {acquireIso} from '../../iso/acquire.js';
import type {BuildState} from '../state.js';
import type {Step} from '../step.js';

export const fetchIso: Step<BuildState> = {
  id: 'fetch-iso',
  title: 'Fetch ISO',
  async run(ctx) {
    const {profile} = ctx.state;
    const iso = await acquireIso({
      urls: profile.iso_urls,
      checksum: profile.iso_checksum,
      build: profile.iso_build,
      profileDir: ctx.state.profileDir,
      cacheDir: ctx.state.options.cacheDir,
      signal: ctx.signal,
      log: (stream, line) => ctx.log('vmbench', stream, line),
      progress: (label, current, total) => ctx.progress(label, current, total),
    });
    ctx.state.isoPath = iso.path;
    ctx.log('vmbench', 'info', `ISO (${iso.how}): ${iso.path}`);
  },
};
