/**
 * What both consoles (`vmbench build --console` and the workbench's Console pane) draw in their
 * screen box: the VM's screen as terminal text whenever it can be read as text, as pixels
 * otherwise — with a key to force either — plus zoom and pan. The owners keep their own chrome,
 * keyboard and timers; this class decides, each time it is asked, what the box should show and
 * returns the bytes that bring it there.
 *
 * Text is read off the screen asynchronously (`readText`: glyph recognition on the frame, or VGA
 * memory over QMP): at most every `readIntervalMs`, and only after the frame changed since the
 * last read, so a still screen costs nothing. 'auto' shows text when the last read is confident
 * (≥ `minConfidence`), pixels otherwise.
 */
import type {PixelSource, Rect} from '../vnc/framebuffer.js';
import type {ColorMode} from './halfblock.js';
import type {PaneGeometry, ScreenPainter} from './pane.js';
import {TextPane, type TextScreen, type TextView} from './text-pane.js';

/** 'auto': text when the screen reads as text with confidence, else pixels. */
export type TextMode = 'auto' | 'text' | 'pixels';

/** The order the mode key cycles through, starting from the default 'auto'. */
export function nextTextMode(mode: TextMode): TextMode {
  return mode === 'auto' ? 'text' : mode === 'text' ? 'pixels' : 'auto';
}

/** A screen read as text, with how sure the reader is (1 = video memory). */
export interface ScreenTextRead extends TextScreen {
  confidence: number;
}

/** The live screen: pixels with a version that changes on every update, and its damage. */
export interface LiveScreen extends PixelSource {
  readonly version: number;
  takeDamage(): Rect[];
}

/** What the box shows now, for a title or tab line. */
export interface ScreenViewStatus {
  showing: 'text' | 'pixels' | 'none';
  mode: TextMode;
  zoom: 'fit' | 1;
  /** Size of the text screen and the window of it shown (when showing text). */
  text?: {cols: number; rows: number; view: TextView};
  /** The pan keys move something now (a text screen larger than the box, or pixels at 1:1). */
  pannable: boolean;
}

export interface ScreenViewOptions extends PaneGeometry {
  /** The pixel backend (createScreenPainter). */
  pixels: ScreenPainter;
  /** Colours for the text view. */
  colorMode: ColorMode;
  /** Reads the screen as text (undefined: never text). */
  readText?: () => Promise<ScreenTextRead | undefined>;
  /** Default 'auto'. */
  mode?: TextMode;
  /** 'auto' shows text at or above this confidence. Default 0.9. */
  minConfidence?: number;
  /** Least time between two reads. Default 300 ms. */
  readIntervalMs?: number;
  now?: () => number;
}

const EMPTY = Buffer.alloc(0);

export class ScreenView {
  private readonly pixels: ScreenPainter;
  private readonly textPane: TextPane;
  private cols: number;
  private rows: number;
  private modeNow: TextMode;
  private zoomNow: 'fit' | 1 = 'fit';
  private pixelPan = {x: 0, y: 0};
  private showing: 'text' | 'pixels' | 'none' = 'none';
  private lastScreen: LiveScreen | undefined;
  private lastVersion = -1;
  private text: ScreenTextRead | undefined;
  private textDirty = true;
  private reading = false;
  private readVersion = -1;
  private readAt = -Infinity;
  private readText: ScreenViewOptions['readText'];
  private readonly minConfidence: number;
  private readonly interval: number;
  private readonly now: () => number;

  constructor(o: ScreenViewOptions) {
    this.pixels = o.pixels;
    this.cols = o.cols;
    this.rows = o.rows;
    this.textPane = new TextPane({cols: o.cols, rows: o.rows, originRow: o.originRow, originCol: o.originCol, mode: o.colorMode});
    this.readText = o.readText;
    this.modeNow = o.mode ?? 'auto';
    this.minConfidence = o.minConfidence ?? 0.9;
    this.interval = o.readIntervalMs ?? 300;
    this.now = o.now ?? Date.now;
  }

  get mode(): TextMode {
    return this.modeNow;
  }

  get zoom(): 'fit' | 1 {
    return this.zoomNow;
  }

  /** Where text comes from (a new build: forget the old screen's text). */
  setTextSource(readText: ScreenViewOptions['readText']): void {
    this.readText = readText;
    this.text = undefined;
    this.readVersion = -1;
    this.textDirty = true;
  }

  setMode(mode: TextMode): void {
    if (mode === this.modeNow) return;
    this.modeNow = mode;
    this.readVersion = -1; // read again now: the last read may be old or never made
    this.textDirty = true;
  }

  cycleMode(): TextMode {
    this.setMode(nextTextMode(this.modeNow));
    return this.modeNow;
  }

  /** Pixels: fit ↔ 1:1. Text is always 1:1; the key puts its window back where the content is. */
  toggleZoom(): void {
    this.zoomNow = this.zoomNow === 'fit' ? 1 : 'fit';
    this.pixels.setView({zoom: this.zoomNow, panX: this.pixelPan.x, panY: this.pixelPan.y});
    this.textPane.setPan(undefined);
    this.invalidate();
  }

