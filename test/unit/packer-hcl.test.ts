/**
 * Packer HCL2 templates through the whole loader (front end + checker): folders of *.pkr.hcl with
 * variable files and PKR_VAR_ variables in Packer's precedence, builds × sources, -only/-except,
 * provisioners and post-processors in written order, and every problem at its file:line:col.
 */
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {inspectModel} from '../../src/cli/inspect-command.js';
import {ProfileError, type ProfileIssue} from '../../src/profiles/document.js';
import {loadProfile, loadProfiles, type LoadOptions} from '../../src/profiles/loader.js';
import {packerHclDocuments} from '../../src/profiles/packer-hcl.js';
import {scratchDirs, writeTree} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-hcl-');
/** A template folder with these files. */
const folder = (files: Record<string, string>): string => writeTree(fresh('t'), files);
const issuesOf = (f: () => unknown): ProfileIssue[] => {
  try {
    f();
  } catch (err) {
    if (err instanceof ProfileError) return err.issues;
    throw err;
  }
  throw new Error('expected a ProfileError');
};
const where = (i: ProfileIssue) => `${path.basename(i.file)}:${i.line}:${i.col}`;

const SOURCE = `source "qemu" "tiny" {
  iso_url      = var.iso
  iso_checksum = "none"
  memory       = var.memory
  ssh_username = "root"
  ssh_password = var.password
  boot_command = ["<esc>", "tiny url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/\${local.cfg}<enter>"]
}
`;
const VARS = `variable "iso" {
  type    = string
  default = "default.iso"
}
variable "memory" {
  type    = number
  default = 256
}
variable "password" {
  type      = string
  default   = "vmbench"
  sensitive = true
}
locals {
  cfg = "\${var.iso}.cfg"
}
`;
const BUILD = 'build {\n  sources = ["source.qemu.tiny"]\n}\n';

