/**
 * parseNewtScreen on the real installer frames (exact text from the .txt, colours read off the
 * .png with the installer's own unifont) and on synthetic VGA text-mode screens drawn the way
 * cdebconf's newt frontend lays them out.
 */
import {describe, expect, it} from 'vitest';
import {parseNewtScreen} from '../../src/installer/debian/newt-screen.js';
import {colourClass} from '../../src/installer/debian/newt-grid.js';
import type {NewtScreen} from '../../src/installer/debian/types.js';
import {fixtureScreen, haveInitrd} from '../support/installer-fixtures.js';
import {C, Painter} from '../support/newt-painter.js';

const HELP = '<Tab> moves; <Space> selects; <Enter> activates buttons';

/** The parts of a parse a fixture pins down (list items summarised). */
function summary(s: NewtScreen) {
  const d = s.dialog;
  return {
    kind: s.kind,
    title: d?.title,
    marker: d?.marker,
    heading: d?.heading,
    prompt: d?.prompt,
    entry: d?.entry,
    list: d?.list && {count: d.list.items.length, first: d.list.items[0], selected: d.list.selected, scrollable: d.list.scrollable},
    buttons: d?.buttons.map((b) => (b.focused ? `*${b.label}` : b.label)),
    progress: d?.progress,
    paragraphs: d?.paragraphs.length,
    errorPalette: s.errorPalette,
    mainMenu: s.mainMenu,
    help: s.helpLine === HELP,
  };
}

