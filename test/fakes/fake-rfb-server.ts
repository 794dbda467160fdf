/**
 * An in-process RFB 3.8 server on a real TCP socket (127.0.0.1), speaking the protocol as QEMU
 * does (RFC 6143): version, security None (or what the test asks for), ClientInit, ServerInit
 * with QEMU's pixel format (32 bpp little-endian true colour, R16 G8 B0), then client messages.
 * It records what the client sent, byte-exact, and can answer, resize, inject bytes and drop.
 */
import {EventEmitter} from 'node:events';
import net from 'node:net';

export interface FakeRfbOptions {
  /** Listen on this port (0 = any free one). */
  port?: number;
  width?: number;
  height?: number;
  name?: string;
  /** Security types offered; default [1] (None). */
  securityTypes?: number[];
  /** Rect sent in answer to every FramebufferUpdateRequest (clipped to the screen). */
  updateRect?: {x: number; y: number; width: number; height: number};
  /** Answer a non-incremental request with the whole screen, as QEMU does (default: updateRect). */
  fullUpdates?: boolean;
}

export interface RecordedKey {
  down: boolean;
  keysym: number;
  /** The 8 message bytes as received. */
  bytes: Buffer;
}

/** One client connection's view of the protocol. */
export interface FakeRfbConnection {
  clientVersion?: string;
  securityType?: number;
  sharedFlag?: number;
  pixelFormat?: Buffer;
  encodings: number[][];
  keys: RecordedKey[];
  pointers: {mask: number; x: number; y: number; bytes: Buffer}[];
  updateRequests: {incremental: boolean; x: number; y: number; width: number; height: number}[];
  socket: net.Socket;
  closed: boolean;
}

/** Pixel (x, y) as QEMU sends it: bytes B, G, R, X with a pattern tests can check. */
export function patternPixel(x: number, y: number): [number, number, number, number] {
  return [x & 0xff, y & 0xff, (x + y) & 0xff, 0];
}

