/**
 * Checksum files and the manifest's pieces: what vmbench writes must be what `sha256sum -c` /
 * `sha512sum -c` accept (run for real, from the folder, names with spaces and subfolders
 * included), and a changed file must make them fail. Secrets never reach the record.
 */
import {writeFileSync, mkdirSync, appendFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {hashFile, listFiles, manifestJson, redactVariables, sumsText} from '../../src/artifacts/records.js';
import {scratchDirs} from '../support/scratch.js';

const scratch = scratchDirs('vmbench-records-');

describe('checksum files', () => {
  it('are read by sha256sum -c and sha512sum -c, and fail when a file changes', async () => {
    const dir = scratch('sums');
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'disk image.qcow2'), Buffer.alloc(3 * 1024 * 1024, 7));
    writeFileSync(path.join(dir, 'sub', 'efivars.fd'), 'vars');
    writeFileSync(path.join(dir, 'back\\slash'), 'odd name');
    const files = await listFiles(dir);
    expect(files).toEqual(['back\\slash', 'disk image.qcow2', 'sub/efivars.fd']);
    const entries = await Promise.all(files.map(async (f) => ({f, d: await hashFile(path.join(dir, f), ['sha256', 'sha512'])})));
    writeFileSync(path.join(dir, 'SHA256SUMS'), sumsText(entries.map(({f, d}) => ({name: f, hex: d.sha256!}))));
    writeFileSync(path.join(dir, 'SHA512SUMS'), sumsText(entries.map(({f, d}) => ({name: f, hex: d.sha512!}))));
    for (const [tool, file] of [['sha256sum', 'SHA256SUMS'], ['sha512sum', 'SHA512SUMS']] as const) {
      const ok = await execa(tool, ['-c', '--strict', file], {cwd: dir, reject: false});
      expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout.split('\n')).toHaveLength(3);
    }
    appendFileSync(path.join(dir, 'sub', 'efivars.fd'), '!');
    const bad = await execa('sha256sum', ['-c', 'SHA256SUMS'], {cwd: dir, reject: false});
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(/sub\/efivars\.fd: FAILED/);
  });

  it('hashFile agrees with the host tool and reports the bytes it read', async () => {
    const dir = scratch('hash');
    const f = path.join(dir, 'x');
    writeFileSync(f, Buffer.alloc(5 * 1024 * 1024 + 3, 1));
    let n = 0;
    const d = await hashFile(f, ['sha256', 'md5'], {onBytes: (b) => (n += b)});
    expect(n).toBe(5 * 1024 * 1024 + 3);
    expect(d.sha256).toBe((await execa('sha256sum', [f])).stdout.split(' ')[0]);
    expect(d.md5).toBe((await execa('md5sum', [f])).stdout.split(' ')[0]);
  });
});

describe('the record', () => {
  it('redacts sensitive values and secret-looking variable names', () => {
    expect(redactVariables({ssh_password: 'hunter2', registry_token: 'abc', mirror: 'http://user:s3cret@host/debian', marker: 'x', api_key: ''}, ['s3cret'])).toEqual({
      ssh_password: '<sensitive>',
      registry_token: '<sensitive>',
      mirror: 'http://user:<sensitive>@host/debian',
      marker: 'x',
      api_key: '',
    });
  });

  it('is a Packer manifest: builds[] with Packer’s fields, last_run_uuid, and vmbench’s own record', () => {
    const doc = JSON.parse(
      manifestJson({
        name: 'b',
        buildTime: 1700000000,
        files: [{name: 'output-b/b.qcow2', size: 10}],
        runUuid: 'u-1',
        vmbench: {build_id: 'i', profile: {name: 'b'}, variables: {}, started: 's', finished: 'f', tools: {qemu: '7'}, steps: [], artifacts: []},
      }),
    );
    expect(Object.keys(doc.builds[0]).slice(0, 7)).toEqual(['name', 'builder_type', 'build_time', 'files', 'artifact_id', 'packer_run_uuid', 'custom_data']);
    expect(doc.last_run_uuid).toBe('u-1');
    expect(doc.builds[0].vmbench.tools.qemu).toBe('7');
  });
});
