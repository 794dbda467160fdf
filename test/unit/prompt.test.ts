import {PassThrough} from 'node:stream';
import {describe, expect, it} from 'vitest';
import {LinePrompter} from '../../src/cli/prompt.js';

function prompter() {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => (text += d.toString()));
  return {p: new LinePrompter(input, output), input, said: () => text};
}

describe('LinePrompter', () => {
  it('on error, Enter alone only repeats the question; r retries', async () => {
    const {p, input, said} = prompter();
    const answer = p.askOnError({id: 'wait-ssh'}, new Error('auth rejected'));
    input.write('\n\nr\n');
    expect(await answer).toBe('retry');
    expect(said()).toContain('wait-ssh failed: auth rejected');
    expect(said().match(/Enter alone does nothing/g)).toHaveLength(2);
    p.close();
  });

  it.each([
    ['c\n', 'cleanup'],
    ['A\n', 'abort'],
    ['x\nr\n', 'retry'],
  ])('on error, %j → %s', async (typed, expected) => {
    const {p, input} = prompter();
    const answer = p.askOnError({id: 's'}, new Error('e'));
    input.write(typed);
    expect(await answer).toBe(expected);
    p.close();
  });

  it('on error with no more input, cleans up rather than hanging', async () => {
    const {p, input, said} = prompter();
    const answer = p.askOnError({id: 's'}, new Error('e'));
    input.end();
    expect(await answer).toBe('cleanup');
    expect(said()).toContain('no more input');
  });

  it("at an installer question with no more input, nobody can answer: 'pass' (the question fails the build); other pauses go on", async () => {
    const {p, input, said} = prompter();
    input.end();
    expect(await p.gate('checkpoint', {id: 'wait-ssh', title: 'Wait for SSH', index: 8, label: 'Configure the network: Hostname:', kind: 'installer-question'})).toBe('pass');
    expect(said()).toContain('nobody can answer it');
    expect(await p.gate('checkpoint', {id: 'type-boot-command', title: 'Type boot command', index: 6, label: '<enter>', kind: 'boot-step'})).toBe('continue');
    expect(await p.gate('before', {id: 'start-vm', title: 'Start VM', index: 5})).toBe('continue');
  });

  it('debug gate: Enter continues, s skips, a aborts; it never pauses after a step', async () => {
    const {p, input} = prompter();
    const step = {id: 'start-vm', title: 'Start VM', index: 5};
    expect(await p.gate('after', step)).toBe('pass');
    const answers = [p.gate('before', step)];
    input.write('\n');
    expect(await answers[0]).toBe('continue');
    const skip = p.gate('before', step);
    input.write('s\n');
    expect(await skip).toBe('skip');
    const abort = p.gate('before', step);
    input.write('a\n');
    expect(await abort).toBe('abort');
    p.close();
  });
});
