/**
 * How the workbench mounts ink (shared with bench/workbench.mjs, so the benchmark measures what
 * ships).
 * - maxFps 60: ink 6.8 throttles frames with es-toolkit's throttle, which restarts its timer on
 *   every call; the App hands ink an update every ~33 ms under a log flood, so at maxFps 30 a
 *   frame kept being pushed back and a key waited 45-80 ms to show (bench: 21/50 presses under
 *   50 ms at 30 fps, 50/50 at 60 fps). A frame costs ~7 ms, so 60 fps is affordable.
 * - incrementalRendering off: in 6.8 it lands frames one row low after a frame that ended with
 *   a newline (see console-pane.ts).
 * - patchConsole off: the workbench captures console output itself; ink's would shift its frame.
 */
export const INK_OPTIONS = {
  exitOnCtrlC: false,
  patchConsole: false,
  incrementalRendering: false,
  maxFps: 60,
} as const;
