/**
 * What real public Packer templates do that vmbench must accept as Packer does (found by running
 * a sweep of public qemu templates through validate/inspect/import): values Packer converts
 * (strings as booleans and sizes), shared var files, `${path.root}/../out`, fileset(), WinRM
 * options beside an SSH build, provisioner options of Packer's shell and ansible, post-processors
 * vmbench skips, data sources guarded by try(), dynamic blocks, and import of an HCL2 build that
 * needs -var. Each template here is a small one written for the case.
 */
import {readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {spawn, type ChildProcess} from 'node:child_process';
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi} from 'vitest';
import {importCommand} from '../../src/cli/import-command.js';
import {ProfileError, type ProfileIssue} from '../../src/profiles/document.js';
import {loadProfile, type LoadOptions} from '../../src/profiles/loader.js';
import {scratchDirs, writeTree} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-compat-');
/** A template folder with these files (paths may hold folders). */
const folder = (files: Record<string, string>): string => writeTree(fresh('t'), files);

const problems = (target: string, opts: LoadOptions = {}): string[] => {
  try {
    loadProfile(target, {env: {}, ...opts});
    return [];
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    return err.issues.filter((i) => !i.warning).map((i: ProfileIssue) => `${path.basename(i.file)}:${i.line}:${i.col} ${i.field}: ${i.message}`);
  }
};
const warningsOf = (target: string, opts: LoadOptions = {}): string[] =>
  (loadProfile(target, {env: {}, ...opts}).warnings ?? []).map((w) => `${path.basename(w.file)}:${w.line}:${w.col} ${w.field}: ${w.message}`);

const SOURCE_HEAD = 'source "qemu" "a" {\n  iso_url      = "x.iso"\n  iso_checksum = "none"\n  ssh_username = "root"\n';
const hcl = (sourceBody: string, rest = '', build = '') => ({'t.pkr.hcl': `${SOURCE_HEAD}${sourceBody}}\n${rest}build {\n  sources = ["source.qemu.a"]\n${build}}\n`});

describe('values Packer converts', () => {
  it('HCL2: "true"/"false" strings are booleans, digit strings numbers and MiB, as go-cty converts them', () => {
    const d = folder(hcl('  headless = "false"\n  disk_compression = "${var.compress}"\n  memory = "2048"\n  disk_size = "40960"\n', 'variable "compress" {\n  default = "true"\n}\n'));
    const {profile} = loadProfile(d, {env: {}});
    expect(profile).toMatchObject({disk_compression: true, memory: 2048, disk_size: 40960});
  });

  it('JSON: {{ user }} values become booleans and sizes; a template that renders nothing is false', () => {
    const d = folder({
      'p.json': JSON.stringify({
        variables: {headless: '', compress: 'True', size: '65536'},
        builders: [{type: 'qemu', iso_url: 'x.iso', iso_checksum: 'none', ssh_username: 'r', headless: '{{ user `headless` }}', disk_compression: '{{ user `compress` }}', disk_size: '{{ user `size` }}'}],
      }),
    });
    expect(loadProfile(path.join(d, 'p.json'), {env: {}}).profile).toMatchObject({disk_compression: true, disk_size: 65536});
    expect(loadProfile(path.join(d, 'p.json'), {env: {}, vars: {compress: 'f'}}).profile.disk_compression).toBe(false);
    // Go's ParseBool knows no "yes": still an error, with what it rendered to.
    expect(problems(path.join(d, 'p.json'), {vars: {compress: 'yes'}})).toEqual([expect.stringMatching(/^p\.json:1:\d+ disk_compression: expected true or false, got string "\{\{ user `compress` \}\}" \("yes"\)$/)]);
  });

  it('output_directory is normalized: `${path.root}/../out` absolute, "../builds/a" above the working folder as Packer allows', () => {
    const d = folder(hcl('  output_directory = "${path.root}/../builds/a"\n'));
    expect(loadProfile(d, {env: {}}).profile.output_directory).toBe(path.join(path.dirname(d), 'builds/a'));
    const rel = folder(hcl('  output_directory = "../builds/./a"\n'));
    expect(problems(rel)).toEqual([]);
    expect(loadProfile(rel, {env: {}}).profile.output_directory).toBe('../builds/a');
  });
});

