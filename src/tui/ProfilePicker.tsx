/**
 * The workbench's first screen: every profile with its distro, install method, its ISO or disk
 * image (cached, part-downloaded, to download and how big, built by the profile's script) and
 * last build result; the selected one's description and where its ISO is (or, for a broken
 * profile, its validation errors with file:line); typing filters; Enter builds; `d` arms debug
 * mode (pause before each step) for the next build.
 *
 * A download's size the cache does not know is asked of the server in the background
 * (`probeSize`, a HEAD request with a short timeout): the row says `↓ …` meanwhile and
 * `size unknown` when no answer came (offline) — the picker never waits for it.
 *
 * Typing vs. single-letter keys: j/k/d/q/? are commands, so a filter starts with `/` (lazygit,
 * k9s) or with any other printable key, which then goes into the filter. While filtering every
 * printable key is text; ↑/↓ still move, Enter still builds, Esc clears the filter.
 *
 * VMs kept on purpose (and QEMUs left running by a vmbench that died) — `vmbench ps`'s entries
 * that are not running builds — are listed in a short section under the profiles, with profile,
 * age, VNC and SSH addresses: Tab takes the selection there and back, Enter opens one
 * (`onOpenVm`: the App shows its screen).
 */
import React, {useEffect, useMemo, useRef, useState} from 'react';
import path from 'node:path';
import os from 'node:os';
import {Box, Text, useInput} from 'ink';
import {fit as fitCells} from './format.js';
import {PICKER_CONTEXT_LABELS, PICKER_KEYMAP, pickerHints, resolvePickerKey, type PickerContext} from './picker-keymap.js';
import {ago, entryKey, matchesFilter, type LastBuild, type ProfileEntry} from './profiles-data.js';
import {vmInfoLines, vmKey, vmRowCells, type KeptVm} from './kept-vms.js';
import {mediaCell, mediaSentence, type MediaStatus} from '../iso/media-status.js';

export interface ProfilePickerProps {
  profiles: ProfileEntry[];
  /** Terminal columns and the rows the picker may use (keep it below the terminal height). */
  width: number;
  height: number;
  /** Debug mode for the next build (pause before each step). */
  debug: boolean;
  onToggleDebug: () => void;
  /** Enter on a valid profile; `force` once the user confirmed replacing its existing output. */
  onBuild: (entry: ProfileEntry, opts: {debug: boolean; force?: boolean}) => void;
  /** The output directory a build of this profile would replace, when it exists already. */
  outputExists?: (entry: ProfileEntry) => string | undefined;
  onQuit: () => void;
  /** Ctrl-R: read the profiles again (after fixing one in an editor). */
  onReload?: () => void;
  /** A line for the status row (e.g. how the last build ended). */
  notice?: string;
  /** False while another screen owns the keyboard. */
  isActive?: boolean;
  /** Clock for "2h ago" (tests pin it). */
  now?: number;
  /** The profile selected at first (e.g. the one just built). */
  initialSelectedDir?: string;
  /**
   * Asks a server how big a download is (a HEAD request with a short timeout); resolves
   * undefined when it cannot tell. Called in the background for rows whose size the cache does
   * not know; without it those rows say `size unknown`.
   */
  probeSize?: (url: string) => Promise<number | undefined>;
  /** Kept (and orphaned) VMs, listed under the profiles; none: no section. */
  vms?: readonly KeptVm[];
  /** Enter on a kept VM: open its screen. */
  onOpenVm?: (vm: KeptVm) => void;
}

/** What the background size requests found: a size, null (no answer), or absent (pending / not asked). */
type ProbedSizes = Readonly<Record<string, number | null>>;

/** The download a row would ask the size of, if any. */
const sizeToProbe = (m: MediaStatus | undefined): string | undefined => (m && m.source === 'download' && m.state === 'missing' && m.size === undefined ? m.url : undefined);

