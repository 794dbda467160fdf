/**
 * NO_COLOR (https://no-color.org): when set and not empty, no colour is added to the output —
 * but attributes stay (bold, dim, underline, inverse), so a selected row or the active tab still
 * stands out. ink colours `<Text color>` through chalk, which does not read NO_COLOR and has no
 * "attributes only" level, so what ink writes is filtered here on its way to the terminal: each
 * SGR sequence loses its colour parameters and keeps the rest.
 */

/** True when NO_COLOR asks for no colour (present and not empty). */
export const noColorRequested = (env: NodeJS.ProcessEnv = process.env): boolean => !!env.NO_COLOR;

const SGR = /\x1b\[([0-9;:]*)m/g;

/** The SGR parameters without colours: 30–39, 40–49, 90–97, 100–107 and 38/48;5;n, 38/48;2;r;g;b. */
function keepAttributes(params: string): string | undefined {
  if (params === '' || params === '0') return params; // reset
  const p = params.split(';');
  const out: string[] = [];
  for (let i = 0; i < p.length; i++) {
    const s = p[i]!;
    // Colon forms (38:2::r:g:b, 58:5:n) are one parameter: drop colour ones whole.
    const n = Number(s.split(':')[0]);
    if (n === 38 || n === 48 || n === 58) {
      if (!s.includes(':')) i += p[i + 1] === '5' ? 2 : p[i + 1] === '2' ? 4 : 0;
      continue;
    }
    if ((n >= 30 && n <= 39) || (n >= 40 && n <= 49) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107) || n === 59) continue;
    out.push(s);
  }
  return out.length ? out.join(';') : undefined;
}

/** `text` with every colour taken out of its SGR sequences (attributes and resets kept). */
export function withoutColors(text: string): string {
  if (!text.includes('\x1b[')) return text;
  return text.replace(SGR, (_, params: string) => {
    const kept = keepAttributes(params);
    return kept === undefined ? '' : `\x1b[${kept}m`;
  });
}

/**
 * A stream that writes through `withoutColors` and is otherwise `stream` itself (columns, rows,
 * isTTY, resize events): what ink renders to under NO_COLOR.
 */
export function noColorStream<T extends NodeJS.WritableStream>(stream: T): T {
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === 'write') {
        return (data: string | Uint8Array, ...rest: unknown[]) =>
          (target.write as (...a: unknown[]) => boolean)(typeof data === 'string' ? withoutColors(data) : withoutColors(Buffer.from(data).toString('utf8')), ...rest);
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
