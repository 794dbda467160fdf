/**
 * Bad input is bounded at load, with file:line and field: names that would escape the output
 * folder (../, an absolute vm_name, NUL, newline), durations that are negative or would overflow
 * a Node timer (past 2^31-1 ms a timer fires at once), sizes, counts and port ranges.
 */
import {describe, expect, it} from 'vitest';
import type {ProfileIssue} from '../../src/profiles/document.js';
import {parseProfile, ProfileError} from '../../src/profiles/loader.js';
import {durationProblem, MAX_DURATION_MS} from '../../src/util/duration.js';
import {parseBootCommand} from '../../src/vnc/boot-command.js';

const minimal = 'iso_url: /isos/x.iso\nssh_username: root\n';

function errors(yaml: string, name = 'demo'): string[] {
  const warnings: ProfileIssue[] = [];
  try {
    parseProfile(minimal + yaml, '/p/profile.yaml', name, {warnings});
    return [];
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    return err.issues.map((i) => `${i.line} ${i.field}: ${i.message}`);
  }
}

describe('one problem, one error', () => {
  it("a boot_command's template error is named once, at the spot inside the step", () => {
    const issues = (() => {
      try {
        parseProfile(`${minimal}boot_command:\n  - 'x {{ .HTTPPort }} {{ bad<enter>'\n`, '/p/profile.yaml', 'demo', {warnings: []});
        return [];
      } catch (err) {
        if (!(err instanceof ProfileError)) throw err;
        return err.issues;
      }
    })();
    expect(issues.map((i) => `${i.line}:${i.col} ${i.field}: ${i.message}`)).toEqual(['4:24 boot_command[0]: unclosed action: {{ at offset 18 has no matching }}']);
  });
});

describe('names and paths', () => {
  it('vm_name is one file name: no "/", no "..", no NUL or newline, not the marker', () => {
    expect(errors('vm_name: ../../etc/evil.qcow2\n')).toEqual(['3 vm_name: "../../etc/evil.qcow2" must be a file name, not a path (no "/")']);
    expect(errors('vm_name: /tmp/abs.qcow2\n')).toEqual(['3 vm_name: "/tmp/abs.qcow2" must be a file name, not a path (no "/")']);
    expect(errors('vm_name: ".."\n')).toEqual(['3 vm_name: ".." is not a file name']);
    expect(errors('vm_name: "a\\nb.qcow2"\n')).toEqual(['3 vm_name: must not contain a newline']);
    expect(errors('vm_name: "a\\0b"\n')).toEqual(['3 vm_name: must not contain a NUL']);
    expect(errors('vm_name: ""\n')).toEqual(['3 vm_name: must not be empty']);
    expect(errors(`vm_name: ${'x'.repeat(256)}\n`)).toEqual(['3 vm_name: is 256 bytes long: a file name has at most 255']);
    expect(errors('vm_name: .vmbench-output\n')).toEqual(['3 vm_name: ".vmbench-output" is the name of vmbench\'s marker in the output folder']);
    expect(errors('vm_name: good-name.qcow2\n')).toEqual([]);
  });

  it('output_directory may be absolute or above the working folder (as in Packer); host paths hold no control characters', () => {
    // What vmbench must never replace is refused on the resolved path before a build starts
    // (output-safety-real); a folder beside or above the working folder is an ordinary place.
    expect(errors('output_directory: ../elsewhere\n')).toEqual([]);
    expect(errors('output_directory: out/../../x\n')).toEqual([]);
    expect(errors('output_directory: /srv/builds/out\n')).toEqual([]);
    expect(errors('output_directory: ""\n')).toEqual(['3 output_directory: must not be empty']);
    expect(errors('output_directory: "out\\r"\n')).toEqual(['3 output_directory: must not contain the control character "\\r"']);
    expect(errors('http_directory: "http\\n"\n')).toEqual(['3 http_directory: must not contain a newline']);
    expect(errors('iso_target_extension: ../iso\n')).toEqual(['3 iso_target_extension: "../iso" must be a file name, not a path (no "/")']);
  });

  it('a name that makes an unsafe default vm_name is pointed at', () => {
    expect(errors('name: ../up\n')).toEqual([
      '3 name: gives vm_name "../up.qcow2", which must be a file name, not a path (no "/")',
    ]);
    // output-../up stays below the working folder ("output-.." is a folder name): no error for it.
  });

  it('errors carry the file and line', () => {
    try {
      parseProfile(`${minimal}memory: 512\nvm_name: ../x\n`, '/p/profile.yaml', 'demo');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain('/p/profile.yaml:4');
      expect((err as Error).message).toContain('vm_name');
    }
  });
});

