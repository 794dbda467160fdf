/**
 * Reading settings must not hook signals. conf imports atomically → when-exit, which hooks
 * SIGINT/SIGTERM/SIGHUP at import and re-raises the first one to the process: `vmbench build`
 * then took one Ctrl-C for two and stopped at once instead of cleaning up. Its own file so the
 * module graph is fresh (other settings tests write, which loads conf).
 */
import {mkdtempSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {scratchDirs} from '../support/scratch.js';

const scratch = scratchDirs('vmbench-unit-');

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const counts = () => SIGNALS.map((s) => process.listenerCount(s));

describe('settings and signals', () => {
  it('reading (also an existing file) and saving leave no signal handler behind', async () => {
    const cwd = scratch('t');
    writeFileSync(path.join(cwd, 'config.json'), JSON.stringify({memory: 1024}));
    const before = counts();
    const mod = await import('../../src/settings/index.js');
    const s = mod.loadSettings({cwd});
    expect(s.memory).toBe(1024);
    expect(counts()).toEqual(before);
    // Writing imports conf, and with it when-exit, whose handlers are taken off again.
    await mod.saveSettings({...mod.defaultSettings(), memory: 2048}, {cwd});
    expect(mod.loadSettings({cwd}).memory).toBe(2048);
    expect(counts()).toEqual(before);
  });
});
