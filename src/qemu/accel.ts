/**
 * Decide between KVM and TCG by running a guest, not by looking at /dev/kvm.
 *
 * Why so thorough: on nested or paravirtualised hosts /dev/kvm can open and QEMU can start, yet
 * the vCPU crawls. Measured on a Firecracker host with kvm_pvm: SeaBIOS does print its debug log
 * under KVM (so "any output on port 0x402" would wrongly say KVM works), it takes ~3.5 s to get
 * there, a Linux kernel never gets past decompression, and ~3 µs per loop iteration means 1 M
 * iterations take ~3 s — far slower than TCG. So the probe boots a 512-byte boot sector that
 * goes real → protected → long mode, touches 16 MiB and runs 20 M loop iterations, reporting
 * each stage on the debugcon port. Under TCG all of it takes ~0.2 s; under working KVM less.
 * Only the final "ok" within the time limit counts as success.
 *
 * The probe QEMU runs in its own process group and is always SIGKILLed and awaited (bounded);
 * it also exits by itself after success (isa-debug-exit). Nothing is cached across processes.
 */
import {constants} from 'node:fs';
import {open, rm, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {execa} from 'execa';
import {noLog, type LogFn} from '../engine/events.js';
import {forgetQemu, rememberQemu} from './reaper.js';
import {watchedTempDir} from './watchdog.js';

/** Result of {@link probeAccelerator}: what to pass to `-accel`, and why. */
export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  reason: string;
}