describe('durations', () => {
  it('are never negative and at most 7 days, in every duration field', () => {
    expect(errors('boot_wait: -5s\n')).toEqual(['3 boot_wait: must not be negative (got -5.0s)']);
    expect(errors('ssh_timeout: 169h\n')).toEqual(['3 ssh_timeout: must be at most 168h00m00s (got 169h00m00s)']);
    // 25 days: past 2^31-1 ms, where a Node timer would fire at once.
    expect(errors('shutdown_timeout: 600h\n')).toEqual(['3 shutdown_timeout: must be at most 168h00m00s (got 600h00m00s)']);
    expect(errors('ssh_timeout: 168h\nboot_wait: 0s\n')).toEqual([]);
    expect(errors('provisioners:\n  - type: shell\n    inline: ["true"]\n    pause_before: -1s\n')).toEqual(['6 provisioners[0].pause_before: must not be negative (got -1.0s)']);
  });

  it('the bound stays below what a Node timer can hold', () => {
    expect(MAX_DURATION_MS).toBeLessThan(2 ** 31 - 1);
    expect(durationProblem(-1)).toMatch(/negative/);
    expect(durationProblem(MAX_DURATION_MS + 1)).toMatch(/at most/);
    expect(durationProblem(Number.NaN)).toMatch(/finite/);
    expect(durationProblem(0)).toBeUndefined();
  });

  it('boot command waits too', () => {
    expect(() => parseBootCommand('<wait9999999>')).toThrow(/a wait must be at most 168h00m00s/);
    expect(() => parseBootCommand('<waitFor "login:" 900h>')).toThrow(/it must be at most 168h00m00s/);
    expect(parseBootCommand('<wait2h>')).toHaveLength(1);
  });
});

describe('sizes, counts and ports', () => {
  it('disk_size is 1 MiB to 64 TiB, as a number or a size', () => {
    expect(errors('disk_size: 0G\n')).toEqual(['3 disk_size: must be at least 1 MiB (got 0 MiB)']);
    expect(errors('disk_size: 65T\n')).toEqual(['3 disk_size: must be at most 64T (got 65T)']);
    expect(errors('disk_size: 99999999999\n')).toHaveLength(1);
    expect(errors('disk_size: -5\n')).toEqual(['3 disk_size: expected MiB as a number or a size like "2G", got number -5']);
    expect(errors('disk_size: 64T\n')).toEqual([]);
    expect(errors('disk_additional_size: ["0G", "100T", "10G"]\n')).toEqual(['3 disk_additional_size[0]: "0G" is an empty disk: give it a size', '3 disk_additional_size[1]: "100T" is larger than 64T, the most vmbench creates']);
  });

  it('memory, cpus and the CPU topology are bounded', () => {
    expect(errors('memory: 8\n')).toEqual(['3 memory: must be at least 16']);
    expect(errors('memory: 2000000\n')).toEqual(['3 memory: must be at most 1048576']);
    expect(errors('cpus: 0\n')).toEqual(['3 cpus: must be at least 1']);
    expect(errors('cpus: 1025\n')).toEqual(['3 cpus: must be at most 1024']);
    expect(errors('cpus: 256\n')).toEqual([]);
    expect(errors('sockets: 64\ncores: 64\nthreads: 2\n')).toEqual(['3 sockets: sockets × cores × threads = 8192: at most 1024 vCPUs']);
  });

  it('port ranges are 1–65535 with min ≤ max', () => {
    expect(errors('http_port_min: 0\n')).toEqual(['3 http_port_min: must be at least 1']);
    expect(errors('ssh_host_port_max: 70000\n')).toEqual(['3 ssh_host_port_max: must be at most 65535']);
    expect(errors('http_port_min: 9000\nhttp_port_max: 8000\n')).toEqual(['3 http_port_min: must not be above http_port_max']);
    expect(errors('ssh_handshake_attempts: 100000\n')).toEqual(['3 ssh_handshake_attempts: must be at most 1000']);
  });
});
