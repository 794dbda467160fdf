/**
 * What vmbench keeps about running builds is the owner's only: the run directory (VNC
 * passwords, PIDs) is 0700 — also one an older vmbench made 0755 — its records 0600, and the
 * sections tree saved beside the build log is 0600.
 */
import {chmodSync, mkdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {BuildSections} from '../../src/engine/sections.js';
import {listBuilds, registerBuild, unregisterBuild} from '../../src/engine/registry.js';
import {runDir} from '../../src/qemu/reaper.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-private-');
const before = process.env.XDG_STATE_HOME;
afterEach(() => {
  if (before === undefined) delete process.env.XDG_STATE_HOME;
  else process.env.XDG_STATE_HOME = before;
});

describe('the run directory', () => {
  it('is made 0700 with 0600 records, whatever the umask', () => {
    process.env.XDG_STATE_HOME = fresh('state');
    const old = process.umask(0);
    try {
      const file = registerBuild({id: 'abc1', profile: 'tiny', pid: process.pid, logDir: '/tmp/x', vnc: {host: '127.0.0.1', port: 5901, password: 'pw'}});
      expect(statSync(runDir()).mode & 0o777).toBe(0o700);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(listBuilds().map((b) => b.id)).toEqual(['abc1']);
      unregisterBuild('abc1');
    } finally {
      process.umask(old);
    }
  });

  it('that an older vmbench left open is closed to others', () => {
    process.env.XDG_STATE_HOME = fresh('state');
    mkdirSync(runDir(), {recursive: true});
    chmodSync(runDir(), 0o755);
    registerBuild({id: 'abc2', profile: 'tiny', pid: process.pid, logDir: '/tmp/x'});
    expect(statSync(runDir()).mode & 0o777).toBe(0o700);
    unregisterBuild('abc2');
  });
});

describe('sections.json', () => {
  it('is written 0600', async () => {
    const dir = fresh('logs');
    const s = new BuildSections({begin: /^BEGIN\{(.+)\}$/, end: /^END\{(.+)\}$/}, () => {});
    s.line('stdout', 'BEGIN{a}');
    s.line('stdout', 'END{a}');
    const old = process.umask(0);
    try {
      const file = await s.save(dir);
      expect(file).toBe(path.join(dir, 'sections.json'));
      expect(statSync(file!).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });
});