describe.skipIf(!haveInitrd)('real installer frames', () => {
  const none = {heading: undefined, prompt: undefined, entry: undefined, list: undefined, progress: undefined, errorPalette: undefined, mainMenu: undefined};
  it.each([
    ['di-err-bad-mirror-1280x800', {...none, kind: 'error', title: 'Download installer components', marker: '!!', heading: 'Bad archive mirror', buttons: ['Go Back', '*Continue'], paragraphs: 4, errorPalette: true, help: true}],
    ['di-err-download-components-1280x800', {...none, kind: 'error', title: 'Download installer components', marker: '!!', prompt: 'Downloading a file failed:', list: {count: 3, first: 'Retry', selected: 0, scrollable: false}, buttons: [], paragraphs: 1, help: true}],
    ['di-err-preseed-404-1024x768', {...none, kind: 'error', title: 'Download debconf preconfiguration file', marker: '!!', heading: 'Failed to retrieve the preconfiguration file', buttons: ['*Continue'], paragraphs: 1, errorPalette: true, help: true}],
    ['di-err-step-failed-1024x768', {...none, kind: 'error', title: 'Download debconf preconfiguration file', marker: '!!', heading: 'Installation step failed', buttons: ['*Continue'], paragraphs: 1, errorPalette: true, help: true}],
    ['di-err-step-failed-1280x800', {...none, kind: 'error', title: 'Download installer components', marker: '!!', heading: 'Installation step failed', buttons: ['*Continue'], paragraphs: 1, errorPalette: true, help: true}],
    ['di-main-menu-1024x768', {...none, kind: 'question', title: 'Debian installer main menu', marker: '!', prompt: 'Choose the next step in the install process:', list: {count: 12, first: 'Choose language', selected: 0, scrollable: false}, buttons: [], paragraphs: 0, mainMenu: true, help: true}],
    ['di-main-menu-1280x800', {...none, kind: 'question', title: 'Debian installer main menu', marker: '!', prompt: 'Choose the next step in the install process:', list: {count: 12, first: 'Choose language', selected: 7, scrollable: false}, buttons: [], paragraphs: 0, mainMenu: true, help: true}],
    ['di-progress-dhcp-800x600', {...none, kind: 'progress', title: 'Configuring the network with DHCP', marker: undefined, progress: {percent: 100, status: 'Network autoconfiguration has succeeded'}, buttons: [], paragraphs: 0, help: false}],
    ['di-progress-ipv6-1280x800', {...none, kind: 'progress', title: 'Attempting IPv6 autoconfiguration...', marker: undefined, progress: {percent: 5}, buttons: ['*Cancel'], paragraphs: 0, help: false}],
    ['di-q-abort-no-1280x800', {...none, kind: 'question', title: 'Abort the installation', marker: '!!', buttons: ['Yes', '*No'], paragraphs: 2, help: true}],
    ['di-q-abort-yes-1280x800', {...none, kind: 'question', title: 'Abort the installation', marker: '!!', buttons: ['*Yes', 'No'], paragraphs: 2, help: true}],
    ['di-q-domain-800x600', {...none, kind: 'question', title: 'Configure the network', marker: '!', prompt: 'Domain name:', entry: {value: '', password: false}, buttons: ['Go Back', 'Continue'], paragraphs: 1, help: true}],
    ['di-q-hostname-800x600', {...none, kind: 'question', title: 'Configure the network', marker: '!', prompt: 'Hostname:', entry: {value: 'debian', password: false}, buttons: ['Go Back', 'Continue'], paragraphs: 2, help: true}],
    ['di-q-hostname-typed-800x600', {...none, kind: 'question', title: 'Configure the network', marker: '!', prompt: 'Hostname:', entry: {value: 'myhost', password: false}, buttons: ['Go Back', 'Continue'], paragraphs: 2, help: true}],
    ['di-q-language-1024x768', {...none, kind: 'question', title: 'Select a language', marker: '!!', prompt: 'Language:', list: {count: 34, first: 'C                      -  No localization', selected: 15, scrollable: true}, buttons: ['Go Back'], paragraphs: 1, help: true}],
    ['di-q-mirror-hostname-1280x800', {...none, kind: 'question', title: 'Choose a mirror of the Debian archive', marker: '!!', prompt: 'Debian archive mirror hostname:', entry: {value: 'mirror.example.org', password: false}, buttons: ['Go Back', 'Continue'], paragraphs: 2, help: true}],
    ['di-q-mirror-hostname-800x600', {...none, kind: 'question', title: 'Choose a mirror of the Debian archive', marker: '!!', prompt: 'Debian archive mirror hostname:', entry: {value: 'mirror.example.org', password: false}, buttons: ['Go Back', 'Continue'], paragraphs: 2, help: true}],
    ['di-q-mirror-hostname-typed-1280x800', {...none, kind: 'question', title: 'Download installer components', marker: '!!', prompt: 'Debian archive mirror hostname:', entry: {value: 'nosuch.invalid', password: false}, buttons: ['Go Back', 'Continue'], paragraphs: 2, help: true}],
  ] as const)('%s', (name, want) => {
    expect(summary(parseNewtScreen(fixtureScreen(name)))).toEqual(want);
  });

  it('keeps paragraph breaks and joins wrapped rows', () => {
    const d = parseNewtScreen(fixtureScreen('di-err-bad-mirror-1280x800')).dialog!;
    expect(d.paragraphs[1]).toBe(
      'Possible reasons for the error are: incorrect mirror specified; mirror is not available (possibly due to an unreliable network connection); mirror is broken (for example because an invalid Release file was found); mirror does not support the correct Debian version.',
    );
    expect(d.paragraphs[3]).toBe('Please check the specified mirror or try a different one.');
    expect(d.box).toEqual({top: 17, bottom: 31, left: 3, right: 155});
  });

  it('reads the language list past wide (CJK) glyphs and the scrollbar', () => {
    const list = parseNewtScreen(fixtureScreen('di-q-language-1024x768')).dialog!.list!;
    expect(list.items[9]).toBe('Chinese (Simplified)   -  中文(简体)');
    expect(list.items[15]).toBe('English                -  English');
    expect(list.items.at(-1)).toBe('Kurdish                -  Kurdî');
    expect(list.items.some((i) => /[↑↓▒▮]/.test(i))).toBe(false);
  });

  it.each(['di-busy-800x600', 'di-busy-1024x768'])('%s: a blank screen is busy', (name) => {
    expect(parseNewtScreen(fixtureScreen(name)).kind).toBe('busy');
  });

  it.each(['di-vc2-activate-1280x800', 'di-vc4-syslog-1280x800', 'di-vc4-syslog-800x600', 'di-vc4-udeb-404-1280x800'])('%s: a console is other', (name) => {
    const s = parseNewtScreen(fixtureScreen(name, {colours: false}));
    expect(s).toEqual({kind: 'other'});
  });

  it('without colours: the same text, no focus, errors by shape', () => {
    const s = parseNewtScreen(fixtureScreen('di-err-bad-mirror-1280x800', {colours: false}));
    expect(summary(s)).toMatchObject({kind: 'error', heading: 'Bad archive mirror', buttons: ['Go Back', 'Continue'], errorPalette: undefined});
    const q = parseNewtScreen(fixtureScreen('di-q-language-1024x768', {colours: false}));
    expect(q.dialog!.list).toMatchObject({scrollable: true});
    expect(q.dialog!.list!.selected).toBeUndefined();
  });
});

