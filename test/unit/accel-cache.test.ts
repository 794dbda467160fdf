import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {cachedProbe, probeKey} from '../../src/qemu/accel-cache.js';

describe('cachedProbe', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-accel-'));
  afterEach(() => rmSync(path.join(dir, 'c.json'), {force: true}));
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  it('probes once per key and answers from the file afterwards', async () => {
    const file = path.join(dir, 'c.json');
    let probes = 0;
    const probe = async () => (probes++, {accel: 'tcg' as const, reason: 'kvm too slow'});
    expect(await cachedProbe('boot1', file, probe)).toEqual({accel: 'tcg', reason: 'kvm too slow', cached: false});
    expect(await cachedProbe('boot1', file, probe)).toEqual({accel: 'tcg', reason: 'kvm too slow', cached: true});
    expect(probes).toBe(1);
    // A new boot (or another QEMU binary) probes again.
    expect((await cachedProbe('boot2', file, probe)).cached).toBe(false);
    expect(probes).toBe(2);
  });

  it('keys on the host boot and the QEMU binary', () => {
    const a = probeKey('qemu-system-x86_64');
    expect(a).toBe(probeKey('qemu-system-x86_64'));
    expect(a).not.toBe(probeKey('/nonexistent/qemu'));
    expect(a.split('|')[0]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
