/**
 * One Packer qemu builder's options → vmbench profile fields, by the shared table
 * (packer-fields.ts) plus the shape changes Packer itself made over time (`packer fix`):
 * iso_checksum_type/iso_checksum_url folded into iso_checksum, disk_size as a bare string of
 * MiB, accelerator "none". Used by the JSON and HCL2 front ends; positions stay theirs: `from`
 * says which Packer key each vmbench field came from.
 */
import {packerFieldDisposition} from '../packer-fields.js';

export interface BuilderIssue {
  /** The Packer key the issue is about (as written in the template). */
  key: string;
  message: string;
  warning?: boolean;
}

export interface MappedBuilder {
  /** The builder's options as vmbench profile fields (values untouched: the checker converts them). */
  raw: Record<string, unknown>;
  /** vmbench field → the Packer key it was written as, where they differ. */
  from: Record<string, string>;
  /** Unsupported (errors), unused (warnings), unknown (errors, with a did-you-mean). */
  issues: BuilderIssue[];
  /** What was translated or dropped quietly, for `vmbench import` to write as comments. */
  notes: BuilderIssue[];
}

/**
 * Map a qemu builder's options (without `type` and `name`, which say which build it is).
 * `buildName` gives Packer's defaults that differ from vmbench's (vm_name "packer-NAME").
 */
export function mapPackerBuilder(fields: Record<string, unknown>, buildName: string): MappedBuilder {
  const out: MappedBuilder = {raw: {}, from: {}, issues: [], notes: []};
  const {raw, from, issues, notes} = out;
  const translated: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    // Packer ignores keys that start with "_" in a builder: they are comments.
    if (key.startsWith('_')) continue;
    // Packer reads the WinRM options only with communicator "winrm": shared sources set them for
    // their Windows builds, and an SSH build ignores them.
    if (key.startsWith('winrm_') && fields.communicator !== 'winrm') {
      notes.push({key, message: `dropped: a WinRM option, not used with communicator ${JSON.stringify(fields.communicator ?? 'ssh')}`});
      continue;
    }
    const d = packerFieldDisposition(key, value);
    switch (d.kind) {
      case 'supported':
        if (Object.hasOwn(raw, key)) issues.push({key, message: `given twice: as ${key} and as ${from[key]} (Packer's other name for it)`});
        else raw[key] = value;
        break;
      case 'renamed':
        if (Object.hasOwn(fields, d.to) || Object.hasOwn(raw, d.to)) issues.push({key, message: `given twice: as ${key} and as ${d.to} (${d.why})`});
        else {
          raw[d.to] = value;
          from[d.to] = key;
          notes.push({key, message: `written as ${d.to} (${d.why})`});
        }
        break;
      case 'same':
        notes.push({key, message: `dropped: ${d.why}`});
        break;
      case 'unused':
        issues.push({key, message: `accepted but not used: ${d.why}`, warning: true});
        break;
      case 'unsupported':
        issues.push({key, message: `not supported: ${d.why}`});
        break;
      case 'translated':
        translated[key] = value;
        break;
      case 'unknown':
        issues.push({key, message: `unknown option of Packer's qemu builder${d.suggestion ? ` (did you mean "${d.suggestion}"?)` : ''}`});
        break;
    }
  }

  // Packer ≤ 1.5's checksum style, as `packer fix` rewrites it (Packer 1.6 refuses the old keys).
  const type = translated.iso_checksum_type;
  const url = translated.iso_checksum_url;
  if (type !== undefined || url !== undefined) {
    const key = type !== undefined ? 'iso_checksum_type' : 'iso_checksum_url';
    const sum = raw.iso_checksum;
    let value: unknown;
    if (typeof type === 'string' && type.toLowerCase() === 'none') value = 'none';
    else if (typeof url === 'string') value = `file:${url}`;
    else if (typeof type === 'string' && typeof sum === 'string') value = sum.includes(':') ? sum : `${type.toLowerCase()}:${sum}`;
    if (value === undefined) {
      issues.push({key, message: 'iso_checksum_type needs iso_checksum (or iso_checksum_url) beside it'});
    } else {
      raw.iso_checksum = value;
      from.iso_checksum = raw.iso_checksum === sum ? 'iso_checksum' : key;
      issues.push({
        key,
        message: `Packer 1.5's checksum style: read as iso_checksum ${JSON.stringify(value)} (what \`packer fix\` writes; Packer 1.6 and later refuse ${key})`,
        warning: true,
      });
    }
  }
  // Packer reads a disk_size string without a unit as MiB ("5000" = 5000M).
  if (typeof raw.disk_size === 'string' && /^\d+$/.test(raw.disk_size.trim())) raw.disk_size = Number(raw.disk_size.trim());
  // "none" runs QEMU without an accelerator flag: its default, TCG.
  if (raw.accelerator === 'none') {
    raw.accelerator = 'tcg';
    notes.push({key: 'accelerator', message: 'accelerator "none" is QEMU without -accel: TCG'});
  }
  // Packer names the image packer-NAME (no extension) unless vm_name says otherwise.
  if (raw.vm_name === undefined) {
    raw.vm_name = `packer-${buildName}`;
    notes.push({key: 'vm_name', message: `Packer's default vm_name: packer-${buildName}`});
  }
  return out;
}
