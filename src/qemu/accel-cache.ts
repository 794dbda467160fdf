/**
 * Whether KVM works does not change while the host stays up, and the probe costs up to its
 * timeout (~4 s) when KVM is broken — so its answer is remembered per host boot, per QEMU binary.
 */
import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execaSync} from 'execa';
import {probeAccelerator, type AccelChoice, type AccelProbeOptions} from './accel.js';
import {runDir} from './reaper.js';

/** What the answer depends on: this boot of the host, the QEMU binary, and /dev/kvm itself. */
export function probeKey(qemuBinary: string): string {
  const read = (f: string): string => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      return '-';
    }
  };
  let binary = qemuBinary;
  try {
    binary = execaSync('sh', ['-c', `command -v "$1"`, 'sh', qemuBinary]).stdout.trim() || qemuBinary;
  } catch {
    // not on PATH: the probe itself will say so
  }
  const stamp = (f: string): string => {
    try {
      const s = statSync(f);
      return `${s.mtimeMs}:${s.size}`;
    } catch {
      return '-';
    }
  };
  return [read('/proc/sys/kernel/random/boot_id'), binary, stamp(binary), stamp('/dev/kvm')].join('|');
}

export async function cachedProbe(
  key: string,
  file: string,
  probe: () => Promise<AccelChoice>,
): Promise<AccelChoice & {cached: boolean}> {
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {key: string; choice: AccelChoice};
    if (saved.key === key) return {...saved.choice, cached: true};
  } catch {
    // no cache yet
  }
  const choice = await probe();
  try {
    mkdirSync(path.dirname(file), {recursive: true});
    writeFileSync(file, JSON.stringify({key, choice}));
  } catch {
    // a read-only state dir only costs the next build another probe
  }
  return {...choice, cached: false};
}

/** probeAccelerator, answered from the per-boot cache when possible. */
export function probeAcceleratorCached(opts: AccelProbeOptions = {}): Promise<AccelChoice & {cached: boolean}> {
  const binary = opts.qemuBinary ?? 'qemu-system-x86_64';
  return cachedProbe(probeKey(binary), path.join(path.dirname(runDir()), 'accel-probe.json'), () => probeAccelerator(opts));
}
