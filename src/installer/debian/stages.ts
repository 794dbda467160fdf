/**
 * Which installer stage a screen belongs to, for a timeline: the main-menu step it is part of
 * ("Configure the network"), named from the dialog's or gauge's window title. cdebconf titles a
 * question's window with the step's menu title, but a gauge with its own progress title
 * ("Configuring the network with DHCP") and some dialogs with a sub-title ("Select a language"):
 * those are mapped back to their step — through the installer's templates when given (the
 * progress title's package, then that package's `debian-installer/<package>/title`), else through
 * a table of the titles d-i 12 uses.
 */
import type {DebconfTemplate, NewtScreen} from './types.js';

/** The stage for the main menu itself. */
export const MAIN_MENU_STAGE = 'Main menu';

/**
 * Progress and sub-dialog titles → the step they belong to. The first block is taken from the
 * templates of the netboot initrd (anna, choose-mirror, ethdetect, localechooser, netcfg); the
 * second are English titles of d-i 12 components downloaded later (base-installer, partman,
 * tasksel, grub-installer, finish-install), which the initrd does not hold.
 */
const STEP_OF: ReadonlyArray<[title: string, step: string]> = [
  ['Debian installer main menu', MAIN_MENU_STAGE],
  ['Loading additional components', 'Download installer components'],
  ['Checking the Debian archive mirror', 'Choose a mirror of the Debian archive'],
  ['Detecting network hardware', 'Detect network hardware'],
  ['Select a language', 'Choose language'],
  ['Select your location', 'Choose language'],
  ['Configure locales', 'Choose language'],
  ['Configuring the network with DHCP', 'Configure the network'],
  ['Configuring the network with DHCPv6', 'Configure the network'],
  ['Attempting IPv6 autoconfiguration', 'Configure the network'],
  ['Waiting for link-local address', 'Configure the network'],
  ['Wireless network configuration', 'Configure the network'],
  ['Configure a network using static addressing', 'Configure the network'],
  //
  ['Detecting disks and all other hardware', 'Detect disks'],
  ['Starting up the partitioner', 'Partition disks'],
  ['Installing the base system', 'Install the base system'],
  ['Configuring apt', 'Configure the package manager'],
  ['Installing GRUB', 'Install the GRUB boot loader'],
  ['Finishing the installation', 'Finish the installation'],
];

/** Main-menu step titles (for truncated titles): the initrd's `debian-installer/<pkg>/title`s and later steps'. */
const STEPS = [
  'Choose language', 'Access software for a blind person using a braille display', 'Configure the keyboard',
  'Detect network hardware', 'Configure the network', 'Download debconf preconfiguration file',
  'Load debconf preconfiguration file', 'Choose a mirror of the Debian archive', 'Download installer components',
  'Change debconf priority', 'Save debug logs', 'Execute a shell', 'Abort the installation',
  'Set up users and passwords', 'Configure the clock', 'Detect disks', 'Partition disks', 'Install the base system',
  'Configure the package manager', 'Select and install software', 'Install the GRUB boot loader', 'Finish the installation',
];

/** A title without the trailing ellipsis and extra blanks: "Attempting IPv6 autoconfiguration". */
export function normaliseTitle(title: string): string {
  return title.replace(/\s+/g, ' ').trim().replace(/\s*(\.\.\.|…)$/, '');
}

/**
 * The stage `screen` belongs to, or undefined when it shows none (busy and other screens: a
 * timeline keeps the current stage through them). `templates` (the installer's) map progress
 * titles to their step without the built-in table.
 */
export function stageOf(screen: NewtScreen, templates?: readonly DebconfTemplate[]): string | undefined {
  if ((screen.kind === 'busy' || screen.kind === 'other') || !screen.dialog) return undefined;
  const title = normaliseTitle(screen.dialog.title);
  if (!title) return undefined;
  if (screen.mainMenu) return MAIN_MENU_STAGE;
  const fromTemplates = templates && stepFromTemplates(title, templates);
  if (fromTemplates) return fromTemplates;
  const known = STEP_OF.find(([t]) => t === title)?.[1] ?? (STEPS.includes(title) ? title : undefined);
  if (known) return known;
  // strtruncate() cuts titles too wide for the window: a long enough prefix of one step names it.
  if (title.length >= 12) {
    const cut = [...STEPS, ...STEP_OF.map(([t]) => t)].find((t) => t.startsWith(title));
    if (cut) return STEP_OF.find(([t]) => t === cut)?.[1] ?? cut;
  }
  return title;
}

function stepFromTemplates(title: string, templates: readonly DebconfTemplate[]): string | undefined {
  const isStep = (t: DebconfTemplate) => /^debian-installer\/[^/]+\/title$/.test(t.name);
  if (templates.some((t) => isStep(t) && t.short === title)) return title;
  if (templates.some((t) => t.name === 'debian-installer/main-menu-title' && t.short === title)) return MAIN_MENU_STAGE;
  const source = templates.find((t) => (t.type === 'text' || t.type === 'title') && !isStep(t) && titleMatches(t.short, title));
  if (!source?.from) return undefined;
  const pkg = source.from.replace(/-bin$/, '');
  const step = templates.find((t) => t.name === `debian-installer/${pkg}/title`) ?? templates.find((t) => isStep(t) && t.from === source.from);
  return step?.short;
}

/** Does a template's short description (with `${VAR}`s) read as this title? */
function titleMatches(short: string, title: string): boolean {
  if (short.replace(/\$\{\w+\}/g, '').replace(/[^\p{L}]/gu, '').length < 4) return false; // "${TITLE}" says nothing
  const pattern = normaliseTitle(short)
    .split(/\$\{\w+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.+');
  return new RegExp(`^${pattern}$`).test(title);
}

/** One stage of a timeline: when it was first and last seen. */
export interface StageSpan {
  stage: string;
  start: number;
  /** When the next stage began (undefined while it is the current one). */
  end?: number;
}

/**
 * The installer's stages over time. Busy and unreadable screens continue the current stage; a
 * stage seen again after another starts a new span (d-i goes back to steps after errors).
 */
export class StageTimeline {
  private readonly list: StageSpan[] = [];

  constructor(private readonly templates?: readonly DebconfTemplate[]) {}

  /** Feed a screen seen at `at` (ms). Returns the stage when it changed. */
  observe(screen: NewtScreen, at: number): string | undefined {
    const stage = stageOf(screen, this.templates);
    const cur = this.list.at(-1);
    if (!stage || stage === cur?.stage) return undefined;
    if (cur) cur.end = at;
    this.list.push({stage, start: at});
    return stage;
  }

  get current(): string | undefined {
    return this.list.at(-1)?.stage;
  }

  /** Every span so far, oldest first. */
  get spans(): readonly StageSpan[] {
    return this.list;
  }
}