describe('VGA text mode (synthetic 80×25)', () => {
  it('a password entry with its Show Password checkbox', () => {
    const p = new Painter().help();
    const w = p.window(4, 3, 74, 14, '[!!] Set up users and passwords');
    p.put(w.top + 2, w.left + 2, 'You need to set a password for \'root\', the system administrative');
    p.put(w.top + 3, w.left + 2, 'account.');
    p.put(w.top + 5, w.left + 2, 'Root password:');
    p.entry(w.top + 7, w.left + 2, 70, '*****');
    p.put(w.top + 9, w.left + 2, '[ ] Show Password in Clear');
    p.button(w.bottom - 2, w.left + 4, 'Go Back').button(w.bottom - 2, w.right - 14, 'Continue');
    const d = parseNewtScreen(p.screen()).dialog!;
    expect(d).toMatchObject({title: 'Set up users and passwords', marker: '!!', prompt: 'Root password:', entry: {value: '*****', password: true}});
    expect(d.paragraphs).toEqual(["You need to set a password for 'root', the system administrative account."]);
  });

  it('an empty password entry is still a password when the checkbox says so', () => {
    const p = new Painter().help();
    const w = p.window(6, 3, 74, 10, '[!!] Set up users and passwords');
    p.put(w.top + 2, w.left + 2, 'Re-enter password to verify:');
    p.entry(w.top + 4, w.left + 2, 70, '');
    p.put(w.top + 5, w.left + 2, '[ ] Show Password in Clear');
    p.button(w.bottom - 2, w.left + 4, 'Go Back').button(w.bottom - 2, w.right - 14, 'Continue');
    expect(parseNewtScreen(p.screen()).dialog!.entry).toEqual({value: '', password: true});
  });

  it.each(['█', '?'])('a scrolled select list with CP437 scrollbar (thumb %j) and a truncated title', (thumb) => {
    const p = new Painter().help();
    // strtruncate() cuts a title longer than the window; the ┤ ├ still enclose what is left.
    const w = p.window(1, 2, 76, 21, '[!] Choose a mirror of the Debian archive, a title too long to f');
    p.put(w.top + 2, w.left + 2, 'Debian archive mirror country:');
    const countries = ['Argentina', 'Australia', 'Austria', 'Belarus', 'Belgium', 'Brazil', 'Bulgaria', 'Canada', 'Chile', 'China', 'Colombia', 'Costa Rica', 'Czechia'];
    countries.forEach((c, i) => p.put(w.top + 4 + i, 30, c.padEnd(20), i === 5 ? C.white : C.black, i === 5 ? C.red : C.grey));
    p.put(w.top + 4, 52, '↑');
    for (let i = 1; i < countries.length - 1; i++) p.put(w.top + 4 + i, 52, i === 4 ? thumb : '▒');
    p.put(w.top + 4 + countries.length - 1, 52, '↓');
    p.button(w.bottom - 2, w.left + 4, 'Go Back');
    const s = parseNewtScreen(p.screen());
    expect(s.kind).toBe('question');
    expect(s.dialog!.title).toBe('Choose a mirror of the Debian archive, a title too long to f');
    expect(s.dialog!.list).toEqual({items: countries, selected: 5, scrollable: true});
    expect(s.dialog!.textScrolled).toBeUndefined();
  });

  it('a multiselect: checkboxes, the focused row, Continue', () => {
    const p = new Painter().help();
    const w = p.window(5, 10, 60, 14, '[!] Software selection');
    p.put(w.top + 2, w.left + 2, 'Choose software to install:');
    const items = ['[*] Debian desktop environment', '[ ] web server', '[*] SSH server', '[ ] standard system utilities'];
    items.forEach((t, i) => p.put(w.top + 4 + i, 22, t.padEnd(32), i === 2 ? C.white : C.black, i === 2 ? C.red : C.grey));
    p.button(w.bottom - 2, w.left + 4, 'Go Back').button(w.bottom - 2, w.right - 14, 'Continue');
    expect(parseNewtScreen(p.screen()).dialog!.list).toEqual({
      items: ['Debian desktop environment', 'web server', 'SSH server', 'standard system utilities'],
      checked: [true, false, true, false],
      selected: 2,
      scrollable: false,
    });
  });

  it('a long note: scrolled text, heading, Continue; a note by the blue root, an error without colours', () => {
    const p = new Painter().help();
    const w = p.window(2, 3, 74, 20, '[!] Finish the installation');
    p.put(w.top + 2, w.left + 2 + 25, 'Installation complete');
    for (let i = 0; i < 14; i++) p.put(w.top + 3 + i, w.left + 2, `Line ${i} of a long explanation that the text box scrolls.`);
    p.put(w.top + 3, w.right - 2, '↑');
    for (let i = 1; i < 13; i++) p.put(w.top + 3 + i, w.right - 2, i === 2 ? '█' : '▒');
    p.put(w.top + 16, w.right - 2, '↓');
    p.button(w.bottom - 2, 36, 'Continue', true);
    const s = parseNewtScreen(p.screen());
    expect(s.kind).toBe('question');
    expect(s.dialog).toMatchObject({heading: 'Installation complete', textScrolled: true, buttons: [{label: 'Continue', focused: true}]});
    expect(s.dialog!.paragraphs).toHaveLength(1);
    expect(s.dialog!.paragraphs[0]).not.toMatch(/[↑↓▒█]/);
    expect(parseNewtScreen(p.screen({colours: false})).kind).toBe('error');
  });

  it('an error on the red root', () => {
    const p = new Painter(80, 25, C.red).help();
    const w = p.window(8, 6, 68, 8, '[!!] Configure the network');
    p.put(w.top + 2, w.left + 1 + 17, 'Network autoconfiguration failed', C.blue); // centred in the 66 inner cells
    p.put(w.top + 3, w.left + 2, 'Your network is probably not using the DHCP protocol.');
    p.button(w.bottom - 2, 36, 'Continue', true);
    const s = parseNewtScreen(p.screen());
    expect(s).toMatchObject({kind: 'error', errorPalette: true, dialog: {heading: 'Network autoconfiguration failed', paragraphs: ['Your network is probably not using the DHCP protocol.']}});
  });

  it('a progress gauge and its status line', () => {
    const p = new Painter();
    const w = p.window(9, 3, 74, 7, 'Installing the base system');
    p.put(w.top + 2, w.left + 2, '                                 45%'.padEnd(70), C.white, C.red);
    p.put(w.top + 4, w.left + 2, 'Unpacking libc6...');
    const s = parseNewtScreen(p.screen());
    expect(s).toEqual({kind: 'progress', dialog: expect.objectContaining({title: 'Installing the base system', progress: {percent: 45, status: 'Unpacking libc6...'}})});
    expect(s.dialog!.marker).toBeUndefined();
  });

  it('a blank screen with the help bar is busy; kernel text is other', () => {
    expect(parseNewtScreen(new Painter().help('').screen()).kind).toBe('busy');
    expect(parseNewtScreen(new Painter().help().screen()).kind).toBe('busy');
    const panic = new Painter(80, 25, C.black).put(3, 0, 'Kernel panic - not syncing: VFS: Unable to mount root fs', C.grey, C.black);
    expect(parseNewtScreen(panic.screen())).toEqual({kind: 'other'});
  });

  it('a box that is no d-i dialog (no title, buttons or help line) is other', () => {
    const p = new Painter(80, 25, C.black);
    p.window(3, 10, 40, 6);
    p.put(5, 12, 'Some menu');
    expect(parseNewtScreen(p.screen()).kind).toBe('other');
  });

  it('the front box is the largest complete one', () => {
    const p = new Painter().help();
    p.window(2, 2, 30, 5, '[!] Behind');
    const w = p.window(4, 10, 60, 10, '[!] Configure the network');
    p.put(w.top + 2, w.left + 2, 'Hostname:');
    p.entry(w.top + 4, w.left + 2, 56, 'debian');
    p.button(w.bottom - 2, w.left + 4, 'Go Back').button(w.bottom - 2, w.right - 14, 'Continue');
    expect(parseNewtScreen(p.screen()).dialog).toMatchObject({title: 'Configure the network', prompt: 'Hostname:', entry: {value: 'debian'}});
  });
});

describe('colour classes', () => {
  it.each([
    [0x0000aa, 'blue'], [0x0000a8, 'blue'], [0x0000ad, 'blue'],
    [0xaa0000, 'red'], [0xa80000, 'red'], [0xad0000, 'red'],
    [0xaaaaaa, 'grey'], [0xadaaad, 'grey'], [0xa8a8a8, 'grey'],
    [0x000000, 'black'], [0xffffff, 'white'], [0xffff57, 'other'], [0x00a8a8, 'other'],
  ] as const)('%s is %s', (rgb, cls) => {
    expect(colourClass(rgb)).toBe(cls);
  });
});
