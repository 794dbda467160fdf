/**
 * A kept VM's screen, opened from the picker's "kept VMs" list: the VM's display live in a box
 * the App's ConsolePane paints (the build view's Console pane — same painter, same text/pixels
 * view, same keyboard passthrough), an info line with its SSH and VNC addresses, log folder and
 * files, and keys to type into it, stop it (asks first; the App stops it the way `vmbench stop`
 * does) or go back to the picker leaving it running.
 *
 * Like BuildScreen it owns only view state (help, the stop question); everything else goes out
 * through `onAction` and `consoleSlot` (the box's terminal position, 0-based, or undefined while
 * the help covers it).
 */
import {Box, Text, useInput} from 'ink';
import {useLayoutEffect, useMemo, useRef, useState} from 'react';
import {describeView, type ScreenViewStatus} from '../render/screen-view.js';
import {fit, topBorder} from './format.js';
import {HelpOverlay, type HelpLine} from './HelpOverlay.js';
import {vmInfoLines, type KeptVm} from './kept-vms.js';
import {PICKER_KEYMAP, pickerHints, resolvePickerKey, type PickerAction, type PickerContext} from './picker-keymap.js';
import {ago} from './profiles-data.js';

export interface KeptVmScreenProps {
  vm: KeptVm;
  /** Terminal columns. */
  width: number;
  /** Terminal rows: the screen draws `height − 1` of them (as BuildScreen does). */
  height: number;
  now: number;
  /** The VNC connection's state ('connecting', 'live', 'reconnecting', 'stopped'). */
  feedState?: string;
  /** A frame has arrived: the painter owns the box (else a note says what is happening). */
  screenLive: boolean;
  /** What the painter shows (text or pixels, the window of a large text screen). */
  consoleStatus?: ScreenViewStatus;
  /** The keys go to the VM (this screen ignores the keyboard until Ctrl-]). */
  keyboardCaptured?: boolean;
  /** Being stopped: no keys until that is over. */
  stopping?: boolean;
  /** A line for the message row (a key that could not reach the VM, an error). */
  message?: string;
  onAction(action: PickerAction): void;
  /** Where the VM's screen goes (0-based terminal cells), or undefined while hidden. */
  consoleSlot?: (rect: {row: number; col: number; width: number; height: number} | undefined) => void;
}

const CONTEXTS: readonly PickerContext[] = ['kept-vm', 'kept-vm-stop'];
const TITLES: Partial<Record<PickerContext, string>> = {'kept-vm': "A kept VM's screen", 'kept-vm-stop': 'Asked whether to stop it (any other key: no)'};

/** This screen's keys for the help overlay, from the keymap table. */
export function keptVmHelpLines(): HelpLine[] {
  const out: HelpLine[] = [];
  for (const c of CONTEXTS) {
    if (out.length) out.push({header: false, keys: '', text: ''});
    out.push({header: true, keys: '', text: TITLES[c]!});
    for (const b of PICKER_KEYMAP.filter((x) => x.context === c)) out.push({header: false, keys: b.keys.map((k) => k.display).join(' '), text: b.description});
  }
  return out;
}

/** Rows around the box: title, its top border; below it info (2), message, hints. */
const ABOVE = 2;
const BELOW = 4;

