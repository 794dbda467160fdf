/**
 * Turns evidence (engine/evidence.ts, the HTTP server's requests) into the named cause of a
 * stop: the most likely cause first, the evidence for it after. Pure: the watcher calls
 * {@link diagnoseStall} while waiting, and a failed wait for SSH is re-explained with
 * {@link explainFailure} (an SSH "auth failed" after the answer file 404'd is the 404's fault).
 *
 * Rules, counted from the end of the boot command (when the guest was told where to go):
 *  - answer file not found: every request the guest made failed, and it stopped asking (or kept
 *    failing for long);
 *  - no network: nothing requested, and QEMU's user network could not deliver packets to the
 *    guest, or the screen says the guest has no interface / unreachable network;
 *  - boot command ignored: nothing requested, and the screen has not changed for a while.
 */
import type {HttpRequestRecord} from '../http/server.js';
import {formatDuration} from '../util/duration.js';
import type {BuildEvidence} from './evidence.js';

export interface Verdict {
  /** One line: what stopped the build. */
  cause: string;
  /** Facts that back it, most telling first. */
  evidence: string[];
  hint?: string;
  /** Which rule decided (for tests and logs). */
  rule: 'answer-file-404' | 'no-network' | 'boot-command-ignored' | 'never-fetched' | 'cloud-init';
}

export interface DiagnosisInput {
  now: number;
  evidence: BuildEvidence;
  requests: readonly HttpRequestRecord[];
  /** The HTTP server as the guest sees it, and what its directory holds (for hints). */
  /** `files`: what http_directory holds, or with `content` the URL paths of http_content. */
  http?: {guestIp: string; port: number; dir?: string; files?: readonly string[]; content?: boolean};
  /** The build hands the guest a cloud-init seed (cloud_init) with keys for this user. */
  cloudInit?: {username: string};
}

export interface StallLimits {
  /** No request this long after the boot command (with other evidence): default 60 s. */
  noRequestMs: number;
  /** ... and a screen still this long: default 45 s. */
  stillMs: number;
  /** Every request failed and the guest has asked nothing more for this long: default 20 s. */
  notFoundMs: number;
  /** ... or it keeps retrying, and the first failure is this old: default 45 s. */
  notFoundMaxMs: number;
}

export const STALL_LIMITS: StallLimits = {noRequestMs: 60_000, stillMs: 45_000, notFoundMs: 20_000, notFoundMaxMs: 45_000};

/** What a guest without a working network prints (kernel, busybox, d-i's netcfg/ethdetect, systemd). */
const NO_NETWORK_ON_SCREEN =
  /SIOCGIFFLAGS: No such device|SIOCGIFINDEX: No such device|Network is unreachable|No network interfaces detected|No Ethernet card was detected|Cannot find device "?eth0|Network autoconfiguration failed/i;

const ok = (r: HttpRequestRecord): boolean => r.status < 400;

/** "GET /a → 404 (×9), GET /b → 403": the same request retried is counted, not repeated. */
function listRequests(requests: readonly HttpRequestRecord[], max = 4): string {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const k = `${r.method} ${r.path} → ${r.status}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const shown = [...counts].slice(0, max).map(([k, n]) => (n > 1 ? `${k} (×${n})` : k));
  return shown.join(', ') + (counts.size > max ? `, … (${requests.length} requests in all)` : '');
}

function servedFiles(input: DiagnosisInput): string | undefined {
  const files = input.http?.files;
  if (!files) return undefined;
  if (input.http?.content) return files.length ? `http_content serves: ${files.slice(0, 8).join(', ')}${files.length > 8 ? ', …' : ''}` : 'http_content is empty';
  return files.length ? `http_directory${input.http?.dir ? ` (${input.http.dir})` : ''} holds: ${files.slice(0, 8).join(', ')}${files.length > 8 ? ', …' : ''}` : 'http_directory is empty';
}

function screenLine(ev: BuildEvidence): string | undefined {
  const lines = ev.screen?.lines?.map((l) => l.replace(/[\u2500-\u259f]/g, ' ').trim()).filter(Boolean);
  return lines?.length ? `the screen shows: ${lines.slice(-4).join(' | ')}` : undefined;
}

/** QEMU says the guest's network card is not wired to the user network. */
const NO_PEER = /netdev \S+ has no peer|requested NIC not connected|no peer for/i;

function noNetworkSigns(ev: BuildEvidence): string[] {
  const signs: string[] = [];
  const peer = ev.qemuStderr.find((l) => NO_PEER.test(l));
  if (peer) signs.push(`QEMU: "${peer.trim()}" — the guest's network card is not connected to the user network (qemuargs replaced -device without netdev=?)`);
  const screen = ev.screen?.lines?.join('\n') ?? '';
  const m = NO_NETWORK_ON_SCREEN.exec(screen) ?? NO_NETWORK_ON_SCREEN.exec(ev.serialTail.join('\n'));
  if (m) signs.push(`the guest says "${m[0]}" (${NO_NETWORK_ON_SCREEN.test(screen) ? 'screen' : 'serial console'})`);
  if (ev.slirpSendFailures) signs.push(`QEMU's user network could not deliver packets to the guest ("Slirp: Failed to send packet" ×${ev.slirpSendFailures}): its network card takes none`);
  return signs;
}

