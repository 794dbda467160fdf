/** Provisioner field tables: shell-local, breakpoint, and the options every provisioner has. */
import {describe, expect, it} from 'vitest';
import type {ProfileIssue} from '../../src/profiles/document.js';
import {parseProfile, ProfileError} from '../../src/profiles/loader.js';

const base = `iso_url: /isos/x.iso\nssh_username: root\nprovisioners:\n`;

function load(items: string, opts = {}): {profile?: ReturnType<typeof parseProfile>; issues: string[]; warnings: string[]} {
  const warnings: ProfileIssue[] = [];
  try {
    const profile = parseProfile(base + items, 'p.yaml', 'demo', {...opts, warnings});
    return {profile, issues: [], warnings: warnings.map((w) => `${w.line}:${w.col} ${w.field}: ${w.message}`)};
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    return {issues: err.issues.map((i) => `${i.line}:${i.col} ${i.field}: ${i.message}`), warnings: []};
  }
}

describe('shell-local provisioner', () => {
  it("gets Packer's defaults", () => {
    const {profile, issues} = load(`  - type: shell-local\n    inline: ["echo hi"]\n`);
    expect(issues).toEqual([]);
    expect(profile!.provisioners[0]).toEqual({
      type: 'shell-local',
      inline: ['echo hi'],
      scripts: [],
      environment_vars: [],
      env: {},
      env_var_format: "%s='%s' ",
      execute_command: ['/bin/sh', '-c', '{{.Vars}} {{.Script}}'],
      inline_shebang: '/bin/sh -e',
      only_on: [],
      tempfile_extension: '',
      valid_exit_codes: [0],
      source: 'p.yaml:4:5',
    });
  });

  it.each([
    ['command becomes one inline line', `command: "echo one"`, {inline: ['echo one'], scripts: []}],
    ['script becomes scripts', `script: a.sh`, {inline: [], scripts: ['a.sh']}],
    ['scripts stay in order', `scripts: [a.sh, b.sh]`, {scripts: ['a.sh', 'b.sh']}],
    ['env and environment_vars keep run-time fields', `inline: [x]\n    environment_vars: ["ADDR={{ .PackerHTTPAddr }}"]\n    env: {HOST: "{{ .Host }}", N: 3}`, {environment_vars: ['ADDR={{ .PackerHTTPAddr }}'], env: {HOST: '{{ .Host }}', N: '3'}}],
    ['an execute_command list keeps {{.Vars}} and {{.Script}}', `inline: [x]\n    execute_command: ["/bin/bash", "-c", "{{.Vars}} {{.Script}} {{ .Command }}"]`, {execute_command: ['/bin/bash', '-c', '{{ .Vars }} {{ .Script }} {{ .Command }}']}],
    ['an empty inline_shebang means the default', `inline: [x]\n    inline_shebang: ""`, {inline_shebang: '/bin/sh -e'}],
    ['tempfile_extension loses its dot', `inline: [x]\n    tempfile_extension: .sh`, {tempfile_extension: 'sh'}],
    ['the common options convert', `inline: [x]\n    pause_before: 1m\n    max_retries: "2"\n    timeout: 30s`, {pause_before: 60_000, max_retries: 2, timeout: 30_000}],
  ])('%s', (_, fields, expected) => {
    const {profile, issues} = load(`  - type: shell-local\n    ${fields}\n`);
    expect(issues).toEqual([]);
    expect(profile!.provisioners[0]).toMatchObject(expected);
  });

  it.each([
    ['nothing to run', `name: x`, '4:5 provisioners[0]: shell-local needs one of command, inline, script or scripts'],
    ['two things to run', `inline: [x]\n    script: a.sh`, '4:5 provisioners[0]: shell-local takes only one of command, inline, script or scripts'],
    ['a variable without =', `inline: [x]\n    environment_vars: [FOO]`, '6:23 provisioners[0].environment_vars: "FOO" is not NAME=value'],
    ['an unknown OS', `inline: [x]\n    only_on: [linux, macos]`, '6:14 provisioners[0].only_on: "macos" is not an OS name (darwin, freebsd, linux, openbsd, solaris, windows)'],
    ['execute_command as one string', `inline: [x]\n    execute_command: "sh -c '{{.Script}}'"`, `4:5 provisioners[0]: execute_command is a list of arguments for shell-local, e.g. ["/bin/sh", "-c", "sh -c '{{ .Script }}'"]; as one string it names a program`],
    ['an unknown run-time field', `inline: ["echo {{ .Nope }}"]`, expect.stringMatching(/^5:14 provisioners\[0\]\.inline\[0\]: unknown field \.Nope at offset 8 \(known: .*\.Vars, .*\.PackerHTTPAddr, .*\)$/)],
    ['a negative max_retries', `inline: [x]\n    max_retries: -1`, '6:18 provisioners[0].max_retries: must be at least 0'],
    ['a bad timeout', `inline: [x]\n    timeout: "5"`, '6:14 provisioners[0].timeout: invalid duration "5": missing unit after "5" (examples: 300ms, 5s, 1m20s, 1.5h)'],
    ['a misspelt field', `inline: [x]\n    pause_befor: 1s`, '6:5 provisioners[0].pause_befor: unknown field (did you mean "pause_before"?)'],
  ])('rejects %s', (_, fields, message) => {
    expect(load(`  - type: shell-local\n    ${fields}\n`).issues).toEqual([message]);
  });

  it("keeps Packer JSON's {{ build `Name` }} for the run, as {{ .Name }}; a name it does not have is an error", () => {
    const {profile, issues} = load(`  - type: shell-local\n    inline: ["ssh -p {{ build \`Port\` }} {{ build \`User\` }}@{{ build \`Host\` }}"]\n`);
    expect(issues).toEqual([]);
    expect(profile!.provisioners[0]).toMatchObject({inline: ['ssh -p {{ .Port }} {{ .User }}@{{ .Host }}']});
    expect(load(`  - type: shell-local\n    inline: ["{{ build \`Nope\` }}"]\n`).issues).toEqual([expect.stringMatching(/^5:14 provisioners\[0\]\.inline\[0\]: template function build is not supported/)]);
  });

  it('warns that use_linux_pathing has no effect, and drops it', () => {
    const {profile, warnings} = load(`  - type: shell-local\n    inline: [x]\n    use_linux_pathing: true\n`);
    expect(warnings).toEqual(['6:5 provisioners[0].use_linux_pathing: use_linux_pathing is for Packer on Windows (WSL); vmbench runs on Linux, where it has no effect']);
    expect(profile!.provisioners[0]).not.toHaveProperty('use_linux_pathing');
  });
});

