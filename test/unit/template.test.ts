import {describe, expect, it} from 'vitest';
import {renderTemplate, templateReferences, TemplateError, type TemplateData} from '../../src/profiles/template.js';

const data: TemplateData = {
  fields: {HTTPIP: '10.0.2.2', HTTPPort: '8123', Name: 'debian12', SSHPublicKey: 'ssh-ed25519 AAAA vmbench'},
  user: {mirror: 'deb.example.test', empty: ''},
  env: {HOME: '/home/builder', UNSET: undefined},
};

/** The TemplateError rendering `src` throws (fails the test if it does not throw one). */
const errorOf = (src: string, d: TemplateData = data): TemplateError => {
  try {
    renderTemplate(src, d);
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return err as TemplateError;
  }
  throw new Error(`expected ${JSON.stringify(src)} to be rejected`);
};

describe('renderTemplate', () => {
  it.each([
    ['{{ .HTTPIP }}', '10.0.2.2'],
    ['{{.HTTPIP}}', '10.0.2.2'],
    ['{{   .HTTPPort\t}}', '8123'],
    ['{{\n.Name\n}}', 'debian12'],
    ['key={{ .SSHPublicKey }}', 'key=ssh-ed25519 AAAA vmbench'],
    ['http://{{ .HTTPIP }}:{{ .HTTPPort }}/preseed.cfg', 'http://10.0.2.2:8123/preseed.cfg'],
    ['{{ user `mirror` }}', 'deb.example.test'],
    ['{{user `mirror`}}', 'deb.example.test'],
    ['{{ user "mirror" }}', 'deb.example.test'],
    ['[{{ user `empty` }}]', '[]'],
    ['{{ env `HOME` }}', '/home/builder'],
    ['[{{ env `UNSET` }}]', '[]'],
    ['[{{ env `NOT_IN_MAP` }}]', '[]'],
    ['{{ "{{" }}', '{{'],
    ['{{ `}}` }}', '}}'],
    ['{{ "tab\\there" }}', 'tab\there'],
    ['a{{/* a comment */}}b', 'ab'],
    ['a {{- /* trimmed comment */ -}} b', 'ab'],
  ])('%j → %j', (src, out) => {
    expect(renderTemplate(src, data)).toBe(out);
  });

  it.each([
    ['no templates here', 'no templates here'],
    ['a { b } c', 'a { b } c'],
    ['}} and } and {', '}} and } and {'],
    ['{ {.Name} }', '{ {.Name} }'],
    ['<esc><wait>linux<enter>', '<esc><wait>linux<enter>'],
    ['', ''],
  ])('passes %j through unchanged', (src, out) => {
    expect(renderTemplate(src, data)).toBe(out);
  });

  it.each([
    ['a  {{- .Name }}', 'adebian12'],
    ['a \n\t {{- .Name }} b', 'adebian12 b'],
    ['{{ .Name -}}  \n b', 'debian12b'],
    ['a {{- .Name -}} b', 'adebian12b'],
    ['x {{- .Name -}} {{- .HTTPPort -}} y', 'xdebian128123y'],
    // A trim marker eats only the neighbouring text, never what an action printed.
    ['{{ user `mirror` }}{{- .Name }}', 'deb.example.testdebian12'],
    ['{{ `pad ` }}{{- .Name }}', 'pad debian12'],
    // Without the space, `-` is not a trim marker.
    ['a {{ .Name}} -}}', 'a debian12 -}}'],
  ])('trim markers: %j → %j', (src, out) => {
    expect(renderTemplate(src, data)).toBe(out);
  });

  it('names an unknown field with its offset and the known ones', () => {
    const err = errorOf('url={{ .HTTPAddr }}');
    expect([err.offset, err.length]).toEqual([7, 9]);
    expect(err.message).toBe(
      'unknown field .HTTPAddr at offset 7 (known: .HTTPIP, .HTTPPort, .Name, .SSHPublicKey)',
    );
  });

  it('suggests the right case for a field', () => {
    expect(errorOf('{{ .httpip }}').message).toContain('did you mean .HTTPIP?');
  });

  it('names an undefined user variable and lists the defined ones', () => {
    const err = errorOf('{{ user `mirorr` }}');
    expect([err.offset, err.length]).toEqual([8, 8]);
    expect(err.message).toBe('unknown user variable mirorr at offset 8 (known: mirror, empty)');
  });

  it('says when no user variables exist', () => {
    expect(errorOf('{{ user `x` }}', {fields: {}}).message).toContain('no user variables are defined');
  });

  it('does not treat inherited properties as fields', () => {
    expect(errorOf('{{ .constructor }}').message).toContain('unknown field .constructor');
  });

  it.each([
    ['abc {{ .Name', 4, 2, 'unclosed action'],
    ['{{', 0, 2, 'unclosed action'],
    ['x {{ user `mirror }}', 2, 2, 'unclosed action'],
    ['{{/* never closed }}', 0, 2, 'unclosed action'],
    ['{{ }}', 0, 5, 'empty action'],
    ['a{{ $x := .Name }}', 4, 1, 'template variables ($x) are not supported'],
    ['{{ consul_key `a/b` }}', 3, 10, 'template function consul_key is not supported (it reads Consul)'],
    ['{{ if .Name }}x{{ end }}', 3, 2, 'template function if is not supported'],
    ['{{ frobnicate }}', 3, 10, 'unknown template function frobnicate'],
    ['{{ user }}', 0, 10, 'user takes one quoted name'],
    ['{{ env `A` `B` }}', 0, 17, 'env takes one quoted name'],
    ['{{ .Name.First }}', 3, 11, 'nested field .Name.First is not supported'],
    ['{{ "bad\\q" }}', 3, 7, 'bad string'],
  ])('%j is a TemplateError at %i+%i (%s)', (src, offset, length, why) => {
    const err = errorOf(src);
    expect(err.message).toContain(why);
    expect([err.offset, err.length]).toEqual([offset, length]);
  });
});

describe('templateReferences', () => {
  it('lists each field, user and env variable once, in order of first use', () => {
    const src =
      'http://{{ .HTTPIP }}:{{ .HTTPPort }}/{{ user `path` }}?h={{ .Name }}&ip={{.HTTPIP}}' +
      '{{ env `HOME` }}{{ user `path` }}{{ user "other" }}{{/* .Ignored */}}{{ "lit" }}';
    expect(templateReferences(src)).toEqual({
      fields: ['HTTPIP', 'HTTPPort', 'Name'],
      user: ['path', 'other'],
      env: ['HOME'],
    });
  });

  it('finds nothing in plain text', () => {
    expect(templateReferences('<esc> linux {not} }} <enter>')).toEqual({fields: [], user: [], env: []});
  });

  it('reports syntax errors like renderTemplate', () => {
    expect(() => templateReferences('{{ .Name')).toThrow(TemplateError);
    expect(() => templateReferences('{{ vault `secret/x` `key` }}')).toThrow('template function vault is not supported');
    expect(() => templateReferences('{{ "a" | split "-" }}')).toThrow('split takes 3 arguments, got 2');
    expect(templateReferences('{{ user `a` | lower }}{{ .SSHPublicKey | urlquery }}')).toEqual({fields: ['SSHPublicKey'], user: ['a'], env: []});
  });

  it('does not check names exist (that needs data)', () => {
    expect(templateReferences('{{ .Whatever }}').fields).toEqual(['Whatever']);
  });
});
