import {describe, expect, it} from 'vitest';
import {hostAptMirror, parseAptSources} from '../../src/profiles/host-apt.js';
import {loadProfile} from '../../src/profiles/loader.js';
import {renderTemplate, TemplateError} from '../../src/profiles/template.js';
import {scratchDirs} from '../support/scratch.js';
import {writeFileSync} from 'node:fs';
import path from 'node:path';

const ONE_LINE = `# comment
deb http://mirror.example.org/debian bookworm main contrib
deb [signed-by=/k.gpg] http://security.example.org/debian-security bookworm-security main
deb-src http://mirror.example.org/debian bookworm main
`;
const DEB822 = `Types: deb
URIs: http://mirror.example.net:8080/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.net:8080/debian-security
Suites: bookworm-security
Components: main
`;

describe('host apt sources', () => {
  it('reads one-line and deb822 files, with file:line', () => {
    expect(parseAptSources(ONE_LINE, 'sources.list')).toEqual([
      {uri: 'http://mirror.example.org/debian', suites: ['bookworm'], components: ['main', 'contrib'], from: 'sources.list:2'},
      {uri: 'http://security.example.org/debian-security', suites: ['bookworm-security'], components: ['main'], from: 'sources.list:3'},
    ]);
    const d = parseAptSources(DEB822, 'debian.sources');
    expect(d.map((s) => [s.uri, s.suites, s.from])).toEqual([
      ['http://mirror.example.net:8080/debian/', ['bookworm', 'bookworm-updates'], 'debian.sources:1'],
      ['http://mirror.example.net:8080/debian-security', ['bookworm-security'], 'debian.sources:7'],
    ]);
    expect(parseAptSources('Types: deb\nURIs: http://x.example/debian\nSuites: a\nEnabled: no\n', 'off.sources')).toEqual([]);
  });

  it('picks the main archive, not the security one, in every part', () => {
    const sources = [...parseAptSources(DEB822, 'a.sources').reverse()];
    expect(hostAptMirror('url', sources)).toBe('http://mirror.example.net:8080/debian');
    expect(hostAptMirror('hostname', sources)).toBe('mirror.example.net:8080');
    expect(hostAptMirror('directory', sources)).toBe('/debian');
    expect(hostAptMirror('protocol', sources)).toBe('http');
  });

  it("gives the host's security archive, or Debian's layout beside the main one when it has none", () => {
    expect(hostAptMirror('security_url', parseAptSources(DEB822, 'a.sources'))).toBe('http://mirror.example.net:8080/debian-security');
    expect(hostAptMirror('security_url', parseAptSources(ONE_LINE, 's.list'))).toBe('http://security.example.org/debian-security');
    expect(hostAptMirror('security_url', parseAptSources('deb http://m.example.org/debian bookworm main\n', 's.list'))).toBe('http://m.example.org/debian-security');
  });

  it('says what it found when there is no usable mirror', () => {
    expect(() => hostAptMirror('url', [])).toThrow(/no http\(s\) Debian mirror.*--var/);
    expect(() => hostAptMirror('url', parseAptSources('deb cdrom:[Debian]/ bookworm main\n', 's.list'))).toThrow(/found only cdrom:\[Debian\]\/ at s\.list:1/);
  });
});

describe('host_apt_mirror in templates and profiles', () => {
  const funcs = {host_apt_mirror: (part?: string) => `<${part ?? 'url'}>`};
  it('renders as a function with an optional part', () => {
    expect(renderTemplate('{{ host_apt_mirror }}|{{ host_apt_mirror `hostname` }}', {fields: {}, funcs})).toBe('<url>|<hostname>');
    expect(() => renderTemplate('{{ host_apt_mirror }}', {fields: {}})).toThrow(TemplateError);
    expect(() => renderTemplate('{{ host_apt_mirror `a` `b` }}', {fields: {}, funcs})).toThrow(/at most one quoted argument/);
  });

  const fresh = scratchDirs('vmbench-host-apt-');
  function profile(vars: string): string {
    const dir = fresh('p');
    writeFileSync(path.join(dir, 'profile.yaml'), `variables:\n${vars}\niso_url: x.iso\nssh_username: root\nboot_command: ["x {{ user \`m\` }}<enter>"]\n`);
    return dir;
  }
  const aptSources = parseAptSources(ONE_LINE, 'sources.list');

  it("fills a variable's default from the host's apt sources; --var wins without reading them", () => {
    const dir = profile('  m: "{{ host_apt_mirror `hostname` }}{{ host_apt_mirror `directory` }}"');
    expect(loadProfile(dir, {aptSources}).profile.boot_command).toEqual(['x mirror.example.org/debian<enter>']);
    expect(loadProfile(dir, {aptSources: [], vars: {m: 'other'}}).profile.boot_command).toEqual(['x other<enter>']);
  });

  it('names the variable, file and line when the host has no mirror or the part is unknown', () => {
    const dir = profile('  a: 1\n  m: "{{ host_apt_mirror }}"');
    expect(() => loadProfile(dir, {aptSources: []})).toThrow(/profile\.yaml:3:\d+: variables\.m: host_apt_mirror: no http\(s\) Debian mirror/);
    const bad = profile('  m: "{{ host_apt_mirror `port` }}"');
    expect(() => loadProfile(bad, {aptSources})).toThrow(/variables\.m: host_apt_mirror: unknown part "port"/);
  });
});
