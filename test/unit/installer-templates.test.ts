/**
 * debconf templates: parsing `*.templates` files and templates.dat, and matching what the real
 * installer frames show to the real templates of the installer's initrd.
 */
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {parseNewtScreen} from '../../src/installer/debian/newt-screen.js';
import {matchTemplate, parseTemplates, refineKind, splitChoices} from '../../src/installer/debian/templates.js';
import type {DebconfTemplate, NewtDialog} from '../../src/installer/debian/types.js';
import {FIXTURES, fixtureScreen, haveInitrd, initrdData} from '../support/installer-fixtures.js';

const INSTALLED = `Template: mirror/ftp/hostname
Type: string
Default: mirror
Description: Debian archive mirror hostname:
 Please enter the hostname of the mirror from which Debian will be downloaded.
 .
 An alternate port can be specified using the standard [hostname]:[port]
 format.
Description-de.UTF-8: Rechnername des Debian-Archiv-Spiegelservers:
 Bitte geben Sie den Rechnernamen des Spiegelservers ein.

Template: retriever/net/error
Type: select
# Note to translators: keep it short
Choices: Retry, Change mirror, Cancel
Choices-de.UTF-8: Wiederholen, Spiegel wechseln, Abbrechen
Default: Retry
Description: Downloading a file failed:
 The installer failed to download a file from the mirror.

Template: netcfg/choose_interface
Type: select
Choices-C: \${ifchoices}
Choices: \${ifchoices}
Description: Primary network interface:
 Your system has multiple network interfaces. Choose the one to use:
   eth0: Intel
   eth1: Realtek
 .
 Then continue.
`;

