/**
 * The marker vmbench leaves in every folder it makes for a build's output (and in the work
 * folder that becomes it): `.vmbench-output`, a small JSON record. `--force` replaces an existing
 * output folder only when it holds this marker (or is empty), so vmbench never deletes a folder
 * of someone else's files. The marker is bookkeeping, not an artifact: the checksum files, the
 * manifest and the artifact handed to post-processors leave it out.
 */
import {readFileSync} from 'node:fs';

export const OUTPUT_MARKER = '.vmbench-output';

export interface OutputMarker {
  tool: 'vmbench';
  /** The build that made the folder. */
  build_id: string;
  profile: string;
  /** When the folder was made (ISO time). */
  created: string;
  /** The vmbench process that made it. */
  pid: number;
}

export function markerText(m: Omit<OutputMarker, 'tool'>): string {
  return `${JSON.stringify({tool: 'vmbench', ...m}, null, 2)}\n`;
}

/** The marker in `dir`, or undefined when there is none (or it is not vmbench's). */
export function readMarker(dir: string): OutputMarker | undefined {
  try {
    const m = JSON.parse(readFileSync(`${dir}/${OUTPUT_MARKER}`, 'utf8')) as Partial<OutputMarker>;
    return m && m.tool === 'vmbench' && typeof m.build_id === 'string' ? (m as OutputMarker) : undefined;
  } catch {
    return undefined;
  }
}
