/**
 * Plain and JSON reporters: they only print events, which proves the engine needs no UI.
 * The plain line of an event is the build log's (src/session/build-log.ts).
 */
import type {BuildEvent} from '../engine/events.js';
import {formatEvent} from '../session/build-log.js';

export function plainReporter(out: NodeJS.WritableStream, verbose = false): (e: BuildEvent) => void {
  return (e) => {
    const line = formatEvent(e, verbose);
    if (line !== undefined) out.write(`${line}\n`);
  };
}

export function jsonReporter(out: NodeJS.WritableStream): (e: BuildEvent) => void {
  return (e) => out.write(`${JSON.stringify(e)}\n`);
}
