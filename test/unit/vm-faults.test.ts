/** QEMU's BLOCK_IO_ERROR / STOP events turned into the build's one-line failure (engine/vm-watch.ts). */
import {describe, expect, it} from 'vitest';
import {diskFaultMessage, watchVmFaults, type QmpEvents} from '../../src/engine/vm-watch.js';
import {StepError} from '../../src/engine/step.js';

function fakeQmp(status = 'running') {
  const listeners = new Set<(e: {event: string; data?: Record<string, unknown>}) => void>();
  const qmp: QmpEvents & {send(event: string, data?: Record<string, unknown>): void; commands: string[]} = {
    commands: [],
    on: (_n, cb) => (listeners.add(cb), () => listeners.delete(cb)),
    execute: async <T>(command: string): Promise<T> => {
      qmp.commands.push(command);
      if (command === 'query-named-block-nodes') return [{'node-name': '#block123', file: '/srv/full/work/disk.qcow2'}, {'node-name': '#block042', file: '/tmp/x.iso'}] as T;
      if (command === 'query-status') return {running: false, status} as T;
      throw new Error(`unexpected ${command}`);
    },
    send: (event, data) => listeners.forEach((l) => l({event, data})),
  };
  return qmp;
}

const settled = (p: Promise<unknown>) => Promise.race([p.then(() => 'resolved', (e: Error) => e), new Promise((r) => setTimeout(() => r('pending'), 50))]);

describe('watchVmFaults', () => {
  it('fails with "no space left on device in DIR" when QEMU pauses the VM on a full host folder', async () => {
    const qmp = fakeQmp('io-error');
    const lines: string[] = [];
    const w = watchVmFaults(qmp, {defaultDir: '/elsewhere', log: (_s, l) => lines.push(l)});
    expect(await settled(w.failed)).toBe('pending');
    qmp.send('BLOCK_IO_ERROR', {device: '', 'node-name': '#block123', operation: 'write', action: 'stop', nospace: true, reason: 'No space left on device'});
    qmp.send('STOP');
    const err = await settled(w.failed);
    expect(err).toBeInstanceOf(StepError);
    expect((err as Error).message).toBe("the VM's disk could not be written: no space left on device in /srv/full/work");
    expect(w.fault()).toBe(err);
    expect(lines).toEqual([(err as Error).message]); // said once, although STOP followed
  });

  it('a STOP alone (vmbench pausing the VM to read its screen) is no fault; a STOP into io-error is', async () => {
    const paused = fakeQmp('paused');
    const w1 = watchVmFaults(paused, {log: () => {}});
    paused.send('STOP');
    expect(await settled(w1.failed)).toBe('pending');
    expect(paused.commands).toEqual(['query-status']);
    const broken = fakeQmp('io-error');
    const w2 = watchVmFaults(broken, {defaultDir: '/d', log: () => {}});
    broken.send('STOP');
    expect(((await settled(w2.failed)) as Error).message).toMatch(/^the VM's disk could not be written: .* in \/d$/);
  });

  it('an error reported to the guest (action report, host not full) is left to the guest; stop() ends the watch', async () => {
    const qmp = fakeQmp('io-error');
    const w = watchVmFaults(qmp, {log: () => {}});
    qmp.send('BLOCK_IO_ERROR', {device: 'cdrom0', 'node-name': '#block042', operation: 'read', action: 'report', nospace: false, reason: 'Input/output error'});
    expect(await settled(w.failed)).toBe('pending');
    w.stop();
    qmp.send('BLOCK_IO_ERROR', {'node-name': '#block123', operation: 'write', action: 'stop', nospace: true});
    expect(await settled(w.failed)).toBe('pending');
  });

  it('words other faults with QEMU’s reason', () => {
    expect(diskFaultMessage({reason: 'Input/output error', operation: 'write'}, '/x')).toBe("the VM's disk could not be written: input/output error in /x");
    expect(diskFaultMessage({nospace: true}, undefined)).toBe("the VM's disk could not be written: no space left on device");
  });
});
