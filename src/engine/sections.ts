/**
 * The build's provisioning output as BEGIN/END sections, followed live.
 *
 * Every provisioner's stdout/stderr log line goes through one SectionParser (so sections of
 * consecutive scripts form one tree); a provisioner calls {@link BuildSections.scriptEnded}
 * with its exit code so sections a script left open are closed (the innermost flagged failed
 * on a non-zero exit). Tree changes are emitted as `section` events for live views; the whole
 * tree is saved as `sections.json` next to the build log.
 */
import {rename, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {toJSON} from '../sections/format.js';
import {SectionParser, type SectionPattern} from '../sections/parser.js';
import type {BuildEvent} from './events.js';

export const SECTIONS_FILE = 'sections.json';

/**
 * The vmbench log line written when a script ends, so a saved build.log can be re-read into
 * the same tree (`vmbench sections`): status 0 closes open sections as incomplete, any other
 * as failed. Provisioners log their own messages as `vmbench`, so `provisioner` lines are
 * exactly the guest's output.
 */
export const SCRIPT_END_LINE = /^sections: (.*) ended \(status (-?\d+)\)$/;

export class BuildSections {
  readonly parser: SectionParser;
  private used = false;

  constructor(
    private readonly pattern: SectionPattern,
    private readonly emit: (e: BuildEvent) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.parser = new SectionParser({pattern, now});
    this.parser.onEvent((ev) => {
      if (ev.type === 'begin' || ev.type === 'end') {
        const s = ev.section;
        emit({type: 'section', time: now(), event: ev.type, name: s.name, path: [...s.path], status: s.status, durationMs: s.durationMs, lines: {...s.lines}});
      } else if (ev.type === 'warning') {
        emit({type: 'log', time: now(), source: 'vmbench', stream: 'warn', line: `sections: line ${ev.lineNo}: ${ev.message}`});
      }
    });
  }

  /** Feeds one provisioner output line; returns the section path it belongs to. */
  line(stream: 'stdout' | 'stderr', text: string): string[] {
    this.used = true;
    this.parser.push(`${text}\n`, stream);
    return this.parser.openPath;
  }

  /**
   * A script (or playbook run) finished: close what it left open, the innermost as failed
   * when `status` is non-zero (pass 0 for an accepted exit code or an expected disconnect).
   */
  scriptEnded(name: string, status: number): void {
    if (!this.used) return;
    this.parser.settle(status);
    this.emit({type: 'log', time: this.now(), source: 'vmbench', stream: 'debug', line: `sections: ${name} ended (status ${status})`});
  }

  /** True once any provisioner output was seen. */
  get active(): boolean {
    return this.used;
  }

  /**
   * Writes `sections.json` into `dir` atomically (temp file, then rename), so a reader never
   * sees half a document. Returns the path, or undefined when there was no provisioner output.
   */
  async save(dir: string): Promise<string | undefined> {
    if (!this.used) return undefined;
    const p = this.parser;
    // The markers are saved too, so `vmbench sections` can re-read the build log the same way.
    const doc = {...toJSON(p.tree, {root: p.root, warnings: p.warnings}), pattern: {begin: this.pattern.begin.source, end: this.pattern.end.source}};
    const file = path.join(dir, SECTIONS_FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, {mode: 0o600});
    await rename(tmp, file);
    return file;
  }
}