describe('parseTemplates', () => {
  it('reads installed *.templates: short, extended with paragraphs and verbatim lines, choices; skips translations and comments', () => {
    const [mirror, retry, iface] = parseTemplates(INSTALLED, 'choose-mirror-bin');
    expect(mirror).toEqual({
      name: 'mirror/ftp/hostname',
      type: 'string',
      default: 'mirror',
      short: 'Debian archive mirror hostname:',
      extended: 'Please enter the hostname of the mirror from which Debian will be downloaded.\n\nAn alternate port can be specified using the standard [hostname]:[port] format.',
      from: 'choose-mirror-bin',
    });
    expect(retry).toMatchObject({type: 'select', default: 'Retry', choices: ['Retry', 'Change mirror', 'Cancel'], choicesShown: ['Retry', 'Change mirror', 'Cancel']});
    expect(iface!.extended).toBe('Your system has multiple network interfaces. Choose the one to use:\n  eth0: Intel\n  eth1: Realtek\n\nThen continue.');
    expect(iface!.choices).toEqual(['${ifchoices}']);
  });

  it('reads source templates (_Description, __Choices) and Choices-C values', () => {
    const [t] = parseTemplates('Template: partman/choose\nType: select\nChoices-C: yes, no\n__Choices: Yes\\, please, No\n_Description: Go on?\n', 'src');
    expect(t).toMatchObject({short: 'Go on?', extended: '', choices: ['yes', 'no'], choicesShown: ['Yes, please', 'No']});
  });

  it('reads templates.dat: Name:, escaped Extended_description, Choices-C / Choices-c', () => {
    const dat = [
      'Name: debian-installer/main-menu/item-failure',
      'Type: error',
      'Description: Installation step failed',
      'Extended_description: An installation step failed.\\nYou can try again.\\n\\nThe failing step is: ${ITEM}',
      'Description-de.UTF-8: Ein Installationsschritt ist fehlgeschlagen',
      'Extended_description-de.UTF-8: Ein Schritt...',
      '',
      'Name: fontconfig/hinting_style',
      'Type: select',
      'Default: Slight',
      'Choices: None, Slight, Medium, Full',
      'Choices-c: hintnone, hintslight, hintmedium, hintfull',
      'Description: Font tuning method for screen (system default):',
      'Owners: fontconfig-config',
    ].join('\n');
    const [failure, hint] = parseTemplates(dat, 'templates.dat');
    expect(failure).toMatchObject({name: 'debian-installer/main-menu/item-failure', type: 'error', short: 'Installation step failed', extended: 'An installation step failed.\nYou can try again.\n\nThe failing step is: ${ITEM}'});
    expect(hint).toMatchObject({choices: ['hintnone', 'hintslight', 'hintmedium', 'hintfull'], choicesShown: ['None', 'Slight', 'Medium', 'Full']});
  });

  it.skipIf(!haveInitrd)('reads cdebconf\'s own templates.dat to the same texts as the templates files it was loaded from', () => {
    // test/fixtures/cdebconf-templates.dat: stanzas of the templates.dat written by the initrd's own
    // usr/lib/cdebconf/debconf-loadtemplate (run with the initrd's ld.so and an /etc/cdebconf.conf
    // pointing at a scratch directory) from its var/lib/dpkg/info/*.templates; German kept to be ignored.
    const dat = parseTemplates(readFileSync(path.join(FIXTURES, '../cdebconf-templates.dat'), 'utf8'), 'templates.dat');
    expect(dat.map((t) => t.name)).toEqual(['debconf/priority', 'localechooser/languagelist', 'mirror/ftp/hostname', 'netcfg/confirm_static', 'netcfg/get_domain', 'netcfg/get_hostname', 'retriever/net/error']);
    const {templates} = initrdData();
    for (const t of dat) expect({...t, from: undefined}, t.name).toEqual({...templates.find((x) => x.name === t.name), from: undefined});
    // The verbatim lines and the two blanks after "host name." come through as cdebconf holds them.
    expect(dat.find((t) => t.name === 'netcfg/confirm_static')!.extended).toContain('parameters:\n\n interface     = ${interface}\n ipaddress');
    expect(dat.find((t) => t.name === 'netcfg/get_domain')!.extended).toContain('host name.  It is often');
  });

  it.skipIf(!existsSync('/var/cache/debconf/templates.dat'))('reads this host\'s debconf templates.dat', () => {
    const text = readFileSync('/var/cache/debconf/templates.dat', 'utf8');
    const all = parseTemplates(text, 'templates.dat');
    expect(all.length).toBe(text.match(/^Name: /gm)!.length);
    // Escaped newlines became paragraph breaks.
    expect(all.filter((t) => t.extended.includes('\n\n')).length).toBeGreaterThan(0);
  });

  it.each([
    ['Template: a/b\nDescription: x\n', 'f.templates:1: template a/b has no Type: field'],
    ['Type: note\nDescription: x\n', 'f.templates:1: template without a Template:/Name: field'],
    ['Template: a/b\nType: note\nthis is not a field\n', 'f.templates:3: expected "Field: value", got "this is not a field"'],
  ])('names file and line of bad input: %j', (text, message) => {
    expect(() => parseTemplates(text, 'f.templates')).toThrow(message);
  });

  it.each([
    ['a, b,c', ['a', 'b', 'c']],
    ['Yes\\, please, No', ['Yes, please', 'No']],
    ['', []],
  ])('splitChoices(%j)', (s, want) => expect(splitChoices(s)).toEqual(want));
});

