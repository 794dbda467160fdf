/**
 * How many terminal cells text takes: 0 for combining marks and zero-width characters, 2 for
 * East Asian wide characters (CJK, Hangul, fullwidth forms, the common emoji blocks), 1 for
 * everything else. Shared by the workbench's panes (truncation) and the text painter that draws
 * the VM's screen (where a wide character covers two cells of the guest's grid too).
 */

const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;

/** Cells one code point takes. */
export function codePointWidth(cp: number): 0 | 1 | 2 {
  if (cp < 0x300) return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? 0 : 1;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0xfeff) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** True for plain printable ASCII (one cell per character, no work to do). */
export function isPrintableAscii(s: string): boolean {
  return ASCII_PRINTABLE.test(s);
}

/** Terminal cells a string takes (no escape sequences expected: sanitise first). */
export function displayWidth(s: string): number {
  if (ASCII_PRINTABLE.test(s)) return s.length;
  let w = 0;
  for (const ch of s) w += codePointWidth(ch.codePointAt(0)!);
  return w;
}
