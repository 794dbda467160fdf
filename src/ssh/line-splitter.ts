import {StringDecoder} from 'node:string_decoder';

/**
 * Splits a byte stream into lines: on \n, dropping one trailing \r (CRLF from Windows-style
 * scripts or a pty). SSH channel data arrives in arbitrary chunks that can cut a line, or a
 * multi-byte UTF-8 character, in two, hence the buffer and the StringDecoder.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  /** Feed a chunk; complete lines are delivered at once. */
  push(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.emit(text.slice(start, nl));
      start = nl + 1;
    }
    this.partial = text.slice(start);
  }

  /** Deliver a final line that had no newline (at exit). Safe to call more than once. */
  flush(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest !== '') this.emit(rest);
  }

  private emit(line: string): void {
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}
