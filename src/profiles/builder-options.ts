/**
 * The qemu-builder options of issue 10 checked against each other, with Packer's rules
 * (packer-plugin-qemu builder/qemu/config.go Prepare, packer-plugin-sdk's HTTPConfig,
 * communicator.Config): defaults that depend on other fields, combinations Packer refuses, and
 * what vmbench adds on top (a warning where Packer would silently do nothing useful). Pure: the
 * checker (check-profile.ts) calls it once the fields are converted.
 */
import os from 'node:os';
import path from 'node:path';
import {closest} from '../util/suggest.js';
import type {PathKey} from './document.js';
import type {Profile} from './schema.js';
import {checkExposure} from './network-exposure.js';

export interface BuilderCheckContext {
  /** The document's fields as written (to tell "not given" from a default). */
  raw: Record<string, unknown>;
  /** The profile's directory: relative paths are resolved against it. */
  dir: string;
  error(path: PathKey[], message: string): void;
  warn(path: PathKey[], message: string): void;
}

/** Provisioner types that work through the guest's SSH (the others run on this host). */
export const SSH_PROVISIONERS: ReadonlySet<string> = new Set(['shell', 'file', 'ansible']);

const QEMU_IMG_COMMANDS = ['create', 'convert', 'resize'] as const;

/** A qemu-img size: digits and an optional unit (qemu-img: b/k/M/G/T/P/E, case-insensitive). */
const QEMU_IMG_SIZE = /^\d+(?:\.\d+)?[bkmgtpe]?$/i;

/** `{{ file `x` }}` / `{{ templatefile `x` }}` as the whole value: the entry's text comes from that file. */
const WHOLE_FILE_ACTION = /^\s*\{\{-?\s*(?:file|templatefile)\s+(?:`([^`]*)`|"((?:[^"\\]|\\.)*)")\s*-?\}\}\s*$/;

/**
 * Check and complete the builder options in `profile` (mutated in place). Errors and warnings go
 * to the context, each at the field it is about.
 */
export function checkBuilderOptions(profile: Profile, ctx: BuilderCheckContext): void {
  const {raw} = ctx;
  const given = (key: string): boolean => raw[key] !== undefined;

  // Lists and maps: a fresh value per profile (the defaults table holds scalars only).
  profile.disk_additional_size ??= [];
  profile.cd_files ??= [];
  profile.cd_content ??= {};
  profile.floppy_files ??= [];
  profile.floppy_dirs ??= [];
  profile.floppy_content ??= {};
  profile.http_content ??= {};
  profile.http_content_files = {};

  profile.qemu_img_args = qemuImgArgs(raw.qemu_img_args, ctx);

  profile.disk_additional_size.forEach((size, i) => {
    if (!QEMU_IMG_SIZE.test(size)) ctx.error(['disk_additional_size', i], `"${size}" is not a qemu-img size (digits and a unit, e.g. "10G" or "512M")`);
    else if (!(qemuImgBytes(size) > 0)) ctx.error(['disk_additional_size', i], `"${size}" is an empty disk: give it a size`);
    else if (qemuImgBytes(size) > MAX_DISK_BYTES) ctx.error(['disk_additional_size', i], `"${size}" is larger than 64T, the most vmbench creates`);
    else if (/^\d+$/.test(size)) ctx.warn(['disk_additional_size', i], `"${size}" has no unit: qemu-img reads it as bytes (Packer passes it on as written); write e.g. "${size}M" if you meant MiB`);
  });

  // Disks (config.go): compaction only makes sense for qcow2, and not over a backing file.
  if (profile.format !== 'qcow2') {
    profile.skip_compaction = true;
    if (profile.disk_compression) ctx.warn(['disk_compression'], 'only a qcow2 image can be compressed: ignored for format raw');
    profile.disk_compression = false;
  }
  if (profile.use_backing_file) {
    profile.skip_compaction = true;
    if (!profile.disk_image || profile.format !== 'qcow2') ctx.error(['use_backing_file'], 'needs disk_image: true and format: qcow2 (the overlay is a qcow2 image on top of the disk image)');
  }
  if (profile.skip_resize_disk && !profile.disk_image) ctx.error(['skip_resize_disk'], 'only applies with disk_image: true (a new disk is always disk_size)');
  profile.iso_target_extension = profile.iso_target_extension.toLowerCase().replace(/^\./, '');

  // HTTP (packer-plugin-sdk HTTPConfig.Prepare): one source of files or the other.
  if (Object.keys(profile.http_content).length && profile.http_directory) {
    ctx.error(['http_content'], 'cannot be used together with http_directory (as in Packer): serve every file from one of them — e.g. {{ templatefile `http/preseed.cfg` }} puts a file into http_content');
  }
  const content: Record<string, string> = {};
  const rawContent = raw.http_content && typeof raw.http_content === 'object' ? (raw.http_content as Record<string, unknown>) : {};
  for (const [key, text] of Object.entries(profile.http_content)) {
    let url = key;
    if (!key.startsWith('/')) {
      url = `/${key}`;
      ctx.warn(['http_content', key], `URL paths start with "/": served as "${url}" (Packer would never serve "${key}")`);
    }
    content[url] = text;
    const m = typeof rawContent[key] === 'string' ? WHOLE_FILE_ACTION.exec(rawContent[key]) : null;
    if (m) profile.http_content_files[url] = path.resolve(ctx.dir, m[1] ?? JSON.parse(`"${m[2]}"`));
  }
  profile.http_content = content;

  // cloud_init (vmbench): the key vmbench hands the image is removed again before shutdown unless asked otherwise.
  if (profile.cloud_init) {
    if (!given('ssh_clear_authorized_keys')) profile.ssh_clear_authorized_keys = true;
    if (profile.communicator === 'none' && (profile.cloud_init.wait || profile.cloud_init.clean)) {
      ctx.warn(['cloud_init'], 'wait and clean run over SSH: with communicator none vmbench only writes the seed');
    }
    if (profile.cd_label === 'cidata' && (profile.cd_files.length || Object.keys(profile.cd_content).length)) {
      ctx.error(['cd_label'], 'a cd_files CD labelled cidata and cloud_init would give the guest two NoCloud seeds: use one of them');
    }
  } else if (profile.install_method === 'cloud-image' && profile.cd_label !== 'cidata' && profile.communicator !== 'none') {
    ctx.warn(['install_method'], 'a cloud image gets its login from a cloud-init seed, and this profile has none: add cloud_init (vmbench writes the seed with the build’s key) or a cd_files CD with cd_label: cidata');
  }

  // Firmware (config.go loadDefaults): naming a firmware file turns EFI on.
  if (given('efi_firmware_code') || given('efi_firmware_vars')) profile.efi_boot = true;
  if (profile.efi_boot && profile.firmware) ctx.error(['firmware'], 'firmware and efi_boot both choose the firmware: use one (efi_firmware_code names the OVMF image)');
  if (profile.use_pflash && !profile.firmware) ctx.warn(['use_pflash'], 'has no effect without firmware');

  // Memory: QEMU reserves it as it is used, but more than the host has ends in swapping or the OOM killer.
  const hostMiB = Math.floor(os.totalmem() / 1048576);
  if (profile.memory > hostMiB) ctx.warn(['memory'], `${profile.memory} MiB is more than this host's ${hostMiB} MiB: the guest may be killed or the host swap`);

  // CPU topology (config.go QemuSMPConfig.getDefaultCmdLine).
  const topology = maxCpus(profile);
  if (topology > 1024) ctx.error(['sockets'], `sockets × cores × threads = ${topology}: at most 1024 vCPUs`);
  else if (topology > 0) {
    if (!given('cpus')) profile.cpus = topology;
    else if (profile.cpus > topology) {
      ctx.warn(['cpus'], `${profile.cpus} vCPUs do not fit sockets × cores × threads = ${topology}: using ${topology} (as Packer does)`);
      profile.cpus = topology;
    } else if (profile.cpus < topology) {
      ctx.warn(['cpus'], `${profile.cpus} of the ${topology} vCPUs the topology allows are present at boot`);
    }
  }

  // VNC (step_configure_vnc.go): a password is at most 8 characters (the RFB DES key).
  if (profile.vnc_password !== undefined) {
    if (profile.vnc_password.length > 8) ctx.error(['vnc_password'], `is ${profile.vnc_password.length} characters long: VNC passwords have at most 8`);
    if (!profile.vnc_use_password) ctx.warn(['vnc_password'], 'has no effect without vnc_use_password: true');
  }
  checkExposure(profile, ctx);

  // Communicator none: no SSH at all.
  if (profile.communicator === 'none') {
    profile.provisioners.forEach((p, i) => {
      if (SSH_PROVISIONERS.has(p.type)) ctx.error(['provisioners', i, 'type'], `a ${p.type} provisioner needs SSH, but communicator is none`);
    });
    if (profile.ssh_clear_authorized_keys) ctx.warn(['ssh_clear_authorized_keys'], 'has no effect with communicator: none');
    if (profile.pause_before_connecting) ctx.warn(['pause_before_connecting'], 'has no effect with communicator: none');
    if (profile.shutdown_command) ctx.warn(['shutdown_command'], 'is not run with communicator: none (the guest must power off by itself)');
  }
}

