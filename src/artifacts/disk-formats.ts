/**
 * Disk images in the formats users ship, with qemu-img: raw, qcow2 (optionally compressed),
 * vmdk (streamOptimized to upload, or monolithic), vdi, vhd (qemu's `vpc`; dynamic or fixed)
 * and vhdx. Independent of the build engine: a file in, files out, side by side.
 *
 * qemu-img convert reads the source once per target and leaves zero clusters out of every
 * sparse format (its default -S 4k), so a guest's zeroed free space costs nothing in a copy.
 * Each copy is written under a temporary name beside its target and renamed when qemu-img has
 * finished; a failure or an abort removes the temporaries (and stops the other conversions).
 */
import os from 'node:os';
import {rename, rm, stat} from 'node:fs/promises';
import path from 'node:path';
import {execa} from 'execa';
import {trackTemp, untrackTemp} from '../engine/post-processors/atomic.js';
import type {DiskFormat} from '../profiles/post-processor-schema.js';
import {formatBytes} from '../util/bytes.js';
import {watchProcess} from '../qemu/watchdog.js';

export interface FormatOptions {
  qcow2Compressed: boolean;
  vmdkSubformat: 'streamOptimized' | 'monolithicSparse' | 'monolithicFlat';
  vhdSubformat: 'dynamic' | 'fixed';
  vhdxSubformat: 'dynamic' | 'fixed';
}

export const DEFAULT_FORMAT_OPTIONS: FormatOptions = {qcow2Compressed: true, vmdkSubformat: 'streamOptimized', vhdSubformat: 'dynamic', vhdxSubformat: 'dynamic'};

/** qemu-img's name of each format, and the file extension users expect. */
export const FORMAT_OF_EXTENSION: Record<string, string> = {raw: 'raw', img: 'raw', qcow2: 'qcow2', vmdk: 'vmdk', vdi: 'vdi', vhd: 'vpc', vhdx: 'vhdx'};
export const QEMU_FORMAT: Record<DiskFormat, string> = {raw: 'raw', qcow2: 'qcow2', vmdk: 'vmdk', vdi: 'vdi', vhd: 'vpc', vhdx: 'vhdx'};
export const EXTENSION: Record<DiskFormat, string> = {raw: 'raw', qcow2: 'qcow2', vmdk: 'vmdk', vdi: 'vdi', vhd: 'vhd', vhdx: 'vhdx'};

/** What `qemu-img info` says of an image. */
export interface DiskInfo {
  format: string;
  virtualSize: number;
  actualSize: number;
}

/** `format`: qemu-img's name, when known — a fixed VHD is only found by its footer, and probing takes it for raw. */
export async function diskInfo(file: string, signal?: AbortSignal, format?: string): Promise<DiskInfo> {
  const r = await execa('qemu-img', ['info', '--output=json', ...(format ? ['-f', format] : []), file], {cancelSignal: signal, reject: false});
  if (r.isCanceled) throw signal?.reason ?? new Error('cancelled');
  if (r.exitCode !== 0) throw new Error(`qemu-img info ${file}: ${String(r.stderr).trim() || `exit code ${r.exitCode}`}`);
  const j = JSON.parse(String(r.stdout)) as {format: string; 'virtual-size': number; 'actual-size'?: number};
  return {format: j.format, virtualSize: j['virtual-size'], actualSize: j['actual-size'] ?? 0};
}

/** The qemu-img convert arguments that write `format` (sans the source and target). */
export function formatArgs(format: DiskFormat, o: FormatOptions = DEFAULT_FORMAT_OPTIONS): string[] {
  const args = ['-O', QEMU_FORMAT[format]];
  switch (format) {
    case 'qcow2':
      if (o.qcow2Compressed) args.push('-c');
      break;
    case 'vmdk':
      args.push('-o', `subformat=${o.vmdkSubformat}`);
      break;
    case 'vhd':
      // force_size keeps the exact virtual size (qemu would round it to a CHS geometry otherwise).
      args.push('-o', `subformat=${o.vhdSubformat === 'fixed' ? 'fixed' : 'dynamic'},force_size=on`);
      break;
    case 'vhdx':
      args.push('-o', `subformat=${o.vhdxSubformat}`);
      break;
    case 'vdi':
    case 'raw':
      break;
  }
  return args;
}

