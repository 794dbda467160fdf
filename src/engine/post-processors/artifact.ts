/**
 * Artifacts as Packer's post-processors pass them along: a list of files named as Packer names
 * them (relative to the working directory when the output directory was given relative), an id,
 * and what destroying it removes. The build's own artifact (Packer's qemu Artifact) is every file
 * in the output directory, id "VM"; destroying it removes the directory.
 */
import {readdir, rm} from 'node:fs/promises';
import path from 'node:path';
import {OUTPUT_MARKER} from '../output-marker.js';
import type {BuildState} from '../state.js';

export interface Artifact {
  /** Packer's builder id of what made it: `mitchellh.qemu`, `packer.post-processor.compress`, … */
  builderId: string;
  /** Files, as Packer names them; resolved against the working directory for I/O. */
  files: string[];
  /** Packer's Id(): "VM" for the build's image, "" for checksum and compress. */
  id: string;
  /** What Destroy() removes: these paths (recursively). */
  removes: string[];
}

/** Go's filepath.Walk order: lexical by name, directories descended into where they sort. */
async function walkFiles(dir: string, shown: string): Promise<string[]> {
  const entries = (await readdir(dir, {withFileTypes: true})).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) out.push(...(await walkFiles(path.join(dir, e.name), path.join(shown, e.name))));
    else out.push(path.join(shown, e.name));
  }
  return out;
}

/** How Packer would name the output directory: as written, relative to the working directory, or absolute. */
export function shownOutputDir(state: BuildState, cwd = process.cwd()): string {
  const written = state.options.outputDir ?? state.profile.output_directory;
  if (path.isAbsolute(written)) return state.outputDir;
  const rel = path.relative(cwd, state.outputDir);
  return rel.startsWith('..') ? state.outputDir : rel || '.';
}

/** The build's artifact: every file in the output directory (but vmbench's marker, output-marker.ts). */
export async function buildArtifact(state: BuildState, cwd = process.cwd()): Promise<Artifact> {
  const shown = shownOutputDir(state, cwd);
  const files = (await walkFiles(state.outputDir, shown)).filter((f) => f !== path.join(shown, OUTPUT_MARKER));
  return {builderId: 'transcend.qemu', files, id: 'VM', removes: [state.outputDir]};
}

/** Packer's Destroy(): remove what the artifact owns. */
export async function destroyArtifact(a: Artifact, cwd = process.cwd()): Promise<void> {
  for (const f of a.removes) await rm(path.resolve(cwd, f), {recursive: true, force: true});
}
