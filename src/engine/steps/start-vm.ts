/**
 * start-vm — uses: state.diskPath/additionalDisks/isoPath/cdPath/floppyPath/efiVarsPath, profile
 * (machine, ports, qemuargs). Produces: state.qemu, state.qmp, state.accel, state.sshHostPort,
 * state.vncPort, state.vncPassword, state.socketDir.
 * QEMU is up when its QMP socket answers; if it exits first, its stderr is the error. qemuargs
 * are rendered here with the build fields (Packer's step_run.go). With vnc_use_password the
 * password is set over QMP before anyone is told where VNC is (until then QEMU lets nobody in).
 * Cleanup: QMP quit → SIGTERM → SIGKILL, then removes the socket directory.
 */
import {randomInt} from 'node:crypto';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {probeAcceleratorCached} from '../../qemu/accel-cache.js';
import {buildQemuArgs, shellQuote, type QemuArgsInput} from '../../qemu/args.js';
import {isPortClash, startQemu, type QemuProcess} from '../../qemu/driver.js';
import {connectQmp, type QmpClient} from '../../qemu/qmp.js';
import {serialLineCleaner} from '../../qemu/serial-lines.js';
import {findFreePort, type PortFields} from '../../util/ports.js';
import {qemuArgsFields, renderQemuArgs} from '../build-fields.js';
import {createScreenWaiter} from '../screen-waiter.js';
import {liveFrames, readScreenLines} from '../screen.js';
import {need, StepError, type Step, type StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {watchVmFaults, type VmFaultWatch} from '../vm-watch.js';

const MAX_START_ATTEMPTS = 3;

/** Each running VM's fault watch (QEMU's BLOCK_IO_ERROR / STOP), from start-vm until its cleanup. */
const faultWatches = new WeakMap<BuildState, VmFaultWatch>();

/** The fault QEMU reported for this build's VM (its disk could not be written), if any. */
export function vmFault(state: BuildState): StepError | undefined {
  return faultWatches.get(state)?.fault();
}

/**
 * `step` failing as soon as QEMU reports that the VM cannot go on (a full host folder pauses
 * the guest: any step waiting on it — SSH, a provisioner, the shutdown — would otherwise wait
 * for its timeout). A step started after the fault fails with it at once.
 */
export function failOnVmFault(step: Step<BuildState>): Step<BuildState> {
  return {
    ...step,
    async run(ctx) {
      const watch = faultWatches.get(ctx.state);
      if (!watch) return step.run(ctx);
      const fault = watch.fault();
      if (fault) throw fault;
      const running = step.run(ctx);
      running.catch(() => {}); // after a fault the step may end later; its error is not news
      return Promise.race([running, watch.failed]);
    },
  };
}

const PASSWORD_CHARS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A random VNC password: 8 characters, the most VNC authentication uses (Packer's length). */
export function randomVncPassword(): string {
  return Array.from({length: 8}, () => PASSWORD_CHARS[randomInt(PASSWORD_CHARS.length)]).join('');
}

/** QEMU's command line input for this build (pure apart from reading the state). */
export function qemuInput(state: BuildState, accel: 'kvm' | 'tcg', ports: {ssh?: number; vnc: number}, qmpSocket: string): QemuArgsInput {
  const {profile} = state;
  const cdroms = [...(profile.disk_image ? [] : [need(state.isoPath, 'ISO')]), ...(state.cdPath ? [state.cdPath] : []), ...(state.seedPath ? [state.seedPath] : [])];
  return {
    name: profile.vm_name,
    accel,
    machineType: profile.machine_type,
    memoryMiB: profile.memory,
    cpus: profile.cpus,
    topology: {sockets: profile.sockets, cores: profile.cores, threads: profile.threads},
    cpuModel: profile.cpu_model,
    disk: {
      path: need(state.diskPath, 'disk'),
      additional: state.additionalDisks,
      format: profile.format,
      interface: profile.disk_interface,
      cache: profile.disk_cache,
      discard: profile.disk_discard,
      detectZeroes: profile.disk_detect_zeroes,
    },
    cdroms,
    cdromInterface: profile.cdrom_interface,
    bootFrom: profile.disk_image ? 'disk' : 'cdrom',
    floppy: state.floppyPath,
    firmware: profile.firmware ? {path: path.resolve(state.profileDir, profile.firmware), pflash: profile.use_pflash} : undefined,
    efi: profile.efi_boot ? {code: path.resolve(state.profileDir, profile.efi_firmware_code), vars: need(state.efiVarsPath, 'UEFI variables')} : undefined,
    netDevice: profile.net_device,
    sshForward: ports.ssh === undefined ? undefined : {hostAddress: '127.0.0.1', hostPort: ports.ssh, guestPort: profile.ssh_port},
    vnc: {address: profile.vnc_bind_address, display: ports.vnc - 5900, password: profile.vnc_use_password},
    qmpSocket,
    extra: renderQemuArgs(profile.qemuargs, qemuArgsFields(state, ports.ssh)),
  };
}

/** A free port, or a StepError naming the profile's fields (an address not of this host, a used-up range). */
async function findPort(host: string, min: number, max: number, fields: PortFields): Promise<number> {
  try {
    return await findFreePort(host, min, max, undefined, fields);
  } catch (err) {
    throw new StepError((err as Error).message, undefined, {cause: err});
  }
}

async function chooseAccel(ctx: StepContext<BuildState>): Promise<'kvm' | 'tcg'> {
  const wanted = ctx.state.profile.accelerator;
  if (wanted !== 'auto') return wanted;
  const probe = await probeAcceleratorCached({
    qemuBinary: ctx.state.profile.qemu_binary,
    log: (s, l) => ctx.log('qemu', s, l),
  });
  // The full reason once per host boot; afterwards a short reminder.
  const reason = probe.cached ? 'probed earlier this boot' : probe.reason;
  if (probe.accel === 'tcg') ctx.log('vmbench', 'warn', `KVM unusable (${reason}): using TCG software emulation — builds will be slower`);
  else ctx.log('vmbench', 'info', `accelerator: kvm (${reason})`);
  return probe.accel;
}

/** Start QEMU and connect QMP; resolves once QEMU answers, rejects with its stderr if it dies. */
async function launch(ctx: StepContext<BuildState>, args: string[], qmpPath: string): Promise<{qemu: QemuProcess; qmp: QmpClient}> {
  const {profile} = ctx.state;
  const clean = serialLineCleaner();
  const qemu = startQemu({
    binary: profile.qemu_binary,
    args,
    serial: (s, l) => {
      const line = clean(l);
      if (line !== undefined) ctx.log('serial', s, line);
    },
    log: (s, l) => ctx.log('qemu', s, l),
    marker: qmpPath,
  });
  ctx.state.qemu = qemu;
  // Stop trying to reach QMP as soon as QEMU is gone (or the build is cancelled).
  const connecting = new AbortController();
  const onAbort = (): void => connecting.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, {once: true});
  const died = qemu.exited.then((e) => {
    connecting.abort(new Error('QEMU exited'));
    const tail = qemu.stderrTail().trim();
    const last = tail.split('\n').at(-1) || '(no message)';
    throw new StepError(
      `QEMU exited during start-up (${e.signal ?? `exit code ${e.code}`}): ${last}${tail.includes('\n') ? `\n  ${tail.split('\n').join('\n  ')}` : ''}`,
      'the command line is in the log (source qemu); check qemuargs and that the ISO/disk paths exist',
    );
  });
  died.catch(() => {}); // after QMP is up, a later exit is handled by whoever waits on it
  try {
    const qmp = await Promise.race([connectQmp(qmpPath, {signal: connecting.signal, timeoutMs: 30_000, log: (s, l) => ctx.log('qemu', s, l)}), died]);
    return {qemu, qmp};
  } catch (err) {
    // QMP can answer and then drop as QEMU rejects a later option: QEMU's own exit says why.
    await Promise.race([died, new Promise((r) => setTimeout(r, 1000).unref())]);
    throw err;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

export const startVm: Step<BuildState> = {
  id: 'start-vm',
  title: 'Start VM',
  async run(ctx) {
    ctx.state.vmStopping = false; // a retry after cleanup starts a new VM
    const {profile} = ctx.state;
    const accel = await chooseAccel(ctx);
    ctx.state.accel = accel;
    ctx.state.socketDir ??= mkdtempSync(path.join(os.tmpdir(), 'vmbench-'));
    const qmpPath = path.join(ctx.state.socketDir, 'qmp.sock');
    // No SSH port forward with communicator none (Packer's step_port_forward.go).
    const ssh = profile.communicator !== 'none';
    for (let attempt = 1; ; attempt++) {
      const sshPort = ssh ? await findPort('127.0.0.1', profile.ssh_host_port_min, profile.ssh_host_port_max, {range: ['ssh_host_port_min', 'ssh_host_port_max']}) : undefined;
      const vncPort = await findPort(profile.vnc_bind_address, profile.vnc_port_min, profile.vnc_port_max, {address: 'vnc_bind_address', range: ['vnc_port_min', 'vnc_port_max']});
      // Cancelled while probing or finding ports: start no QEMU the cleanups would have to catch.
      ctx.signal.throwIfAborted();
      const {args, replaced} = buildQemuArgs(qemuInput(ctx.state, accel, {ssh: sshPort, vnc: vncPort}, qmpPath));
      if (replaced.length && attempt === 1) ctx.log('vmbench', 'warn', `qemuargs drop these defaults of vmbench: ${replaced.join(', ')}`);
      ctx.log('qemu', 'info', shellQuote([profile.qemu_binary, ...args]));
      try {
        const {qemu, qmp} = await launch(ctx, args, qmpPath);
        ctx.state.qmp = qmp;
        faultWatches.get(ctx.state)?.stop();
        // The disk lives in the build's hidden work folder: name the folder the user chose, beside it.
        const work = ctx.state.workDir && path.resolve(ctx.state.workDir);
        faultWatches.set(
          ctx.state,
          watchVmFaults(qmp, {
            defaultDir: path.dirname(need(ctx.state.diskPath, 'disk')),
            where: (dir) => (work && path.resolve(dir) === work ? path.dirname(work) : dir),
            log: (s, l) => ctx.log('qemu', s, l),
          }),
        );
        if (profile.vnc_use_password) {
          const password = profile.vnc_password ?? randomVncPassword();
          await qmp.execute('change-vnc-password', {password});
          ctx.state.vncPassword = password;
        }
        ctx.state.sshHostPort = sshPort;
        ctx.state.vncPort = vncPort;
        ctx.state.screen = createScreenWaiter({
          readText: () => readScreenLines(ctx.state),
          version: () => liveFrames(ctx.state, (s, l) => ctx.log('vnc', s, l))?.framebuffer.version,
        });
        const vnc = `${profile.vnc_bind_address}:${vncPort}`;
        const password = ctx.state.vncPassword ? `, password ${ctx.state.vncPassword}` : '';
        ctx.emit({type: 'info', time: Date.now(), key: 'vnc', value: `vnc://${vnc} (display :${vncPort - 5900}${password}) — viewers may attach at any time`});
        if (sshPort !== undefined) ctx.emit({type: 'info', time: Date.now(), key: 'ssh', value: `127.0.0.1:${sshPort}`});
        ctx.log('vmbench', 'info', `QEMU running (pid ${qemu.pid}, ${accel}); VNC ${vnc}${password}; ${sshPort === undefined ? 'no SSH (communicator none)' : `SSH forwarded from 127.0.0.1:${sshPort}`}`);
        return;
      } catch (err) {
        const qemu = ctx.state.qemu;
        await qemu?.stop({graceMs: 1000});
        ctx.state.qemu = undefined;
        if (!ctx.signal.aborted && qemu && isPortClash(qemu.stderrTail()) && attempt < MAX_START_ATTEMPTS) {
          ctx.log('vmbench', 'warn', 'a port was taken between choosing it and QEMU binding it: retrying with other ports');
          continue;
        }
        throw err;
      }
    }
  },
  async cleanup(ctx) {
    ctx.state.vmStopping = true;
    await ctx.state.frames?.stop();
    ctx.state.frames = undefined;
    ctx.state.screen = undefined;
    const {qemu, qmp} = ctx.state;
    if (qemu && !qemu.hasExited()) {
      ctx.log('vmbench', 'info', `stopping QEMU (pid ${qemu.pid})`);
      const exit = await qemu.stop({quit: qmp ? () => qmp.execute('quit') : undefined});
      ctx.log('vmbench', 'debug', `QEMU exited (${exit.signal ?? `code ${exit.code}`})`);
    }
    faultWatches.get(ctx.state)?.stop();
    faultWatches.delete(ctx.state);
    qmp?.close();
    ctx.state.qmp = undefined;
    if (ctx.state.socketDir) rmSync(ctx.state.socketDir, {recursive: true, force: true});
    ctx.state.socketDir = undefined;
    ctx.state.vncPassword = undefined;
  },
};