/** A row's media facts with what the background requests found. */
function probedMedia(m: MediaStatus | undefined, probed: ProbedSizes, probing: boolean): {size?: number; pending: boolean} {
  const got = m?.url ? probed[m.url] : undefined;
  const size = m?.size ?? got ?? undefined;
  return {size, pending: size === undefined && probing && !!sizeToProbe(m) && !(m!.url! in probed)};
}

/** How a Packer template is marked in the METHOD column and the detail line. */
const TEMPLATE_LABEL: Record<NonNullable<ProfileEntry['template']>, string> = {'packer-json': 'Packer JSON', 'packer-hcl2': 'Packer HCL2'};

const RESULT_ICON: Record<LastBuild['status'], string> = {done: '✓', failed: '✗', cancelled: '–', unfinished: '?'};
const RESULT_COLOR: Record<LastBuild['status'], string> = {done: 'green', failed: 'red', cancelled: 'yellow', unfinished: 'gray'};

/** Fit a string to exactly `n` terminal cells (cut with …, or padded): names may hold CJK or emoji. */
export function fit(s: string, n: number): string {
  if (n <= 0) return '';
  return fitCells(s.replace(/[\x00-\x1f\x7f]/g, ' '), n);
}

/** Column widths for a terminal `width` wide: name, distro, method, ISO/image; the result takes the rest. */
export function pickerColumns(width: number): {name: number; distro: number; method: number; media: number; result: number} {
  const name = Math.max(12, Math.min(32, Math.floor(width * 0.24)));
  const distro = 9;
  // "autoinstall", "cloud-image", "Packer HCL2": 11.
  const method = 11;
  // "size unknown", "cached 630M", "partial 45%".
  const media = 12;
  // 2 for the cursor marker, 4 single-space gaps.
  return {name, distro, method, media, result: Math.max(8, width - 2 - name - distro - method - media - 4)};
}

export function describeResult(r: LastBuild | undefined, now: number): string {
  if (!r) return 'never built';
  const base = `${RESULT_ICON[r.status]} ${r.status} ${ago(r.time, now)}`;
  return r.reason && r.status !== 'done' ? `${base}: ${r.reason}` : base;
}

/** A broken profile's first problem without the file path (the detail box has it in full). */
function shortError(e: ProfileEntry): string {
  const first = e.errors?.[0] ?? 'invalid';
  const m = /^.*?:(\d+):(\d+): (.*)$/.exec(first);
  return m ? `line ${m[1]}: ${m[3]}` : first;
}

interface PickerState {
  filter: string;
  filtering: boolean;
  selectedDir?: string;
  help: boolean;
  message: string;
  /** The profile whose existing output a second Enter replaces. */
  confirmDir?: string;
  /** The selection is in the kept VMs list (Tab). */
  inVms: boolean;
  /** The kept VM selected there (its vmKey). */
  selectedVm?: string;
}

/** Most kept VMs shown at once (the list scrolls): the profiles keep most of the screen. */
const VM_ROWS = 3;

/** The kept VMs as the selection sees them: its index, and whether it is in that list at all. */
function vmView(s: PickerState, vms: readonly KeptVm[]): {inVms: boolean; index: number} {
  return {inVms: s.inVms && vms.length > 0, index: Math.max(0, vms.findIndex((v) => vmKey(v) === s.selectedVm))};
}