it('fileset() lists a folder\'s files by a doublestar pattern, sorted, relative to it', () => {
  const d = folder({
    ...hcl('', '', '  provisioner "shell" {\n    scripts = [for f in fileset("${path.root}/scripts", "**/{1,2}*.sh") : "scripts/${f}"]\n  }\n'),
    'scripts/2-b.sh': '',
    'scripts/1-a.sh': '',
    'scripts/sub/1-c.sh': '',
    'scripts/3-x.sh': '',
    'scripts/1-a.txt': '',
  });
  const p = loadProfile(d, {env: {}}).profile.provisioners[0]!;
  expect(p.type === 'shell' && p.scripts).toEqual(['scripts/1-a.sh', 'scripts/2-b.sh', 'scripts/sub/1-c.sh']);
  const bad = folder(hcl('  vm_name = join(",", fileset("${path.root}/nosuch", "*"))\n'));
  expect(problems(bad)).toEqual([expect.stringMatching(/^t\.pkr\.hcl:5:23 vm_name: fileset\(\): fileset: no such folder: .*nosuch/)]);
});

describe('JSON user variables as Packer reads them', () => {
  const json = (t: unknown) => folder({'p.json': JSON.stringify(t, null, 2), 'vars.json': '{\n  "suffix": null\n}\n'});
  it('an undefined {{ user }} renders empty with a warning (once per name); a null in a var file is empty; {{ .HTTPIP }} stays in a variable for the build', () => {
    const d = json({
      variables: {media: 'http://{{ .HTTPIP }}:{{ .HTTPPort }}/ks.cfg'},
      builders: [{type: 'qemu', iso_url: 'x.iso', iso_checksum: 'none', ssh_username: 'r', boot_command: ['linux ks={{ user `media` }}{{ user `suffix` }}', '{{ user `extra` }}<enter>'], vm_name: 'img{{ user `extra` }}'}],
    });
    const l = loadProfile(path.join(d, 'p.json'), {env: {}, varFiles: [path.join(d, 'vars.json')]});
    expect(l.profile.boot_command).toEqual(['linux ks=http://{{ .HTTPIP }}:{{ .HTTPPort }}/ks.cfg', '<enter>']);
    expect(l.profile.vm_name).toBe('img');
    expect((l.warnings ?? []).filter((w) => /not defined/.test(w.message)).map((w) => `${w.line} ${w.field}: ${w.message}`)).toEqual(['13 boot_command[1]: user variable "extra" is not defined: it renders empty, as in Packer']);
  });

  it('a vmbench profile still names an undefined variable as an error', () => {
    const d = folder({'profile.yaml': 'iso_url: x.iso\nssh_username: r\nvm_name: "img{{ user `extra` }}"\n'});
    expect(problems(d)).toEqual([expect.stringMatching(/^profile\.yaml:3:10 vm_name: unknown user variable extra/)]);
  });
});

describe('communicator options', () => {
  it('WinRM options beside communicator ssh are dropped (shared sources set them); with winrm they are errors', () => {
    const d = folder(hcl('  winrm_username = "vagrant"\n  winrm_timeout = "1h"\n'));
    expect(problems(d)).toEqual([]);
    const w = folder(hcl('  communicator = "winrm"\n  winrm_username = "vagrant"\n'));
    expect(problems(w)).toEqual(expect.arrayContaining(['t.pkr.hcl:6:3 winrm_username: not supported: WinRM is not supported: vmbench connects over SSH']));
  });
});

describe('provisioner options of Packer\'s shell and ansible', () => {
  it('shell: env joins environment_vars (env wins), pause_after is a duration', () => {
    const d = folder(hcl('', '', '  provisioner "shell" {\n    inline = ["true"]\n    environment_vars = ["A=1", "B=2"]\n    env = { B = "3", C = "4" }\n    pause_after = "5s"\n  }\n'));
    const p = loadProfile(d, {env: {}}).profile.provisioners[0]!;
    expect(p).toMatchObject({type: 'shell', environment_vars: ['A=1', 'B=3', 'C=4'], pause_after: 5000});
    expect(p).not.toHaveProperty('env');
  });

  it('ansible: roles_path/collections_path and galaxy_file are taken (the provisioner runs ansible-galaxy); proxy options are named', () => {
    const ok = folder(hcl('', '', '  provisioner "ansible" {\n    playbook_file = "site.yml"\n    roles_path = "roles"\n    collections_path = "coll"\n    skip_version_check = true\n  }\n'));
    const l = loadProfile(ok, {env: {}});
    expect(l.profile.provisioners[0]).toMatchObject({type: 'ansible', roles_path: 'roles', collections_path: 'coll'});
    expect(l.warnings?.map((w) => `${w.line} ${w.field}`)).toContainEqual('12 provisioners[0].skip_version_check');
    const galaxy = folder(hcl('', '', '  provisioner "ansible" {\n    playbook_file = "site.yml"\n    galaxy_file = "requirements.yml"\n    galaxy_force_install = true\n  }\n'));
    expect(problems(galaxy)).toEqual([]);
    expect(loadProfile(galaxy, {env: {}}).profile.provisioners[0]).toMatchObject({galaxy_file: 'requirements.yml', galaxy_force_install: true});
  });
});

