/**
 * NO_COLOR in a real terminal: the workbench's setup screen and picker under tmux, read back
 * with capture-pane -e (which writes each cell's attributes as SGR). With NO_COLOR the screens
 * carry no colour at all, yet reverse video still marks the selection; without it, the same
 * screens are coloured (so the check can fail).
 */
import {rmSync} from 'node:fs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, BIN, tmpDir, tmuxServer} from './helpers.js';

const server = tmuxServer(`vmbench-nocolor-test-${process.pid}`);
const work = tmpDir('vmbench-nocolor-');
beforeAll(() => assertBuilt());
afterAll(async () => {
  await server.kill();
  rmSync(work, {recursive: true, force: true});
});

/** The SGR parameter lists a captured screen uses (capture-pane -e), colour resets 39/49 aside. */
async function sgr(session: string): Promise<{colours: string[]; inverse: boolean}> {
  const raw = (await server.tmux('capture-pane', '-e', '-p', '-t', session)).stdout;
  const params = [...raw.matchAll(/\x1b\[([0-9;:]*)m/g)].flatMap((m) => m[1]!.split(';'));
  const colours = params.filter((p) => /^(3[0-8]|4[0-8]|9[0-7]|10[0-7])(:|$)/.test(p));
  return {colours, inverse: params.includes('7')};
}

async function open(session: string, noColor: boolean): Promise<void> {
  const env = `env -u CI ${noColor ? 'NO_COLOR=1' : '-u NO_COLOR'} TERM=xterm-256color XDG_STATE_HOME=${work}/state-${session} XDG_CONFIG_HOME=${work}/config-${session}`;
  const cmd = `cd ${work} && ${env} node ${BIN}; sleep 600`;
  expect((await server.tmux('new-session', '-d', '-x', '100', '-y', '30', '-s', session, cmd)).exitCode).toBe(0);
  // The first run opens the setup screen; its checks colour their marks.
  await server.waitForScreen(session, (s) => s.includes('vmbench setup') && /qemu-img/.test(s), 'the setup screen', 30_000);
}

describe('NO_COLOR under tmux', () => {
  it('the setup screen and the picker: no colour, reverse video kept; coloured without NO_COLOR', {timeout: 90_000}, async () => {
    await open('plain', true);
    await open('colour', false);
    const plainSetup = await sgr('plain');
    expect(plainSetup.colours).toEqual([]);
    expect(plainSetup.inverse).toBe(true);
    expect((await sgr('colour')).colours.length).toBeGreaterThan(0);

    for (const s of ['plain', 'colour']) await server.tmux('send-keys', '-t', s, 'q');
    for (const s of ['plain', 'colour']) await server.waitForScreen(s, (t) => /▶ \S/.test(t) && t.includes('tiny'), 'the picker');
    const plainPicker = await sgr('plain');
    expect(plainPicker.colours).toEqual([]);
    expect(plainPicker.inverse).toBe(true);
    expect((await sgr('colour')).colours.length).toBeGreaterThan(0);
  });
});
