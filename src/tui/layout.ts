/**
 * Where everything of the build screen goes on a terminal: pure arithmetic, the same numbers the
 * components are given, so the Console's box reported to the painter is exact (no measuring).
 */

export interface Rect {
  row: number;
  col: number;
  width: number;
  height: number;
}

export interface ScreenLayout {
  /** Rows the screen draws: one less than the terminal's, or ink clears the screen every frame. */
  rows: number;
  steps: Rect;
  /** The installer timeline under the step list, when there is one and room for it. */
  timeline?: Rect;
  /** The right panel, its borders included (the tabs are in its top border). */
  panel: Rect;
  /** Inside the right panel's borders: where a pane draws, and the Console's box. */
  pane: Rect;
  /** The question box (error or quit), when one is shown. */
  prompt?: Rect;
  status: Rect;
}

export interface LayoutOptions {
  /** Show the installer timeline under the steps (it has something to show). */
  timeline?: boolean;
  /** Steps in the list: the list gets what it needs, the timeline the rest. */
  stepCount?: number;
}

/** Rows the timeline gets at least, borders included; with less room there is none. */
const TIMELINE_MIN = 5;

/** Where everything goes on a `width` × `height` terminal. */
export function screenLayout(width: number, height: number, promptHeight = 0, opts: LayoutOptions = {}): ScreenLayout {
  const rows = Math.max(1, height - 1);
  const statusH = Math.min(2, rows);
  const promptH = Math.max(0, Math.min(promptHeight, rows - statusH - 3));
  const mainH = Math.max(0, rows - statusH - promptH);
  // Stage names ("Download installer components") want a little more room than step titles.
  const leftW = width < 70 ? Math.max(12, Math.min(28, Math.floor(width * 0.32))) : width >= 140 ? 36 : opts.timeline && width >= 110 ? 34 : 28;
  const panelW = Math.max(0, width - leftW);
  const wantSteps = (opts.stepCount ?? 12) + 2;
  // The steps keep at least 5 rows (they scroll around the selection); the timeline takes the rest.
  const timelineH = opts.timeline && mainH - 5 >= TIMELINE_MIN ? Math.max(TIMELINE_MIN, mainH - wantSteps) : 0;
  const stepsH = mainH - timelineH;
  return {
    rows,
    steps: {row: 0, col: 0, width: leftW, height: stepsH},
    timeline: timelineH ? {row: stepsH, col: 0, width: leftW, height: timelineH} : undefined,
    panel: {row: 0, col: leftW, width: panelW, height: mainH},
    pane: {row: 1, col: leftW + 1, width: Math.max(0, panelW - 2), height: Math.max(0, mainH - 2)},
    prompt: promptH ? {row: mainH, col: 0, width, height: promptH} : undefined,
    status: {row: mainH + promptH, col: 0, width, height: statusH},
  };
}