describe('HCL2 variables: Packer precedence (default < PKR_VAR_ < *.auto.pkrvars.hcl (lexical) < -var-file (in order) < -var)', () => {
  const dir = folder({
    'variables.pkr.hcl': VARS,
    'source.pkr.hcl': SOURCE,
    'build.pkr.hcl': BUILD,
    'b.auto.pkrvars.hcl': 'iso = "auto-b.iso"\n',
    'a.auto.pkrvars.hcl': 'iso = "auto-a.iso"\nmemory = 300\n',
    'one.pkrvars.hcl': 'iso = "file-one.iso"\n',
    'two.pkrvars.hcl': 'iso = "file-two.iso"\n',
    // Not auto-loaded: only *.auto.pkrvars.hcl are.
    'ignored.pkrvars.hcl': 'iso = "never.iso"\n',
  });
  const bare = folder({'variables.pkr.hcl': VARS, 'source.pkr.hcl': SOURCE, 'build.pkr.hcl': BUILD});
  const iso = (d: string, o: LoadOptions) => loadProfile(d, o).profile.iso_urls[0];
  it.each<[string, string, LoadOptions, string]>([
    ['the default', bare, {env: {}}, 'default.iso'],
    ['PKR_VAR_ over the default', bare, {env: {PKR_VAR_iso: 'env.iso'}}, 'env.iso'],
    ['auto var files over PKR_VAR_, the last in lexical order winning', dir, {env: {PKR_VAR_iso: 'env.iso'}}, 'auto-b.iso'],
    ['-var-file over auto var files, in the order given', dir, {env: {}, varFiles: [path.join(dir, 'two.pkrvars.hcl'), path.join(dir, 'one.pkrvars.hcl')]}, 'file-one.iso'],
    ['-var over everything', dir, {env: {PKR_VAR_iso: 'env.iso'}, varFiles: [path.join(dir, 'one.pkrvars.hcl')], vars: {iso: 'cli.iso'}}, 'cli.iso'],
  ])('%s', (_what, d, o, want) => {
    expect(iso(d, o)).toBe(path.isAbsolute(want) ? want : want);
  });

  it('converts PKR_VAR_ and -var text by the variable\'s type, and locals follow variables', () => {
    const {profile} = loadProfile(bare, {env: {PKR_VAR_memory: '777'}, vars: {iso: 'x.iso'}});
    expect(profile.memory).toBe(777);
    expect(profile.boot_command[1]).toBe('tiny url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/x.iso.cfg<enter>');
    const typed = folder({'t.pkr.hcl': `locals { cfg = "c" }
variable "opt" {
  type = string
  default = null
}
variable "extra" {\n  type = list(string)\n  default = []\n}\nvariable "on" { default = false }\n${SOURCE.replace('memory       = var.memory', 'memory = var.on ? 1024 : 512\n  vm_name = var.opt\n  qemuargs = [for a in var.extra : ["-device", a]]').replace(/var\.(iso|password)/g, '"x"')}${BUILD}`});
    const p = loadProfile(typed, {env: {}, vars: {extra: '["virtio-rng-pci", "usb-tablet"]', on: 'true'}}).profile;
    expect(p.qemuargs).toEqual([['-device', 'virtio-rng-pci'], ['-device', 'usb-tablet']]);
    expect(p.memory).toBe(1024);
    // A null default leaves the field unset: Packer's vm_name default applies.
    expect(p.vm_name).toBe('packer-tiny');
  });

  it('keeps sensitive values on the document for redaction, and out of messages', () => {
    const {documents} = packerHclDocuments(bare, {env: {}, vars: {password: 's3cret'}});
    expect(documents[0]!.sensitiveVariables).toEqual(['password']);
    expect(documents[0]!.sensitiveValues).toEqual(['s3cret']);
    const typed = folder({'v.pkr.hcl': VARS.replace('type      = string', 'type      = number'), 's.pkr.hcl': SOURCE, 'b.pkr.hcl': BUILD});
    const errs = issuesOf(() => loadProfiles(typed, {env: {PKR_VAR_password: 'hunter2', PKR_VAR_memory: 'lots'}}));
    expect(errs.map((i) => i.message).join('\n')).toMatch(/PKR_VAR_memory: expected a number, got string "lots"/);
    expect(errs.map((i) => i.message).join('\n')).toMatch(/PKR_VAR_password: the value does not fit the variable's type \(sensitive: not shown\)/);
    expect(errs.map((i) => i.message).join('\n')).not.toContain('hunter2');
  });

  it('gives inspect the declared variables, sensitive defaults hidden', () => {
    const {documents} = packerHclDocuments(bare, {env: {}});
    expect(documents[0]!.inputVariables).toEqual({iso: 'default.iso', memory: 256, password: 'vmbench'});
    const m = inspectModel(bare, 'packer-hcl2', documents);
    expect(m.variables).toEqual([
      {name: 'iso', required: false, sensitive: false, default: 'default.iso'},
      {name: 'memory', required: false, sensitive: false, default: '256'},
      {name: 'password', required: false, sensitive: true, default: '<sensitive>'},
    ]);
  });

  it('names what it cannot use: an undeclared -var is an error, an undeclared var-file value a warning', () => {
    const w = folder({'v.pkr.hcl': VARS, 's.pkr.hcl': SOURCE, 'b.pkr.hcl': BUILD, 'x.auto.pkrvars.hcl': '\nunknown_one = 1\n'});
    const loaded = loadProfile(w, {env: {}});
    expect(loaded.warnings!.map((i) => `${where(i)} ${i.message}`)).toContainEqual(expect.stringMatching(/^x\.auto\.pkrvars\.hcl:2:1 "unknown_one" is set here but the template declares no such variable/));
    const errs = issuesOf(() => loadProfile(w, {env: {}, vars: {nope: '1'}}));
    expect(errs.map((i) => i.message)).toContainEqual(expect.stringMatching(/-var nope: the template declares no variable "nope"/));
  });

  it('requires a value for a variable without default, and checks validation blocks', () => {
    const d = folder({
      'v.pkr.hcl': 'variable "iso" {}\nvariable "memory" {\n  default = 64\n  validation {\n    condition     = var.memory >= 128\n    error_message = "At least 128 MiB."\n  }\n}\nvariable "password" { default = "" }\nlocals { cfg = "c" }\n',
      's.pkr.hcl': SOURCE,
      'b.pkr.hcl': BUILD,
    });
    const errs = issuesOf(() => loadProfile(d, {env: {}}));
    expect(errs.map((i) => `${where(i)} ${i.message}`)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^v\.pkr\.hcl:1:1 variable "iso" has no value: .*PKR_VAR_iso/),
      expect.stringMatching(/^v\.pkr\.hcl:4:3 At least 128 MiB\./),
    ]));
    expect(loadProfile(d, {env: {PKR_VAR_iso: 'a.iso', PKR_VAR_memory: '128'}}).profile.memory).toBe(128);
  });
});

