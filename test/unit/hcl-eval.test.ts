/**
 * The HCL2 pieces under the Packer HCL front end: the position scanner, and expressions as
 * HashiCorp's parser reads them and vmbench evaluates them (Packer's meaning).
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {evalTemplateText, HclEvalError, type HclValue, type Scope} from '../../src/profiles/hcl/eval.js';
import {hclFunctions, SUPPORTED_HCL_FUNCTIONS, unknownFunctionMessage} from '../../src/profiles/hcl/functions.js';
import {lineLocator, scanHcl, type ScannedBlock} from '../../src/profiles/hcl/scan.js';
import {hclToJson, HclSyntaxError} from '../../src/profiles/hcl/wasm.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-hcl-eval-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
writeFileSync(path.join(dir, 'preseed.pkrtpl'), 'd-i passwd/username string ${user}\n%{ for p in pkgs ~}\npkg ${p}\n%{ endfor ~}\n');
writeFileSync(path.join(dir, 'note.txt'), 'hello\n');
writeFileSync(path.join(dir, 'user-data.pkrtpl.hcl'), '#cloud-config\nhostname: ${var.name}\n');

const scope: Scope = {
  ref: (root, name) => {
    const vars: Record<string, HclValue> = {name: 'tiny', mem: 512, on: true, list: ['a', 'b'], map: {k: 'v', n: 2}, objs: [{id: 1}, {id: 2}], empty: ''};
    const locals: Record<string, HclValue> = {label: 'tiny-512'};
    const table = root === 'var' ? vars : locals;
    if (!Object.hasOwn(table, name)) throw new HclEvalError(`unknown ${root}.${name}`, `${root}.${name}`);
    return table[name]!;
  },
  symbols: {path: {root: dir, cwd: '/cwd'}},
  functions: hclFunctions(dir),
  unknownFunction: unknownFunctionMessage,
  all: (root) => (root === 'var' ? {name: 'tiny', mem: 512} : {label: 'tiny-512'}),
};
/** hcl2json writes an attribute's expression as a `${…}` template; this is what evalRaw gets. */
const ev = (expr: string): HclValue => evalTemplateText(`\${${expr}}`, scope, 'test.pkr.hcl');

