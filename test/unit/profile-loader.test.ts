import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {loadProfile, parseProfile, ProfileError} from '../../src/profiles/loader.js';

const minimal = `iso_url: /isos/x.iso\nssh_username: root\n`;

function issues(text: string, opts = {}): string[] {
  try {
    parseProfile(text, 'p.yaml', 'demo', opts);
  } catch (err) {
    if (err instanceof ProfileError) return err.issues.map((i) => `${i.line}:${i.col} ${i.field}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('parseProfile', () => {
  it('applies Packer-like defaults', () => {
    const p = parseProfile(minimal, 'p.yaml', 'demo');
    expect(p).toMatchObject({
      name: 'demo',
      iso_urls: ['/isos/x.iso'],
      format: 'qcow2',
      vm_name: 'demo.qcow2',
      output_directory: 'output-demo',
      disk_size: 40960,
      memory: 512,
      accelerator: 'auto',
      http_port_min: 8000,
      http_port_max: 9000,
      ssh_timeout: 300_000,
      shutdown_timeout: 300_000,
      provisioners: [],
      post_processors: [],
    });
  });

  it('converts durations, sizes and provisioners', () => {
    const p = parseProfile(
      `${minimal}disk_size: 2G\nboot_wait: 1m30s\nssh_wait_timeout: 10s\nprovisioners:\n  - type: shell\n    inline: ["echo hi"]\n    valid_exit_codes: [0, 2]\n`,
      'p.yaml',
      'demo',
    );
    expect(p.disk_size).toBe(2048);
    expect(p.boot_wait).toBe(90_000);
    expect(p.ssh_timeout).toBe(10_000);
    expect(p.provisioners[0]).toMatchObject({type: 'shell', inline: ['echo hi'], valid_exit_codes: [0, 2], remote_folder: '/tmp', source: 'p.yaml:7:5'});
  });

  it('renders user variables (with --var overrides) and env, leaving build-time fields for later', () => {
    const text = `${minimal}variables:\n  pw: secret\n  mirror: deb.example\nssh_password: "{{ user \`pw\` }}"\nboot_command: ["url={{ .HTTPIP }}:{{ .HTTPPort }} m={{ user \`mirror\` }} h={{ env \`HOSTX\` }}<enter>"]\n`;
    const p = parseProfile(text, 'p.yaml', 'demo', {vars: {pw: 'override'}, env: {HOSTX: 'box'}});
    expect(p.ssh_password).toBe('override');
    expect(p.boot_command).toEqual(['url={{ .HTTPIP }}:{{ .HTTPPort }} m=deb.example h=box<enter>']);
  });

  it.each([
    ['an unknown field, with a suggestion', `${minimal}ssh_passwrd: x\n`, '3:1 ssh_passwrd: unknown field (did you mean "ssh_password"?)'],
    ['a wrong type', `${minimal}memory: lots\n`, '3:9 memory: expected a whole number, got string "lots"'],
    ['a value out of range', `${minimal}cpus: 0\n`, '3:7 cpus: must be at least 1'],
    ['a bad enum', `${minimal}format: vmdk\n`, '3:9 format: "vmdk" is not one of: qcow2, raw'],
    ['a bad duration', `${minimal}boot_wait: soon\n`, '3:12 boot_wait'],
    ['a number where a duration string is needed', `${minimal}ssh_timeout: 30\n`, '3:14 ssh_timeout: expected a duration string'],
    ['a missing ISO', 'ssh_username: root\n', 'iso_url: missing'],
    ['a missing user', 'iso_url: /x.iso\n', 'ssh_username: missing'],
    ['an unknown --var', minimal, '--var nope: the profile declares no variable "nope"'],
    ['an undefined user variable', `${minimal}ssh_password: "{{ user \`nope\` }}"\n`, '3:15 ssh_password:'],
    ['an unknown boot command key, at its column', `${minimal}boot_command:\n  - "<esc><wait>"\n  - "linux <enterr>"\n`, '5:12 boot_command[1]:'],
    ['a provisioner of an unknown type', `${minimal}provisioners:\n  - type: ansible-local\n`, '4:11 provisioners[0].type: unsupported provisioner type'],
    ['a shell provisioner without a script', `${minimal}provisioners:\n  - type: shell\n`, '4:5 provisioners[0]: a shell provisioner needs exactly one of script, scripts or inline'],
    ['YAML syntax', `${minimal}boot_command: [unclosed\n`, 'Flow sequence in block collection'],
    ['boot_steps with the wrong shape', `${minimal}boot_steps:\n  - ["a", "b", "c"]\n`, '4:5 boot_steps[0]: expected [command] or [command, description]'],
    ['boot_steps and boot_command together', `${minimal}boot_command: ["x"]\nboot_steps: [["y"]]\n`, '4:1 boot_steps: use either boot_command or boot_steps'],
    ['a bad key inside boot_steps', `${minimal}boot_steps:\n  - ["<esc><wiat>", "menu"]\n`, '4:12 boot_steps[0][0]: unknown key <wiat>'],
    ['a port range upside down', `${minimal}http_port_min: 9000\nhttp_port_max: 8000\n`, 'http_port_min: must not be above http_port_max'],
  ])('reports %s with line and column', (_name, text, expected) => {
    const found = issues(text, {vars: _name.includes('--var') ? {nope: '1'} : {}});
    expect(found.some((i) => i.includes(expected)), found.join('\n')).toBe(true);
  });

  it('reads boot_steps as command/description pairs', () => {
    const p = parseProfile(`${minimal}boot_steps:\n  - ['<esc><waitFor "boot:">', 'Wait for the boot prompt']\n  - ['linux<enter>']\n`, 'p.yaml', 'demo');
    expect(p.boot_steps).toEqual([
      {command: '<esc><waitFor "boot:">', description: 'Wait for the boot prompt'},
      {command: 'linux<enter>', description: 'boot step 2'},
    ]);
  });

  it('reports every problem at once', () => {
    expect(issues('memory: x\ncpus: y\nbogus: 1\n')).toHaveLength(5);
  });

  it('rejects a document that is not a mapping', () => {
    expect(issues('- a\n- b\n')[0]).toContain('must be a YAML mapping');
  });
});

describe('the built-in tiny profile', () => {
  it('loads cleanly', () => {
    const {profile, dir} = loadProfile(path.resolve('profiles/tiny'));
    expect(dir).toBe(path.resolve('profiles/tiny'));
    expect(profile.name).toBe('tiny');
    expect(profile.iso_build).toBe('build-iso.sh');
    expect(profile.ssh_password).toBe('vmbench');
    expect(profile.boot_command.join('')).toContain('{{ .HTTPPort }}');
    expect(profile.provisioners).toHaveLength(1);
  });
});
