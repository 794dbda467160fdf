/**
 * `vmbench screenshot [build-id] [-o file.png]`: save the screen of a running build as a PNG.
 * Finds the build through the runtime registry and attaches to its VNC server as one more
 * shared viewer — the build's own session is never disturbed (QEMU runs with share=ignore).
 * QMP is not used: QEMU serves a single QMP client, and the build holds it.
 */
import path from 'node:path';
import {listBuilds, type RegisteredBuild} from '../engine/registry.js';
import {runDir} from '../qemu/reaper.js';
import {FrameSource} from '../vnc/frame-source.js';
import {writePng} from '../vnc/screenshot.js';

/** How long to wait for a complete frame from the build's VNC server. */
const FRAME_TIMEOUT_MS = 15_000;

function describeBuild(b: RegisteredBuild): string {
  const vnc = b.vnc ? `vnc ${b.vnc.host}:${b.vnc.port}` : 'no VM yet';
  return `  ${b.id}  ${b.profile}  ${vnc}  pid ${b.pid}  since ${new Date(b.started).toISOString()}`;
}

/** The build to use: the given id (or unique prefix), else the only running build. */
function pick(id: string | undefined, builds: RegisteredBuild[]): RegisteredBuild | {error: string; code: number} {
  const list = builds.map(describeBuild).join('\n');
  if (id !== undefined) {
    const exact = builds.find((b) => b.id === id);
    const matches = exact ? [exact] : builds.filter((b) => b.id.startsWith(id));
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) return {error: `no running build with id "${id}"${list ? `; running:\n${list}` : ' (none is running)'}`, code: 1};
    return {error: `build id "${id}" is ambiguous:\n${matches.map(describeBuild).join('\n')}`, code: 2};
  }
  if (builds.length === 1) return builds[0]!;
  if (builds.length === 0) return {error: `no running build found (running builds register in ${runDir()})`, code: 1};
  return {error: `${builds.length} builds are running; name one: vmbench screenshot <build-id>\n${list}`, code: 2};
}

/**
 * Run the command. Prints the PNG's path on stdout; errors go to stderr.
 * Exit status: 0 saved, 1 no such build or no frame, 2 bad usage or ambiguous build.
 */
export async function screenshotCommand(args: string[], values: {output?: string}): Promise<number> {
  if (args.length > 1) {
    process.stderr.write('usage: vmbench screenshot [build-id] [-o file.png]\n');
    return 2;
  }
  const chosen = pick(args[0], listBuilds());
  if ('error' in chosen) {
    process.stderr.write(`vmbench: ${chosen.error}\n`);
    return chosen.code;
  }
  if (!chosen.vnc) {
    process.stderr.write(`vmbench: build ${chosen.id} has no VM running yet\n`);
    return 1;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.resolve(values.output ?? path.join(chosen.logDir, 'screenshots', `${stamp}.png`));
  const source = new FrameSource({host: chosen.vnc.host, port: chosen.vnc.port}, {maxFps: 5, password: chosen.vnc.password}).start();
  try {
    const fb = await source.waitForFrame(undefined, {timeoutMs: FRAME_TIMEOUT_MS});
    await writePng(fb, file);
    process.stdout.write(`${file}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`vmbench: no screenshot of build ${chosen.id}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await source.stop();
  }
}
