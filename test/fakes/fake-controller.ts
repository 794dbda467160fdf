/**
 * A BuildController without a build, for workbench tests: it plays scripted WorkbenchEvents
 * (a whole build with sections, a failure with the error question, a debug pause), records
 * the UiCommands it receives, and answers pauses and questions the way the real controller
 * announces it (`resumed`, `answered`).
 */
import {EventEmitter} from 'node:events';
import {render as inkRender, type Instance} from 'ink';
import {createElement, useEffect, useState, type ReactElement} from 'react';
import type {LogSource, LogStream} from '../../src/engine/events.js';
import {BuildScreen, type BuildScreenProps} from '../../src/tui/BuildScreen.js';
import {initialState, reduceBatch} from '../../src/tui/reducer.js';
import type {ScreenTextRead} from '../../src/render/screen-view.js';
import type {ConsoleFrames} from '../../src/tui/console-pane.js';
import type {BuildController, BuildViewState, UiCommand, WorkbenchEvent} from '../../src/tui/types.js';

/** The real build's steps (src/engine/steps/index.ts), so layouts are tested with real titles. */
export const STEPS: readonly {id: string; title: string}[] = [
  {id: 'fetch-iso', title: 'Fetch ISO'},
  {id: 'prepare-output', title: 'Prepare output directory'},
  {id: 'create-disk', title: 'Create disk'},
  {id: 'ssh-key', title: 'Create temporary SSH key'},
  {id: 'serve-http', title: 'Serve HTTP files'},
  {id: 'start-vm', title: 'Start VM'},
  {id: 'type-boot-command', title: 'Type boot command'},
  {id: 'wait-ssh', title: 'Wait for SSH'},
  {id: 'provision', title: 'Provision'},
  {id: 'clear-keys', title: 'Remove temporary SSH key'},
  {id: 'shutdown', title: 'Shut down'},
  {id: 'convert', title: 'Convert disk'},
];

export const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

/** Builds scripted event lists with a running clock. */
export class Script {
  readonly events: WorkbenchEvent[] = [];
  time = T0;

  add(e: WorkbenchEvent): this {
    this.events.push(e);
    return this;
  }

  tick(ms: number): this {
    this.time += ms;
    return this;
  }

  start(debug: {pauseBefore?: boolean; breakpoints?: string[]} = {}): this {
    this.add({type: 'facts', time: this.time, facts: {'log dir': '/var/log/vmbench/tiny-1', 'output dir': '/work/output-tiny', profile: '/work/profiles/tiny'}});
    this.add({type: 'debug-mode', time: this.time, pauseBefore: !!debug.pauseBefore, pauseAfter: false, breakpoints: debug.breakpoints ?? []});
    this.add({type: 'build', status: 'started', time: this.time, profile: 'tiny', steps: STEPS.map((s) => ({...s}))});
    for (const s of STEPS) this.add({type: 'step', time: this.time, id: s.id, title: s.title, status: 'pending'});
    return this;
  }

  log(source: LogSource, line: string, stream: LogStream = 'stdout', extra: {step?: string; section?: string[]} = {}): this {
    return this.add({type: 'log', time: this.time, source, stream, line, ...extra});
  }

  step(id: string, status: 'running' | 'done' | 'failed' | 'paused' | 'skipped' | 'cancelled', extra: {durationMs?: number; error?: string} = {}): this {
    const title = STEPS.find((s) => s.id === id)?.title ?? id;
    return this.add({type: 'step', time: this.time, id, title, status, ...extra});
  }

  /** A step that runs for `ms` and logs `lines`. */
  run(id: string, ms: number, lines: [LogSource, string][] = []): this {
    this.step(id, 'running');
    for (const [source, line] of lines) this.log(source, line, 'info', {step: id});
    this.tick(ms);
    return this.step(id, 'done', {durationMs: ms});
  }

  section(event: 'begin' | 'end', path: string[], status: 'ok' | 'failed' | 'incomplete' | 'open' = 'open', lines = {stdout: 0, stderr: 0}, durationMs?: number): this {
    return this.add({type: 'section', time: this.time, event, name: path[path.length - 1]!, path, status, lines, durationMs});
  }

  /** Provisioner output as the engine emits it: section events first, then the line with its section path. */
  prov(line: string, section: string[], stream: 'stdout' | 'stderr' = 'stdout'): this {
    return this.log('provisioner', line, stream, {step: 'provision', section});
  }

  vmFacts(): this {
    this.add({type: 'info', time: this.time, key: 'vnc', value: 'vnc://127.0.0.1:5901 (display :1) — viewers may attach at any time'});
    this.add({type: 'info', time: this.time, key: 'ssh', value: '127.0.0.1:2222'});
    return this.add({
      type: 'facts',
      time: this.time,
      facts: {
        'QEMU pid': '4242',
        accelerator: 'TCG (slower)',
        VNC: 'vnc://127.0.0.1:5901 (display :1)',
        ssh: 'ssh -p 2222 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@127.0.0.1',
        HTTP: 'http://10.0.2.2:8123/ (as the guest sees it)',
      },
    });
  }