/** SSH attempts QEMU accepted but the guest never answered: a guest that does not take packets. */
function silentGuest(ev: BuildEvidence): string | undefined {
  const {byKind, total} = ev.ssh;
  const silent = (byKind.handshake ?? 0) + (byKind.timeout ?? 0);
  return total >= 3 && silent === total ? `every SSH connection (${total}) was accepted by QEMU but the guest never answered it` : undefined;
}

function sshSummary(ev: BuildEvidence): string | undefined {
  const {byKind, total} = ev.ssh;
  if (!total) return undefined;
  const parts = Object.entries(byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`);
  return `SSH: ${total} attempt${total === 1 ? '' : 's'} failed (${parts.join(', ')})`;
}

const compact = (xs: (string | undefined)[]): string[] => xs.filter((x): x is string => !!x);

function notFound(input: DiagnosisInput, failed: readonly HttpRequestRecord[]): Verdict {
  return {
    rule: 'answer-file-404',
    cause: `the guest never got its answer file: ${listRequests(failed)}`,
    evidence: compact([servedFiles(input), screenLine(input.evidence), sshSummary(input.evidence)]),
    hint: `check the file name in the boot command’s URL against ${input.http?.content ? 'http_content' : 'http_directory'}`,
  };
}

function noNetwork(input: DiagnosisInput, waited: number, signs: string[]): Verdict {
  return {
    rule: 'no-network',
    cause: `the guest has no network: nothing reached the HTTP server ${formatDuration(waited)} after the boot command`,
    evidence: compact([...signs, silentGuest(input.evidence) ?? sshSummary(input.evidence), screenLine(input.evidence)]),
    hint: 'the guest has no driver for its network card (net_device / qemuargs -device), or its network setup failed: see the screen and serial.log',
  };
}

/**
 * A stop that evidence alone can name while the build is still waiting, or undefined. Only
 * rules that cannot be a slow but healthy guest fire here; the rest wait for the timeout.
 */
export function diagnoseStall(input: DiagnosisInput, limits: StallLimits = STALL_LIMITS): Verdict | undefined {
  const {now, evidence: ev, requests} = input;
  const boot = ev.boot;
  if (!boot) return undefined;
  const waited = now - boot.typedAt;
  if (requests.length) {
    const failed = requests.filter((r) => !ok(r));
    // A guest that still retries may yet get it (or say on screen that it gave up): wait until
    // it stops asking, or has failed for long enough.
    if (failed.length !== requests.length) return undefined;
    const quiet = now - failed[failed.length - 1]!.time >= limits.notFoundMs;
    if (quiet || now - failed[0]!.time >= limits.notFoundMaxMs) return notFound(input, failed);
    return undefined;
  }
  if (!boot.namesServer || waited < limits.noRequestMs) return undefined;
  const signs = noNetworkSigns(ev);
  if (signs.length) return noNetwork(input, waited, signs);
  const still = ev.screen ? now - ev.screen.changedAt : 0;
  if (ev.screen && still >= limits.stillMs) {
    return {
      rule: 'boot-command-ignored',
      cause: `the guest did nothing with its boot command: nothing was requested from the HTTP server ${formatDuration(waited)} after it was typed, and the screen has not changed for ${formatDuration(still)}`,
      evidence: compact([screenLine(ev), boot.urls.length ? `the boot command names ${boot.urls.join(', ')}` : undefined, sshSummary(ev)]),
      hint: 'the keys may have gone to a screen that was not listening yet, or the bootloader is waiting: look at the screenshot; wait for the prompt with <waitFor "boot:"> instead of a fixed boot_wait',
    };
  }
  return undefined;
}

/**
 * Re-explain a failure (typically the SSH wait giving up) from the evidence: when the guest
 * never got its answer file, that is the cause and the SSH failure only its consequence.
 * Undefined when the evidence adds nothing.
 */
export function explainFailure(error: Error, input: DiagnosisInput): Verdict | undefined {
  const {evidence: ev, requests, now} = input;
  const boot = ev.boot;
  const consequence = `then: ${error.message.split('\n')[0]}`;
  if (input.cloudInit) {
    const v = cloudInitVerdict(input.cloudInit.username, ev, consequence);
    if (v) return v;
  }
  if (!boot) return undefined;
  if (requests.length && !requests.some(ok)) {
    const v = notFound(input, requests);
    const auth = (ev.ssh.byKind.auth ?? 0) > 0;
    return {...v, evidence: [...v.evidence, auth ? `${consequence} — without its answer file the guest has no password or key for this login` : consequence]};
  }
  if (!requests.length && boot.namesServer) {
    const signs = noNetworkSigns(ev);
    if (signs.length) {
      const v = noNetwork(input, now - boot.typedAt, signs);
      return {...v, evidence: [...v.evidence, consequence]};
    }
    return {
      rule: 'never-fetched',
      cause: `the guest never requested its answer file: nothing reached the HTTP server (http://${input.http?.guestIp ?? '10.0.2.2'}:${input.http?.port ?? '?'}/) in ${formatDuration(now - boot.typedAt)} after the boot command`,
      evidence: compact([boot.urls.length ? `the boot command names ${boot.urls.join(', ')}` : undefined, screenLine(ev), sshSummary(ev), consequence]),
      hint: 'check the URL in the boot command, that it reached the boot prompt whole (see the screenshot), and that the guest’s network came up (serial.log)',
    };
  }
  return undefined;
}