describe('HCL2 builds', () => {
  it('loads Packer\'s documented basic qemu example (HCL2), options as Packer means them', () => {
    const d = folder({
      'example.pkr.hcl': `source "qemu" "example" {
  iso_url           = "http://example.org/centos/CentOS-6.9-x86_64-minimal.iso"
  iso_checksum      = "md5:af4a1640c0c6f348c6c41f1ea9e192a2"
  output_directory  = "output_centos_tdhtest"
  shutdown_command  = "echo 'packer' | sudo -S shutdown -P now"
  disk_size         = "5000M"
  format            = "qcow2"
  accelerator       = "kvm"
  http_directory    = "path/to/httpdir"
  ssh_username      = "root"
  ssh_password      = "s0m3password"
  ssh_timeout       = "20m"
  vm_name           = "tdhtest"
  net_device        = "virtio-net"
  disk_interface    = "virtio"
  boot_wait         = "10s"
  boot_command      = ["<tab> text ks=http://{{ .HTTPIP }}:{{ .HTTPPort }}/centos6-ks.cfg<enter><wait>"]
}
`,
      'example-key.pkr.hcl': `# The same page's "SSH key pair automation" boot_command, in HCL2.
variable "username" { default = "packer" }
source "qemu" "keyed" {
  iso_url      = "http://example.org/centos/CentOS-6.9-x86_64-minimal.iso"
  iso_checksum = "none"
  ssh_username = var.username
  boot_command = [
    "<up><wait><tab> text ks=http://{{ .HTTPIP }}:{{ .HTTPPort }}/ks.cfg PACKER_USER={{ user \`username\` }} PACKER_AUTHORIZED_KEY={{ .SSHPublicKey | urlquery }}<enter>"
  ]
}

build {
  sources = ["source.qemu.example", "source.qemu.keyed"]
}
`,
    });
    const [l, keyed] = loadProfiles(d, {env: {}});
    expect(keyed!.profile.boot_command[0]).toBe('<up><wait><tab> text ks=http://{{ .HTTPIP }}:{{ .HTTPPort }}/ks.cfg PACKER_USER=packer PACKER_AUTHORIZED_KEY={{ .SSHPublicKey | urlquery }}<enter>');
    expect(l!.format).toBe('packer-hcl2');
    expect(l!.profile).toMatchObject({name: 'example', disk_size: 5000, ssh_timeout: 20 * 60_000, boot_wait: 10_000, vm_name: 'tdhtest', output_directory: 'output_centos_tdhtest', accelerator: 'kvm'});
    expect(l!.warnings).toEqual([]);
    // A single file loads the same, without the folder's other files.
    // A single file is read alone: this one's build block is in the other file.
    expect(issuesOf(() => loadProfile(path.join(d, 'example.pkr.hcl'), {env: {}}))[0]!.message).toMatch(/the template has no build block/);
  });

  const multi = () =>
    folder({
      'm.pkr.hcl': `variable "iso" { default = "a.iso" }
source "qemu" "base" {
  iso_url      = var.iso
  iso_checksum = "none"
  ssh_username = "root"
}
source "amazon-ebs" "cloud" {
  region = "eu-west-1"
}
build {
  name    = "lab"
  sources = ["source.qemu.base", "source.amazon-ebs.cloud"]
  source "source.qemu.base" {
    name   = "big"
    memory = 4096
  }
  provisioner "shell" {
    inline = ["echo one \${source.name} \${build.name}"]
  }
  provisioner "file" {
    source      = "a"
    destination = "/b"
    only        = ["qemu.big"]
  }
  provisioner "shell" {
    inline = ["echo three"]
    except = ["qemu.big"]
    override = {
      base = { inline = ["echo three for base"] }
    }
  }
  post-processor "checksum" {
    checksum_types = ["sha256"]
  }
  post-processors {
    post-processor "compress" {}
    post-processor "manifest" {}
  }
}
`,
    });

  it('makes one build per qemu source use, skips others with a warning, and keeps blocks in written order', () => {
    const d = multi();
    const docs = packerHclDocuments(d, {env: {}}).documents;
    expect(docs.map((x) => [x.defaultName, x.raw.memory])).toEqual([['base', undefined], ['big', 4096]]);
    expect(docs[0]!.warnings!.map((w) => `${where(w)} ${w.message}`)).toContainEqual(expect.stringMatching(/^m\.pkr\.hcl:12:\d+ lab\.amazon-ebs\.cloud is skipped: vmbench builds qemu sources only/));
    const types = (i: number) => (docs[i]!.raw.provisioners as {type: string; inline?: string[]}[]).map((p) => p.type + (p.inline ? `:${p.inline[0]}` : ''));
    expect(types(0)).toEqual(['shell:echo one base lab', 'shell:echo three for base']);
    expect(types(1)).toEqual(['shell:echo one big lab', 'file']);
    expect(docs[1]!.raw.post_processors).toEqual([{type: 'checksum', checksum_types: ['sha256']}, [{type: 'compress'}, {type: 'manifest'}]]);
    expect(docs[1]!.position(['provisioners', 1, 'destination'])).toMatchObject({line: 22, col: 19});
    expect(docs[1]!.position(['provisioners', 1, 'destination'], {key: true})).toMatchObject({line: 22, col: 5});
    // -except names post-processors too: a match ends its chain.
    const cut = packerHclDocuments(d, {env: {}, only: ['lab.qemu.big'], except: ['compress']}).documents;
    expect(cut.map((x) => x.raw.post_processors)).toEqual([[{type: 'checksum', checksum_types: ['sha256']}]]);
    expect(docs[1]!.position(['memory'])).toMatchObject({line: 15, col: 14});
  });

  it('selects builds with -only/-except globs on Packer\'s names (BUILD.TYPE.NAME)', () => {
    const d = multi();
    const names = (o: LoadOptions) => packerHclDocuments(d, {env: {}, ...o}).documents.map((x) => x.defaultName);
    expect(names({only: ['lab.qemu.big']})).toEqual(['big']);
    expect(names({only: ['*.base']})).toEqual(['base']);
    expect(names({except: ['*.base']})).toEqual(['big']);
    expect(issuesOf(() => names({except: ['lab.qemu.b*']}))[0]!.message).toMatch(/-only\/-except left no build to run \(builds here: lab\.qemu\.base, lab\.amazon-ebs\.cloud, lab\.qemu\.big\)/);
    // Asked for one build of several, the hint names them as -only takes them.
    expect(() => loadProfile(d, {env: {}})).toThrow(/defines 2 builds \(lab\.qemu\.base, lab\.qemu\.big\): pick one with -only=NAME/);
  });

  it('refuses a build source block that sets a field twice', () => {
    const d = folder({'t.pkr.hcl': 'source "qemu" "a" {\n  iso_url = "x.iso"\n  iso_checksum = "none"\n  ssh_username = "root"\n}\nbuild {\n  source "source.qemu.a" {\n    iso_url = "y.iso"\n  }\n}\n'});
    expect(issuesOf(() => loadProfiles(d, {env: {}})).map((i) => `${where(i)} ${i.message}`)).toEqual([expect.stringMatching(/^t\.pkr\.hcl:8:5 iso_url is already set in source\.qemu\.a at .*t\.pkr\.hcl:2:3/)]);
  });
});