  /** Everything up to provisioning: ISO, disk, HTTP, QEMU, boot command, SSH. */
  boot(): this {
    this.run('fetch-iso', 1200, [['vmbench', 'using cached ISO tiny.iso (sha256 ok)']]);
    this.run('prepare-output', 5);
    this.run('create-disk', 40, [['qemu', "Formatting 'disk.qcow2', fmt=qcow2 size=2147483648"]]);
    this.run('ssh-key', 12);
    this.run('serve-http', 3, [['http', 'listening on 127.0.0.1:8123']]);
    this.step('start-vm', 'running').log('qemu', 'qemu-system-x86_64 -machine q35 -m 512 -vnc 127.0.0.1:1').tick(2000).vmFacts().step('start-vm', 'done', {durationMs: 2000});
    this.run('type-boot-command', 3500, [
      ['vnc', 'connected to 127.0.0.1:5901 (720x400)'],
      ['serial', '\x1b[32m[  OK  ]\x1b[0m Started getty on tty1.'],
      ['http', 'GET /preseed.cfg 200 1234 bytes'],
    ]);
    this.run('wait-ssh', 8000, [['ssh', 'SSH connected to 127.0.0.1:2222 after 3 attempts in 8.0s']]);
    return this;
  }

  /** Provisioning with nested sections; `fail` makes `run_tests` fail (and the step with it). */
  provision(fail = false): this {
    this.step('provision', 'running');
    this.section('begin', ['install']).prov('BEGIN{install}', ['install']);
    for (let i = 0; i < 5; i++) this.prov(`Unpacking package-${i} (1.0-${i}) ...`, ['install']);
    this.section('begin', ['install', 'configure']).prov('BEGIN{configure}', ['install', 'configure']);
    this.prov('Setting up network: eth0 dhcp', ['install', 'configure']);
    this.tick(300).section('end', ['install', 'configure'], 'ok', {stdout: 3, stderr: 0}, 300).prov('END{configure}', ['install']);
    this.tick(900).section('end', ['install'], 'ok', {stdout: 10, stderr: 0}, 1200).prov('END{install}', []);
    this.log('serial', 'systemd[1]: Reached target Multi-User System.');
    this.section('begin', ['run_tests']).prov('BEGIN{run_tests}', ['run_tests']);
    this.prov('test_boot ... ok', ['run_tests']);
    if (fail) {
      this.prov('test_network ... FAILED: no route to 10.0.2.2', ['run_tests'], 'stderr');
      this.tick(700).section('end', ['run_tests'], 'failed', {stdout: 2, stderr: 1}, 700);
      this.add({type: 'log', time: this.time, source: 'vmbench', stream: 'debug', line: 'sections: tests.sh ended (status 1)'});
      return this.step('provision', 'failed', {durationMs: 2600, error: 'script tests.sh exited with status 1'});
    }
    this.prov('test_network ... ok', ['run_tests']);
    this.tick(700).section('end', ['run_tests'], 'ok', {stdout: 4, stderr: 0}, 700).prov('END{run_tests}', []);
    return this.step('provision', 'done', {durationMs: 2600});
  }

  finish(): this {
    this.run('clear-keys', 30);
    this.run('shutdown', 4000, [['ssh', 'shutdown -P now']]);
    this.run('convert', 900, [['qemu', 'qemu-img convert -O qcow2 disk.qcow2 tiny.qcow2']]);
    this.add({type: 'artifact', time: this.time, path: '/work/output-tiny/tiny.qcow2', format: 'qcow2', bytes: 734_003_200});
    return this.add({type: 'build', status: 'done', time: this.time, durationMs: this.time - T0});
  }
}

/** A whole successful build with sections. */
export function wholeBuild(): WorkbenchEvent[] {
  return new Script().start().boot().provision().finish().events;
}

/** A build whose provisioning fails, waiting at the error question (on-error=ask). */
export function failedBuild(): WorkbenchEvent[] {
  const s = new Script().start().boot().provision(true);
  return s.add({type: 'ask-error', time: s.time, stepId: 'provision', title: 'Provision', message: 'script tests.sh exited with status 1', hint: 'see section run_tests'}).events;
}

/** A debug build paused before start-vm. */
export function pausedBuild(): WorkbenchEvent[] {
  const s = new Script().start({breakpoints: ['start-vm']});
  s.run('fetch-iso', 1200).run('prepare-output', 5).run('create-disk', 40).run('ssh-key', 12).run('serve-http', 3);
  s.step('start-vm', 'paused');
  return s.add({type: 'pause', time: s.time, phase: 'before', stepId: 'start-vm', title: 'Start VM'}).events;
}

export class FakeController implements BuildController {
  readonly events: WorkbenchEvent[] = [];
  readonly commands: UiCommand[] = [];
  readonly done: BuildController['done'];
  private readonly listeners = new Set<(e: WorkbenchEvent) => void>();
  private finish!: (r: {status: 'done' | 'failed' | 'cancelled'; kept: boolean}) => void;