export function ProfilePicker(props: ProfilePickerProps): React.ReactElement {
  const {profiles, width, height, debug, now = Date.now()} = props;
  // The ref is the truth, updated at once in the key handler: two keys arriving before React
  // re-renders (a fast typist, a paste split in chunks) must both see the newest state.
  const ref = useRef<PickerState>({filter: '', filtering: false, help: false, message: '', selectedDir: props.initialSelectedDir, inVms: false});
  const [st, setSt] = useState<PickerState>(ref.current);
  const propsRef = useRef(props);
  propsRef.current = props;
  const update = (patch: Partial<PickerState>): void => {
    ref.current = {...ref.current, ...patch};
    setSt(ref.current);
  };
  const view = (s: PickerState, list: ProfileEntry[]): {shown: ProfileEntry[]; index: number} => {
    const shown = list.filter((p) => matchesFilter(p, s.filter));
    return {shown, index: Math.max(0, shown.findIndex((p) => entryKey(p) === s.selectedDir))};
  };
  const {shown, index} = useMemo(() => view(st, profiles), [st, profiles]);
  const vms = props.vms ?? [];
  const {inVms, index: vmIndex} = vmView(st, vms);
  const selected = shown[index];
  const selectedVm = inVms ? vms[vmIndex] : undefined;

  // Sizes asked of servers in the background: each URL once per picker, results dropped after unmount.
  const [probed, setProbed] = useState<ProbedSizes>({});
  const asked = useRef(new Set<string>());
  const mounted = useRef(true);
  useEffect(() => () => void (mounted.current = false), []);
  useEffect(() => {
    const probe = props.probeSize;
    if (!probe) return;
    for (const p of profiles) {
      const url = sizeToProbe(p.media);
      if (!url || asked.current.has(url)) continue;
      asked.current.add(url);
      const done = (n: number | undefined): void => {
        if (mounted.current) setProbed((s) => ({...s, [url]: n ?? null}));
      };
      probe(url).then(done, () => done(undefined));
    }
  }, [profiles, props.probeSize]);
  const probing = !!props.probeSize;

  useInput(
    (input, key) => {
      const s = ref.current;
      const p = propsRef.current;
      const cur = view(s, p.profiles);
      const move = (delta: number): void => {
        if (!cur.shown.length) return;
        const next = Math.min(cur.shown.length - 1, Math.max(0, cur.index + delta));
        update({selectedDir: entryKey(cur.shown[next]!), message: ''});
      };
      const build = (): void => {
        const sel = cur.shown[cur.index];
        if (!sel) return;
        if (sel.errors) {
          const where = /^(.*?:\d+:\d+):/.exec(sel.errors[0] ?? '')?.[1];
          update({message: `${sel.name} cannot be built: fix ${where ? path.basename(path.dirname(where)) + '/' + path.basename(where) : 'the profile'} first`});
          return;
        }
        // An existing output is only replaced after a second Enter: never lose an image by accident.
        const existing = p.outputExists?.(sel);
        if (existing && s.confirmDir !== entryKey(sel)) {
          update({confirmDir: entryKey(sel), message: `${existing} exists: Enter again replaces it, any other key keeps it`});
          return;
        }
        update({confirmDir: undefined, message: ''});
        p.onBuild(sel, existing ? {debug: p.debug, force: true} : {debug: p.debug});
      };
      if (s.help) return update({help: false});
      const vmList = p.vms ?? [];
      const vm = vmView(s, vmList);
      const b = resolvePickerKey(input, key, vm.inVms ? 'picker-vms' : s.filtering ? 'picker-filter' : 'picker');
      if (s.confirmDir && b?.action.type !== 'build') update({confirmDir: undefined, message: ''});
      if (!b) {
        // Typing a filter: printable text that no binding took.
        if (s.filtering && input && !key.ctrl && !key.meta && !/[\x00-\x1f\x7f]/.test(input)) update({filter: s.filter + input});
        return;
      }
      const a = b.action;
      if (vm.inVms && a.type === 'move') {
        const next = Math.min(vmList.length - 1, Math.max(0, vm.index + a.by));
        return update({selectedVm: vmKey(vmList[next]!), message: ''});
      }
      switch (a.type) {
        case 'move':
          return move(a.by);
        case 'switch-list':
          if (vm.inVms) return update({inVms: false, message: ''});
          if (!vmList.length) return update({message: 'no kept VMs (a VM kept with --on-error=abort or the "keep" of a failed step shows here)'});
          return update({inVms: true, selectedVm: vmKey(vmList[vm.index]!), message: ''});
        case 'open-vm': {
          const v = vmList[vm.index];
          if (v && p.onOpenVm) p.onOpenVm(v);
          return;
        }
        case 'top':
          return move(-cur.shown.length);
        case 'bottom':
          return move(cur.shown.length);
        case 'build':
          return build();
        case 'filter-start':
          return update({filtering: true});
        case 'filter-type':
          return update({filtering: true, filter: s.filter + input});
        case 'filter-clear':
          return update({filter: '', filtering: false, message: ''});
        case 'filter-backspace':
          return update(s.filter ? {filter: s.filter.slice(0, -1)} : {filtering: false});
        case 'toggle-debug':
          return p.onToggleDebug();
        case 'reload':
          p.onReload?.();
          return update({message: 'profiles reloaded'});
        case 'help':
          return update({help: true});
        case 'quit':
          return p.onQuit();
      }
    },
    {isActive: props.isActive !== false},
  );
  const {filter, filtering, help, message} = st;

  const cols = pickerColumns(width);
  // Rows: title, header, list…, [kept VMs: a header and up to VM_ROWS rows], rule, detail (up to 6), status, keys.
  const detailRows = 6;
  const vmRows = vms.length ? Math.min(VM_ROWS, vms.length) : 0;
  const listRows = Math.max(3, height - 5 - detailRows - (vmRows ? vmRows + 1 : 0));
  const top = Math.min(Math.max(0, index - listRows + 1), Math.max(0, index - Math.floor(listRows / 2)), Math.max(0, shown.length - listRows));
  const visible = shown.slice(Math.max(0, top), Math.max(0, top) + listRows);
  const vmTop = Math.min(Math.max(0, vmIndex - vmRows + 1), Math.max(0, vms.length - vmRows));
  const visibleVms = vms.slice(vmTop, vmTop + vmRows);

  if (help) return <PickerHelp width={width} height={height} />;

  const title = ` vmbench · ${profiles.length} profile${profiles.length === 1 ? '' : 's'}`;
  const filterText = filtering || filter ? ` filter: ${filter}${filtering ? '▏' : ''} (${shown.length})` : '';
  const debugText = debug ? ' DEBUG: pause before each step ' : ' debug off ';
  const detail = selectedVm ? vmDetailLines(selectedVm, width, detailRows, now) : detailLines(selected, width, detailRows, now, probed, probing);
  const status = message || props.notice || '';
  return (
    <Box flexDirection="column" width={width}>
      <Box>
        <Text inverse bold>
          {fit(title + filterText, Math.max(0, width - debugText.length))}
        </Text>
        <Text inverse color={debug ? 'yellow' : undefined} bold={debug}>
          {debugText.slice(0, width)}
        </Text>
      </Box>
      <Text dimColor>{fit(`  ${fit('PROFILE', cols.name)} ${fit('DISTRO', cols.distro)} ${fit('METHOD', cols.method)} ${fit('ISO/IMAGE', cols.media)} LAST BUILD`, width)}</Text>
      {visible.length === 0 ? (
        <Text dimColor>{fit(profiles.length ? '  no profile matches the filter (Esc clears it)' : '  no profiles found (put <name>/profile.yaml in ~/.config/vmbench/profiles)', width)}</Text>
      ) : (
        visible.map((p) => <Row key={entryKey(p)} entry={p} selected={p === selected && !inVms} cols={cols} now={now} media={mediaOfRow(p.media, probed, probing)} />)
      )}
      {Array.from({length: Math.max(0, listRows - Math.max(1, visible.length))}, (_, i) => (
        <Text key={`pad${i}`}> </Text>
      ))}
      {vmRows ? (
        <Text color={inVms ? 'yellow' : undefined} dimColor={!inVms}>
          {fit(`── kept VMs (${vms.length}) · ${inVms ? 'Enter opens · Tab back to the profiles' : 'Tab selects them'} `.padEnd(width, '─'), width)}
        </Text>
      ) : null}
      {visibleVms.map((v) => (
        <VmRow key={vmKey(v)} vm={v} selected={v === selectedVm} width={width} now={now} />
      ))}
      <Text dimColor>{'─'.repeat(Math.max(0, width))}</Text>
      {detail.map((l, i) => (
        <Text key={`d${i}`} color={l.color} dimColor={l.dim}>
          {fit(l.text, width)}
        </Text>
      ))}
      <Text color="yellow">{fit(status, width)}</Text>
      <Text dimColor>{fit(` ${hintsFor(inVms ? 'picker-vms' : filtering ? 'picker-filter' : 'picker', vms.length > 0).join(' · ')}`, width)}</Text>
    </Box>
  );
}

