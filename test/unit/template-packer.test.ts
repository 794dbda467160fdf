import {describe, expect, it} from 'vitest';
import {formatGoTime} from '../../src/profiles/packer/go-time.js';
import {renderBuildFields, renderTemplate, TemplateError, type TemplateData} from '../../src/profiles/template.js';

// 2021-03-04 05:06:07.089 UTC, a Thursday, day 63 of the year.
const NOW = new Date(Date.UTC(2021, 2, 4, 5, 6, 7, 89));
const data: TemplateData = {
  fields: {HTTPIP: '10.0.2.2'},
  user: {name: 'Debian-12', list: 'a,b,c', key: 'ssh-ed25519 AAAA+/= me@host'},
  env: {HOME: '/home/b'},
  packer: {buildName: 'deb', buildType: 'qemu', templateDir: '/t/dir', cwd: '/work', now: NOW},
};
const render = (src: string, d: TemplateData = data): string => renderTemplate(src, d);
const errorOf = (src: string, d: TemplateData = data): TemplateError => {
  try {
    renderTemplate(src, d);
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return err as TemplateError;
  }
  throw new Error(`expected ${JSON.stringify(src)} to be rejected`);
};

describe("Packer's template functions", () => {
  it.each([
    ['{{ build_name }}-{{ build_type }}', 'deb-qemu'],
    ['{{ template_dir }}/http', '/t/dir/http'],
    ['{{ pwd }}', '/work'],
    ['{{ timestamp }}', String(NOW.getTime() / 1000 | 0)],
    ['{{ isotime }}', '2021-03-04T05:06:07Z'],
    ['{{ isotime "2006-01-02" }}', '2021-03-04'],
    ['{{ isotime `20060102-1504` }}', '20210304-0506'],
    ['{{ lower "ABC" }}{{ upper `def` }}', 'abcDEF'],
    ['{{ user `name` | lower }}', 'debian-12'],
    ['{{ user "name" | upper | lower }}', 'debian-12'],
    ['{{ split (user `list`) "," 1 }}', 'b'],
    ['{{ split "a-b-c" "-" 2 }}', 'c'],
    ['{{ replace "-" "_" 1 "a-b-c" }}', 'a_b-c'],
    ['{{ replace "-" "_" -1 "a-b-c" }}', 'a_b_c'],
    ['{{ user `name` | replace_all "-" "" }}', 'Debian12'],
    ['{{ "a b&c" | urlquery }}', 'a+b%26c'],
    ['{{ lower (build_name) }}', 'deb'],
    ['{{ upper build_name }}', 'DEB'],
    ['{{ 42 }} {{ true }}', '42 true'],
    ['{{- 3}}', '3'],
  ])('%s → %s', (src, out) => {
    expect(render(src)).toBe(out);
  });

  it('makes one uuid per call, time-ordered like Packer\'s', () => {
    const [a, b] = render('{{ uuid }} {{ uuid }}').split(' ');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });

  it.each([
    ['{{ split "a" "-" }}', 'split takes 3 arguments, got 2'],
    ['{{ split "a-b" "-" "1" }}', 'split: argument 3 must be a whole number, got string "1"'],
    ['{{ split "a-b" "-" 5 }}', 'split: there is no part 5 of "a-b" split at "-" (found 2)'],
    ['{{ lower 3 }}', 'lower: argument 1 must be a string, got number 3'],
    ['{{ isotime "a" "b" }}', 'isotime takes 0 to 1 arguments, got 2'],
    ['{{ timestamp "x" }}', 'timestamp takes 0 arguments, got 1'],
    ['{{ .HTTPIP "x" }}', '.HTTPIP is not a function'],
    ['{{ "a" | .HTTPIP }}', '.HTTPIP cannot take a piped value'],
    ['{{ lower ( "a" }}', 'unclosed ('],
    ['{{ lower | }}', 'missing command after |'],
    ['{{ strftime "%Y" }}', 'template function strftime is not supported (use isotime with a Go layout)'],
    ['{{ printf "%s" "a" }}', 'template function printf is not supported'],
    ['{{ range .X }}', 'template function range is not supported'],
  ])('%s is an error: %s', (src, why) => {
    expect(errorOf(src).message).toContain(why);
  });

  it('says which function needs a build context it does not have', () => {
    expect(errorOf('{{ template_dir }}', {fields: {}}).message).toContain('template_dir is not available here');
    expect(errorOf('{{ build_name }}', {fields: {}}).message).toContain('build_name is not available here');
  });

  it('refuses env where Packer does (outside variables), naming the way out', () => {
    const err = errorOf('x{{ env `HOME` }}', {...data, allowEnv: false});
    expect(err.message).toContain('env is only allowed in the default values of variables');
    expect([err.offset, err.length]).toEqual([1, 16]);
    expect(render('{{ env `HOME` }}')).toBe('/home/b');
  });
});

describe('build-time fields deferred to the build', () => {
  const later: TemplateData = {...data, fields: {}, deferFields: ['HTTPIP', 'HTTPPort', 'SSHPublicKey', 'Name']};
  it.each([
    ['http://{{ .HTTPIP }}:{{ .HTTPPort }}/x', 'http://{{ .HTTPIP }}:{{ .HTTPPort }}/x'],
    ['k={{ .SSHPublicKey | urlquery }}', 'k={{ .SSHPublicKey | urlquery }}'],
    ['{{ .Name | replace_all (user `name`) (build_name) }}', '{{ .Name | replace_all "Debian-12" "deb" }}'],
    ['{{ lower .Name }}', '{{ lower .Name }}'],
    ['{{ split (lower .Name) "-" 0 }}', '{{ split (lower .Name) "-" 0 }}'],
  ])('%s keeps %s', (src, kept) => {
    expect(render(src, later)).toBe(kept);
  });

  it('renders what it kept once the build knows the fields', () => {
    const kept = render('k={{ .SSHPublicKey | urlquery }} {{ .Name | replace_all (user `name`) "x" }}', later);
    expect(renderBuildFields(kept, {SSHPublicKey: 'ssh-ed25519 AA+/= me', Name: 'a-Debian-12'})).toBe('k=ssh-ed25519+AA%2B%2F%3D+me a-x');
  });

  it('refuses a build-time field where it would have to be known now', () => {
    expect(errorOf('{{ user .Name }}', later).message).toContain('user cannot use .Name: it is known only when the build runs');
    expect(errorOf('{{ .Nope }}', later).message).toContain('unknown field .Nope at offset 3 (known: .HTTPIP, .HTTPPort, .SSHPublicKey, .Name)');
  });
});

describe('formatGoTime (Go reference-time layouts, UTC)', () => {
  it.each([
    ['2006-01-02T15:04:05Z07:00', '2021-03-04T05:06:07Z'],
    ['Mon Jan _2 15:04:05 MST 2006', 'Thu Mar  4 05:06:07 UTC 2021'],
    ['Monday, 02-January-06 3:4:5 PM', 'Thursday, 04-March-21 5:6:7 AM'],
    ['2006-01-02 15:04:05.000', '2021-03-04 05:06:07.089'],
    ['15:04:05.999999', '05:06:07.089'],
    ['-0700 -07:00 -07 Z0700', '+0000 +00:00 +00 Z'],
    ['002 __2 1/2', '063  63 3/4'],
    ['Janet Monique', 'Janet Monique'],
    ['_2006', '_2021'],
    ['03pm', '05am'],
  ])('%s → %s', (layout, out) => {
    expect(formatGoTime(NOW, layout)).toBe(out);
  });
});