describe('HCL2 expressions', () => {
  it.each<[string, HclValue]>([
    ['var.name', 'tiny'],
    ['var.mem * 2 + 1', 1025],
    ['(var.mem + 512) / 4', 256],
    ['7 % 3', 1],
    ['-var.mem', -512],
    ['var.mem >= 512 && !var.on', false],
    ['var.mem == 512 || false', true],
    ['"512" == 512', false],
    ['var.on ? "yes" : "no"', 'yes'],
    ['var.mem > 1024 ? 2 : 1', 1],
    ['local.label', 'tiny-512'],
    ['path.root', dir],
    ['path.cwd', '/cwd'],
    ['var.list[1]', 'b'],
    ['var.map["k"]', 'v'],
    ['var.map.n', 2],
    ['[var.name, 2]', ['tiny', 2]],
    ['{a = 1, "b-c" = var.name}', {a: 1, 'b-c': 'tiny'}],
    ['[for s in var.list : upper(s)]', ['A', 'B']],
    ['[for s in var.list : s if s != "a"]', ['b']],
    ['{for k, v in var.map : k => "${v}!"}', {k: 'v!', n: '2!'}],
    ['var.objs[*].id', [1, 2]],
    ['"${var.name}-${var.mem}"', 'tiny-512'],
    ['"%{ if var.on }on%{ else }off%{ endif }"', 'on'],
    ['"%{ for s in var.list }${s};%{ endfor }"', 'a;b;'],
    ['upper(var.name)', 'TINY'],
    ['join(",", var.list)', 'a,b'],
    ['split(",", "a,b,c")', ['a', 'b', 'c']],
    ['replace("a-b-c", "-", "_")', 'a_b_c'],
    ['replace("a1b22", "/[0-9]+/", "#")', 'a#b#'],
    ['regex_replace("vm-01", "([a-z]+)-(\\\\d+)", "$2.$1")', '01.vm'],
    ['format("%s-%03d", var.name, 7)', 'tiny-007'],
    ['formatdate("YYYY-MM-DD hh:mm", "2024-03-05T07:08:09Z")', '2024-03-05 07:08'],
    ['trimsuffix("disk.qcow2", ".qcow2")', 'disk'],
    ['length(var.list) + length(var.map) + length("héllo")', 9],
    ['concat(var.list, ["c"])', ['a', 'b', 'c']],
    ['merge(var.map, {k = "w"})', {k: 'w', n: 2}],
    ['lookup(var.map, "x", "dflt")', 'dflt'],
    ['coalesce(var.empty, "fallback")', 'fallback'],
    ['contains(var.list, "b")', true],
    ['element(var.list, 3)', 'b'],
    ['flatten([["a"], [["b"]]])', ['a', 'b']],
    ['max(1, 5, 3)', 5],
    ['sha256("abc")', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['base64encode("vmbench")', 'dm1iZW5jaA=='],
    ['jsonencode({a = [1, true]})', '{"a":[1,true]}'],
    ['file("${path.root}/note.txt")', 'hello\n'],
    ['chomp(file("note.txt"))', 'hello'],
    ['fileexists("missing.txt")', false],
    ['templatefile("preseed.pkrtpl", {user = "root", pkgs = ["ssh", "curl"]})', 'd-i passwd/username string root\npkg ssh\npkg curl\n'],
    ['templatefile("user-data.pkrtpl.hcl", {var = var})', '#cloud-config\nhostname: tiny\n'],
    ['keys(local)', ['label']],
    ['try(var.map.missing, "none")', 'none'],
    ['can(var.list[5])', false],
    ['"{{ .HTTPIP }}:{{ .HTTPPort }}"', '{{ .HTTPIP }}:{{ .HTTPPort }}'],
    ['"${var.list}"', ['a', 'b']],
    ['"tab\\there \\"q\\" \\u00e9 $${x}"', 'tab\there "q" é ${x}'],
    ['"a %{~ if var.on ~} b %{~ endif ~} c"', 'abc'],
    ['timeadd("2024-03-05T23:30:00Z", "1h45m")', '2024-03-06T01:15:00Z'],
    ['timeadd("2024-03-05T00:00:00Z", "-90s")', '2024-03-04T23:58:30Z'],
    ['regex("v([0-9]+)[.]([0-9]+)", "iso-v12.4")', ['12', '4']],
    ['regex("(?P<major>[0-9]+)[.](?P<minor>[0-9]+)", "12.4")', {major: '12', minor: '4'}],
    ['regex("[a-z]+", "123abc")', 'abc'],
    ['regexall("[0-9]+", "a1b22c333")', ['1', '22', '333']],
  ])('%s', (expr, want) => {
    expect(ev(expr)).toEqual(want);
  });

  it('evaluates Packer\'s usual build stamp idiom', () => {
    expect(ev('regex_replace(timestamp(), "[- TZ:]", "")')).toMatch(/^\d{14}$/);
  });

  it("has Packer's legacy clocks, both the run's start in UTC", () => {
    const iso = ev('legacy_isotime("2006-01-02T15:04:05Z07:00")') as string;
    expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const [date, time] = iso.slice(0, -1).split('T');
    expect(ev('legacy_strftime("%Y-%m-%d %H:%M:%S %%")')).toBe(`${date} ${time} %`);
  });

  it('keeps Go template fields and escaped interpolations literal', () => {
    expect(evalTemplateText('http://{{ .HTTPIP }}/$${var.name}', scope, 't')).toBe('http://{{ .HTTPIP }}/${var.name}');
    expect(evalTemplateText('plain text', scope, 't')).toBe('plain text');
  });

  it.each<[string, RegExp, string | undefined]>([
    ['vault("secret/x", "pw")', /vault\(\) is one of Packer's but vmbench does not support it/, 'vault('],
    ['nosuchfn(1)', /unknown function nosuchfn\(\)/, 'nosuchfn('],
    ['env("HOME")', /env\(\) is only allowed in a variable's default/, 'env('],
    ['var.nope', /unknown var\.nope/, 'var.nope'],
    ['var.list[9]', /index 9 is out of range/, 'var.list[9]'],
    ['upper("a", "b")', /upper\(\) takes 1 argument, got 2/, 'upper('],
    ['"x${var.list}"', /a template cannot include a list/, undefined],
    ['var.name ? 1 : 2', /expected true or false/, undefined],
    ['regex("x+", "abc")', /regex: no match for the pattern "x\+"/, 'regex('],
    ['timeadd("yesterday", "1h")', /timeadd: "yesterday" is not an RFC 3339 timestamp/, 'timeadd('],
  ])('%s is an error naming what to point at', (expr, message, needle) => {
    let err: unknown;
    try {
      ev(expr);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HclEvalError);
    expect((err as Error).message).toMatch(message);
    expect((err as HclEvalError).needle).toBe(needle);
  });

  it('lists the functions it supports, and Packer\'s it does not', () => {
    expect(SUPPORTED_HCL_FUNCTIONS).toEqual(expect.arrayContaining(['templatefile', 'formatdate', 'upper', 'join', 'try']));
    expect(SUPPORTED_HCL_FUNCTIONS).not.toContain('vault');
    expect(SUPPORTED_HCL_FUNCTIONS).not.toContain('env');
  });
});

describe('HashiCorp parser via WASM (synchronous)', () => {
  it('gives values, and errors at file:line:col', () => {
    expect(hclToJson('a.pkr.hcl', 'x = 1\ny = "s"\n')).toEqual({x: 1, y: 's'});
    let err: unknown;
    try {
      hclToJson('bad.pkr.hcl', 'source "qemu" "a" {\n  memory = \n}\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HclSyntaxError);
    expect(err).toMatchObject({file: 'bad.pkr.hcl', line: 2});
  });
});

describe('HCL position scanner', () => {
  const text = [
    '# a comment with a { brace',
    'variable "x" {',
    '  default = "a { b" // trailing',
    '}',
    'source "qemu" "tiny" {',
    '  boot_command = [',
    '    "<esc>", # one',
    '    <<EOF',
    'heredoc ] , }',
    'EOF',
    '    , "${var.x}"',
    '  ]',
    '  qemuargs = [["-m", "1G"], ["-device", "x"]]',
    '  http_content = { "/a.cfg" = "x", b = 2 }',
    '}',
    'build { provisioner "shell" { inline = ["echo"] } }',
  ].join('\n');
  const items = scanHcl(text);
  const at = lineLocator(text);
  it('finds blocks, attributes and literal elements where they are written', () => {
    expect(items.map((i) => (i.kind === 'block' ? `${i.type}:${i.labels.join('.')}@${at(i.start).line}` : i.name))).toEqual(['variable:x@2', 'source:qemu.tiny@5', 'build:@16']);
    const src = items[1] as ScannedBlock;
    const [boot, qargs, http] = src.body as Extract<(typeof src.body)[number], {kind: 'attribute'}>[];
    expect(boot!.value.items!.map((s) => at(s.start))).toEqual([{line: 7, col: 5}, {line: 8, col: 5}, {line: 11, col: 7}]);
    expect(qargs!.value.items![1]!.items!.map((s) => at(s.start))).toEqual([{line: 13, col: 30}, {line: 13, col: 41}]);
    expect(http!.value.entries!.map((e) => [e.key, at(e.start).col])).toEqual([['/a.cfg', 20], ['b', 36]]);
    const v = (items[0] as ScannedBlock).body[0]!;
    expect(v.kind === 'attribute' && text.slice(v.value.start, v.value.end)).toBe('"a { b"');
    const build = items[2] as ScannedBlock;
    expect(build.body.map((b) => b.kind === 'block' && `${b.type}.${b.labels[0]}`)).toEqual(['provisioner.shell']);
  });
});
