/**
 * The one thing the typer needs from a VNC connection. Kept apart from vnc-client so the typer
 * and its tests depend on a two-line interface, not on rfb2.
 */

/** Sends X11 keysym press/release events to a VM (a VNC session, a QMP bridge, a test fake). */
export interface KeySender {
  /**
   * Press (`down = true`) or release one key. Must throw when the key cannot be delivered
   * (connection closed): a silently lost key corrupts the typed command.
   */
  keyEvent(keysym: number, down: boolean): void;
}