export class FakeRfbServer extends EventEmitter {
  readonly connections: FakeRfbConnection[] = [];
  width: number;
  height: number;
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly opts: FakeRfbOptions,
  ) {
    super();
    this.width = opts.width ?? 720;
    this.height = opts.height ?? 400;
  }

  static async start(opts: FakeRfbOptions = {}): Promise<FakeRfbServer> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    const fake = new FakeRfbServer(server, (server.address() as net.AddressInfo).port, opts);
    server.on('connection', (s) => fake.serve(s));
    return fake;
  }

  /** The most recent connection (throws if none). */
  get last(): FakeRfbConnection {
    const c = this.connections.at(-1);
    if (!c) throw new Error('no client has connected');
    return c;
  }

  /** Resolve once `pred` holds (checked after every recorded message). */
  waitFor(pred: () => boolean, timeoutMs = 3000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('change', check);
        reject(new Error('FakeRfbServer.waitFor timed out'));
      }, timeoutMs);
      const check = () => {
        if (!pred()) return;
        clearTimeout(timer);
        this.off('change', check);
        resolve();
      };
      this.on('change', check);
    });
  }

  /** Send a FramebufferUpdate with one DesktopSize pseudo-rect (a guest resolution switch). */
  sendDesktopSize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    const msg = Buffer.alloc(4 + 12);
    msg.writeUInt8(0, 0);
    msg.writeUInt16BE(1, 2);
    writeRectHeader(msg, 4, 0, 0, width, height, -223);
    this.last.socket.write(msg);
  }

  /** Send a FramebufferUpdate with one raw rect whose pixels come from `pixel` (B, G, R, X). */
  sendRawRect(x: number, y: number, width: number, height: number, pixel: (x: number, y: number) => number[] = patternPixel): void {
    this.last.socket.write(rawUpdate(x, y, width, height, pixel));
  }

  /** Send a FramebufferUpdate with one CopyRect: (srcX, srcY) → (x, y), width×height. */
  sendCopyRect(x: number, y: number, width: number, height: number, srcX: number, srcY: number): void {
    const msg = Buffer.alloc(4 + 12 + 4);
    msg.writeUInt16BE(1, 2);
    writeRectHeader(msg, 4, x, y, width, height, 1);
    msg.writeUInt16BE(srcX, 16);
    msg.writeUInt16BE(srcY, 18);
    this.last.socket.write(msg);
  }

  /** Write arbitrary bytes to the latest client (e.g. an unknown message type). */
  sendBytes(bytes: Buffer): void {
    this.last.socket.write(bytes);
  }

  /** Drop every client connection (the server keeps listening). */
  dropClients(): void {
    for (const c of this.connections) c.socket.destroy();
  }

  async close(): Promise<void> {
    this.dropClients();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private serve(socket: net.Socket): void {
    const conn: FakeRfbConnection = {encodings: [], keys: [], pointers: [], updateRequests: [], socket, closed: false};
    this.connections.push(conn);
    socket.on('error', () => {});
    socket.on('close', () => {
      conn.closed = true;
      this.emit('change');
    });
    let buf = Buffer.alloc(0);
    let phase: 'version' | 'security' | 'init' | 'messages' = 'version';
    const types = this.opts.securityTypes ?? [1];
    socket.write('RFB 003.008\n');
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const used = this.step(conn, phase, buf, types, (p) => (phase = p));
        if (used === 0) break;
        buf = buf.subarray(used);
        this.emit('change');
      }
    });
  }

  /** Consume one unit from `b`; returns bytes used (0 = need more). */
  private step(conn: FakeRfbConnection, phase: string, b: Buffer, types: number[], next: (p: 'security' | 'init' | 'messages') => void): number {
    const socket = conn.socket;
    switch (phase) {
      case 'version':
        if (b.length < 12) return 0;
        conn.clientVersion = b.subarray(0, 12).toString('latin1');
        socket.write(Buffer.from([types.length, ...types]));
        next('security');
        return 12;
      case 'security':
        if (b.length < 1) return 0;
        conn.securityType = b[0];
        socket.write(Buffer.from([0, 0, 0, 0])); // SecurityResult OK (None only)
        next('init');
        return 1;
      case 'init': {
        if (b.length < 1) return 0;
        conn.sharedFlag = b[0];
        const name = Buffer.from(this.opts.name ?? 'QEMU (fake)');
        const init = Buffer.alloc(24 + name.length);
        init.writeUInt16BE(this.width, 0);
        init.writeUInt16BE(this.height, 2);
        Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]).copy(init, 4);
        init.writeUInt32BE(name.length, 20);
        name.copy(init, 24);
        socket.write(init);
        next('messages');
        return 1;
      }
    }
    return this.message(conn, b);
  }

  private message(conn: FakeRfbConnection, b: Buffer): number {
    if (b.length < 1) return 0;
    switch (b[0]) {
      case 0: // SetPixelFormat
        if (b.length < 20) return 0;
        conn.pixelFormat = Buffer.from(b.subarray(4, 20));
        return 20;
      case 2: {
        if (b.length < 4) return 0;
        const n = b.readUInt16BE(2);
        if (b.length < 4 + 4 * n) return 0;
        conn.encodings.push(Array.from({length: n}, (_, i) => b.readInt32BE(4 + 4 * i)));
        return 4 + 4 * n;
      }
      case 3: {
        if (b.length < 10) return 0;
        const req = {incremental: b[1] !== 0, x: b.readUInt16BE(2), y: b.readUInt16BE(4), width: b.readUInt16BE(6), height: b.readUInt16BE(8)};
        conn.updateRequests.push(req);
        this.answerUpdate(conn.socket, req.incremental);
        return 10;
      }
      case 4:
        if (b.length < 8) return 0;
        conn.keys.push({down: b[1] !== 0, keysym: b.readUInt32BE(4), bytes: Buffer.from(b.subarray(0, 8))});
        return 8;
      case 5:
        if (b.length < 6) return 0;
        conn.pointers.push({mask: b[1] ?? 0, x: b.readUInt16BE(2), y: b.readUInt16BE(4), bytes: Buffer.from(b.subarray(0, 6))});
        return 6;
      case 6: {
        if (b.length < 8) return 0;
        const len = b.readUInt32BE(4);
        return b.length < 8 + len ? 0 : 8 + len;
      }
      default:
        throw new Error(`fake RFB server: unknown client message ${b[0]}`);
    }
  }

  private answerUpdate(socket: net.Socket, incremental: boolean): void {
    const full = this.opts.fullUpdates && !incremental;
    const r = full ? {x: 0, y: 0, width: this.width, height: this.height} : (this.opts.updateRect ?? {x: 0, y: 0, width: 8, height: 4});
    socket.write(rawUpdate(r.x, r.y, Math.min(r.width, this.width - r.x), Math.min(r.height, this.height - r.y), patternPixel));
  }
}

function rawUpdate(x0: number, y0: number, width: number, height: number, pixel: (x: number, y: number) => number[]): Buffer {
  const msg = Buffer.alloc(4 + 12 + width * height * 4);
  msg.writeUInt8(0, 0);
  msg.writeUInt16BE(1, 2);
  writeRectHeader(msg, 4, x0, y0, width, height, 0);
  let o = 16;
  for (let y = y0; y < y0 + height; y++)
    for (let x = x0; x < x0 + width; x++) {
      for (const v of pixel(x, y)) msg[o++] = v;
    }
  return msg;
}

function writeRectHeader(b: Buffer, at: number, x: number, y: number, w: number, h: number, encoding: number): void {
  b.writeUInt16BE(x, at);
  b.writeUInt16BE(y, at + 2);
  b.writeUInt16BE(w, at + 4);
  b.writeUInt16BE(h, at + 6);
  b.writeInt32BE(encoding, at + 8);
}
