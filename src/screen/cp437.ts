/**
 * Code page 437: the character set of the VGA's built-in font and of PC text-mode video memory.
 * A text-mode cell holds a byte, not a Unicode character; this table says which character the
 * BIOS font draws for it, including the graphic symbols in 0x01–0x1F and 0x7F that a plain
 * ASCII reading would lose. 0x00 draws nothing, so it reads as a space (video memory is often
 * cleared to zero).
 */

// 0x00–0x1F and 0x7F are drawn as symbols by the VGA font, not as control codes.
const LOW = ' ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼';
const HIGH =
  'ÇüéâäàåçêëèïîìÄÅ' +
  'ÉæÆôöòûùÿÖÜ¢£¥₧ƒ' +
  'áíóúñÑªº¿⌐¬½¼¡«»' +
  '░▒▓│┤╡╢╖╕╣║╗╝╜╛┐' +
  '└┴┬├─┼╞╟╚╔╩╦╠═╬╧' +
  '╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩' +
  '≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/** CP437 byte → the character the VGA font draws (index 0–255). */
export const CP437: readonly string[] = (() => {
  const table: string[] = [...LOW];
  for (let b = 0x20; b < 0x7f; b++) table.push(String.fromCharCode(b));
  table.push('⌂');
  table.push(...HIGH);
  if (table.length !== 256) throw new Error(`CP437 table has ${table.length} entries`);
  return table;
})();

/** Decode CP437 bytes (e.g. the character bytes of one text-mode row). */
export function decodeCp437(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += CP437[bytes[i]! & 0xff];
  return s;
}