describe('a typical Ubuntu autoinstall template (test/fixtures/packer-hcl/ubuntu-autoinstall)', () => {
  it('evaluates locals, templatefile() into http_content, and keeps build-time fields', () => {
    const dir = path.join(import.meta.dirname, '..', 'fixtures', 'packer-hcl', 'ubuntu-autoinstall');
    const [l] = loadProfiles(dir, {env: {}, vars: {ubuntu_version: '24.04.1', cpus: '4'}});
    expect(l!.warnings).toEqual([]);
    expect(l!.profile).toMatchObject({name: 'ubuntu', vm_name: 'ubuntu-24-04-1.qcow2', output_directory: 'output/ubuntu-24-04-1', cpus: 4, memory: 4096, ssh_timeout: 30 * 60_000});
    expect(l!.profile.http_content['/user-data']).toBe('#cloud-config\nautoinstall:\n  version: 1\n  identity:\n    hostname: ubuntu-24-04-1\n    username: ubuntu\n    password: "ubuntu"\n# named\n');
    expect(l!.profile.boot_command[1]).toBe('linux /casper/vmlinuz --- autoinstall ds="nocloud-net;seedfrom=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"');
    expect(l!.profile.provisioners.map((p) => p.type)).toEqual(['shell', 'file']);
    expect(l!.document!.sensitiveValues).toEqual(['ubuntu']);
  });
});

