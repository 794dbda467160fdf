/**
 * Splits a byte stream into lines: on \n, dropping one trailing \r (CRLF from scripts, a pty or
 * a serial console). Chunks can cut a line, or a multi-byte UTF-8 character, in two, hence the
 * buffer and the StringDecoder. Serial consoles end prompts without a newline (`boot:`, `# `),
 * so with `idleFlushMs` a partial line is delivered after that much quiet instead of never.
 */
import {StringDecoder} from 'node:string_decoder';

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly idleFlushMs = 0,
  ) {}

  /** Feed a chunk; complete lines are delivered at once. */
  push(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.emit(text.slice(start, nl));
      start = nl + 1;
    }
    this.partial = text.slice(start);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.partial && this.idleFlushMs > 0) {
      this.timer = setTimeout(() => this.flushPartial(), this.idleFlushMs);
      this.timer.unref();
    }
  }

  /** Deliver a final line that had no newline (end of stream). Safe to call more than once. */
  flush(): void {
    this.partial += this.decoder.end();
    this.flushPartial();
  }

  private flushPartial(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rest = this.partial;
    this.partial = '';
    if (rest !== '') this.emit(rest);
  }

  private emit(line: string): void {
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}
