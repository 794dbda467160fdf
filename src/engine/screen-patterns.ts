/**
 * What the VM's screen says, as the watcher reads it: the built-in screens an unattended
 * install never gets past (installer dialogs, boot and kernel failures, emergency shells), the
 * profile's own pattern, and small helpers on screen text (wrapped rows, excerpts, the telling
 * lines of an installer log). Pure.
 */
import type {BuildState} from './state.js';

export interface ErrorPattern {
  re: RegExp;
  /** What a match means, for the message: "a kernel panic". */
  what: string;
  /** Built-in, or the profile's field. */
  from: 'built-in' | 'ssh_watch_error_patterns';
}

const builtIn = (re: RegExp, what: string): ErrorPattern => ({re, what, from: 'built-in'});

/**
 * Screens an unattended install never gets past. Case-sensitive, as the programs print them;
 * `^` anchors a screen row. OpenRC's "[ !! ]" (a failed service, often harmless) is not d-i's "[!!]".
 */
export const DEFAULT_ERROR_PATTERNS: readonly ErrorPattern[] = [
  // d-i titles a dialog "[!!] …" at critical priority: with preseeding, that is an error or a
  // question the preseed file left unanswered — either way nobody will press Enter.
  builtIn(/\[!!\] \S/, 'a Debian installer dialog ([!!]) that an unattended install cannot answer'),
  builtIn(/An installation step failed|Installation step failed/, 'a failed Debian installer step'),
  builtIn(/Bad archive mirror/, 'the Debian installer rejecting its archive mirror'),
  builtIn(/No kernel modules were found/, 'the Debian installer finding no kernel modules (installer and ISO kernel differ)'),
  builtIn(/Failed to retrieve the preconfiguration file/, 'the Debian installer failing to fetch its preseed file'),
  builtIn(/Sorry, (?:there was a problem|the installer has restarted|an unknown error occurred)/, 'an Ubuntu installer (subiquity) error'),
  builtIn(/Malformed autoinstall/, 'an invalid Ubuntu autoinstall configuration'),
  builtIn(/Failed loading yaml blob|Unhandled non-multipart \(text\/x-not-multipart\) userdata/, 'cloud-init rejecting its user-data'),
  builtIn(/Unable to find a medium containing a live file system/, 'the live system not finding its medium'),
  builtIn(/An unknown error has occurred|Pane is dead/, 'an installer (anaconda) crash'),
  builtIn(/VFS: Unable to mount root fs/, 'the kernel failing to mount its root file system (a kernel panic)'),
  builtIn(/Kernel panic/, 'a kernel panic'),
  builtIn(/No bootable device|Boot failed: (?:not a bootable disk|could not read)/, 'the firmware finding nothing to boot'),
  builtIn(/Entering emergency mode|^dracut:\/#/m, 'a dracut emergency shell'),
  builtIn(/Give root password for maintenance|You are in emergency mode/, 'a maintenance (emergency) shell'),
  builtIn(/^grub rescue>/m, "GRUB's rescue shell"),
  // GRUB's command line waiting at a bare prompt: no grub.cfg was found (a disk image whose
  // loader lost its configuration), or a boot command left GRUB there without `boot`.
  builtIn(/Minimal BASH-like line editing is supported[\s\S]*^grub> ?$/m, "GRUB's command line, waiting: it found no configuration to boot, or the boot command never said boot"),
  // Bootloaders that could not load what the boot command named (a mistyped label or path).
  builtIn(/Loading \S+\.{3} ?failed|Could not find kernel image: \S+/, 'the bootloader failing to load the kernel the boot command named'),
  builtIn(/error: (?:file '[^']+' not found|you need to load the kernel first)/, 'GRUB failing to load the kernel or initrd'),
];

/** The patterns a profile asks for: the built-ins (unless turned off) and its own regex. */
export function profilePatterns(profile: Pick<BuildState['profile'], 'ssh_watch_default_patterns' | 'ssh_watch_error_patterns'>): ErrorPattern[] {
  const out = profile.ssh_watch_default_patterns ? [...DEFAULT_ERROR_PATTERNS] : [];
  // The loader checked that it compiles; 'm' only lets ^ and $ anchor a screen row.
  if (profile.ssh_watch_error_patterns) {
    out.push({re: new RegExp(profile.ssh_watch_error_patterns, 'm'), what: `text matching ssh_watch_error_patterns /${profile.ssh_watch_error_patterns}/`, from: 'ssh_watch_error_patterns'});
  }
  return out;
}

/** The first pattern found on screen: per row, then across rows (a dialog wraps its text). */
export function findErrorPattern(lines: readonly string[], patterns: readonly ErrorPattern[]): {pattern: ErrorPattern; text: string} | undefined {
  const text = lines.join('\n');
  // Box-drawing frames and the spaces around a wrapped sentence must not split it.
  const flat = lines.map((l) => l.replace(/[\u2500-\u259f|]/g, ' ').trim()).filter(Boolean).join(' ').replace(/\s+/g, ' ');
  for (const pattern of patterns) {
    const re = new RegExp(pattern.re.source, pattern.re.flags.replace(/[gy]/g, ''));
    const m = re.exec(text);
    if (m) {
      const start = text.lastIndexOf('\n', m.index) + 1;
      const end = text.indexOf('\n', m.index);
      return {pattern, text: text.slice(start, end < 0 ? undefined : end).replace(/[\u2500-\u259f]/g, ' ').trim()};
    }
    const w = re.exec(flat);
    if (w) return {pattern, text: w[0]};
  }
  return undefined;
}

/**
 * The lines of an installer log that say what went wrong (the last few), each with the line
 * before it when that one ends in ":" (wget prints the URL, then "ERROR 404: Not Found.").
 */
export function tellingLogLines(log: readonly string[], max = 4): string[] {
  const out: string[] = [];
  log.forEach((l, i) => {
    if (!/error|fail|not found|no such|cannot|unable|\b40[34]\b/i.test(l)) return;
    const prev = log[i - 1];
    if (prev !== undefined && /:\s*$/.test(prev) && !out.includes(prev)) out.push(prev);
    out.push(l);
  });
  return out.slice(-max);
}

/** Rows joined where the console wrapped them (a row that fills the width goes on below). */
export function logicalLines(rows: readonly string[], cols: number): string[] {
  const out: string[] = [];
  let joining = false;
  for (const row of rows) {
    if (joining) out[out.length - 1] += row;
    else out.push(row);
    joining = cols > 0 && row.length >= cols;
  }
  return out;
}

/** The last non-empty lines of the screen, as the error shows them. */
export function screenExcerpt(lines: readonly string[] | undefined, max = 15): string {
  if (!lines) return 'the screen could not be read as text (see the screenshot)';
  const shown = lines.map((l) => l.trimEnd()).filter((l) => l.trim()).slice(-max);
  return shown.length ? `the screen shows:\n${shown.map((l) => `  | ${l}`).join('\n')}` : 'the screen is blank';
}
