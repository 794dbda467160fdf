/**
 * Preseed lines for questions on screen: the answer read from the dialog, the preseed line and
 * boot parameter for it, reading preseed files, and which questions come before the answer file.
 */
import {describe, expect, it} from 'vitest';
import {parseNewtScreen} from '../../src/installer/debian/newt-screen.js';
import {answerOf, askedBeforeAnswerFile, bootParameter, findAnswer, parsePreseed, preseedLine, preseedProblems} from '../../src/installer/debian/preseed.js';
import {matchTemplate} from '../../src/installer/debian/templates.js';
import type {DebconfTemplate, NewtDialog} from '../../src/installer/debian/types.js';
import {fixtureScreen, haveInitrd, initrdData} from '../support/installer-fixtures.js';

const t = (name: string, type: string, more: Partial<DebconfTemplate> = {}): DebconfTemplate => ({name, type, short: '', extended: '', ...more});
const dialog = (parts: Partial<NewtDialog>): NewtDialog => ({box: {top: 0, bottom: 9, left: 0, right: 70}, title: 'T', paragraphs: [], buttons: [], ...parts});

describe.skipIf(!haveInitrd)('on the real frames and templates', () => {
  it.each([
    ['di-q-hostname-typed-800x600', 'myhost', 'd-i netcfg/get_hostname string myhost', 'netcfg/get_hostname=myhost', true],
    ['di-q-hostname-800x600', 'debian', 'd-i netcfg/get_hostname string debian', 'netcfg/get_hostname=debian', true],
    ['di-q-domain-800x600', '', 'd-i netcfg/get_domain string', 'netcfg/get_domain=', true],
    ['di-q-mirror-hostname-typed-1280x800', 'nosuch.invalid', 'd-i mirror/http/hostname string nosuch.invalid', 'mirror/http/hostname=nosuch.invalid', false],
    ['di-q-abort-no-1280x800', 'false', 'd-i di-utils-reboot/really_reboot boolean false', 'di-utils-reboot/really_reboot=false', false],
    ['di-q-abort-yes-1280x800', 'true', 'd-i di-utils-reboot/really_reboot boolean true', 'di-utils-reboot/really_reboot=true', false],
    ['di-err-download-components-1280x800', 'Retry', 'd-i retriever/net/error select Retry', 'retriever/net/error=Retry', false],
  ] as const)('%s: answer %j → %s', (name, answer, line, param, early) => {
    const d = parseNewtScreen(fixtureScreen(name)).dialog!;
    const template = matchTemplate(d, initrdData().templates)!.template;
    expect(answerOf(d, template)).toBe(answer);
    expect(preseedLine(template, answer)).toBe(line);
    expect(bootParameter(template, answer)).toBe(param);
    expect(askedBeforeAnswerFile(template)).toBe(early);
  });

  it('the language list: English is highlighted, but its code is filled in at run time (${CODES}), so no answer', () => {
    const d = parseNewtScreen(fixtureScreen('di-q-language-1024x768')).dialog!;
    const template = matchTemplate(d, initrdData().templates)!.template;
    expect(d.list!.items[d.list!.selected!]).toMatch(/^English/);
    expect(answerOf(d, template)).toBeUndefined();
    expect(preseedLine(template)).toBe('d-i localechooser/languagelist select en');
    expect(askedBeforeAnswerFile(template)).toBe(false); // auto=true asks it after the answer file
    expect(askedBeforeAnswerFile(template, {auto: false})).toBe(true);
  });

  it('errors take no preseed line', () => {
    const d = parseNewtScreen(fixtureScreen('di-err-bad-mirror-1280x800')).dialog!;
    const template = matchTemplate(d, initrdData().templates)!.template;
    expect(answerOf(d, template)).toBeUndefined();
    expect(preseedLine(template)).toBe('# mirror/bad is an error: no preseed line answers it');
  });

  it.each([
    ['netcfg/get_hostname', true],
    ['netcfg/get_domain', true],
    ['netcfg/choose_interface', true],
    ['ethdetect/prompt_missing_firmware', true],
    ['hw-detect/load_firmware', true],
    ['preseed/url', true],
    ['localechooser/languagelist', false],
    ['keyboard-configuration/xkb-keymap', false],
    ['mirror/http/hostname', false],
    ['mirror/http/proxy', false],
    ['anna/choose_modules', false],
  ])('%s is asked before the answer file (auto mode): %s', (name, early) => {
    const template = initrdData().templates.find((x) => x.name === name);
    expect(template, name).toBeDefined();
    expect(askedBeforeAnswerFile(template!)).toBe(early);
  });
});

