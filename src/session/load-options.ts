/**
 * The one home of what every front end does before it loads a profile or template: `--var`
 * NAME=VALUE pairs, Packer's build selection (-only/-except), variable files, and the user's
 * settings as defaults for fields the profile leaves unset. `vmbench build|validate|inspect|
 * import` and the workbench all load through `loadOptions`, so they read a template the same way.
 */
import type {LoadOptions} from '../profiles/loader.js';
import {loadSettings, profileDefaults, type EffectiveSettings} from '../settings/index.js';

/** The template options as the command line gives them (CliValues' names). */
export interface TemplateArgs {
  var?: readonly string[];
  'var-file'?: readonly string[];
  only?: readonly string[];
  except?: readonly string[];
}

/** `NAME=VALUE` pairs (Packer's `-var`) as a map; a pair without a name is a usage error. */
export function parseVars(list: readonly string[] = []): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const v of list) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new Error(`-var ${v}: expected NAME=VALUE`);
    vars[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return vars;
}

/**
 * LoadOptions for `args`: vars, variable files, -only/-except, and `settings` (default: the
 * user's, read now) as defaults. Throws for a malformed --var.
 */
export function loadOptions(args: TemplateArgs = {}, settings: EffectiveSettings | null = loadSettings()): LoadOptions {
  const opts: LoadOptions = {vars: parseVars(args.var)};
  if (args['var-file']?.length) opts.varFiles = [...args['var-file']];
  if (args.only?.length) opts.only = [...args.only];
  if (args.except?.length) opts.except = [...args.except];
  if (settings) opts.defaults = profileDefaults(settings);
  return opts;
}
