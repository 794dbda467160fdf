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