describe.skipIf(!haveInitrd)('the real templates of the installer initrd', () => {
  it('parses every templates file', () => {
    const {templates, files} = initrdData();
    expect(files.size).toBe(25);
    expect(templates.length).toBeGreaterThan(300);
    const by = (n: string) => templates.find((t) => t.name === n);
    expect(by('netcfg/get_hostname')).toMatchObject({type: 'string', default: 'debian', short: 'Hostname:', from: 'netcfg'});
    expect(by('localechooser/languagelist')).toMatchObject({type: 'select', default: 'en', choices: ['${CODES}'], choicesShown: ['${NAMES_EN}']});
    expect(by('di-utils-reboot/really_reboot')).toMatchObject({type: 'boolean', default: 'false', from: 'di-utils-reboot'});
    // Translations never leak into the English texts.
    expect(by('mirror/bad')!.extended).not.toMatch(/Otros|spiegel/i);
  });

  it.each([
    ['di-q-mirror-hostname-1280x800', 'mirror/http/hostname'],
    ['di-q-mirror-hostname-800x600', 'mirror/http/hostname'],
    ['di-q-mirror-hostname-typed-1280x800', 'mirror/http/hostname'],
    ['di-q-hostname-800x600', 'netcfg/get_hostname'],
    ['di-q-hostname-typed-800x600', 'netcfg/get_hostname'],
    ['di-q-domain-800x600', 'netcfg/get_domain'],
    ['di-err-bad-mirror-1280x800', 'mirror/bad'],
    ['di-err-preseed-404-1024x768', 'preseed/retrieve_error'],
    ['di-err-step-failed-1024x768', 'debian-installer/main-menu/item-failure'],
    ['di-err-step-failed-1280x800', 'debian-installer/main-menu/item-failure'],
    ['di-err-download-components-1280x800', 'retriever/net/error'],
    ['di-q-abort-no-1280x800', 'di-utils-reboot/really_reboot'],
    ['di-q-abort-yes-1280x800', 'di-utils-reboot/really_reboot'],
    ['di-q-language-1024x768', 'localechooser/languagelist'],
    ['di-main-menu-1024x768', 'debian-installer/main-menu'],
    ['di-main-menu-1280x800', 'debian-installer/main-menu'],
  ])('%s shows %s', (name, template) => {
    const d = parseNewtScreen(fixtureScreen(name, {colours: false})).dialog!;
    const m = matchTemplate(d, initrdData().templates);
    expect(m?.template.name).toBe(template);
    expect(m!.score).toBeGreaterThan(0.95);
  });

  it('finds every question/note/error template of the initrd from its own texts, laid out as newt shows it', () => {
    const {templates} = initrdData();
    const same = (a: DebconfTemplate, b: DebconfTemplate) => a.short === b.short && a.extended === b.extended && a.type === b.type;
    let tried = 0;
    for (const t of templates) {
      const d = asShown(t);
      // Templates all of whose words are ${VARS} (localechooser's country lists) cannot be told by text.
      if (!d || !/[a-z]/i.test(`${t.short} ${t.extended}`.replace(/\$\{\w+\}/g, ''))) continue;
      tried++;
      const m = matchTemplate(d, templates);
      expect(m && (m.template === t || same(m.template, t)) ? t.name : `${t.name} → ${m?.template.name}`).toBe(t.name);
    }
    expect(tried).toBeGreaterThan(150);
  });

  it('names the twin that shares the texts as an alternative', () => {
    const d = parseNewtScreen(fixtureScreen('di-q-mirror-hostname-800x600', {colours: false})).dialog!;
    expect(matchTemplate(d, initrdData().templates)!.alternatives!.map((t) => t.name)).toEqual(['mirror/ftp/hostname']);
  });

  it('matches nothing on a progress gauge or a made-up dialog', () => {
    const {templates} = initrdData();
    const gauge = parseNewtScreen(fixtureScreen('di-progress-dhcp-800x600', {colours: false})).dialog!;
    expect(matchTemplate(gauge, templates)).toBeUndefined();
    expect(matchTemplate(dialog({paragraphs: ['The quick brown fox jumps over the lazy dog.'], prompt: 'Favourite colour:', entry: {value: '', password: false}}), templates)).toBeUndefined();
  });

  it('tolerates a body cut off by a scrolled text box, rewrapped and respaced', () => {
    const {templates} = initrdData();
    const d = dialog({
      heading: 'Bad   archive mirror',
      paragraphs: ['An error has been detected while trying to use the specified Debian archive mirror.', 'Possible reasons for the error are: incorrect mirror   specified; mirror is not'],
      textScrolled: true,
      buttons: [{label: 'Continue', focused: true}],
    });
    expect(matchTemplate(d, templates)?.template.name).toBe('mirror/bad');
  });
});

