/**
 * A boot command checked when the profile loads, as it will be typed: a misspelt `<enterr>` or
 * a template error is reported with its element and column, before anything boots.
 */
import {BootCommandError, locateInParts, parseBootCommand} from '../vnc/boot-command.js';
import {renderTemplate, TemplateError} from './template.js';

/**
 * Check the boot command as it will be typed (Packer joins the elements, then parses), with
 * placeholder build values; an error names the element and the 0-based column inside it.
 */
export function validateBootCommand(parts: string[], report: (index: number, column: number, message: string) => void): void {
  const sample: Record<string, string> = {HTTPIP: '10.0.2.2', HTTPPort: '8000', Name: 'vm', SSHPublicKey: 'ssh-ed25519 AAAA'};
  const rendered: string[] = [];
  parts.forEach((part, i) => {
    try {
      rendered.push(renderTemplate(part, {fields: sample}));
    } catch (err) {
      report(i, err instanceof TemplateError ? err.offset : 0, (err as Error).message);
      rendered.push('');
    }
  });
  try {
    parseBootCommand(rendered.join(''));
  } catch (err) {
    if (!(err instanceof BootCommandError)) throw err;
    // Columns are exact unless a template earlier in the same element changed its length.
    const {index, column} = locateInParts(rendered, err.offset);
    report(index, column - 1, err.message);
  }
}
