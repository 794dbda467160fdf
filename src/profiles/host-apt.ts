/**
 * The host's own Debian package mirror, read from its apt configuration at run time, for
 * profiles whose guests install packages (`{{ host_apt_mirror }}` in a variable's default).
 * A profile never names a mirror host itself: the host already knows one that works from here.
 *
 * Reads both formats apt reads: one-line `deb [opts] URI suite comp…` (sources.list, *.list)
 * and deb822 stanzas (*.sources: Types/URIs/Suites/Components/Enabled).
 */
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
  /** Where it was found, `file:line`. */
  from: string;
}

/** The `deb` entries of one sources file (either format, told apart by the file name). */
export function parseAptSources(text: string, file: string): AptSource[] {
  return file.endsWith('.sources') ? parseDeb822(text, file) : parseOneLine(text, file);
}

function parseOneLine(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (m) out.push({uri: m[1]!, suites: [m[2]!], components: (m[3] ?? '').split(/\s+/).filter(Boolean), from: `${file}:${i + 1}`});
  });
  return out;
}

function parseDeb822(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  let fields = new Map<string, string>();
  let start = 1;
  let key: string | undefined;
  const flush = (): void => {
    const types = (fields.get('types') ?? '').split(/\s+/);
    if (types.includes('deb') && fields.get('enabled')?.toLowerCase() !== 'no') {
      const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean);
      const components = (fields.get('components') ?? '').split(/\s+/).filter(Boolean);
      for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) out.push({uri, suites, components, from: `${file}:${start}`});
    }
    fields = new Map();
    key = undefined;
  };
  text.split('\n').forEach((raw, i) => {
    if (raw.startsWith('#')) return;
    if (!raw.trim()) {
      if (fields.size) flush();
      start = i + 2;
      return;
    }
    if (/^\s/.test(raw) && key) {
      fields.set(key, `${fields.get(key)} ${raw.trim()}`);
      return;
    }
    const m = /^([\w-]+):\s*(.*)$/.exec(raw);
    if (m) {
      if (!fields.size) start = i + 1;
      key = m[1]!.toLowerCase();
      fields.set(key, m[2]!.trim());
    }
  });
  if (fields.size) flush();
  return out;
}

/** Where apt reads its sources on this host. */
export function readHostAptSources(etc = '/etc/apt'): AptSource[] {
  const files: string[] = [path.join(etc, 'sources.list')];
  try {
    for (const f of readdirSync(path.join(etc, 'sources.list.d')).sort()) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(path.join(etc, 'sources.list.d', f));
    }
  } catch {
    // no sources.list.d
  }
  const out: AptSource[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    out.push(...parseAptSources(text, f));
  }
  return out;
}

/** The parts of a mirror a profile may ask for. */
export type MirrorPart = 'url' | 'hostname' | 'directory' | 'protocol' | 'security_url';

/**
 * The host's Debian archive mirror: the first http(s) `deb` source that is not a security or
 * updates archive (those live beside the main archive, under other directories). Throws with
 * what was looked at when there is none.
 */
export function hostAptMirror(part: MirrorPart = 'url', sources: readonly AptSource[] = readHostAptSources()): string {
  const usable = sources.filter((s) => /^https?:\/\//i.test(s.uri));
  const main =
    usable.find((s) => !/security/i.test(s.uri) && s.suites.some((x) => !/-(security|updates|backports)$|\/updates$/.test(x))) ?? usable[0];
  if (!main) {
    const seen = sources.length ? ` (found only ${sources.map((s) => `${s.uri} at ${s.from}`).join(', ')})` : '';
    throw new Error(`host_apt_mirror: no http(s) Debian mirror in this host's apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d)${seen}; set the variable with --var instead`);
  }
  const url = new URL(main.uri);
  const directory = url.pathname.replace(/\/+$/, '') || '/';
  switch (part) {
    case 'hostname':
      return url.host;
    case 'directory':
      return directory;
    case 'protocol':
      return url.protocol.replace(':', '');
    case 'url':
      return `${url.protocol}//${url.host}${directory === '/' ? '' : directory}`;
    case 'security_url': {
      // The host's security archive when it has one; else Debian's layout beside the main one.
      const sec = usable.find((s) => s !== main && (/security/i.test(s.uri) || s.suites.some((x) => /-security$|\/updates$/.test(x))));
      if (sec) {
        const u = new URL(sec.uri);
        return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
      }
      return `${url.protocol}//${url.host}${directory === '/' ? '/debian' : directory}-security`;
    }
  }
}