  /** One pan step in a direction (−1, 0, 1 each): a quarter of the box. */
  pan(dx: number, dy: number): void {
    if (this.showing === 'text') {
      this.textPane.panBy(Math.sign(dx) * Math.max(1, Math.floor(this.cols / 4)), Math.sign(dy) * Math.max(1, Math.floor(this.rows / 4)));
      this.textDirty = true;
      return;
    }
    const src = this.pixels.view?.src;
    const stepX = Math.max(16, Math.floor((src?.width ?? 64) / 4));
    const stepY = Math.max(16, Math.floor((src?.height ?? 64) / 4));
    this.pixelPan = {x: Math.max(0, (src?.x ?? this.pixelPan.x) + Math.sign(dx) * stepX), y: Math.max(0, (src?.y ?? this.pixelPan.y) + Math.sign(dy) * stepY)};
    this.pixels.setView({zoom: this.zoomNow, panX: this.pixelPan.x, panY: this.pixelPan.y});
    this.lastVersion = -1;
  }

  resize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
    this.pixels.resize(cols, rows);
    this.textPane.resize(cols, rows);
    this.invalidate();
  }

  moveTo(originRow: number, originCol: number): void {
    this.pixels.moveTo(originRow, originCol);
    this.textPane.moveTo(originRow, originCol);
    this.invalidate();
  }

  /** Something else drew over the box: the next render repaints all of it. */
  invalidate(): void {
    this.pixels.invalidate();
    this.textPane.invalidate();
    this.lastVersion = -1;
    this.textDirty = true;
  }

  /** Bytes that remove what was drawn (leaving the box). */
  clear(): Buffer {
    const out = this.showing === 'text' ? this.textPane.clear() : this.pixels.clear();
    this.showing = 'none';
    this.invalidate();
    return out;
  }

  /**
   * Bytes that bring the box up to date with `screen` (text or pixels as the mode says); empty
   * when nothing changed. May start a text read; its result shows on a later call.
   */
  render(screen: LiveScreen | undefined): Buffer {
    if (!screen || screen.width <= 0 || screen.height <= 0 || this.cols <= 0 || this.rows <= 0) return EMPTY;
    if (screen !== this.lastScreen) {
      this.lastScreen = screen;
      this.lastVersion = -1;
      this.readVersion = -1;
    }
    this.poll(screen);
    const text = this.textShown();
    const parts: Buffer[] = [];
    if (text) {
      if (this.showing !== 'text') {
        // Kitty and sixel images stay on screen until deleted; half-blocks are simply overwritten.
        if (this.showing === 'pixels') parts.push(this.pixels.clear());
        this.textPane.invalidate();
        this.showing = 'text';
        this.textDirty = true;
      }
      if (screen.version !== this.lastVersion) {
        screen.takeDamage(); // kept fresh for the switch back to pixels (which repaints whole anyway)
        this.lastVersion = screen.version;
      }
      if (this.textDirty) {
        this.textDirty = false;
        parts.push(this.textPane.render(text));
      }
    } else {
      if (this.showing === 'text') {
        parts.push(this.textPane.clear());
        this.pixels.invalidate();
        this.lastVersion = -1;
      }
      this.showing = 'pixels';
      if (screen.version !== this.lastVersion) {
        const full = this.lastVersion < 0;
        const damage = screen.takeDamage();
        this.lastVersion = screen.version;
        parts.push(this.pixels.render(screen, full ? undefined : damage));
      }
    }
    const out = parts.filter((p) => p.length);
    return out.length === 0 ? EMPTY : out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  status(): ScreenViewStatus {
    const pv = this.pixels.view;
    const s = this.lastScreen;
    if (this.showing === 'text' && this.text) {
      const view = this.textPane.view ?? this.textPane.computeView(this.text);
      return {showing: 'text', mode: this.modeNow, zoom: this.zoomNow, text: {cols: this.text.cols, rows: this.text.rows, view}, pannable: view.pansX || view.pansY};
    }
    const pannable = this.showing === 'pixels' && this.zoomNow === 1 && !!pv && !!s && (pv.src.width < s.width || pv.src.height < s.height);
    return {showing: this.showing, mode: this.modeNow, zoom: this.zoomNow, pannable};
  }

  /** The text to show now, if any. */
  private textShown(): ScreenTextRead | undefined {
    const t = this.text;
    if (!t || this.modeNow === 'pixels' || t.lines.length === 0 || t.cols <= 0) return undefined;
    return this.modeNow === 'text' || t.confidence >= this.minConfidence ? t : undefined;
  }

  private poll(screen: LiveScreen): void {
    const read = this.readText;
    if (!read || this.modeNow === 'pixels' || this.reading || screen.version === this.readVersion) return;
    const now = this.now();
    if (now - this.readAt < this.interval) return;
    this.reading = true;
    this.readAt = now;
    this.readVersion = screen.version;
    void read()
      .catch(() => undefined)
      .then((t) => {
        if (read !== this.readText) return; // the source changed meanwhile
        this.text = t;
        this.textDirty = true;
      })
      .finally(() => (this.reading = false));
  }
}

/**
 * A few words on what the box shows, for a title or tab line: `text 160×50 · cols 31–130 rows
 * 11–40` (the window of a text screen larger than the box), `pixels 1:1`, `text (always)`.
 */
export function describeView(st: ScreenViewStatus): string {
  if (st.showing === 'none') return '';
  const forced = st.mode === 'auto' ? '' : ` (${st.mode === 'text' ? 'always text' : 'always pixels'})`;
  if (st.showing === 'pixels') return `pixels${st.zoom === 1 ? ' 1:1' : ''}${forced}`;
  const t = st.text;
  if (!t) return `text${forced}`;
  const v = t.view;
  const win = [v.pansX ? `cols ${v.x + 1}–${v.x + v.cols}` : '', v.pansY ? `rows ${v.y + 1}–${v.y + v.rows}` : ''].filter(Boolean).join(' ');
  return `text ${t.cols}×${t.rows}${win ? ` · ${win}` : ''}${forced}`;
}
