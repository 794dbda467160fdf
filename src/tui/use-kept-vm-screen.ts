/**
 * The workbench's kept VMs (App.tsx): the list the picker shows (`loadVms`, read again every
 * `vmPollMs` while the picker or a VM's screen shows), and one VM's screen — opening connects to
 * it (`openVm`, a VNC feed) and gives the App's ConsolePane that feed; its keys go through
 * consoleKey like the build view's Console; stopping it is `stopVm` (vmbench stop's own
 * function). A VM that goes away meanwhile (stopped elsewhere) takes the screen back to the
 * picker, saying so.
 */
import {useCallback, useEffect, useRef, useState} from 'react';
import type {ScreenViewStatus} from '../render/screen-view.js';
import {consoleKey} from './console-keys.js';
import type {ConsolePane} from './console-pane.js';
import {sameVms, type KeptVm} from './kept-vms.js';
import type {PickerAction} from './picker-keymap.js';
import type {VmFeed} from './vm-feed.js';

/** What the App is given for kept VMs. */
export interface KeptVmProps {
  /** VMs kept on purpose and orphaned QEMUs (`vmbench ps`'s entries that are not running builds). */
  loadVms?: () => KeptVm[];
  /** Connects to a kept VM's screen (throws or rejects when it cannot). */
  openVm?: (vm: KeptVm) => VmFeed | Promise<VmFeed>;
  /** Stops a kept VM the way `vmbench stop` does; resolves with the line to show, rejects with why not. */
  stopVm?: (vm: KeptVm) => Promise<string>;
  /** How often the kept VMs are read again while the picker or a VM's screen shows (default 2 s). */
  vmPollMs?: number;
}

/** A kept VM's screen: the VM, its feed once connected, a stop under way. */
export interface VmRun {
  vm: KeptVm;
  feed?: VmFeed;
  stopping?: boolean;
  message?: string;
}

/** What of the App the kept-VM screen shares: the screen shown, the Console pane, the picker's status row. */
export interface KeptVmScreenDeps {
  screen: string;
  setScreen: (screen: 'picker' | 'vm') => void;
  pane: ConsolePane | undefined;
  /** The App's current props (read when called). */
  props: () => KeptVmProps;
  setNotice: (line: string | undefined) => void;
  setCaptured: (captured: boolean) => void;
  setConsoleStatus: (status: ScreenViewStatus | undefined) => void;
}

