/** The command line against the command table: commands, options, Packer's spellings, did-you-mean. */
import {describe, expect, it} from 'vitest';
import {parseCommandLine, translatePackerFlags, UsageError} from '../../src/cli/argv.js';
import {COMMANDS, findCommand, optionsOf} from '../../src/cli/commands.js';
import {commandHelp, overview} from '../../src/cli/help.js';

const parse = (line: string) => parseCommandLine(line.split(' ').filter(Boolean));
const usageError = (line: string): string => {
  try {
    parse(line);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`"${line}" parsed without an error`);
};

describe('parseCommandLine', () => {
  it.each([
    ['build tiny --force', 'build', ['tiny'], {force: true}],
    ['build tiny -force', 'build', ['tiny'], {force: true}],
    ['build -force tiny', 'build', ['tiny'], {force: true}],
    ['-debug build tiny', 'build', ['tiny'], {debug: true}],
    ['build t.json -var iso=/x.iso -var=a=b --var c=d', 'build', ['t.json'], {var: ['iso=/x.iso', 'a=b', 'c=d']}],
    ['build t.json -var-file v.pkrvars.hcl -var-file=w.json', 'build', ['t.json'], {'var-file': ['v.pkrvars.hcl', 'w.json']}],
    ['build t.json -only=a,b -only c --except x', 'build', ['t.json'], {only: ['a', 'b', 'c'], except: ['x']}],
    ['build t.json -on-error=abort', 'build', ['t.json'], {'on-error': 'abort'}],
    ['build t.json -on-error ask', 'build', ['t.json'], {'on-error': 'ask'}],
    ['build tiny -o out -v', 'build', ['tiny'], {output: 'out', verbose: true}],
    // A -var value that looks like a flag stays a value.
    ['build tiny -var x=-force', 'build', ['tiny'], {var: ['x=-force']}],
    ['build tiny --output=-debug', 'build', ['tiny'], {output: '-debug'}],
    ['validate t.json --json', 'validate', ['t.json'], {json: true}],
    ['profiles --json', 'profiles', [], {json: true}],
    ['inspect t.pkr.hcl -json', 'inspect', [], undefined],
    ['setup -y --set memory=2048', 'setup', [], {yes: true, set: ['memory=2048']}],
    ['completion zsh', 'completion', ['zsh'], {}],
    ['build tiny -- -not-a-flag', 'build', ['tiny', '-not-a-flag'], {}],
  ])('%s', (line, command, args, values) => {
    if (values === undefined) {
      // --json is not Packer-spelt: -json is a misspelling, named as such.
      expect(usageError(line)).toMatch(/unknown option -json — did you mean --json\?/);
      return;
    }
    const r = parse(line);
    expect(r.command?.name).toBe(command);
    expect(r.args).toEqual(args);
    expect(r.values).toMatchObject(values);
  });

  it('no command: the workbench, --help or --version', () => {
    expect(parse('').command).toBeUndefined();
    expect(parse('--debug').values).toMatchObject({debug: true});
    expect(parse('--cache-dir /c').values).toMatchObject({'cache-dir': '/c'});
    expect(parse('-debug').values).toMatchObject({debug: true});
    expect(parse('--version').values).toMatchObject({version: true});
    expect(parse('-h').values).toMatchObject({help: true});
    expect(parse('build --help')).toMatchObject({command: {name: 'build'}, values: {help: true}});
  });

  it.each([
    ['biuld tiny', /unknown command "biuld" — did you mean "vmbench build"\?/],
    ['valdate tiny', /did you mean "vmbench validate"\?/],
    ['xyzzy', /unknown command "xyzzy" \(commands: build, validate/],
    ['build tiny --forse', /vmbench build: unknown option --forse — did you mean --force\?/],
    ['build tiny -forse', /unknown option -forse — did you mean -force\?/],
    ['build tiny --on-eror=abort', /did you mean --on-error\?/],
    ['build tiny -on-eror=abort', /did you mean -on-error\?/],
    ['build tiny --consol', /did you mean --console\?/],
    ['validate tiny --yes', /--yes is an option of vmbench setup, not of vmbench validate/],
    ['validate tiny --force', /--force is an option of vmbench build, vmbench import, vmbench init, not of vmbench validate/],
    ['build tiny -machine-readable', /-machine-readable is a Packer option vmbench does not take: vmbench has --json/],
    ['build tiny -timestamp-ui', /Packer option vmbench does not take/],
    ['build tiny --output', /vmbench build: Option '-o, --output <value>' argument missing/],
    ['build tiny -ofile', /unknown option -ofile/],
    ['build tiny --zzzzzz', /unknown option --zzzzzz \(see vmbench build --help\)/],
    ['build tiny -on-error=clean', /--on-error is one of cleanup, abort, ask \(got "clean"\) — did you mean cleanup\?/],
    ['build tiny -on-error=run-cleanup-provisioner', /\(got "run-cleanup-provisioner"\): vmbench runs no error-cleanup-provisioner/],
  ])('%s → %s', (line, message) => {
    expect(usageError(line)).toMatch(message);
  });

  it('keeps the command whose usage to point at', () => {
    try {
      parse('build tiny --forse');
    } catch (err) {
      expect((err as UsageError).command?.name).toBe('build');
    }
  });
});

describe('translatePackerFlags', () => {
  const build = optionsOf(findCommand('build'));
  it.each([
    [['-var', 'a=1'], ['--var', 'a=1']],
    [['-var=a=1'], ['--var=a=1']],
    [['-on-error=abort', '-debug'], ['--on-error=abort', '--debug']],
    // Not Packer-spelt options and values are left as they are.
    [['-console'], ['-console']],
    [['-o', '-force'], ['-o', '-force']],
    [['--', '-force'], ['--', '-force']],
    [['-v'], ['-v']],
  ])('%j → %j', (argv, out) => {
    expect(translatePackerFlags(argv, build)).toEqual(out);
  });
});

describe('the command table', () => {
  it('names every command once, with its options once', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of [undefined, ...COMMANDS]) {
      const opts = optionsOf(c).map((o) => o.name);
      expect(new Set(opts).size, c?.name).toBe(opts.length);
      const shorts = optionsOf(c).flatMap((o) => (o.short ? [o.short] : []));
      expect(new Set(shorts).size, c?.name).toBe(shorts.length);
    }
  });

  it('gives every command its own --help', () => {
    const build = commandHelp(findCommand('build')!);
    expect(build).toMatch(/^usage: vmbench build <profile\|template>\.\.\. \[options\]/);
    expect(build).toMatch(/--on-error MODE +cleanup \(default\)/);
    expect(build).toMatch(/-o, --output DIR/);
    expect(build).toMatch(/Packer's one-dash spellings are accepted too: .*-var-file/);
    expect(commandHelp(findCommand('validate')!)).toMatch(/Exit status: 0 when the build can run as intended/);
    expect(commandHelp(findCommand('profiles')!)).not.toMatch(/--names/); // hidden
    for (const c of COMMANDS) expect(commandHelp(c)).toContain(`usage: vmbench ${c.name}`);
  });

  it('lists every command in the overview, within 100 columns', () => {
    const text = overview();
    for (const c of COMMANDS) expect(text).toContain(`vmbench ${c.name}`);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });
});
