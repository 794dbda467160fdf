/**
 * Parallel gzip, as Packer's compress uses (klauspost/pgzip) and pigz does: the input is cut into
 * blocks, each deflated on libuv's thread pool with the previous block's last 32 KiB as its
 * dictionary (so the ratio stays that of one stream), and ended with a sync flush so the blocks
 * join into one deflate stream; the gzip header, the CRC-32 of the whole input and its length
 * frame it. Output is byte-for-byte valid gzip that any gunzip reads. Blocks are written in order;
 * at most `parallel` are in flight, which bounds memory.
 */
import os from 'node:os';
import {Transform, type TransformCallback} from 'node:stream';
import {constants, crc32, deflateRaw, type ZlibOptions} from 'node:zlib';

const BLOCK = 1 << 20;
const WINDOW = 32 * 1024;

function deflateBlock(data: Buffer, opts: ZlibOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => deflateRaw(data, opts, (err, out) => (err ? reject(err) : resolve(out))));
}

/** A gzip compressor stream using up to `parallel` threads (default: the host's cores). */
export function createParallelGzip(opts: {level?: number; parallel?: number} = {}): Transform {
  const level = opts.level ?? constants.Z_DEFAULT_COMPRESSION;
  const parallel = Math.max(1, opts.parallel ?? os.availableParallelism());
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let crc = 0;
  let size = 0;
  let previousTail: Buffer | undefined;
  const inFlight: Promise<Buffer>[] = [];
  let headerSent = false;

  const startBlock = (block: Buffer, last: boolean): void => {
    crc = crc32(block, crc);
    size += block.length;
    // One output buffer per block: no round trips to the main thread while a block is deflated.
    const o: ZlibOptions = {level, chunkSize: BLOCK, finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH};
    if (previousTail) o.dictionary = previousTail;
    inFlight.push(deflateBlock(block, o));
    previousTail = Buffer.from(block.subarray(Math.max(0, block.length - WINDOW)));
  };

  return new Transform({
    async transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      try {
        if (!headerSent) {
          // ID, deflate, no flags, no mtime, no extra flags, OS unknown (as pgzip writes it).
          this.push(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]));
          headerSent = true;
        }
        pending.push(chunk);
        pendingBytes += chunk.length;
        while (pendingBytes >= BLOCK) {
          const all = Buffer.concat(pending);
          startBlock(all.subarray(0, BLOCK), false);
          pending = [all.subarray(BLOCK)];
          pendingBytes = all.length - BLOCK;
          // Keep the pipeline bounded: wait for the oldest block once `parallel` are running.
          while (inFlight.length >= parallel) this.push(await inFlight.shift()!);
        }
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    async flush(cb: TransformCallback) {
      try {
        if (!headerSent) this.push(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]));
        startBlock(Buffer.concat(pending), true);
        while (inFlight.length) this.push(await inFlight.shift()!);
        const trailer = Buffer.alloc(8);
        trailer.writeUInt32LE(crc >>> 0, 0);
        trailer.writeUInt32LE(size % 2 ** 32, 4);
        this.push(trailer);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}