export interface AccelProbeOptions {
  /** Default `qemu-system-x86_64`. */
  qemuBinary?: string;
  /** How long the probe guest may take to finish its workload. Default 4000 ms. */
  timeoutMs?: number;
  log?: LogFn;
  /** Aborting kills the probe and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Outcome of one probe run. @internal — exposed so tests can run the mechanism under TCG. */
export interface AccelProbeRun {
  ok: boolean;
  /** Last stage the guest reported: none, real, protected, long, memory, done. */
  stage: string;
  durationMs: number;
  reason: string;
}

/*
 * The boot sector (GNU as, `as --32` + `ld -m elf_i386 -Ttext 0x7c00 --oformat binary`);
 * debugcon is port 0x402, isa-debug-exit port 0xf4:
 *   .code16: cli; xor ax,ax; mov ds,ax; mov ss,ax; mov sp,0x7c00; mov dx,0x402
 *            print "\nvmbench-probe:r" (lodsb/out loop); lgdt [gdt_desc]; CR0.PE=1; ljmp 0x08:pm
 *   .code32 pm: ds=es=ss=0x10; out 'p'
 *            zero 0x1000-0x3fff; PML4[0]=0x2003; PDPT[0]=0x3003; PD[0..511]=i*2MiB|0x83 (1 GiB)
 *            CR4.PAE=1; CR3=0x1000; EFER.LME=1 (rdmsr/wrmsr 0xc0000080); CR0.PG=1; ljmp 0x18:lm
 *   .code64 lm: mov dx,0x402 (rdmsr clobbered edx); out 'l'
 *            for rdi = 2 MiB; rdi < 18 MiB; rdi += 4 KiB: mov [rdi],rdi      ; out 'm'
 *            ecx = 20000000; eax = 0; loop: add rax,rcx; imul rax,rax,3; dec ecx; jnz loop
 *            out 'o','k','\n'; out 0xf4 (QEMU exits); 1: cli; hlt; jmp 1b
 *   gdt: null, 0x00cf9a000000ffff (code32), 0x00cf92000000ffff (data), 0x00af9a000000ffff (code64)
 * Below: the first 292 bytes; the rest is zero up to the 0x55 0xAA signature at 510.
 */
const BOOT_SECTOR_B64 =
  '+jHAjtiO0LwAfLoCBL7tfKyEwHQD7uv4DwEWIH0PIMAMAQ8iwOoqfAgAZrgQAI7YjsCO0LBw7r8AEAAAMcC5AAwAAPOrxwUAEAAAAyAAAMcFACAAAAMwAAC/ADAAALiDAAAAuQACAACJBwUAACAAg8cI4vQPIOCDyCAPIuC4ABAAAA8i2LmAAADADzINAAEAAA8wDyDADQAAAIAPIsDqpXwAABgAZroCBLBs7kjHxwAAIABIiT9IgccAEAAASIH/AAAgAXLtsG3uuQAtMQExwEgByEhrwAP/yXX1sG/usGvusAruZrr0AO769Ov8CnZtYmVuY2gtcHJvYmU6cgBmkAAAAAAAAAAA//8AAACazwD//wAAAJLPAP//AAAAmq8AHwAAfQ==';

const MARKER = 'vmbench-probe:';
const STAGES: Record<string, string> = {r: 'real', p: 'protected', l: 'long', m: 'memory', o: 'done', k: 'done'};
const STAGE_TEXT: Record<string, string> = {
  none: 'never reached the probe boot sector',
  real: 'ran the boot sector in real mode but never reached protected mode',
  protected: 'reached protected mode but never long mode',
  long: 'reached long mode but did not finish touching 16 MiB of memory',
  memory: 'did not finish 20 M loop iterations (a vCPU that slow is emulated or stalled)',
};

function bootSector(): Buffer {
  const img = Buffer.alloc(512);
  Buffer.from(BOOT_SECTOR_B64, 'base64').copy(img);
  img[510] = 0x55;
  img[511] = 0xaa;
  return img;
}

/** The stage the guest reported last, from everything it wrote to debugcon. */
function stageOf(output: string): string {
  const at = output.lastIndexOf(MARKER);
  if (at < 0) return 'none';
  const tail = output.slice(at + MARKER.length);
  if (tail.includes('ok')) return 'done';
  const last = tail.replace(/[^rplm]/g, '').slice(-1);
  return STAGES[last] ?? 'none';
}

async function kvmDeviceProblem(): Promise<string | undefined> {
  try {
    const fh = await open('/dev/kvm', constants.O_RDWR);
    await fh.close();
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no /dev/kvm (KVM module not loaded, or no hardware virtualisation)';
    if (code === 'EACCES' || code === 'EPERM') return '/dev/kvm not accessible read/write (add the user to the kvm group)';
    return `cannot open /dev/kvm: ${(err as Error).message}`;
  }
}

/**
 * Choose the accelerator for the build: KVM only if /dev/kvm opens read/write *and* a KVM guest
 * runs the probe workload within `timeoutMs`; otherwise TCG, with the reason (QEMU's stderr
 * included). Never hangs and never leaves a process behind.
 */
export async function probeAccelerator(opts: AccelProbeOptions = {}): Promise<AccelChoice> {
  const problem = await kvmDeviceProblem();
  if (problem) return {accel: 'tcg', reason: problem};
  const run = await runAccelProbe('kvm', opts);
  if (run.ok) return {accel: 'kvm', reason: `KVM guest ran the probe workload in ${run.durationMs} ms`};
  return {accel: 'tcg', reason: run.reason};
}

/** One line for the build log: a warning for TCG, a note for KVM. */
export function describeAccel(choice: AccelChoice): string {
  return choice.accel === 'kvm'
    ? `accelerator: KVM (${choice.reason})`
    : `KVM unusable (${choice.reason}): falling back to TCG — builds will be slower`;
}

/**
 * Boot the probe guest under `accel` and wait for it to finish. @internal — probeAccelerator
 * uses 'kvm'; tests run it with 'tcg' to show the detection itself works.
 */
export async function runAccelProbe(accel: string, opts: AccelProbeOptions = {}): Promise<AccelProbeRun> {
  const {qemuBinary = 'qemu-system-x86_64', timeoutMs = 4000, log = noLog, signal} = opts;
  signal?.throwIfAborted();
  const dir = await watchedTempDir('vmbench-accel-');
  const image = path.join(dir, 'probe.img');
  const started = Date.now();
  try {
    await writeFile(image, bootSector());
    // Aborted while the image was written: start no QEMU at all.
    signal?.throwIfAborted();
    // IDE, not floppy: the floppy path hangs SeaBIOS under the broken KVM described above, and a
    // read-only IDE disk is refused by QEMU (the guest never writes).
    const args = [
      // The name carries our PID so a check for leftovers never confuses another vmbench's probe with ours.
      '-accel', accel, '-machine', 'pc', '-name', `vmbench-accel-probe-${process.pid}`,
      '-display', 'none', '-nodefaults', '-no-user-config', '-m', '32', '-serial', 'none',
      '-chardev', 'stdio,id=dbg', '-device', 'isa-debugcon,iobase=0x402,chardev=dbg',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
      '-drive', `file=${image},format=raw,if=ide`, '-boot', 'order=c',
    ];
    log('debug', `accel probe: ${qemuBinary} ${args.join(' ')}`);
    const child = execa(qemuBinary, args, {
      detached: true, // own process group, so the kill below takes everything with it
      cleanup: false,
      buffer: false,
      reject: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const pid = child.pid;
    if (pid !== undefined) rememberQemu(pid, image);
    let output = '';
    let stderr = '';
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    child.stdout?.on('data', (d: Buffer) => {
      output = (output + d.toString('latin1')).slice(-8192);
      if (stageOf(output) === 'done') finished();
    });
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));

    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const outcome = await Promise.race([
      done.then(() => 'done' as const),
      child.then(() => 'exited' as const),
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs))),
      // An abort while the probe was being set up (before this listener) counts too.
      new Promise<'aborted'>((r) => (signal?.aborted ? r('aborted') : signal?.addEventListener('abort', (onAbort = () => r('aborted')), {once: true}))),
    ]);
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    const durationMs = Date.now() - started;

    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already exited
      }
      // A vCPU stuck in the kernel can delay even SIGKILL: wait, but never forever.
      const exited = await Promise.race([child.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 3000).unref())]);
      if (exited) forgetQemu(pid);
      else log('warn', `accel probe QEMU (pid ${pid}) has not exited 3 s after SIGKILL`);
    }
    if (outcome === 'aborted') throw signal?.reason;

    const stage = stageOf(output);
    // Firmware output without our marker means "running, but slowly" rather than "dead".
    const firmware = stage === 'none' && output.length > 0 ? ` (the firmware did run: ${output.length} bytes of SeaBIOS log)` : '';
    const qemuSays = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    const withStderr = (s: string) => (qemuSays ? `${s}; QEMU: ${qemuSays}` : s);
    // The guest exits QEMU itself after "ok": an exit may win the race against the last output.
    const ok = stage === 'done';
    let reason: string;
    if (ok) reason = `${accel} guest finished the probe in ${durationMs} ms`;
    else if (outcome === 'exited') {
      const r = await child;
      const how = r.failed && r.exitCode === undefined && r.signal === undefined ? `could not run ${qemuBinary}: ${r.originalMessage ?? r.shortMessage}` : `QEMU exited (${r.signal ?? `code ${r.exitCode}`})`;
      reason = withStderr(`${how}; the ${accel} guest ${STAGE_TEXT[stage] ?? stage}`);
    } else reason = withStderr(`the ${accel} guest ${STAGE_TEXT[stage] ?? stage} within ${timeoutMs} ms${firmware}`);
    log('debug', `accel probe (${accel}): ${outcome} after ${durationMs} ms, stage ${stage}`);
    return {ok, stage, durationMs, reason};
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
}
