/**
 * Passwords that no template marked sensitive — ansible's `*_pass=` / `*_password=` extra vars,
 * `--vault-password=` — are hidden wherever vmbench writes text (logs, events, the manifest's
 * variables, screenshots' names), and the ansible provisioner moves such extra vars off
 * ansible-playbook's command line into private files.
 */
import {describe, expect, it} from 'vitest';
import {redactVariables} from '../../src/artifacts/records.js';
import {screenshotName} from '../../src/engine/screenshot.js';
import {parseKeyValues, privateExtraVars, sanitizeArgs} from '../../src/engine/steps/provisioners/ansible.js';
import {redactAssignments, redactDeep} from '../../src/profiles/sensitive.js';

describe('password-like assignments', () => {
  it('lose their values, bare, quoted or in JSON', () => {
    expect(redactAssignments('-e ansible_become_pass=hunter2 x=1')).toBe('-e ansible_become_pass=<sensitive> x=1');
    expect(redactAssignments(`--extra-vars "ansible_ssh_pass='a b' ansible_password=pw2"`)).toBe('--extra-vars "ansible_ssh_pass=<sensitive> ansible_password=<sensitive>"');
    expect(redactAssignments('{"ansible_become_pass": "s3\\"cr", "x": 1}')).toBe('{"ansible_become_pass": "<sensitive>", "x": 1}');
    expect(redactAssignments('--vault-password=abc root_password=secret db_passwd=x')).toBe('--vault-password=<sensitive> root_password=<sensitive> db_passwd=<sensitive>');
  });

  it('leave alone what only looks like them', () => {
    for (const t of ['-vnc 127.0.0.1:5901,share=ignore,password=on', 'bypass=2 compass=north PASS=1', 'no secret here', 'password: typed at the prompt']) expect(redactAssignments(t)).toBe(t);
  });

  it('are hidden in every event even with no sensitive variable', () => {
    const e = {type: 'log', line: 'running ansible-playbook -e ansible_become_pass=hunter2', nested: ['k ansible_ssh_pass=hunter2']};
    expect(JSON.stringify(redactDeep(e, []))).not.toContain('hunter2');
    const same = {type: 'log', line: 'nothing to hide'};
    expect(redactDeep(same, [])).toBe(same);
  });

  it('are hidden in the manifest\'s variables, by name and inside values', () => {
    expect(redactVariables({ansible_extra: '-e ansible_become_pass=hunter2 -e x=1', user_pass: 'p', plain: 'v', tok: 'has-s3cret-in'}, ['s3cret'])).toEqual({
      ansible_extra: '-e ansible_become_pass=<sensitive> -e x=1',
      user_pass: '<sensitive>',
      plain: 'v',
      tok: 'has-<sensitive>-in',
    });
  });
});

describe('screenshot names', () => {
  it('never carry a sensitive value', () => {
    expect(screenshotName(7, 'before-type hunter2-pw', ['hunter2-pw'])).toBe('007-before-type_sensitive.png');
    expect(screenshotName(12, 'failed-wait ssh')).toBe('012-failed-wait_ssh.png');
  });
});

describe('ansible extra vars with passwords', () => {
  it('are logged with their values hidden', () => {
    expect(sanitizeArgs(['-e', 'ansible_become_pass=hunter2', '--extra-vars', 'a=1 ansible_ssh_pass=hunter2', '-e', '{"ansible_password": "hunter2"}'])).toEqual([
      '-e',
      'ansible_become_pass=<sensitive>',
      '--extra-vars',
      'a=1 ansible_ssh_pass=<sensitive>',
      '-e',
      '{"ansible_password": "<sensitive>"}',
    ]);
  });

  it('parse as ansible\'s key=value form only when they plainly are', () => {
    expect(parseKeyValues(`a=1 b='two words' c="x" d=`)).toEqual({a: '1', b: 'two words', c: 'x', d: ''});
    expect(parseKeyValues('just words')).toBeUndefined();
    expect(parseKeyValues('a=1 "b=2"')).toBeUndefined();
  });

  it('move off the command line into private files; the rest stays as it was', () => {
    const r = privateExtraVars(
      ['-v', '-e', 'ansible_become_pass=hunter2 user=bob', '--extra-vars={"ansible_password": "pw-two"}', '-e', 'x=1', '-e', '@vars.yml', '-e', 'odd ansible_ssh_pass=pw3 $(x)'],
      '/priv',
    );
    expect(r.args).toEqual(['-v', '-e', '@/priv/extra-vars-1.json', '--extra-vars=@/priv/extra-vars-2.json', '-e', 'x=1', '-e', '@vars.yml', '-e', 'odd ansible_ssh_pass=pw3 $(x)']);
    expect(r.files).toEqual([
      {file: '/priv/extra-vars-1.json', text: '{"ansible_become_pass":"hunter2","user":"bob"}'},
      {file: '/priv/extra-vars-2.json', text: '{"ansible_password":"pw-two"}'},
    ]);
    expect(r.left).toEqual(['odd ansible_ssh_pass=pw3 $(x)']);
    expect(r.secrets).toEqual(['hunter2', 'pw-two']);
  });
});