/** The largest disk vmbench creates: 64 TiB. */
const MAX_DISK_BYTES = 64 * 2 ** 40;

/** Bytes of a qemu-img size ("10G", "512M", "4096"; units are powers of 1024). */
export function qemuImgBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)?)([bkmgtpe]?)$/i.exec(size);
  if (!m) return NaN;
  return Math.floor(Number(m[1]) * 1024 ** 'bkmgtpe'.indexOf((m[2] || 'b').toLowerCase()));
}

/** Packer's getMaxCPUs: the product of the topology numbers given (0 when none is). */
export function maxCpus(t: Pick<Profile, 'sockets' | 'cores' | 'threads'>): number {
  const parts = [t.sockets, t.cores, t.threads].filter((n) => n > 0);
  return parts.length ? parts.reduce((a, b) => a * b, 1) : 0;
}

function qemuImgArgs(value: unknown, ctx: BuilderCheckContext): Profile['qemu_img_args'] {
  const out: Profile['qemu_img_args'] = {create: [], convert: [], resize: []};
  if (value === undefined) return out;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    ctx.error(['qemu_img_args'], 'expected a mapping like {create: ["-o", "cluster_size=2M"], convert: [...], resize: [...]}');
    return out;
  }
  for (const [key, list] of Object.entries(value)) {
    if (!(QEMU_IMG_COMMANDS as readonly string[]).includes(key)) {
      const near = closest(key, [...QEMU_IMG_COMMANDS]);
      ctx.error(['qemu_img_args', key], `unknown qemu-img command "${key}" (one of ${QEMU_IMG_COMMANDS.join(', ')}${near ? `; did you mean "${near}"?` : ''})`);
      continue;
    }
    if (!Array.isArray(list) || !list.every((a) => typeof a === 'string' || typeof a === 'number')) {
      ctx.error(['qemu_img_args', key], 'expected a list of arguments (strings)');
      continue;
    }
    out[key as (typeof QEMU_IMG_COMMANDS)[number]] = list.map(String);
  }
  return out;
}
