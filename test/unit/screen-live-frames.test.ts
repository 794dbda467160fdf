/** liveFrames opens the VM's screen feed once, and never while the VM is going down. */
import {describe, expect, it} from 'vitest';
import {liveFrames} from '../../src/engine/screen.js';
import type {BuildState} from '../../src/engine/state.js';

function state(extra: Partial<BuildState> = {}): BuildState {
  return {vncPort: 1, qemu: {hasExited: () => false}, profile: {vnc_bind_address: '127.0.0.1'}, ...extra} as unknown as BuildState;
}

describe('liveFrames', () => {
  it('opens one feed and hands it out again', async () => {
    const s = state();
    const f = liveFrames(s);
    expect(f).toBeDefined();
    expect(liveFrames(s)).toBe(f);
    await f!.stop();
  });

  it('opens nothing once the VM is being stopped (a late feed would retry forever)', () => {
    expect(liveFrames(state({vmStopping: true}))).toBeUndefined();
    expect(liveFrames(state({qemu: {hasExited: () => true} as never}))).toBeUndefined();
  });
});