/** A cloud image that never let the build in: cloud-init failed at boot, or never gave the user the key. */
function cloudInitVerdict(username: string, ev: BuildEvidence, consequence: string): Verdict | undefined {
  const auth = (ev.ssh.byKind.auth ?? 0) > 0;
  if (ev.cloudInit.failure) {
    return {
      rule: 'cloud-init',
      cause: `cloud-init failed at boot: "${ev.cloudInit.failure}" (serial console)`,
      evidence: compact([auth ? `the guest refused the build's key for ${username}: cloud-init did not get to install it` : undefined, sshSummary(ev), consequence]),
      hint: 'check cloud_init.user_data (vmbench’s copy of the seed is in the log folder under cloud-init/) and serial.log',
    };
  }
  if (!auth) return undefined;
  return {
    rule: 'cloud-init',
    cause: `the guest refused the build's key for ${username}: cloud-init did not install it`,
    evidence: compact([
      ev.cloudInit.seen ? 'cloud-init ran (serial console) but reported no failure there' : 'the serial console never mentions cloud-init: the image may not have it, or not the NoCloud datasource, or its console is not on ttyS0',
      sshSummary(ev),
      consequence,
    ]),
    hint: `is ${username} the user cloud-init sets up (ssh_username)? Does the image read NoCloud seeds (a CD labelled cidata)? vmbench’s seed is in the log folder under cloud-init/`,
  };
}

/** The verdict as an error message: the cause on the first line, the evidence below. */
export function verdictMessage(v: Pick<Verdict, 'cause' | 'evidence'>): string {
  return [v.cause, ...v.evidence.map((e) => `  - ${e}`)].join('\n');
}