describe('post-processors vmbench does not run', () => {
  it('HCL2: vagrant-cloud is skipped with a warning, and with it the rest of its sequence; the others (vagrant too) run', () => {
    const d = folder(hcl('', '', '  post-processor "manifest" {}\n  post-processors {\n    post-processor "checksum" {}\n    post-processor "vagrant-cloud" {}\n    post-processor "manifest" {}\n  }\n  post-processors {\n    post-processor "vagrant" {}\n    post-processor "vagrant-registry" {}\n  }\n'));
    const l = loadProfile(d, {env: {}});
    expect(l.profile.post_processors.map((s) => s.map((p) => p.type))).toEqual([['manifest'], ['checksum'], ['vagrant']]);
    expect(warningsOf(d)).toContainEqual(
      't.pkr.hcl:11:5 post_processors[1][1]: post-processor "vagrant-cloud" is skipped: it uploads the Vagrant box to a registry, which vmbench does not do (the box itself is written); so are the ones after it in its sequence (manifest). The build\'s disk image is made as usual',
    );
  });

  it('JSON: a lone vagrant-cloud post-processor is skipped; an unknown type is still an error; a vmbench profile may not name vagrant-cloud', () => {
    const tpl = (pp: unknown[]) => JSON.stringify({builders: [{type: 'qemu', iso_url: 'x.iso', iso_checksum: 'none', ssh_username: 'r'}], 'post-processors': pp}, null, 2);
    const d = folder({'a.json': tpl([{type: 'vagrant-cloud', box_tag: 'x/y'}]), 'b.json': tpl(['nosuch']), 'p/profile.yaml': 'iso_url: x.iso\nssh_username: r\npost_processors:\n  - type: vagrant-cloud\n'});
    expect(loadProfile(path.join(d, 'a.json'), {env: {}}).profile.post_processors).toEqual([]);
    expect(problems(path.join(d, 'b.json'))).toEqual([expect.stringMatching(/post_processors\[0\]\.type: unsupported post-processor type string "nosuch"/)]);
    expect(problems(path.join(d, 'p'))).toEqual([expect.stringMatching(/unsupported post-processor type string "vagrant-cloud"/)]);
  });
});

describe('data sources', () => {
  const DATA = 'data "host-info" "this" {}\nlocals {\n  os = try(data.host-info.this.os_type, "unknown")\n}\n';
  it('are named with a warning; a use guarded by try() falls back', () => {
    const d = folder(hcl('  vm_name = "img-${local.os}"\n', DATA));
    expect(loadProfile(d, {env: {}}).profile.vm_name).toBe('img-unknown');
    expect(warningsOf(d)).toContainEqual(expect.stringMatching(/^t\.pkr\.hcl:7:1 data\.host-info\.this: data sources are not evaluated by vmbench/));
  });

  it('an unguarded use is an error where it is used, naming the data block; the warnings come with the errors', () => {
    const d = folder(hcl('  vm_name = data.git-commit.k.hash\n', 'data "git-commit" "k" {}\n'));
    let all: ProfileIssue[] = [];
    try {
      loadProfile(d, {env: {}});
    } catch (err) {
      all = (err as ProfileError).issues;
    }
    expect(all.filter((i) => i.warning).map((i) => i.field)).toEqual(['data.git-commit.k']);
    expect(problems(d)).toEqual(['t.pkr.hcl:5:13 vm_name: data.git-commit.k.hash: vmbench does not evaluate git-commit data sources (data "git-commit" "k" at t.pkr.hcl:7; it evaluates http, sshkey); give the value as a variable instead']);
  });

  it("a provisioner's value that could not be evaluated is its one error, not also 'needs source'", () => {
    const file = '  provisioner "file" {\n    source      = data.git-repository.keys.head\n    destination = "/tmp/keys"\n  }\n';
    const d = folder(hcl('', 'data "git-repository" "keys" {}\n', file));
    expect(problems(d)).toEqual([expect.stringMatching(/^t\.pkr\.hcl:\d+:\d+ provisioners\.0\.source: data\.git-repository\.keys\.head: vmbench does not evaluate git-repository data sources/)]);
    // Without the data source, the same provisioner's real omission is still named.
    const missing = folder(hcl('', '', '  provisioner "file" {\n    destination = "/tmp/keys"\n  }\n'));
    expect(problems(missing)).toEqual([expect.stringMatching(/provisioners\[0\]: a file provisioner needs source, sources or content$/)]);
  });
});