describe('HCL2 in JSON syntax (*.pkr.json)', () => {
  it('reads blocks by Packer\'s schema beside *.pkr.hcl files, with positions', () => {
    const d = folder({
      'vars.pkr.hcl': 'variable "mem" {\n  type = number\n  default = 512\n}\n',
      'main.pkr.json': JSON.stringify(
        {
          '//': 'a comment',
          locals: {cfg: 'ks-${var.mem}.cfg'},
          source: {qemu: {j: {iso_url: 'x.iso', iso_checksum: 'none', ssh_username: 'root', memory: '${var.mem * 2}', http_content: {'/${local.cfg}': 'x'}, qemuargs: [['-device', 'virtio-rng-pci']]}}},
          build: [{name: 'js', sources: ['source.qemu.j'], provisioner: [{shell: {inline: ['echo a']}}, {file: {source: 'a', destination: '/b'}}]}],
        },
        null,
        2,
      ),
    });
    const [l] = loadProfiles(d, {env: {}});
    expect(l!.profile).toMatchObject({name: 'j', memory: 1024, http_content: {'/ks-512.cfg': 'x'}, qemuargs: [['-device', 'virtio-rng-pci']]});
    expect(l!.profile.provisioners.map((p) => p.type)).toEqual(['shell', 'file']);
    expect(l!.document!.position(['qemuargs', 0, 1])).toMatchObject({line: 19, col: 13});
    const bad = folder({'b.pkr.json': '{\n  "source": {"qemu": {"j": {"memroy": 1}}},\n  "build": {"sources": ["source.qemu.j"]}\n}\n'});
    // A missing field is reported at the source block it is missing from.
    expect(issuesOf(() => loadProfiles(bad, {env: {}})).map((i) => `${where(i)} ${i.field}`)).toEqual(['b.pkr.json:2:23 iso_url', 'b.pkr.json:2:23 ssh_username', 'b.pkr.json:2:29 memroy']);
  });
});

