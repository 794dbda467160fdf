/**
 * Typings for rfb2 0.2.2 as it really behaves (node_modules/rfb2/rfbclient.js), replacing the
 * package's own rfbclient.d.ts, which lacks keyEvent/pointerEvent/the events and declares
 * named exports that do not exist at run time under ESM.
 *
 * This file is a script (no top-level import/export), so `declare module 'rfb2'` is an ambient
 * declaration that TypeScript uses instead of the package's typings.
 *
 * Only the default import works at run time (CommonJS: `module.exports`); named imports such as
 * `import {encodings} from 'rfb2'` throw. Hence everything hangs off the default export.
 */
declare module 'rfb2' {
  import type {EventEmitter} from 'node:events';

  namespace rfb2 {
    /** What rfb2 needs from `params.stream`: it calls only on('data'|'error'), write() and end(). */
    interface RfbStream {
      on(event: 'data', listener: (chunk: Buffer) => void): unknown;
      on(event: 'error', listener: (err: unknown) => void): unknown;
      write(chunk: Buffer): unknown;
      end(): unknown;
    }

    interface ConnectParams {
      /** Our own transport; without it rfb2 opens TCP to host:port itself (no retry, no close event). */
      stream?: RfbStream;
      host?: string;
      port?: number;
      /** VNC authentication password (DES challenge, first 8 characters). */
      password?: string;
      /** Security types in order of preference; rfb2 defaults to [VNC, None]. */
      security?: number[];
      /** Encodings advertised in SetEncodings; default [raw, copyRect, pseudoDesktopSize]. */
      encodings?: number[];
      credentialsCallback?: (this: RfbClient, done: (password: string) => void) => void;
    }

    /** A FramebufferUpdate rectangle as rfb2 emits it (`'rect'`). */
    interface RfbRect {
      x: number;
      y: number;
      width: number;
      height: number;
      /** Signed encoding number (raw 0, copyRect 1, pseudoCursor -239, ...). */
      encoding: number;
      /** Raw/cursor pixels in the server's pixel format (`data` is the same Buffer). */
      buffer?: Buffer;
      data?: Buffer;
      /** CopyRect source; applying it is the caller's job. */
      src?: {x: number; y: number};
      /** Cursor pseudo-encoding bitmask. */
      mask?: Buffer;
    }

    interface RfbClient extends EventEmitter {
      /** Framebuffer size; updated in place by DesktopSize before 'resize' is emitted. */
      width: number;
      height: number;
      /** Desktop name from ServerInit (QEMU: "QEMU" or the -name value). */
      title: string;
      serverVersion: string;
      securityType: number;
      bpp: number;
      depth: number;
      /** 0/1 as sent by the server; rfb2 parses everything big-endian regardless. */
      isBigEndian: number;
      isTrueColor: number;
      redMax: number;
      greenMax: number;
      blueMax: number;
      redShift: number;
      greenShift: number;
      blueShift: number;
      /** Read in clientInit: truthy sends Exclusive (kicks other viewers); falsy sends Shared. */
      disconnectOthers?: boolean;
      /** Undocumented: re-request an incremental update after every FramebufferUpdate. */
      autoUpdate?: boolean;

      keyEvent(keysym: number, down: boolean): void;
      pointerEvent(x: number, y: number, buttonMask: number): void;
      requestUpdate(incremental: boolean, x: number, y: number, width: number, height: number): void;
      updateClipboard(text: string): void;
      /** Calls stream.end(); nothing else is torn down. */
      end(): void;

      /** Internal parser steps; vnc-client wraps two of them to detect the end of an update. */
      readFbUpdate(): void;
      expectNewMessage(): void;

      on(event: 'connect', listener: () => void): this;
      on(event: 'rect', listener: (rect: RfbRect) => void): this;
      on(event: 'resize', listener: (rect: RfbRect) => void): this;
      on(event: 'bell', listener: () => void): this;
      on(event: 'clipboard', listener: (text: string) => void): this;
      /** Strings for server-sent failure reasons; whatever the stream emitted otherwise. */
      on(event: 'error', listener: (err: unknown) => void): this;
    }
  }

  const rfb2: {
    createConnection(params: rfb2.ConnectParams): rfb2.RfbClient;
    encodings: {
      raw: 0;
      copyRect: 1;
      rre: 2;
      hextile: 5;
      zrle: 16;
      pseudoCursor: -239;
      pseudoDesktopSize: -223;
    };
    security: {None: 1; VNC: 2; ARD: 30};
    connectionFlag: {Exclusive: 0; Shared: 1};
    clientMsgTypes: {setPixelFormat: 0; setEncodings: 2; fbUpdate: 3; keyEvent: 4; pointerEvent: 5; cutText: 6};
    serverMsgTypes: {fbUpdate: 0; setColorMap: 1; bell: 2; cutText: 3};
  };
  export default rfb2;
}