export function KeptVmScreen(props: KeptVmScreenProps) {
  const {vm, width, height, now, keyboardCaptured = false, stopping = false} = props;
  const [help, setHelp] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const live = useRef({help, confirm, onAction: props.onAction});
  live.current = {help, confirm, onAction: props.onAction};
  const helpLines = useMemo(() => keptVmHelpLines(), []);

  useInput(
    (input, key) => {
      const s = live.current;
      if (s.help) return void ((live.current = {...s, help: false}), setHelp(false));
      const b = resolvePickerKey(input, key, s.confirm ? 'kept-vm-stop' : 'kept-vm');
      if (s.confirm) {
        // Only y stops; any other key is a no.
        live.current = {...s, confirm: false};
        setConfirm(false);
        if (b?.action.type === 'vm-stop' && b.action.yes) s.onAction(b.action);
        return;
      }
      if (!b) return;
      if (b.action.type === 'help') return void ((live.current = {...s, help: true}), setHelp(true));
      if (b.action.type === 'vm-stop-ask') return void ((live.current = {...s, confirm: true}), setConfirm(true));
      s.onAction(b.action);
    },
    {isActive: !keyboardCaptured && !stopping},
  );

  const rows = Math.max(ABOVE + BELOW + 3, height - 1);
  const boxH = rows - ABOVE - BELOW;
  const inner = {row: ABOVE, col: 1, width: Math.max(0, width - 2), height: Math.max(0, boxH - 1)};
  const slot = !help && inner.width > 0 && inner.height > 0 ? inner : undefined;
  const slotKey = slot ? `${slot.row},${slot.col},${slot.width},${slot.height}` : '';
  const report = useRef(props.consoleSlot);
  report.current = props.consoleSlot;
  // A layout effect: reported in the same commit that moves the box (as BuildScreen does).
  useLayoutEffect(() => {
    report.current?.(slot);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [slotKey]);
  useLayoutEffect(() => () => report.current?.(undefined), []);

  const feed = props.feedState ?? 'connecting';
  const title = ` ${vm.state} VM ${vm.id} · ${vm.profile} · QEMU pid ${vm.pid} · ${vm.state === 'kept' ? 'kept' : 'started'} ${ago(vm.since, now)}`;
  const right = ` VNC ${feed} `;
  const view = props.consoleStatus && props.screenLive ? describeView(props.consoleStatus) : '';
  const [, addresses, logs, files] = vmInfoLines(vm, now, {password: true});
  const message = confirm
    ? `Stop ${vm.id}? Its QEMU quits as with vmbench stop; its files stay. y: stop it · any other key: no`
    : stopping
      ? `stopping ${vm.id} (QMP quit, then SIGTERM, then SIGKILL)…`
      : (props.message ?? '');
  const hintText = keyboardCaptured ? ' ⌨ typing into the VM — Ctrl-] leaves' : ` ${pickerHints(confirm ? 'kept-vm-stop' : 'kept-vm').join(' · ')}`;
  const note = feed === 'reconnecting' ? `the VM's screen is not reachable at ${vm.vnc ? `${vm.vnc.host}:${vm.vnc.port}` : '?'}: trying again…` : `connecting to the VM's screen (VNC ${vm.vnc ? `${vm.vnc.host}:${vm.vnc.port}` : '?'})…`;

  return (
    <Box flexDirection="column" width={width} height={rows}>
      <Box>
        <Text inverse bold>
          {fit(title, Math.max(0, width - right.length))}
        </Text>
        <Text inverse color={feed === 'live' ? 'green' : 'yellow'}>
          {right.slice(0, width)}
        </Text>
      </Box>
      {help ? (
        <HelpOverlay lines={helpLines} scroll={0} width={width} height={boxH + 1} />
      ) : (
        <>
          <Text color="gray">{topBorder(width, `Console${view ? ` · ${view}` : ''}`)}</Text>
          <Box borderStyle="round" borderTop={false} borderColor={keyboardCaptured ? 'green' : 'gray'} width={width} height={boxH}>
            {props.screenLive ? (
              <Box width={inner.width} height={inner.height} />
            ) : (
              <Box width={inner.width} height={inner.height} flexDirection="column" paddingTop={Math.max(0, Math.floor(inner.height / 2) - 1)}>
                <Text color="gray">{fit(` ${note}`, inner.width)}</Text>
              </Box>
            )}
          </Box>
        </>
      )}
      <Text>{fit(` ${addresses!.trim()}`, width)}</Text>
      <Text dimColor>{fit(` ${logs!.trim()} · ${files!.trim()}`, width)}</Text>
      <Text color={confirm ? 'red' : 'yellow'} bold={confirm}>
        {fit(message, width)}
      </Text>
      <Text color={keyboardCaptured ? 'yellow' : 'gray'} inverse={keyboardCaptured}>
        {fit(hintText, width)}
      </Text>
    </Box>
  );
}
