/**
 * What the Debian installer (d-i, cdebconf's newt frontend, drawn by bterm or the Linux console)
 * shows, as structured data read from the screen's text and colours. Pure types: the parser is
 * newt-screen.ts, the debconf side templates.ts / preseed.ts.
 */

/** One button of a dialog: `<Continue>`, `<Go Back>`, `<Yes>`… */
export interface NewtButton {
  label: string;
  /** Drawn highlighted (the one Enter activates). */
  focused: boolean;
}

/** A newt window as drawn by cdebconf. Rows/columns are screen cells. */
export interface NewtDialog {
  /** The box: top border row, bottom border row, left and right border columns. */
  box: {top: number; bottom: number; left: number; right: number};
  /** Window title without the priority marker: "Choose a mirror of the Debian archive". */
  title: string;
  /** d-i's priority marker in front of the title: "!!" critical, "!" high; absent otherwise. */
  marker?: '!!' | '!';
  /**
   * A centred line at the top of the box: an error or note template's short description
   * ("Bad archive mirror", "Installation step failed").
   */
  heading?: string;
  /** Body paragraphs: wrapped rows joined with single spaces, paragraphs split at blank rows. */
  paragraphs: string[];
  /** The line right above an entry field or a list: a string/select template's short description ("Hostname:"). */
  prompt?: string;
  /** A text entry and what it holds now (newt pads it with `_`, which is not part of the value). */
  entry?: {value: string; password: boolean};
  /** A list (select, multiselect, the main menu) and the highlighted item. */
  list?: {items: string[]; selected?: number; checked?: boolean[]; scrollable: boolean};
  buttons: NewtButton[];
  /** A progress gauge: its percentage and the status line under it, if any. */
  progress?: {percent: number; status?: string};
  /** The body text has a scrollbar: only part of it is on screen (matching must allow for the rest). */
  textScrolled?: boolean;
}

/**
 * How a screen classifies:
 * - `error`: an error template (heading + body, a Continue/Go Back, no input) — the install cannot go on unattended;
 * - `question`: waits for input (entry, list, yes/no, or a note) — the preseed left it unanswered;
 * - `progress`: a gauge — the installer is working;
 * - `busy`: no dialog (blank screen with a cursor while a component loads);
 * - `other`: text that is not a d-i dialog.
 */
export type NewtScreenKind = 'error' | 'question' | 'progress' | 'busy' | 'other';

export interface NewtScreen {
  kind: NewtScreenKind;
  dialog?: NewtDialog;
  /** The bottom help line ("<Tab> moves; <Space> selects; <Enter> activates buttons"). */
  helpLine?: string;
  /** Drawn in cdebconf's error palette (red root instead of blue): only error templates use it. Known only with colours. */
  errorPalette?: boolean;
  /** d-i's main menu ("Debian installer main menu"): at critical priority it means the install fell back to the menu. */
  mainMenu?: boolean;
}

/** One debconf template (from a `*.templates` file or templates.dat), English texts. */
export interface DebconfTemplate {
  /** `netcfg/get_hostname`. */
  name: string;
  /** string, boolean, select, multiselect, note, error, password, text, title, … */
  type: string;
  default?: string;
  /** The choices' values (Choices-C / __Choices, else Choices), when static. */
  choices?: string[];
  /** The choices as shown in English (Choices / __Choices). */
  choicesShown?: string[];
  /** First line of Description (the short description). */
  short: string;
  /**
   * The extended description, paragraphs separated by "\n\n" (debconf's "." lines), as cdebconf
   * holds it: a template file's lines joined with spaces, verbatim (indented) lines on lines of their own.
   */
  extended: string;
  /** The file (package) it came from, e.g. `netcfg`. */
  from?: string;
}

/** A template matched to what is on screen. */
export interface TemplateMatch {
  template: DebconfTemplate;
  /** 0..1: how much of the screen's text the template's text explains. */
  score: number;
  /** Other templates that explain the screen as well (e.g. mirror/ftp/hostname beside mirror/http/hostname). */
  alternatives?: DebconfTemplate[];
}
