/**
 * The installer stage of each screen, and a timeline of stages: from the real frames, with and
 * without the initrd's templates, and from synthetic screens for titles the frames lack.
 */
import {describe, expect, it} from 'vitest';
import {parseNewtScreen} from '../../src/installer/debian/newt-screen.js';
import {MAIN_MENU_STAGE, normaliseTitle, stageOf, StageTimeline} from '../../src/installer/debian/stages.js';
import type {NewtScreen} from '../../src/installer/debian/types.js';
import {fixtureScreen, haveInitrd, initrdData} from '../support/installer-fixtures.js';

const screen = (title: string, kind: NewtScreen['kind'] = 'progress'): NewtScreen => ({kind, dialog: {box: {top: 0, bottom: 6, left: 0, right: 60}, title, paragraphs: [], buttons: []}});

describe.skipIf(!haveInitrd)('real frames', () => {
  it.each([
    ['di-progress-dhcp-800x600', 'Configure the network'],
    ['di-progress-ipv6-1280x800', 'Configure the network'],
    ['di-q-hostname-800x600', 'Configure the network'],
    ['di-q-domain-800x600', 'Configure the network'],
    ['di-q-language-1024x768', 'Choose language'],
    ['di-q-mirror-hostname-800x600', 'Choose a mirror of the Debian archive'],
    ['di-q-mirror-hostname-typed-1280x800', 'Download installer components'],
    ['di-err-bad-mirror-1280x800', 'Download installer components'],
    ['di-err-preseed-404-1024x768', 'Download debconf preconfiguration file'],
    ['di-q-abort-no-1280x800', 'Abort the installation'],
    ['di-main-menu-1280x800', MAIN_MENU_STAGE],
    ['di-busy-800x600', undefined],
    ['di-vc4-syslog-800x600', undefined],
  ])('%s → %s (table and templates agree)', (name, stage) => {
    const s = parseNewtScreen(fixtureScreen(name, {colours: false}));
    expect(stageOf(s)).toBe(stage);
    expect(stageOf(s, initrdData().templates)).toBe(stage);
  });

  it.each([
    ['Checking the Debian archive mirror', 'Choose a mirror of the Debian archive'],
    ['Loading additional components', 'Download installer components'],
    ['Detecting network hardware', 'Detect network hardware'],
    ['Configuring the network with DHCPv6', 'Configure the network'],
    ['Waiting for link-local address...', 'Configure the network'],
  ])('templates map the progress title %j to %j', (title, stage) => {
    expect(stageOf(screen(title), initrdData().templates)).toBe(stage);
    expect(stageOf(screen(title))).toBe(stage);
  });

  it('templates know progress titles the table does not', () => {
    // base-installer/progress/netcfg lives in netcfg.templates: its step is debian-installer/netcfg/title.
    expect(stageOf(screen('Storing network settings...'), initrdData().templates)).toBe('Configure the network');
    expect(stageOf(screen('Storing network settings...'))).toBe('Storing network settings');
  });
});

describe('stageOf without templates', () => {
  it.each([
    ['Installing the base system', 'Install the base system'],
    ['Select and install software', 'Select and install software'],
    ['Finishing the installation', 'Finish the installation'],
    // a window title cut short by strtruncate() still names its step
    ['Choose a mirror of the Debian arc', 'Choose a mirror of the Debian archive'],
    ['Attempting IPv6 autoconfigura', 'Configure the network'],
    // titles it does not know are stages as they stand
    ['Some future step  ', 'Some future step'],
  ])('%j → %j', (title, stage) => {
    expect(stageOf(screen(title))).toBe(stage);
  });

  it('busy, other and untitled screens have no stage', () => {
    expect(stageOf({kind: 'busy'})).toBeUndefined();
    expect(stageOf({kind: 'other'})).toBeUndefined();
    expect(stageOf(screen('', 'question'))).toBeUndefined();
  });

  it.each([
    ['Attempting IPv6 autoconfiguration...', 'Attempting IPv6 autoconfiguration'],
    ['Registering modules…', 'Registering modules'],
    ['  Configure   the network ', 'Configure the network'],
  ])('normaliseTitle(%j)', (raw, want) => expect(normaliseTitle(raw)).toBe(want));
});

describe('StageTimeline', () => {
  it('opens a span per stage change; busy screens continue the current stage; a stage seen again starts anew', () => {
    const tl = new StageTimeline();
    expect(tl.observe(screen('Detecting network hardware'), 0)).toBe('Detect network hardware');
    expect(tl.observe(screen('Configuring the network with DHCP'), 1_000)).toBe('Configure the network');
    expect(tl.observe({kind: 'busy'}, 2_000)).toBeUndefined();
    expect(tl.observe(screen('Attempting IPv6 autoconfiguration...'), 3_000)).toBeUndefined();
    expect(tl.observe(screen('Configure the network', 'question'), 4_000)).toBeUndefined();
    expect(tl.observe(screen('Choose a mirror of the Debian archive', 'question'), 9_000)).toBe('Choose a mirror of the Debian archive');
    expect(tl.observe(screen('Configure the network', 'question'), 12_000)).toBe('Configure the network');
    expect(tl.current).toBe('Configure the network');
    expect(tl.spans).toEqual([
      {stage: 'Detect network hardware', start: 0, end: 1_000},
      {stage: 'Configure the network', start: 1_000, end: 9_000},
      {stage: 'Choose a mirror of the Debian archive', start: 9_000, end: 12_000},
      {stage: 'Configure the network', start: 12_000},
    ]);
  });
});