/** The key hints of a context (Tab to the kept VMs only when there are some). */
function hintsFor(context: PickerContext, haveVms: boolean): string[] {
  const h = pickerHints(context);
  if (context === 'picker-filter') return ['type to filter', ...h];
  return haveVms ? h : h.filter((x) => x !== 'Tab kept VMs');
}

/** A kept VM's row: id, profile, state and age, VNC and SSH addresses. */
function VmRow({vm, selected, width, now}: {vm: KeptVm; selected: boolean; width: number; now: number}): React.ReactElement {
  const c = vmRowCells(vm, now);
  return (
    <Text inverse={selected} color={vm.state === 'kept' ? undefined : 'yellow'}>
      {fit(`${selected ? '▶ ' : '  '}${fit(c.id, 10)} ${fit(c.profile, 14)} ${fit(c.state, 16)} ${fit(c.vnc, 21)} ${c.ssh}`, width)}
    </Text>
  );
}

/** The detail box for a kept VM: what it is, how to reach it, where its logs and files are. */
function vmDetailLines(vm: KeptVm, width: number, rows: number, now: number): {text: string; color?: string; dim?: boolean}[] {
  const out: {text: string; color?: string; dim?: boolean}[] = vmInfoLines(vm, now).map((text, i) => ({text: tildify(text), dim: i > 1}));
  out.push({text: `  Enter: its screen, live (type into it, stop it) · or: vmbench stop ${vm.id}`});
  while (out.length < rows) out.push({text: ''});
  return out.slice(0, rows).map((l) => ({...l, text: fit(l.text, width)}));
}

