/**
 * VMs the workbench lists beside the profiles and can open: the ones kept on purpose
 * (`--on-error=abort`, the workbench's "keep") and QEMUs left running by a vmbench that died
 * (orphaned) — exactly the non-running entries of `vmbench ps` (src/session/vm-list.ts), so the
 * workbench, `ps` and `stop` always agree on what exists and on its id.
 *
 * No react/ink here: plain data and text, unit-tested without a terminal.
 */
import type {PsEntry} from '../session/vm-list.js';
import {ago} from './profiles-data.js';

/** A kept or orphaned VM, as `vmbench ps` lists it. */
export type KeptVm = PsEntry;

/** What tells two VMs apart (an id may repeat for an orphan's `pid-N`; the PID does not). */
export const vmKey = (vm: Pick<KeptVm, 'pid'>): string => String(vm.pid);

/** The entries of `vmbench ps` the picker lists: every VM that is not part of a running build. */
export function keptVmsOf(entries: readonly PsEntry[]): KeptVm[] {
  return entries.filter((e) => e.state !== 'running');
}

export const address = (a?: {host: string; port: number}): string | undefined => (a ? `${a.host}:${a.port}` : undefined);

/** One row of the picker's list: id, profile, state and age, VNC and SSH addresses. */
export function vmRowCells(vm: KeptVm, now: number): {id: string; profile: string; state: string; vnc: string; ssh: string} {
  return {
    id: vm.id,
    profile: vm.profile,
    state: `${vm.state} ${ago(vm.since, now)}`,
    vnc: `VNC ${address(vm.vnc) ?? '-'}`,
    ssh: `SSH ${address(vm.ssh) ?? '-'}`,
  };
}

/**
 * The lines under the picker's list for the selected VM, and the kept-VM screen's info lines.
 * The VNC password only with `password` (the VM's own screen, as the build view's Info pane
 * has it; the picker's list, like `vmbench ps`'s table, leaves it out).
 */
export function vmInfoLines(vm: KeptVm, now: number, opts: {password?: boolean} = {}): string[] {
  const vnc = address(vm.vnc);
  const ssh = address(vm.ssh);
  return [
    vm.state === 'kept'
      ? `${vm.id} — VM of ${vm.profile} kept on purpose ${ago(vm.since, now)}, QEMU pid ${vm.pid}`
      : `${vm.id} — VM of ${vm.profile} left running by a vmbench that died (orphaned), QEMU pid ${vm.pid}, started ${ago(vm.since, now)}`,
    `  SSH ${ssh ?? 'none'} · VNC ${vnc ?? 'none'}${opts.password && vm.vnc?.password ? ` (password ${vm.vnc.password})` : ''}`,
    `  logs: ${vm.logDir ?? 'unknown'}`,
    `  files: ${vm.workDir ?? 'unknown'} (they stay when it is stopped)`,
  ];
}

/** The same list, in the same order, as far as the picker can tell (so it re-renders only on a change). */
export function sameVms(a: readonly KeptVm[], b: readonly KeptVm[]): boolean {
  return a.length === b.length && a.every((v, i) => v.pid === b[i]!.pid && v.state === b[i]!.state && v.since === b[i]!.since);
}
