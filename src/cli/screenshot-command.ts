/**
 * `vmbench screenshot [build-id] [-o file.png]`: a PNG of a running build's VM screen, taken
 * through QEMU's VNC server in shared mode, so it never disturbs the build.
 */
import {mkdirSync, renameSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {encodePng} from '../render/png.js';
import {LiveFrames} from '../vnc/live-frames.js';
import {listBuilds} from './running-builds.js';

export async function screenshotCommand(args: string[], values: {output?: string}): Promise<number> {
  const builds = listBuilds();
  const chosen = args[0] ? builds.filter((b) => b.id.startsWith(args[0]!)) : builds;
  const list = (): string => builds.map((b) => `  ${b.id}  ${b.profile}  pid ${b.pid}${b.vnc ? `  vnc ${b.vnc.host}:${b.vnc.port}` : ''}`).join('\n');
  if (chosen.length === 0) {
    process.stderr.write(args[0] ? `vmbench: no running build with id ${args[0]}; running:\n${list() || '  (none)'}\n` : 'vmbench: no build is running\n');
    return 1;
  }
  if (chosen.length > 1) {
    process.stderr.write(`vmbench: several builds are running; name one:\n${list()}\n`);
    return 2;
  }
  const b = chosen[0]!;
  if (!b.vnc) {
    process.stderr.write(`vmbench: build ${b.id} has no VM running yet\n`);
    return 1;
  }
  const frames = new LiveFrames(b.vnc);
  try {
    const got = await Promise.race([frames.nextFrame(false).then(() => true), sleep(15_000).then(() => false)]);
    if (!got || frames.framebuffer.width === 0) {
      process.stderr.write(`vmbench: no picture from ${b.vnc.host}:${b.vnc.port} within 15 s\n`);
      return 1;
    }
    const file = path.resolve(values.output ?? path.join(b.logDir, 'screenshots', `${new Date().toISOString().replace(/[:.]/g, '-')}.png`));
    mkdirSync(path.dirname(file), {recursive: true});
    writeFileSync(`${file}.partial`, encodePng(frames.framebuffer));
    renameSync(`${file}.partial`, file);
    process.stdout.write(`${file}\n`);
    return 0;
  } finally {
    frames.stop();
  }
}