function mediaOfRow(m: MediaStatus | undefined, probed: ProbedSizes, probing: boolean): string {
  const {size, pending} = probedMedia(m, probed, probing);
  return mediaCell(m, size, pending);
}

const MEDIA_COLOR: Partial<Record<MediaStatus['state'], string>> = {cached: 'green', present: 'green', built: 'green', partial: 'yellow', absent: 'red'};

function Row({entry, selected, cols, now, media}: {entry: ProfileEntry; selected: boolean; cols: ReturnType<typeof pickerColumns>; now: number; media: string}): React.ReactElement {
  const marker = selected ? '▶ ' : '  ';
  if (entry.errors) {
    const rest = cols.distro + cols.method + cols.media + cols.result + 3;
    return (
      <Text inverse={selected}>
        {marker}
        {fit(entry.name, cols.name)} <Text color="red">{fit(`✗ invalid ${entry.template ? 'template' : 'profile'} — ${shortError(entry)}`, rest)}</Text>
      </Text>
    );
  }
  const r = entry.lastBuild;
  return (
    <Text inverse={selected}>
      {marker}
      {fit(entry.name, cols.name)} {fit(entry.template && entry.distro === 'unknown' ? '' : (entry.distro ?? ''), cols.distro)}{' '}
      {entry.template ? <Text color="cyan">{fit(TEMPLATE_LABEL[entry.template], cols.method)}</Text> : fit(entry.installMethod ?? '', cols.method)}{' '}
      <Text color={entry.media ? MEDIA_COLOR[entry.media.state] : undefined}>{fit(media, cols.media)}</Text>{' '}
      <Text color={r ? RESULT_COLOR[r.status] : 'gray'}>{fit(describeResult(r, now), cols.result)}</Text>
    </Text>
  );
}

/** Paths under the home directory as ~/…: error lines fit the width more often. */
function tildify(s: string): string {
  const home = os.homedir();
  return home && home !== '/' ? s.split(home + '/').join('~/') : s;
}

