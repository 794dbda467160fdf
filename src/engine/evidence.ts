/**
 * Evidence about the guest, gathered while a build runs, for the diagnosis (engine/diagnosis.ts)
 * to turn into the named cause of a stop. Each source adds facts as they happen:
 *  - the build's own events: QEMU's stderr (SLIRP's "Failed to send packet" when the guest's NIC
 *    takes no packets), the serial console's last lines;
 *  - the boot command step: when typing ended and which URLs it gave the guest;
 *  - the SSH wait: how each attempt failed;
 *  - the VM watcher: the screen's text and when it last changed.
 * HTTP requests are read from the build's HTTP server itself (they carry their own times).
 * Nothing here decides anything; it only remembers, cheaply (it sees every log line).
 */
import {CLOUD_INIT_CONSOLE_FAILURE} from '../cloud/status.js';
import type {BuildEvent} from './events.js';

/** QEMU's user network could not hand a packet to the guest (no driver, NIC down). */
const SLIRP_SEND_FAILED = /Slirp: Failed to send packet/;
const SERIAL_TAIL = 40;
const STDERR_TAIL = 20;

export interface SshAttemptCounts {
  /** Attempts per failure kind (refused, reset, timeout, handshake, auth, …). */
  byKind: Record<string, number>;
  total: number;
  /** The newest failure's kind and message. */
  last?: {kind: string; message: string};
}

export class BuildEvidence {
  /** When the boot command was typed to the end, and the URLs it told the guest. */
  boot?: {typedAt: number; urls: string[]; namesServer: boolean};
  slirpSendFailures = 0;
  readonly qemuStderr: string[] = [];
  readonly serialTail: string[] = [];
  /** cloud-init on the serial console: whether it ran at all, and its first failure line (kept when the tail scrolls on). */
  readonly cloudInit: {seen: boolean; failure?: string} = {seen: false};
  readonly ssh: SshAttemptCounts = {byKind: {}, total: 0};
  /** The screen as the watcher last read it (undefined lines: not readable as text). */
  screen?: {lines?: string[]; changedAt: number; readAt: number};

  /** When each step finished, by id (the boot command's end is the clock the diagnosis counts from). */
  readonly stepDone: Record<string, number> = {};

  /** Feed every build event through here (runBuild does). */
  observe(e: BuildEvent): void {
    if (e.type === 'step' && e.status === 'done') this.stepDone[e.id] = e.time;
    if (e.type !== 'log') return;
    if (e.source === 'qemu' && e.stream === 'stderr') {
      if (SLIRP_SEND_FAILED.test(e.line)) this.slirpSendFailures++;
      push(this.qemuStderr, e.line, STDERR_TAIL);
    } else if (e.source === 'serial') {
      push(this.serialTail, e.line, SERIAL_TAIL);
      if (!this.cloudInit.seen && /cloud-init/i.test(e.line)) this.cloudInit.seen = true;
      if (!this.cloudInit.failure) this.cloudInit.failure = CLOUD_INIT_CONSOLE_FAILURE.exec(e.line)?.[0]?.trim();
    }
  }

  bootTyped(at: number, urls: string[], namesServer: boolean): void {
    this.boot = {typedAt: at, urls, namesServer};
  }

  sshAttempt(kind: string, message: string): void {
    this.ssh.byKind[kind] = (this.ssh.byKind[kind] ?? 0) + 1;
    this.ssh.total++;
    this.ssh.last = {kind, message};
  }

  /** The watcher read the screen at `at`; `changed` when its picture differs from the last read. */
  screenRead(lines: string[] | undefined, at: number, changed: boolean): void {
    this.screen = {lines, readAt: at, changedAt: changed || !this.screen ? at : this.screen.changedAt};
  }
}

function push(list: string[], line: string, max: number): void {
  list.push(line);
  if (list.length > max) list.splice(0, list.length - max);
}
