/**
 * `vmbench build <profile> --also raw,vmdk,vdi,vhd,vhdx,containerdisk`: more artifacts for one
 * build, added to the profile's post-processors as sequences of their own that start from the
 * build's image (so a profile's own compress or checksum chain is not changed). The copies land
 * in the output folder beside the image; `--push REF` pushes the containerDisk.
 */
import type {LoadedProfile} from '../profiles/loader.js';
import {DISK_FORMATS, POST_PROCESSOR_TYPES, type DiskFormat, type PostProcessor} from '../profiles/post-processor-schema.js';
import {closest} from '../util/suggest.js';

export const ALSO_CHOICES = [...DISK_FORMATS, 'vhd-fixed', 'containerdisk', 'containerdisk-docker'] as const;

export interface AlsoRequest {
  formats: DiskFormat[];
  vhdFixed: boolean;
  containerdisks: ('oci' | 'docker')[];
}

/** The `--also` values (repeatable, comma lists) read; throws with a suggestion for an unknown word. */
export function parseAlso(values: readonly string[] = []): AlsoRequest {
  const out: AlsoRequest = {formats: [], vhdFixed: false, containerdisks: []};
  const words = values.flatMap((v) => v.split(',')).map((w) => w.trim().toLowerCase()).filter(Boolean);
  for (const w of words) {
    if ((DISK_FORMATS as readonly string[]).includes(w)) {
      if (!out.formats.includes(w as DiskFormat)) out.formats.push(w as DiskFormat);
    } else if (w === 'vhd-fixed') {
      out.vhdFixed = true;
      if (!out.formats.includes('vhd')) out.formats.push('vhd');
    } else if (w === 'containerdisk' || w === 'containerdisk-oci') {
      if (!out.containerdisks.includes('oci')) out.containerdisks.push('oci');
    } else if (w === 'containerdisk-docker') {
      if (!out.containerdisks.includes('docker')) out.containerdisks.push('docker');
    } else {
      const guess = closest(w, [...ALSO_CHOICES]);
      throw new Error(`--also: unknown artifact "${w}"${guess ? ` — did you mean ${guess}?` : ''} (one of ${ALSO_CHOICES.join(', ')})`);
    }
  }
  if (out.vhdFixed && words.includes('vhd')) throw new Error('--also: vhd and vhd-fixed both write <name>.vhd: pick one');
  return out;
}

/** Typed post-processors made through the schema's own builders (defaults and checks as in a profile). */
function make(type: string, fields: Record<string, unknown>): PostProcessor {
  const pp = POST_PROCESSOR_TYPES[type]!.build({type, ...fields}, `--also ${type}`, () => {});
  if (typeof pp === 'string') throw new Error(`--also: ${pp}`);
  return pp;
}

/** `loaded` with the sequences `--also`/`--push` ask for appended to its post-processors. */
export function applyAlso(loaded: LoadedProfile, also: readonly string[] | undefined, push?: string): LoadedProfile {
  const req = parseAlso(also);
  if (push && !req.containerdisks.length) {
    // --push alone means: push a containerDisk (the only thing vmbench pushes).
    req.containerdisks.push('oci');
  }
  const added: PostProcessor[][] = [];
  if (req.formats.length) added.push([make('convert', {formats: req.formats, ...(req.vhdFixed ? {vhd_subformat: 'fixed'} : {})})]);
  for (const [i, archive] of req.containerdisks.entries()) {
    added.push([make('containerdisk', {archive, ...(push && i === 0 ? {push} : {})})]);
  }
  if (!added.length) return loaded;
  return {...loaded, profile: {...loaded.profile, post_processors: [...loaded.profile.post_processors, ...added]}};
}
