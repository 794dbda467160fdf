/**
 * Splits a byte stream into lines. Serial consoles end prompts without a newline
 * (`boot:`, `# `), so a partial line is flushed after a short idle time instead of waiting forever.
 */
export class LineSplitter {
  private partial = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly idleFlushMs = 0,
  ) {}

  push(chunk: string | Buffer): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.onLine(p.endsWith('\r') ? p.slice(0, -1) : p);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.partial && this.idleFlushMs > 0) {
      this.timer = setTimeout(() => this.flush(), this.idleFlushMs);
      this.timer.unref();
    }
  }

  /** Emit what is left (end of stream, or idle). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.partial) {
      const p = this.partial.replace(/\r$/, '');
      this.partial = '';
      this.onLine(p);
    }
  }
}