  /** The VM's screen (frames()) and its text (readText()) — none unless a test sets them. */
  screen: ConsoleFrames | undefined;
  text: ScreenTextRead | undefined;
  /** How many times readText() was called. */
  textReads = 0;

  constructor(script: readonly WorkbenchEvent[] = [], opts: {screen?: ConsoleFrames; text?: ScreenTextRead} = {}) {
    this.done = new Promise((r) => (this.finish = r));
    this.screen = opts.screen;
    this.text = opts.text;
    this.emit(...script);
  }

  subscribe(listener: (e: WorkbenchEvent) => void): () => void {
    for (const e of this.events) listener(e);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(...events: WorkbenchEvent[]): void {
    for (const e of events) {
      this.events.push(e);
      for (const l of this.listeners) l(e);
      if (e.type === 'build' && e.status !== 'started') this.finish({status: e.status, kept: false});
    }
  }

  /** Records the command; answers pauses, questions and debug toggles like the real controller. */
  command(cmd: UiCommand): void {
    this.commands.push(cmd);
    const time = Date.now();
    if (cmd.type === 'toggle-breakpoint' || cmd.type === 'toggle-pause-before' || cmd.type === 'toggle-pause-after') {
      const last = [...this.events].reverse().find((e) => e.type === 'debug-mode');
      const mode = last?.type === 'debug-mode' ? last : {pauseBefore: false, pauseAfter: false, breakpoints: [] as string[]};
      const bps = new Set(mode.breakpoints);
      if (cmd.type === 'toggle-breakpoint' && !bps.delete(cmd.stepId)) bps.add(cmd.stepId);
      this.emit({
        type: 'debug-mode',
        time,
        pauseBefore: cmd.type === 'toggle-pause-before' ? !mode.pauseBefore : mode.pauseBefore,
        pauseAfter: cmd.type === 'toggle-pause-after' ? !mode.pauseAfter : mode.pauseAfter,
        breakpoints: [...bps],
      });
      return;
    }
    const pending = [...this.events].reverse().find((e) => e.type === 'pause' || e.type === 'resumed' || e.type === 'ask-error' || e.type === 'answered');
    if (pending?.type === 'pause' && ['continue', 'step', 'skip', 'abort-keep', 'cleanup-quit'].includes(cmd.type)) this.emit({type: 'resumed', time});
    if (pending?.type === 'ask-error' && (cmd.type === 'answer-error' || cmd.type === 'abort-keep' || cmd.type === 'cleanup-quit')) this.emit({type: 'answered', time});
  }

  frames(): ReturnType<BuildController['frames']> {
    return this.screen as never;
  }

  readText(): ReturnType<BuildController['readText']> {
    this.textReads++;
    return Promise.resolve(this.text);
  }
}

/**
 * The build screen driven by a controller the way the App drives it: events are queued and
 * applied as one batch per tick (reduceBatch), commands go back to the controller.
 */
export function ControlledScreen(props: {controller: BuildController; onState?: (s: BuildViewState) => void; flushMs?: number} & Omit<BuildScreenProps, 'state' | 'onCommand'>): ReactElement {
  const {controller, onState, flushMs = 0, ...rest} = props;
  const [state, setState] = useState(() => initialState('tiny'));
  useEffect(() => {
    let queue: WorkbenchEvent[] = [];
    let scheduled: (() => void) | undefined;
    const flush = (): void => {
      scheduled = undefined;
      const batch = queue;
      queue = [];
      setState((s) => reduceBatch(s, batch));
    };
    const schedule = (): (() => void) => {
      if (flushMs > 0) {
        const t = setTimeout(flush, flushMs);
        return () => clearTimeout(t);
      }
      const t = setImmediate(flush);
      return () => clearImmediate(t);
    };
    const off = controller.subscribe((e) => {
      queue.push(e);
      scheduled ??= schedule();
    });
    return () => {
      off();
      scheduled?.();
    };
  }, [controller, flushMs]);
  useEffect(() => onState?.(state), [state, onState]);
  return createElement(BuildScreen, {...rest, state, onCommand: (c: UiCommand) => controller.command(c)});
}

class SizedStdout extends EventEmitter {
  readonly frames: string[] = [];
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
  lastFrame = (): string | undefined => this.frames[this.frames.length - 1];
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write = (data: string): void => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

/** Like ink-testing-library's render, on a terminal of any size (it is fixed at 100 columns). */
export function renderSized(tree: ReactElement, columns: number, rows: number): {stdin: FakeStdin; stdout: SizedStdout; lastFrame: () => string | undefined; rerender: Instance['rerender']; unmount: () => void} {
  const stdout = new SizedStdout(columns, rows);
  const stdin = new FakeStdin();
  const stderr = new SizedStdout(columns, rows);
  const instance = inkRender(tree, {stdout: stdout as never, stderr: stderr as never, stdin: stdin as never, debug: true, exitOnCtrlC: false, patchConsole: false});
  return {stdin, stdout, lastFrame: stdout.lastFrame, rerender: instance.rerender, unmount: () => (instance.unmount(), instance.cleanup())};
}
