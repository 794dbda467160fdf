/**
 * Line prompts on stdin for plain debug mode and on-error=ask. Enter alone never destroys
 * anything: at the error prompt it only repeats the question.
 */
import {createInterface, type Interface} from 'node:readline';
import type {Gate, ErrorDecision} from '../engine/runner.js';

export class LinePrompter {
  private rl: Interface | undefined;
  private readonly lines: string[] = [];
  private waiter: ((line: string | undefined) => void) | undefined;
  private ended = false;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly out: NodeJS.WritableStream,
  ) {}

  private start(): void {
    if (this.rl) return;
    this.rl = createInterface({input: this.input, terminal: false});
    this.rl.on('line', (l) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(l);
      } else this.lines.push(l);
    });
    this.rl.on('close', () => {
      this.ended = true;
      this.waiter?.(undefined);
    });
  }

  /** Next line, or undefined at end of input. */
  ask(question: string): Promise<string | undefined> {
    this.start();
    this.out.write(question);
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  close(): void {
    this.rl?.close();
  }

  /** Debug stepping: pause before every step. */
  readonly gate: Gate = async (phase, step) => {
    if (phase === 'checkpoint') {
      for (;;) {
        const where =
          step.kind === 'installer-question'
            ? `the installer asks: ${step.label} (answer it in a VNC viewer, then`
            : step.kind === 'breakpoint'
              ? `paused at a ${step.label} (the VM runs;`
              : `paused in ${step.id} after "${step.label}" (`;
        const a = (await this.ask(`||  ${where} Enter: go on, a: abort and clean up) > `))?.trim().toLowerCase();
        // No more input: nobody is there to answer the installer, so its question fails the
        // build as it does without --debug (named, with the preseed line) instead of waiting
        // for SSH until ssh_timeout.
        if (a === undefined && step.kind === 'installer-question') {
          this.out.write('\n    (no more input: nobody can answer it)\n');
          return 'pass';
        }
        if (a === undefined || a === '' || a === 'c') return 'continue';
        if (a === 'a') return 'abort';
      }
    }
    if (phase !== 'before') return 'pass';
    for (;;) {
      const a = (await this.ask(`||  paused before ${step.id} (${step.title}) — Enter: run it, s: skip, a: abort and clean up > `))?.trim().toLowerCase();
      if (a === undefined || a === '' || a === 'c') return 'continue';
      if (a === 's') return 'skip';
      if (a === 'a') return 'abort';
    }
  };

  readonly askOnError = async (step: {id: string}, error: Error): Promise<ErrorDecision> => {
    this.out.write(`!!! ${step.id} failed: ${error.message}\n`);
    for (;;) {
      const a = (await this.ask('    r: retry the step, c: clean up and quit, a: abort keeping the VM and files > '))?.trim().toLowerCase();
      if (a === undefined) {
        this.out.write('\n    (no more input: cleaning up)\n');
        return 'cleanup';
      }
      if (a === 'r') return 'retry';
      if (a === 'c') return 'cleanup';
      if (a === 'a') return 'abort';
      if (a === '') this.out.write('    Enter alone does nothing here — type r, c or a.\n');
    }
  };
}
