/**
 * fetch-iso — uses: profile.iso_urls/iso_checksum/iso_build. Produces: state.isoPath and
 * state.installerAssets (the fonts and debconf templates of the installer on the ISO, read from
 * it once and cached, for reading and naming its screens). Cleanup: none (the cache keeps
 * verified ISOs, and the part of a cut or cancelled download, which the next build resumes).
 */
import {acquireIso} from '../../iso/acquire.js';
import {describeAssets, loadInstallerAssets} from '../../installer/assets.js';
import type {BuildState} from '../state.js';
import type {Step, StepContext} from '../step.js';

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
      targetPath: profile.iso_target_path,
      targetExtension: profile.iso_target_extension,
      signal: ctx.signal,
      log: (stream, line) => ctx.log('vmbench', stream, line),
      progress: (label, current, total) => ctx.progress(label, current, total),
    });
    ctx.state.isoPath = iso.path;
    ctx.log('vmbench', 'info', `ISO (${iso.how}): ${iso.path}`);
    // A disk image (disk_image) holds no installer whose fonts and templates could be read.
    if (!profile.disk_image) await loadAssets(ctx, iso.path);
  },
};

/** Read the installer's fonts and templates into state.installerAssets; their absence only makes screens harder to read, so it never fails the build. */
export async function loadAssets(ctx: Pick<StepContext<BuildState>, 'state' | 'signal' | 'log'>, isoPath: string): Promise<void> {
  try {
    const assets = await loadInstallerAssets(isoPath, {
      cacheDir: ctx.state.options.cacheDir,
      signal: ctx.signal,
      log: (line) => ctx.log('vmbench', 'debug', line),
    });
    ctx.state.installerAssets = assets;
    const found = assets.fonts.length > 0 || assets.templateFiles.length > 0;
    ctx.log('vmbench', found ? 'info' : 'debug', `${describeAssets(assets)} (${assets.cached ? 'cached, ' : ''}${assets.ms} ms)`);
    for (const note of assets.notes) ctx.log('vmbench', 'debug', `installer assets: ${note}`);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    ctx.log('vmbench', 'warn', `installer assets not read (screens are read with the default console fonts only): ${(err as Error).message}`);
  }
}