describe('matchTemplate (synthetic templates)', () => {
  const t = (name: string, type: string, short: string, extended: string, more: Partial<DebconfTemplate> = {}): DebconfTemplate => ({name, type, short, extended, ...more});

  it('prefers the type the dialog’s shape asks for', () => {
    const templates = [t('a/bool', 'boolean', 'Name:', 'Type the name of the thing.'), t('a/str', 'string', 'Name:', 'Type the name of the thing.')];
    const d = dialog({paragraphs: ['Type the name of the thing.'], prompt: 'Name:', entry: {value: 'x', password: false}});
    expect(matchTemplate(d, templates)!.template.name).toBe('a/str');
    const yn = dialog({paragraphs: ['Type the name of the thing.', 'Name:'], buttons: [{label: 'Yes', focused: true}, {label: 'No', focused: false}]});
    expect(matchTemplate(yn, templates)!.template.name).toBe('a/bool');
  });

  it('lets ${VAR} stand for any words, but not for the whole screen', () => {
    const templates = [t('x/anything', 'error', '${TITLE}', '${BODY}'), t('x/disk', 'error', 'No disk found', 'No disk was found on ${DEVICE}. Check ${WHAT}.')];
    const d = dialog({heading: 'No disk found', paragraphs: ['No disk was found on /dev/vda (virtio disk 1). Check the cabling.'], buttons: [{label: 'Continue', focused: true}]});
    expect(matchTemplate(d, templates)!.template.name).toBe('x/disk');
    const other = dialog({heading: 'Something else', paragraphs: ['Entirely unrelated words here.'], buttons: [{label: 'Continue', focused: true}]});
    expect(matchTemplate(other, templates)).toBeUndefined();
  });

  it('uses a select’s static choices when the list window shows no text', () => {
    const templates = [t('a/pick', 'select', 'Pick:', 'Long text shown in its own window.', {choicesShown: ['Alpha', 'Beta', 'Gamma']}), t('a/other', 'select', 'Other:', '', {choicesShown: ['Delta', 'Epsilon']})];
    const d = dialog({list: {items: ['Alpha', 'Beta', 'Gamma'], selected: 1, scrollable: false}, buttons: [{label: 'Go Back', focused: false}]});
    expect(matchTemplate(d, templates)).toMatchObject({template: {name: 'a/pick'}, score: 1});
  });
});

describe('refineKind', () => {
  const d = dialog({heading: 'Installation complete', buttons: [{label: 'Continue', focused: true}]});
  it.each([
    ['error', 'note', 'question'],
    ['error', 'error', 'error'],
    ['question', 'error', 'error'],
    ['progress', 'error', 'progress'],
  ] as const)('%s screen + %s template → %s', (kind, type, want) => {
    expect(refineKind(kind, d, {name: 'a/b', type, short: '', extended: ''})).toBe(want);
  });
});

/** A template as cdebconf's newt frontend would show it (short description placed by type). */
function asShown(t: DebconfTemplate): NewtDialog | undefined {
  const paragraphs = t.extended ? t.extended.split('\n\n') : [];
  const items = t.choicesShown ?? ['one'];
  switch (t.type) {
    case 'string':
    case 'password':
      return dialog({paragraphs, prompt: t.short, entry: {value: '', password: t.type === 'password'}, buttons: [{label: 'Go Back', focused: false}, {label: 'Continue', focused: false}]});
    case 'select':
      return dialog({paragraphs, prompt: t.short, list: {items, scrollable: false}});
    case 'multiselect':
      return dialog({paragraphs, prompt: t.short, list: {items, checked: items.map(() => false), scrollable: false}, buttons: [{label: 'Go Back', focused: false}, {label: 'Continue', focused: false}]});
    case 'boolean':
      return dialog({paragraphs: [...paragraphs, t.short], buttons: [{label: 'Yes', focused: false}, {label: 'No', focused: true}]});
    case 'note':
    case 'error':
      return dialog({heading: t.short, paragraphs, buttons: [{label: 'Continue', focused: true}]});
    default:
      return undefined;
  }
}

function dialog(parts: Partial<NewtDialog>): NewtDialog {
  return {box: {top: 0, bottom: 10, left: 0, right: 70}, title: 'Test', paragraphs: [], buttons: [], ...parts};
}
