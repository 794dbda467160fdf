/**
 * Preseed debugging in the workbench, end to end through the App and the real controller: a
 * step that does what the engine does (installer stage and question, a checkpoint of kind
 * 'installer-question', then the answer the user typed with its preseed line and the answer
 * file the guest fetched). The build pauses at the question and shows the Console; `c` goes on;
 * the answer's line is offered; `p` asks, `y` appends it to the profile's real preseed file —
 * exactly that line, the file's mode kept, nothing else in the directory changed — and says
 * where it went; the Preseed pane and the result screen list it, ready to paste.
 */
import {chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import React from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import type {Step} from '../../src/engine/step.js';
import type {BuildState} from '../../src/engine/state.js';
import {parseProfile} from '../../src/profiles/loader.js';
import {App} from '../../src/tui/App.js';
import {startBuildController} from '../../src/tui/controller.js';
import type {ProfileEntry} from '../../src/tui/profiles-data.js';
import {renderSized} from '../fakes/fake-controller.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-qflow-');
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

const mounted: {unmount: () => void}[] = [];
afterEach(() => {
  for (const m of mounted.splice(0)) m.unmount();
});

const PRESEED = 'd-i debian-installer/locale string en_US\nd-i netcfg/choose_interface select auto\n';
const LINE = 'd-i netcfg/get_hostname string web1';

/** The engine's side of a question, scripted; the step then waits until the test lets it end. */
function installerStep(preseedFile: string, release: Promise<void>): Step<BuildState> {
  return {
    id: 'wait-ssh',
    title: 'Wait for SSH',
    async run(ctx) {
      const time = Date.now();
      ctx.emit({type: 'installer', time, kind: 'stage', stage: 'Configure the network'});
      ctx.emit({type: 'installer', time, kind: 'question', title: '[!] Configure the network', prompt: 'Hostname:', template: 'netcfg/get_hostname', preseedLine: 'd-i netcfg/get_hostname string <value>'});
      await ctx.checkpoint('Hostname:', {kind: 'installer-question'});
      ctx.emit({type: 'installer', time: Date.now(), kind: 'answer', template: 'netcfg/get_hostname', value: 'web1', preseedLine: LINE, preseedFile});
      await release;
    },
  };
}

describe('pause on an installer question, answer, append the preseed line', () => {
  it('pauses, offers the line, appends it to the real preseed file after asking, and lists it', async () => {
    const dir = fresh('debian-12');
    const http = path.join(dir, 'http');
    mkdirSync(http);
    const preseed = path.join(http, 'preseed.cfg');
    writeFileSync(preseed, PRESEED);
    chmodSync(preseed, 0o640);
    writeFileSync(path.join(http, 'late.sh'), '#!/bin/sh\n');
    const before = Object.fromEntries(readdirSync(http).map((f) => [f, readFileSync(path.join(http, f), 'utf8')]));
    writeFileSync(path.join(dir, 'profile.yaml'), 'iso_url: x.iso\n');
    const loaded = {profile: parseProfile('iso_url: x.iso\nssh_username: root\nhttp_directory: http\n', 'profile.yaml', 'debian-12'), dir, file: path.join(dir, 'profile.yaml')};
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const entry: ProfileEntry = {name: 'debian-12', dir, origin: 'user', distro: 'debian', installMethod: 'preseed', description: 'Debian 12'};
    let controller: ReturnType<typeof startBuildController> | undefined;
    const exits: number[] = [];
    const r = renderSized(
      <App
        loadProfiles={() => [entry]}
        startBuild={() =>
          (controller = startBuildController({loaded: loaded as never, pauseQuestions: true, logDir: path.join(dir, 'logs'), outputDir: path.join(dir, 'out'), cacheDir: dir, steps: [installerStep(preseed, released)]}))
        }
        autoBuild={entry}
        onExit={(code) => exits.push(code)}
        size={{columns: 120, rows: 40}}
        resultGraceMs={0}
      />,
      120,
      40,
    );
    mounted.push(r);
    const frame = (): string => r.lastFrame() ?? '';
    const until = async (ok: (f: string) => boolean, what: string): Promise<string> => {
      const end = Date.now() + 5000;
      while (!ok(frame())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last frame:\n${frame()}`);
        await tick(5);
      }
      return frame();
    };
    const press = async (k: string): Promise<void> => {
      r.stdin.write(k);
      await tick(15);
    };

    // The pause: said in the status bar, the Console shown, the question in the timeline.
    let f = await until((x) => x.includes('the installer asks: Hostname:') && x.includes("The VM's screen appears here"), 'the question pause, on the Console tab');
    expect(f).toMatch(/│\? Hostname:/);
    expect(f).toContain('Installer 1 stage · 1?');

    await press('c');
    f = await until((x) => x.includes(`your answer as a preseed line: ${LINE}`), 'the offer');
    expect(f).toContain(`p append to ${preseed}`);
    expect(f).toMatch(/│✎ web1 ← Hostname: /);

    // p asks first; n leaves the file alone.
    await press('p');
    await until((x) => x.includes(`Append this line to ${preseed}?`), 'the question');
    await press('n');
    await until((x) => !x.includes('Append this line to'), 'the question gone');
    expect(readFileSync(preseed, 'utf8')).toBe(PRESEED);

    await press('p');
    await until((x) => x.includes(`Append this line to ${preseed}?`), 'the question again');
    await press('y');
    f = await until((x) => x.includes(`preseed line appended to ${preseed} (line 3)`), 'where it went');

    expect(readFileSync(preseed, 'utf8')).toBe(`${PRESEED}${LINE}\n`);
    expect(statSync(preseed).mode & 0o777).toBe(0o640);
    const after = Object.fromEntries(readdirSync(http).map((x) => [x, readFileSync(path.join(http, x), 'utf8')]));
    expect(after).toEqual({...before, 'preseed.cfg': `${PRESEED}${LINE}\n`});

    // The Preseed pane: the answer, done, and the paste block.
    await press('5');
    f = await until((x) => x.includes('ready to paste'), 'the Preseed pane');
    expect(f).toMatch(new RegExp(`› ${LINE.replace(/\//g, '\\/')}\\s+✔ in the file`));
    expect(f.split('\n').some((l) => l.replace(/│/g, '').trim() === LINE)).toBe(true);

    // y copies it into the log.
    await press('y');
    await press('1');
    await until((x) => x.includes(`preseed line: ${LINE}`), 'the line in the log');

    release();
    f = await until((x) => x.includes('build done'), 'the result');
    expect(f).toContain('your answers in the Console, ready to paste');
    expect(f).toContain(`     ${LINE}`);
    expect(await controller!.done).toMatchObject({status: 'done'});
    r.stdin.write('x');
    await until(() => exits.length > 0, 'the exit');
    expect(exits).toEqual([0]);
  });
});
