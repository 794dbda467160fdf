/**
 * What every profile front end (vmbench YAML, Packer JSON, Packer HCL2) hands to the one checker
 * (check-profile.ts): the profile's fields as plain data, and where each field stands in the
 * source, so every problem is reported with file:line:col whatever the format.
 */

/** A field's path: `['provisioners', 0, 'script']`. */
export type PathKey = string | number;

/** `provisioners[0].script` */
export const fieldName = (p: readonly PathKey[]): string => p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i ? `.${k}` : k)).join('');

/** A place in a source file (1-based); `file` when it is not the document's own file. */
export interface SourcePos {
  file?: string;
  line: number;
  col: number;
}

export interface ProfileDocument {
  /** The file the profile came from (messages name it). */
  file: string;
  /** The name a profile gets when it sets none (its directory's or template's name). */
  defaultName: string;
  /**
   * The fields, in vmbench's (= Packer's qemu builder's) names and shapes: strings may still hold
   * `{{ user }}`/`{{ env }}` templates (rendered by the checker) and build-time `{{ .Field }}`s.
   */
  raw: Record<string, unknown>;
  /** Where the value at `path` (or, with `key`, its key) is; undefined when not known. */
  position(path: readonly PathKey[], opts?: {key?: boolean}): SourcePos | undefined;
  /** Whether the string at `path` is written with an opening quote (so a column inside it is one further). */
  quoted?(path: readonly PathKey[]): boolean;
  /** What the front end accepted but will not use, or translated: reported, never silently dropped. */
  warnings?: ProfileIssue[];
  /** Errors the front end found (unsupported or unknown options, required variables): reported with the checker's, all at once. */
  issues?: ProfileIssue[];
  /** What Packer's template functions read here (build_name, build_type, template_dir), and whether env is refused outside variables (Packer's rule). */
  template?: {buildName: string; buildType: string; templateDir: string; envOnlyInVariables?: boolean; selector?: string};
  /** What the front end translated, or dropped because vmbench does it anyway: comments for `vmbench import`. */
  notes?: ProfileIssue[];
  /** Variables whose values must never be printed (Packer's sensitive-variables): logs and `inspect` redact them. */
  sensitiveVariables?: string[];
  /** Those variables' values as text, where the checker does not hold them (HCL2 variables are the front end's): what to redact. */
  sensitiveValues?: string[];
  /** HCL2 input variables (name → declared default, null when required), for `inspect`: the front end resolves them, the checker never sees them. */
  inputVariables?: Record<string, unknown>;
  /** Final values for `{{ user \`name\` }}` from variables the front end resolved (HCL2's, as Packer passes them to builders): used as they are. */
  userVariables?: Record<string, string>;
}

export interface ProfileIssue {
  file: string;
  line: number;
  col: number;
  field: string;
  message: string;
  /** A warning: the build can still run as intended (a field accepted but not used). */
  warning?: boolean;
}

export class ProfileError extends Error {
  constructor(readonly issues: ProfileIssue[]) {
    // In file order, as an editor would walk them.
    issues.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
    super(issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.field ? `${i.field}: ` : ''}${i.message}`).join('\n'));
    this.name = 'ProfileError';
  }
}