function detailLines(e: ProfileEntry | undefined, width: number, rows: number, now: number, probed: ProbedSizes = {}, probing = false): {text: string; color?: string; dim?: boolean}[] {
  const out: {text: string; color?: string; dim?: boolean}[] = [];
  if (e?.errors) {
    out.push({text: `${e.name}: ${e.errors.length} problem${e.errors.length === 1 ? '' : 's'}; fix the file, then Ctrl-R reloads`, color: 'red'});
    const shownErrors = e.errors.slice(0, rows - 1 - (e.errors.length > rows - 1 ? 1 : 0));
    for (const l of shownErrors) out.push({text: `  ${tildify(l)}`, color: 'red'});
    if (shownErrors.length < e.errors.length) out.push({text: `  … and ${e.errors.length - shownErrors.length} more`, color: 'red'});
  } else if (e) {
    out.push({text: `${e.name} — ${e.description || '(no description)'}`});
    const kind = e.template ? `${TEMPLATE_LABEL[e.template]} template${e.only !== undefined ? ` (vmbench build ${e.dir} -only=${e.only})` : ''}` : `${e.distro ?? ''} · ${e.installMethod ?? ''}`;
    out.push({text: `  ${kind} · ${tildify(e.dir)}`, dim: true});
    const m = e.media;
    if (m) {
      const {size, pending} = probedMedia(m, probed, probing);
      out.push({text: `  ${tildify(mediaSentence(m, size, pending ? 'pending' : 'unknown'))}`, color: MEDIA_COLOR[m.state], dim: !MEDIA_COLOR[m.state]});
    }
    const r = e.lastBuild;
    if (r) {
      out.push({text: `  last build: ${describeResult(r, now)}`, color: RESULT_COLOR[r.status]});
      out.push({text: `  logs: ${tildify(r.logDir)}`, dim: true});
    }
  }
  // Long lines wrap (at a space when there is one) onto the rows left rather than vanish.
  const wrapped: typeof out = [];
  for (const l of out) {
    let t = l.text;
    while (t.length > width && wrapped.length < rows - 1) {
      const space = t.lastIndexOf(' ', width);
      const cut = space > width / 2 ? space : width;
      wrapped.push({...l, text: t.slice(0, cut)});
      t = `    ${t.slice(cut).trimStart()}`;
    }
    wrapped.push({...l, text: t});
  }
  const res = wrapped.slice(0, rows);
  while (res.length < rows) res.push({text: ''});
  return res;
}

/** The picker's own keys (a kept VM's screen lists its keys on its own `?`). */
const PICKER_HELP_CONTEXTS: readonly PickerContext[] = ['picker-filter', 'picker', 'picker-vms'];

function PickerHelp({width, height}: {width: number; height: number}): React.ReactElement {
  const lines = PICKER_KEYMAP.filter((b) => PICKER_HELP_CONTEXTS.includes(b.context)).map((b) => `  ${fit(PICKER_CONTEXT_LABELS[b.context], 10)}${fit(b.keys.map((k) => k.display).join(' '), 14)} ${b.description}`);
  lines.push(`  ${fit('', 10)}${fit('', 14)} (on a kept VM's screen, ? lists its keys)`);
  // Lines that do not fit the height flow into a second column when the width allows it.
  const rows = Math.max(1, height - 2);
  const columns = Math.max(1, Math.min(Math.ceil(lines.length / rows), Math.floor(width / 60)));
  const colWidth = Math.floor(width / columns);
  return (
    <Box flexDirection="column" width={width}>
      <Text inverse bold>
        {fit(' vmbench · profile picker keys (any key closes)', width)}
      </Text>
      <Box flexDirection="row" width={width}>
        {Array.from({length: columns}, (_, c) => (
          <Box key={c} flexDirection="column" width={colWidth}>
            {lines.slice(c * rows, (c + 1) * rows).map((l, i) => (
              <Text key={i}>{fit(l, colWidth)}</Text>
            ))}
          </Box>
        ))}
      </Box>
    </Box>
  );
}
