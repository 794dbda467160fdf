/**
 * type-boot-command — uses: state.vncPort, state.http, profile.boot_wait/boot_command/
 * boot_key_interval. Waits boot_wait, connects to QEMU's VNC server and types the command.
 * Cleanup: none (the VNC session is closed when typing ends, whatever happened).
 */
import {setTimeout as sleep} from 'node:timers/promises';
import {renderTemplate} from '../../profiles/template.js';
import {parseBootCommand} from '../../vnc/boot-command.js';
import {typeBootCommand} from '../../vnc/typer.js';
import {connectVnc} from '../../vnc/vnc-client.js';
import {formatDuration} from '../../util/duration.js';
import {need, type Step} from '../step.js';
import type {BuildState} from '../state.js';
import {buildFields} from './serve-http.js';

export const typeBootCommandStep: Step<BuildState> = {
  id: 'type-boot-command',
  title: 'Type boot command',
  async run(ctx) {
    const {profile} = ctx.state;
    if (profile.boot_command.length === 0) {
      ctx.log('vmbench', 'info', 'no boot_command: nothing to type');
      return;
    }
    if (profile.boot_wait > 0) {
      ctx.log('vmbench', 'info', `waiting ${formatDuration(profile.boot_wait)} for boot`);
      await sleep(profile.boot_wait, undefined, {signal: ctx.signal});
    }
    const text = profile.boot_command.map((p) => renderTemplate(p, {fields: buildFields(ctx.state)})).join('');
    const actions = parseBootCommand(text);
    const port = need(ctx.state.vncPort, 'VNC port');
    const vnc = await connectVnc({host: profile.vnc_bind_address, port}, {signal: ctx.signal, timeoutMs: 15_000, log: (s, l) => ctx.log('vnc', s, l)});
    try {
      ctx.log('vnc', 'info', `connected to ${profile.vnc_bind_address}:${port} (${vnc.width}x${vnc.height}); typing ${actions.length} actions`);
      const started = Date.now();
      await typeBootCommand(vnc, actions, {
        keyIntervalMs: profile.boot_key_interval,
        signal: ctx.signal,
        onAction: (_a, i) => ctx.progress('keys', i + 1, actions.length),
      });
      ctx.log('vnc', 'info', `typed boot command in ${formatDuration(Date.now() - started)}`);
    } finally {
      vnc.close();
    }
  },
};
