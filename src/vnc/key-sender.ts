/**
 * The one thing the typer needs from a connection to the VM. Kept apart from vnc-client so the
 * typer and its tests depend on a two-line interface, not on rfb2 or QMP.
 */

/**
 * Sends X11 keysym press/release events to a VM (a VNC session, a QMP bridge, a test fake).
 *
 * Two backends exist: VNC (`VncSession`, synchronous: the event is written to the socket) and
 * QMP (`QmpKeySender`, asynchronous: resolves when QEMU acknowledged it). The typer awaits
 * whatever `keyEvent` returns, so both kinds report a lost connection on the key it hit.
 */
export interface KeySender {
  /**
   * Press (`down = true`) or release one key. Must throw (or return a rejecting promise) when
   * the key cannot be delivered (connection closed): a silently lost key corrupts the typed
   * command.
   */
  keyEvent(keysym: number, down: boolean): void | Promise<void>;
}

/**
 * Sends groups of key events strictly in order through a sender that may be asynchronous
 * (QMP acknowledges each event): a modifier and its key must never overtake each other, and a
 * key typed while the previous one is in flight waits for it. A failed send is reported and
 * does not stop the keys after it.
 */
export class OrderedKeys {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (err: Error) => void) {}

  send(keys: KeySender, events: ReadonlyArray<readonly [keysym: number, down: boolean]>): void {
    this.chain = this.chain
      .then(async () => {
        for (const [keysym, down] of events) await keys.keyEvent(keysym, down);
      })
      .catch((err: Error) => this.onError(err));
  }

  /** Resolves once every event sent so far went out (or failed). */
  flushed(): Promise<void> {
    return this.chain;
  }
}