/** A copy to write: its format and where it goes. */
export interface ConversionTarget {
  format: DiskFormat;
  file: string;
}

export interface ConversionResult extends ConversionTarget {
  bytes: number;
  virtualSize: number;
  seconds: number;
}

export interface ConvertAllOptions {
  source: string;
  sourceFormat: string;
  targets: readonly ConversionTarget[];
  options?: FormatOptions;
  /** Conversions at once (default: the host's CPUs, at most one per target). */
  jobs?: number;
  signal?: AbortSignal;
  /** Percent done of one target, as qemu-img -p reports it. */
  onProgress?(format: DiskFormat, percent: number): void;
  onStart?(target: ConversionTarget, args: string[]): void;
  onDone?(result: ConversionResult): void;
}

/** The temporary name a target is written under, hidden beside it. */
export const partialName = (file: string): string => path.join(path.dirname(file), `.${path.basename(file)}.vmbench-partial`);

/** Every target of `opts`, `jobs` at a time; resolves when all are whole, rejects at the first failure (the rest stopped and removed). */
export async function convertAll(opts: ConvertAllOptions): Promise<ConversionResult[]> {
  const o = opts.options ?? DEFAULT_FORMAT_OPTIONS;
  const jobs = Math.max(1, Math.min(opts.targets.length, opts.jobs || os.availableParallelism()));
  const stop = new AbortController();
  const onOuter = (): void => stop.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onOuter, {once: true});
  if (opts.signal?.aborted) onOuter();
  const results: ConversionResult[] = new Array(opts.targets.length);
  const partials = new Set<string>();
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (!stop.signal.aborted && next < opts.targets.length) {
      const i = next++;
      const t = opts.targets[i]!;
      const tmp = partialName(t.file);
      const args = ['convert', '-p', '-f', opts.sourceFormat, ...formatArgs(t.format, o), opts.source, tmp];
      opts.onStart?.(t, args);
      const started = Date.now();
      partials.add(tmp);
      trackTemp(tmp);
      try {
        const proc = execa('qemu-img', args, {cancelSignal: stop.signal, reject: false, buffer: {stdout: false}});
        watchProcess(proc.pid, false);
        let last = -1;
        proc.stdout?.on('data', (d: Buffer) => {
          const m = /\(([\d.]+)\/100%\)[^(]*$/.exec(d.toString());
          const pct = m ? Math.floor(Number(m[1])) : -1;
          if (pct > last) opts.onProgress?.(t.format, (last = pct));
        });
        const r = await proc;
        if (r.isCanceled) throw stop.signal.reason ?? new Error('cancelled');
        if (r.exitCode !== 0) throw new Error(`qemu-img convert to ${t.format} failed: ${String(r.stderr).trim() || `exit code ${r.exitCode}`}`);
        await rename(tmp, t.file);
        partials.delete(tmp);
        untrackTemp(tmp);
        const [{size}, info] = await Promise.all([stat(t.file), diskInfo(t.file, undefined, QEMU_FORMAT[t.format])]);
        results[i] = {...t, bytes: size, virtualSize: info.virtualSize, seconds: (Date.now() - started) / 1000};
        opts.onDone?.(results[i]!);
      } catch (err) {
        failure ??= err;
        stop.abort(err);
      }
    }
  };
  try {
    await Promise.all(Array.from({length: jobs}, worker));
  } finally {
    opts.signal?.removeEventListener('abort', onOuter);
    await Promise.all([...partials].map((f) => rm(f, {force: true}).then(() => untrackTemp(f))));
  }
  if (failure !== undefined) {
    // Copies finished before the failure are whole but belong to a failed step: remove them too.
    await Promise.all(results.filter(Boolean).map((r) => rm(r.file, {force: true})));
    throw failure;
  }
  if (opts.signal?.aborted) throw opts.signal.reason;
  return results;
}

/** Size and its share of the virtual size, as users read it: "312.4 MiB, 30.5% of 1.0 GiB". */
export function sizeRatio(bytes: number, virtualSize: number): string {
  const ratio = virtualSize > 0 ? (bytes / virtualSize) * 100 : 0;
  return `${formatBytes(bytes)}, ${ratio.toFixed(1)}% of ${formatBytes(virtualSize)} virtual`;
}
