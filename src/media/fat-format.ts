/**
 * FAT12 on-disk structures for a 1.44 MB floppy (pure): the boot sector with its BIOS parameter
 * block (the geometry every 3½" HD floppy has: 2880 sectors of 512 bytes, 2 heads, 18 sectors
 * a track, media 0xF0, 2 FATs of 9 sectors, 224 root entries, 1 sector a cluster), 12-bit FAT
 * entries, and 32-byte directory entries with DOS dates.
 */

export const SECTOR = 512;
export const TOTAL_SECTORS = 2880;
export const RESERVED = 1;
export const FATS = 2;
export const FAT_SECTORS = 9;
export const ROOT_ENTRIES = 224;
export const ROOT_SECTORS = (ROOT_ENTRIES * 32) / SECTOR;
export const FIRST_DATA_SECTOR = RESERVED + FATS * FAT_SECTORS + ROOT_SECTORS;
/** Clusters 2 … CLUSTERS + 1 hold data. */
export const CLUSTERS = TOTAL_SECTORS - FIRST_DATA_SECTOR;
export const MEDIA = 0xf0;
export const END_OF_CHAIN = 0xfff;

export const ATTR_READ_ONLY = 0x01;
export const ATTR_VOLUME = 0x08;
export const ATTR_DIR = 0x10;
export const ATTR_ARCHIVE = 0x20;

const BOOT_MESSAGE = 'This floppy (written by vmbench) is not bootable.\r\nPress a key to try the next boot device.\r\n\0';

/**
 * The boot sector. Its code prints BOOT_MESSAGE, waits for a key and asks the BIOS for the next
 * boot device (int 19h), so a VM that boots the floppy by mistake says so instead of hanging.
 */
export function bootSector(opts: {label: Buffer; serial: number; oem?: string}): Buffer {
  const b = Buffer.alloc(SECTOR);
  b.set([0xeb, 0x3c, 0x90], 0); // jmp short 0x3e; nop
  b.write((opts.oem ?? 'MSWIN4.1').padEnd(8, ' ').slice(0, 8), 3, 'latin1');
  b.writeUInt16LE(SECTOR, 11);
  b[13] = 1; // sectors per cluster
  b.writeUInt16LE(RESERVED, 14);
  b[16] = FATS;
  b.writeUInt16LE(ROOT_ENTRIES, 17);
  b.writeUInt16LE(TOTAL_SECTORS, 19);
  b[21] = MEDIA;
  b.writeUInt16LE(FAT_SECTORS, 22);
  b.writeUInt16LE(18, 24); // sectors per track
  b.writeUInt16LE(2, 26); // heads
  b.writeUInt32LE(0, 28); // hidden sectors
  b.writeUInt32LE(0, 32); // large sector count (the 16-bit one holds it)
  b[36] = 0x00; // BIOS drive number: first floppy
  b[38] = 0x29; // extended boot signature: serial, label and type follow
  b.writeUInt32LE(opts.serial >>> 0, 39);
  opts.label.copy(b, 43, 0, 11);
  b.write('FAT12   ', 54, 'latin1');
  const code = 0x3e;
  const msg = code + 26;
  // xor ax,ax; mov ds,ax; xor bx,bx; mov si,msg; .l: lodsb; or al,al; jz .d; mov ah,0eh; int 10h;
  // jmp .l; .d: xor ax,ax; int 16h; int 19h
  b.set([0x31, 0xc0, 0x8e, 0xd8, 0x31, 0xdb, 0xbe, (0x7c00 + msg) & 0xff, (0x7c00 + msg) >> 8], code);
  b.set([0xac, 0x08, 0xc0, 0x74, 0x06, 0xb4, 0x0e, 0xcd, 0x10, 0xeb, 0xf5], code + 9);
  b.set([0x31, 0xc0, 0xcd, 0x16, 0xcd, 0x19], code + 20);
  b.write(BOOT_MESSAGE, msg, 'latin1');
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

/** Set 12-bit entry `n` of a FAT. */
export function setFat12(fat: Buffer, n: number, value: number): void {
  const at = Math.floor((n * 3) / 2);
  if (n % 2 === 0) {
    fat[at] = value & 0xff;
    fat[at + 1] = (fat[at + 1]! & 0xf0) | ((value >> 8) & 0x0f);
  } else {
    fat[at] = (fat[at]! & 0x0f) | ((value & 0x0f) << 4);
    fat[at + 1] = (value >> 4) & 0xff;
  }
}

export function getFat12(fat: Buffer, n: number): number {
  const at = Math.floor((n * 3) / 2);
  const v = fat[at]! | (fat[at + 1]! << 8);
  return n % 2 === 0 ? v & 0xfff : v >> 4;
}

/** A DOS date and time (2-second steps), from the date's UTC fields; clamped to 1980–2107. */
export function dosDateTime(d: Date): {date: number; time: number; tenths: number} {
  const y = d.getUTCFullYear();
  if (y < 1980) return {date: (1 << 5) | 1, time: 0, tenths: 0};
  if (y > 2107) return {date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29, tenths: 199};
  const date = ((y - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  const tenths = (d.getUTCSeconds() % 2) * 100 + Math.floor(d.getUTCMilliseconds() / 10);
  return {date, time, tenths};
}

/** A 32-byte short directory entry. */
export function dirEntry(raw: Buffer, attr: number, cluster: number, size: number, mtime: Date): Buffer {
  const e = Buffer.alloc(32);
  raw.copy(e, 0, 0, 11);
  e[11] = attr;
  const {date, time, tenths} = dosDateTime(mtime);
  e[13] = tenths; // creation time, 10 ms units
  e.writeUInt16LE(time, 14); // creation time
  e.writeUInt16LE(date, 16); // creation date
  e.writeUInt16LE(date, 18); // last access date
  e.writeUInt16LE(0, 20); // high cluster word (FAT32 only)
  e.writeUInt16LE(time, 22);
  e.writeUInt16LE(date, 24);
  e.writeUInt16LE(cluster, 26);
  e.writeUInt32LE(size, 28);
  return e;
}