describe('HCL2 problems are named at file:line:col', () => {
  const base = (extra: string, field = '') =>
    folder({
      't.pkr.hcl': `source "qemu" "a" {\n  iso_url = "x.iso"\n  iso_checksum = "none"\n  ssh_username = "root"\n${field}}\n${extra}build {\n  sources = ["source.qemu.a"]\n}\n`,
    });
  it.each<[string, string, string, RegExp]>([
    ['an unsupported Packer function', '', '  ssh_password = vault("secret/data/x", "pw")\n', /^t\.pkr\.hcl:5:18 .*vault\(\) is one of Packer's but vmbench does not support it/],
    ['an unknown function', '', '  vm_name = "${nosuch(1)}"\n', /^t\.pkr\.hcl:5:16 .*unknown function nosuch\(\)/],
    ['env() outside a variable default', '', '  ssh_password = env("PW")\n', /^t\.pkr\.hcl:5:18 .*env\(\) is only allowed in a variable's default/],
    ['an unknown variable', '', '  memory = var.mem\n', /^t\.pkr\.hcl:5:12 .*unknown variable var\.mem/],
    ['a local referring to itself', 'locals {\n  a = local.b\n  b = "${local.a}x"\n}\n', '', /^t\.pkr\.hcl:\d+:\d+ .*refers to itself/],
    ['an unsupported qemu option', '', '  net_bridge = "virbr0"\n', /^t\.pkr\.hcl:5:3 net_bridge: not supported: vmbench uses QEMU user-mode networking/],
    ['an unknown option, with a suggestion', '', '  memroy = 512\n', /^t\.pkr\.hcl:5:3 memroy: unknown option of Packer's qemu builder \(did you mean "memory"\?\)/],
    ['a data source used', 'data "amazon-ami" "x" {\n  region = "r"\n}\n', '  ssh_password = data.amazon-ami.x.id\n', /^t\.pkr\.hcl:5:18 ssh_password: data\.amazon-ami\.x\.id: vmbench does not evaluate amazon-ami data sources/],
    ['a syntax error', '', '  memory = \n', /^t\.pkr\.hcl:5:12 Invalid expression/],
    ['a dynamic block without content', '', '  dynamic "x" {\n    for_each = []\n  }\n', /^t\.pkr\.hcl:5:3 dynamic\.x: a dynamic block needs one content/],
  ])('%s', (_what, extra, field, want) => {
    const errs = issuesOf(() => loadProfiles(base(extra, field), {env: {}}));
    expect(errs.map((i) => `${where(i)} ${i.field ? `${i.field}: ` : ''}${i.message}`).join('\n')).toMatch(new RegExp(want.source, 'm'));
  });

  it('points into a boot_command string at the bad key', () => {
    const errs = issuesOf(() => loadProfiles(base('', '  boot_command = ["<esc>", "linux <enterr>"]\n'), {env: {}}));
    expect(errs.map((i) => `${where(i)} ${i.field}`)).toEqual(['t.pkr.hcl:5:35 boot_command[1]']);
  });

  it('warns (and still loads) for options accepted but not used', () => {
    const [l] = loadProfiles(base('', '  headless = true\n  display = "gtk"\n'), {env: {}});
    expect(l!.warnings!.map((w) => `${where(w)} ${w.field}`)).toEqual(expect.arrayContaining(['t.pkr.hcl:6:3 display']));
  });

  it('names an unknown source in a build, and a template with no build', () => {
    const d = folder({'t.pkr.hcl': 'source "qemu" "a" {\n  iso_url = "x.iso"\n}\nbuild {\n  sources = ["source.qemu.b"]\n}\n'});
    expect(issuesOf(() => loadProfiles(d, {env: {}})).map((i) => `${where(i)} ${i.message}`)).toContainEqual(expect.stringMatching(/^t\.pkr\.hcl:5:14 unknown source source\.qemu\.b \(defined: source\.qemu\.a\)/));
    const none = folder({'t.pkr.hcl': 'source "qemu" "a" {\n  iso_url = "x.iso"\n}\n'});
    expect(issuesOf(() => loadProfiles(none, {env: {}}))[0]!.message).toMatch(/no build block/);
  });
});
