/** `--also`: the words it takes, the post-processors it adds (through the schema's own defaults), and its errors. */
import {describe, expect, it} from 'vitest';
import {applyAlso, parseAlso} from '../../src/session/also.js';
import type {LoadedProfile} from '../../src/profiles/loader.js';
import {parseProfile} from '../../src/profiles/loader.js';

const loaded = (): LoadedProfile => {
  const profile = parseProfile('name: p\niso_url: x.iso\ncommunicator: none\npost_processors:\n  - type: checksum\n', 'p.yaml', 'p');
  return {profile, dir: '/tmp', file: '/tmp/p.yaml'};
};

describe('--also', () => {
  it('reads comma lists and repeats, once each', () => {
    expect(parseAlso(['raw,vmdk', 'VDI', 'vmdk', 'containerdisk'])).toEqual({formats: ['raw', 'vmdk', 'vdi'], vhdFixed: false, containerdisks: ['oci']});
    expect(parseAlso(['vhd-fixed,containerdisk-docker'])).toEqual({formats: ['vhd'], vhdFixed: true, containerdisks: ['docker']});
  });

  it('refuses unknown words with the closest one, and vhd with vhd-fixed', () => {
    expect(() => parseAlso(['raw,vmkd'])).toThrow(/unknown artifact "vmkd" — did you mean vmdk\?/);
    expect(() => parseAlso(['vhd,vhd-fixed'])).toThrow(/pick one/);
  });

  it('adds its own sequences after the profile’s, with the schema’s defaults', () => {
    const l = applyAlso(loaded(), ['raw,vhd-fixed', 'containerdisk,containerdisk-docker'], 'registry.example/x:1');
    const pps = l.profile.post_processors;
    expect(pps.map((s) => s.map((p) => p.type))).toEqual([['checksum'], ['convert'], ['containerdisk'], ['containerdisk']]);
    expect(pps[1]![0]).toMatchObject({type: 'convert', formats: ['raw', 'vhd'], vhd_subformat: 'fixed', vmdk_subformat: 'streamOptimized', qcow2_compressed: true});
    expect(pps[2]![0]).toMatchObject({archive: 'oci', push: 'registry.example/x:1', image_tag: 'latest'});
    expect(pps[3]![0]).toMatchObject({archive: 'docker'});
    expect(pps[3]![0]).not.toHaveProperty('push');
  });

  it('leaves the profile alone without --also, and --push alone means a containerDisk', () => {
    const l = loaded();
    expect(applyAlso(l, undefined)).toBe(l);
    expect(applyAlso(l, [], 'r/x:1').profile.post_processors.at(-1)![0]).toMatchObject({type: 'containerdisk', push: 'r/x:1'});
  });
});