describe('answerOf', () => {
  it('reads a select through Choices-C, a multiselect as a comma list, a truncated item by prefix', () => {
    const tz = t('tzdata/Areas', 'select', {choices: ['eu', 'am'], choicesShown: ['Europe (the continent)', 'America']});
    expect(answerOf(dialog({list: {items: ['Europe   (the continent)', 'America'], selected: 0, scrollable: false}}), tz)).toBe('eu');
    expect(answerOf(dialog({list: {items: ['Europe (the', 'America'], selected: 0, scrollable: false}}), tz)).toBe('eu');
    expect(answerOf(dialog({list: {items: ['Europe (the continent)', 'America'], scrollable: false}}), tz)).toBeUndefined();
    const tasks = t('tasksel/first', 'multiselect', {choices: ['desktop', 'ssh-server', 'standard'], choicesShown: ['Debian desktop environment', 'SSH server', 'standard system utilities']});
    const items = ['Debian desktop environment', 'SSH server', 'standard system utilities'];
    expect(answerOf(dialog({list: {items, checked: [false, true, true], scrollable: false}}), tasks)).toBe('ssh-server, standard');
    expect(answerOf(dialog({list: {items, checked: [false, false, false], scrollable: false}}), tasks)).toBe('');
  });

  it('cannot read a masked password, reads one shown in clear', () => {
    const pw = t('passwd/root-password', 'password');
    expect(answerOf(dialog({entry: {value: '******', password: true}}), pw)).toBeUndefined();
    expect(answerOf(dialog({entry: {value: 'r00tme', password: false}}), pw)).toBe('r00tme');
  });

  it('a note is answered by being seen; Yes/No without focus is unknown', () => {
    expect(answerOf(dialog({heading: 'Installation complete', buttons: [{label: 'Continue', focused: true}]}), t('finish-install/reboot_in_progress', 'note'))).toBe('');
    expect(answerOf(dialog({buttons: [{label: 'Yes', focused: false}, {label: 'No', focused: false}]}), t('a/b', 'boolean'))).toBeUndefined();
  });
});

describe('preseedLine and bootParameter', () => {
  it.each([
    [t('netcfg/get_hostname', 'string', {default: 'debian'}), undefined, 'd-i netcfg/get_hostname string debian', 'netcfg/get_hostname=debian'],
    [t('netcfg/get_domain', 'string'), undefined, 'd-i netcfg/get_domain string <answer>', 'netcfg/get_domain=<answer>'],
    [t('debian-installer/main-menu', 'select', {default: '${DEFAULT}', choices: ['${MENU}']}), undefined, 'd-i debian-installer/main-menu select <answer>', 'debian-installer/main-menu=<answer>'],
    [t('retriever/net/error', 'select', {choices: ['Retry', 'Change mirror', 'Cancel']}), undefined, 'd-i retriever/net/error select <Retry|Change mirror|Cancel>', 'retriever/net/error="<Retry|Change mirror|Cancel>"'],
    [t('a/flag', 'boolean'), undefined, 'd-i a/flag boolean <true|false>', 'a/flag=<true|false>'],
    [t('passwd/root-password', 'password', {default: 'ignored'}), undefined, 'd-i passwd/root-password password <answer>', 'passwd/root-password=<answer>'],
    [t('passwd/user-fullname', 'string'), 'Debian User', 'd-i passwd/user-fullname string Debian User', 'passwd/user-fullname="Debian User"'],
    [t('tasksel/first', 'multiselect'), 'standard, ssh-server', 'd-i tasksel/first multiselect standard, ssh-server', 'tasksel/first="standard, ssh-server"'],
    [t('finish-install/reboot_in_progress', 'note'), '', 'd-i finish-install/reboot_in_progress note', 'finish-install/reboot_in_progress='],
    [t('a/quote', 'string'), 'say "hi"', 'd-i a/quote string say "hi"', 'a/quote="say \\"hi\\""'],
  ])('%#: %s', (template, value, line, param) => {
    expect(preseedLine(template, value)).toBe(line);
    expect(bootParameter(template, value)).toBe(param);
  });
});

describe('parsePreseed', () => {
  const FILE = [
    '# Locale',
    'd-i debian-installer/locale string en_US.UTF-8',
    '',
    '  # an indented comment \\',
    'd-i netcfg/get_hostname string first',
    'd-i preseed/late_command string \\',
    '    in-target true; \\',
    '    in-target echo done',
    'd-i netcfg/get_hostname string second ',
    'tasksel tasksel/first multiselect standard, ssh-server',
    'd-i netcfg/get_hostname seen false',
    'broken line',
    'd-i\tpasswd/root-login\tboolean\tfalse',
    'd-i netcfg/get_domain string',
  ].join('\r\n');

  it('reads entries with their lines, joins continued lines, skips comments', () => {
    const entries = parsePreseed(FILE);
    expect(entries.map((e) => [e.line, e.owner, e.question, e.type, e.value])).toEqual([
      [2, 'd-i', 'debian-installer/locale', 'string', 'en_US.UTF-8'],
      [5, 'd-i', 'netcfg/get_hostname', 'string', 'first'],
      [6, 'd-i', 'preseed/late_command', 'string', '    in-target true;     in-target echo done'],
      [9, 'd-i', 'netcfg/get_hostname', 'string', 'second '],
      [10, 'tasksel', 'tasksel/first', 'multiselect', 'standard, ssh-server'],
      [11, 'd-i', 'netcfg/get_hostname', 'seen', 'false'],
      [13, 'd-i', 'passwd/root-login', 'boolean', 'false'],
      [14, 'd-i', 'netcfg/get_domain', 'string', ''],
    ]);
  });

  it('finds the line that answers a question: the last one, not a seen flag', () => {
    const entries = parsePreseed(FILE);
    expect(findAnswer(entries, 'netcfg/get_hostname')).toMatchObject({line: 9, value: 'second '});
    expect(findAnswer(entries, 'tasksel/first')?.line).toBe(10);
    expect(findAnswer(entries, 'mirror/http/hostname')).toBeUndefined();
  });

  it('reports malformed lines and trailing blanks with file:line', () => {
    expect(preseedProblems(FILE, 'preseed.cfg')).toEqual([
      'preseed.cfg:9: netcfg/get_hostname has trailing blanks in its value (they become part of it)',
      'preseed.cfg:12: expected "owner question type value", got "broken line"',
    ]);
  });
});