describe('breakpoint provisioner', () => {
  it.each([
    [`  - type: breakpoint\n`, {type: 'breakpoint', disable: false, source: 'p.yaml:4:5'}],
    [`  - type: breakpoint\n    note: look at the disk\n    disable: true\n`, {type: 'breakpoint', note: 'look at the disk', disable: true}],
  ])('%j', (items, expected) => {
    const {profile, issues} = load(items);
    expect(issues).toEqual([]);
    expect(profile!.provisioners[0]).toMatchObject(expected);
  });

  it('rejects fields it does not have', () => {
    expect(load(`  - type: breakpoint\n    inline: [x]\n`).issues).toEqual(['5:5 provisioners[0].inline: unknown field']);
  });
});

describe('options every provisioner has', () => {
  it.each(['shell', 'file', 'ansible'])('%s takes pause_before, max_retries and timeout', (type) => {
    const body = {shell: 'inline: [x]', file: 'source: a\n    destination: /tmp/a', ansible: 'playbook_file: p.yml'}[type];
    const {profile, issues} = load(`  - type: ${type}\n    ${body}\n    pause_before: 2s\n    max_retries: 3\n    timeout: 1h\n`);
    expect(issues).toEqual([]);
    expect(profile!.provisioners[0]).toMatchObject({type, pause_before: 2000, max_retries: 3, timeout: 3_600_000});
  });

  it('warns that only, except and override mean nothing in a profile, and drops them', () => {
    const {profile, warnings} = load(`  - type: shell\n    inline: [x]\n    only: [qemu.a]\n    except: [qemu.b]\n    override: {qemu: {inline: [y]}}\n`);
    expect(warnings).toEqual([
      '6:5 provisioners[0].only: only selects builds in a Packer template; a vmbench profile is one build, so it has no effect here',
      '7:5 provisioners[0].except: except selects builds in a Packer template; a vmbench profile is one build, so it has no effect here',
      '8:5 provisioners[0].override: override sets options per build in a Packer JSON template; a vmbench profile is one build, so it has no effect here',
    ]);
    expect(profile!.provisioners[0]).not.toHaveProperty('only');
    expect(profile!.provisioners[0]).toMatchObject({inline: ['x']});
  });

  it('names the supported types for an unknown one', () => {
    expect(load(`  - type: powershell\n    inline: [x]\n`).issues).toEqual([
      '4:11 provisioners[0].type: unsupported provisioner type string "powershell" (supported: shell, file, ansible, shell-local, breakpoint)',
    ]);
  });
});