export function useKeptVmScreen(deps: KeptVmScreenDeps) {
  const {screen, setScreen, pane, setNotice, setCaptured, setConsoleStatus} = deps;
  const propsNow = useRef(deps.props);
  propsNow.current = deps.props;
  const [vms, setVms] = useState<KeptVm[]>(() => deps.props().loadVms?.() ?? []);
  const [vmRun, setVmRun] = useState<VmRun | undefined>();
  const [feedLook, setFeedLook] = useState<{state: string; live: boolean}>({state: 'connecting', live: false});
  /** The feed of the VM screen showing now (closed when it is left or the App unmounts). */
  const vmFeed = useRef<VmFeed | undefined>(undefined);
  /** Which opening of a VM screen is current: a feed arriving for an older one is closed. */
  const vmToken = useRef<object | undefined>(undefined);
  /** The VM of the screen is being stopped (at once, not at the next render: the poll must not call it gone). */
  const vmStopping = useRef(false);

  /** Read the kept VMs again (the picker's reload, back from a build). */
  const reloadVms = useCallback((): void => setVms(propsNow.current().loadVms?.() ?? []), []);

  /** Leave a kept VM's screen (the VM runs on unless it was stopped); `line` goes to the picker's status row. */
  const leaveVm = useCallback(
    (line?: string): void => {
      vmToken.current = undefined;
      vmStopping.current = false;
      pane?.stop();
      pane?.setFrames(() => undefined);
      pane?.setTextSource(undefined);
      pane?.setStatusListener(undefined);
      const feed = vmFeed.current;
      vmFeed.current = undefined;
      void feed?.close().catch(() => undefined);
      setCaptured(false);
      setVmRun(undefined);
      setNotice(line);
      reloadVms();
      setScreen('picker');
    },
    [pane, reloadVms, setCaptured, setNotice, setScreen],
  );

  const openKeptVm = useCallback(
    (vm: KeptVm): void => {
      const open = propsNow.current().openVm;
      if (!open) return setNotice(`${vm.id}: this workbench cannot show a VM's screen`);
      const token = {};
      vmToken.current = token;
      setNotice(undefined);
      setConsoleStatus(undefined);
      setCaptured(false);
      setFeedLook({state: 'connecting', live: false});
      setVmRun({vm});
      setScreen('vm');
      Promise.resolve()
        .then(() => open(vm))
        .then(
          (feed) => {
            if (vmToken.current !== token) return void feed.close().catch(() => undefined);
            vmFeed.current = feed;
            pane?.setFrames(() => feed.frames());
            pane?.setTextSource(() => feed.readText());
            pane?.setStatusListener(setConsoleStatus);
            pane?.setNotice((m) => setVmRun((r) => (r ? {...r, message: m} : r)));
            setVmRun((r) => (r && r.vm === vm ? {...r, feed} : r));
          },
          (err: unknown) => {
            if (vmToken.current === token) leaveVm(`${vm.id}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
          },
        );
    },
    [pane, leaveVm],
  );

  const onVmAction = useCallback(
    (a: PickerAction): void => {
      const r = vmRun;
      if (!r) return;
      switch (a.type) {
        case 'vm-back':
          return leaveVm();
        case 'vm-mode':
        case 'vm-zoom':
        case 'vm-pan':
        case 'vm-type':
          return consoleKey(a, {
            pane,
            notYet: () => (r.feed?.frames() ? undefined : "not connected to the VM's screen yet: typing works once it shows"),
            say: (m) => setVmRun((cur) => (cur ? {...cur, message: m} : cur)),
            setCaptured: (on) => {
              if (on) setVmRun((cur) => (cur ? {...cur, message: undefined} : cur));
              setCaptured(on);
            },
          });
        case 'vm-stop': {
          if (!a.yes) return;
          const stop = propsNow.current().stopVm;
          if (!stop) return setVmRun((cur) => (cur ? {...cur, message: 'this workbench cannot stop VMs: use vmbench stop'} : cur));
          const token = vmToken.current;
          vmStopping.current = true;
          pane?.release();
          setVmRun((cur) => (cur ? {...cur, stopping: true, message: undefined} : cur));
          // Our own VNC connection goes first: it would only try again and again once QEMU is gone.
          const feed = vmFeed.current;
          vmFeed.current = undefined;
          void (feed?.close() ?? Promise.resolve())
            .catch(() => undefined)
            .then(() => stop(r.vm))
            .then(
              (line) => vmToken.current === token && leaveVm(line),
              (err: unknown) => vmToken.current === token && leaveVm(`could not stop ${r.vm.id}: ${err instanceof Error ? err.message : String(err)}`),
            );
          return;
        }
      }
    },
    [vmRun, pane, leaveVm],
  );

  // The kept VMs, read again now and then: one kept meanwhile shows up, one stopped elsewhere goes
  // (and takes its screen back to the picker). The state changes only when the list does.
  const onVmScreen = screen === 'vm' ? vmRun?.vm : undefined;
  useEffect(() => {
    const load = propsNow.current().loadVms;
    if (!load || (screen !== 'picker' && screen !== 'vm')) return;
    const every = propsNow.current().vmPollMs ?? 2000;
    const timer = setInterval(() => {
      let list: KeptVm[];
      try {
        list = load();
      } catch {
        return;
      }
      setVms((prev) => (sameVms(prev, list) ? prev : list));
      if (onVmScreen && !vmStopping.current && !list.some((v) => v.pid === onVmScreen.pid)) leaveVm(`${onVmScreen.id} (${onVmScreen.profile}) is not running any more`);
    }, every);
    return () => clearInterval(timer);
  }, [screen, onVmScreen, leaveVm]);

  // How the VM's screen connection is doing, for the title and the box's note.
  useEffect(() => {
    if (screen !== 'vm') return;
    const look = (): void => {
      const feed = vmFeed.current;
      const state = feed?.state ?? 'connecting';
      const fb = feed?.frames()?.framebuffer;
      const live = !!fb && fb.width > 0 && fb.height > 0;
      setFeedLook((prev) => (prev.state === state && prev.live === live ? prev : {state, live}));
    };
    look();
    const timer = setInterval(look, 200);
    return () => clearInterval(timer);
  }, [screen]);

  // The workbench leaves with a VM's screen open: its connection goes too.
  useEffect(
    () => () => {
      vmToken.current = undefined;
      void vmFeed.current?.close().catch(() => undefined);
      vmFeed.current = undefined;
    },
    [],
  );

  return {vms, reloadVms, vmRun, feedLook, openKeptVm, onVmAction};
}