describe('the sshkey data source', () => {
  const saved = process.env.XDG_CACHE_HOME;
  let cache = '';
  beforeEach(() => {
    cache = fresh('cache');
    process.env.XDG_CACHE_HOME = cache;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  });
  const SSHKEY = (cfg: string) => `data "sshkey" "install" {\n${cfg}}\nlocals {\n  pub = data.sshkey.install.public_key\n}\n`;

  it('makes a key pair once, kept in the cache: the login key and the seed\'s public key agree across loads', async () => {
    const d = folder(hcl('  ssh_private_key_file = data.sshkey.install.private_key_path\n  http_content = {\n    "/authorized_keys" = local.pub\n  }\n', SSHKEY('  type = "ed25519"\n  name = "my key"\n')));
    expect(warningsOf(d)).toEqual([]);
    const first = loadProfile(d, {env: {}}).profile;
    const keyFile = path.join(cache, 'vmbench', 'sshkey', 'ssh_private_key_my key_ed25519.pem');
    expect(first.ssh_private_key_file).toBe(keyFile);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const pub = first.http_content['/authorized_keys']!;
    expect(pub).toMatch(/^ssh-ed25519 AAAA\S+ my key$/);
    // The public key is the private key's: OpenSSH's own tool derives the same one from the file.
    const {execa} = await import('execa');
    const derived = (await execa('ssh-keygen', ['-y', '-f', keyFile])).stdout.trim();
    expect(pub.startsWith(derived.split(' ').slice(0, 2).join(' '))).toBe(true);
    // A second load reads the same key.
    expect(loadProfile(d, {env: {}}).profile.http_content['/authorized_keys']).toBe(pub);
  });

  it('defaults to an RSA key named packer, as the plugin does', () => {
    const d = folder(hcl('  ssh_private_key_file = data.sshkey.install.private_key_path\n', SSHKEY('')));
    const p = loadProfile(d, {env: {}}).profile;
    expect(p.ssh_private_key_file).toBe(path.join(cache, 'vmbench', 'sshkey', 'ssh_private_key_packer_rsa.pem'));
    expect(readFileSync(p.ssh_private_key_file!, 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
  });

  it('a bad type is an error at its line; another data source is still not evaluated', () => {
    const d = folder(hcl('  ssh_private_key_file = data.sshkey.install.private_key_path\n', SSHKEY('  type = "dsa"\n')));
    expect(problems(d)).toEqual([expect.stringMatching(/^t\.pkr\.hcl:\d+:\d+ data\.sshkey\.install\.type: "dsa" is not a key type sshkey makes \(rsa or ed25519\)$/)]);
    const other = folder(hcl('  ssh_password = data.amazon-secretsmanager.x.value\n', 'data "amazon-secretsmanager" "x" {\n  name = "pw"\n}\n'));
    expect(problems(other)).toEqual([expect.stringMatching(/ssh_password: data\.amazon-secretsmanager\.x\.value: vmbench does not evaluate amazon-secretsmanager data sources .*it evaluates http, sshkey/)]);
  });
});

describe('the http data source', () => {
  // A server in another process: loading a template is synchronous, so one in this process
  // could not answer while the request runs.
  let server: ChildProcess | undefined;
  let base = '';
  beforeAll(async () => {
    const code = `require('node:http').createServer((q, s) => {
      if (q.url === '/sum') { s.setHeader('Content-Type', 'text/plain'); s.setHeader('X-Seen', q.headers['x-token'] || 'none'); s.end('abc123  disk.qcow2\\n'); }
      else if (q.url === '/echo' && q.method === 'POST') { let b = ''; q.on('data', (d) => (b += d)); q.on('end', () => s.end('got ' + b)); }
      else { s.statusCode = 404; s.end('no'); }
    }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
    server = spawn(process.execPath, ['-e', code], {stdio: ['ignore', 'pipe', 'inherit']});
    const port = await new Promise<string>((resolve) => server!.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(() => void server?.kill());

  it('answers with the body and the response headers, the request headers and body sent', () => {
    const data = `data "http" "sum" {\n  url = "${base}/sum"\n  request_headers = {\n    X-Token = "t0k"\n  }\n}\ndata "http" "echo" {\n  url = "${base}/echo"\n  method = "POST"\n  request_body = "hello"\n}\n`;
    const d = folder(hcl('  vm_name = "${split(" ", data.http.sum.body)[0]}-${data.http.sum.request_headers["X-Seen"]}"\n  http_content = {\n    "/echo" = data.http.echo.body\n  }\n', data));
    expect(warningsOf(d)).toEqual([]);
    const p = loadProfile(d, {env: {}}).profile;
    expect(p.vm_name).toBe('abc123-t0k');
    expect(p.http_content['/echo']).toBe('got hello');
  });

  it('a non-2xx answer or a bad method is an error at the data block, once', () => {
    const d = folder(hcl('  vm_name = data.http.gone.body\n  ssh_password = data.http.gone.url\n', `data "http" "gone" {\n  url = "${base}/nothing"\n}\n`));
    expect(problems(d)).toEqual([`t.pkr.hcl:8:1 data.http.gone: GET ${base}/nothing: HTTP request error. Response code: 404`]);
    const m = folder(hcl('  vm_name = data.http.m.body\n', `data "http" "m" {\n  url = "${base}/sum"\n  method = "FETCH"\n}\n`));
    expect(problems(m)).toEqual(['t.pkr.hcl:9:3 data.http.m.method: must be one of HEAD, GET, POST, PUT, DELETE, OPTIONS, PATCH (got "FETCH")']);
  });
});

describe('dynamic blocks', () => {
  it('make one block per element of for_each, with the iterator\'s key and value', () => {
    const d = folder(hcl('  dynamic "qemu_img_args" {\n    for_each = var.compress ? [["-c"]] : []\n    iterator = args\n    content {\n      convert = args.value\n    }\n  }\n', 'variable "compress" {\n  default = true\n}\n'));
    expect(loadProfile(d, {env: {}}).profile.qemu_img_args).toMatchObject({convert: ['-c']});
    expect(loadProfile(d, {env: {}, vars: {compress: 'false'}}).profile.qemu_img_args).toMatchObject({convert: []});
  });

  it('name what is missing at the dynamic block', () => {
    const d = folder(hcl('  dynamic "qemu_img_args" {\n    for_each = [1]\n  }\n'));
    expect(problems(d)).toEqual(['t.pkr.hcl:5:3 dynamic.qemu_img_args: a dynamic block needs one content { … } block']);
  });
});

describe('vmbench import of an HCL2 build', () => {
  let out = '';
  let err = '';
  beforeEach(() => {
    out = err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(() => vi.restoreAllMocks());

  it('keeps fields that need a variable given only with -var; leaves out sensitive values and skipped post-processors', async () => {
    const d = folder({
      't.pkr.hcl': [
        'variable "version" {\n  type = string\n}\n',
        'variable "pw" {\n  type = string\n  sensitive = true\n}\n',
        'locals {\n  iso = "isos/v${var.version}.iso"\n}\n',
        'source "qemu" "a" {\n  iso_url = local.iso\n  iso_checksum = "none"\n  ssh_username = "root"\n  ssh_password = var.pw\n}\n',
        'build {\n  sources = ["source.qemu.a"]\n  provisioner "shell" {\n    inline = ["echo ${var.pw} | passwd --stdin root"]\n  }\n  provisioner "shell" {\n    inline = ["true"]\n  }\n  post-processor "vagrant-cloud" {}\n}\n',
      ].join(''),
    });
    const dest = path.join(fresh('imported'), 'profile');
    expect(await importCommand([d, dest], {var: ['version=12', 'pw=s3cret-pw']}), err).toBe(0);
    const yaml = readFileSync(path.join(dest, 'profile.yaml'), 'utf8');
    expect(yaml).toContain(`iso_url: ${path.relative(dest, path.join(d, 'isos/v12.iso'))}`);
    expect(yaml).not.toContain('s3cret-pw');
    expect(yaml).toContain('# Left out because they hold a sensitive variable\'s value (set them here yourself): ssh_password, provisioners[0] (shell)');
    expect(yaml).toContain('# Post-processors left out (vmbench does not run them): vagrant-cloud');
    const back = loadProfile(dest, {env: {}});
    expect(back.profile.provisioners).toHaveLength(1);
    expect(back.profile.post_processors).toEqual([]);
    expect(out).toContain('profile.yaml: ok');
  });
});
