/**
 * The qemu-img work that makes a build's disks (pure), as Packer's qemu builder orders it:
 * step_create_disk.go (the main disk, unless disk_image copies one; disk_additional_size's
 * disks; a backing-file overlay with use_backing_file), step_copy_disk.go (disk_image: a plain
 * copy when the image's extension already is the format, else `qemu-img convert`) and
 * step_resize_disk.go (disk_image: resize to disk_size unless skip_resize_disk). qemu_img_args
 * go where Packer puts them; like Packer's builder (which never hands them to the copy step),
 * the copy of a disk image gets no convert arguments.
 */
import path from 'node:path';

export interface DiskPlanInput {
  /** Where the disks are made (the build's work directory). */
  workDir: string;
  /** File name of the main disk inside workDir. */
  diskName: string;
  /** Packer's naming for additional disks: `<vm_name>-1`, `-2`… */
  vmName: string;
  format: 'qcow2' | 'raw';
  diskSizeMiB: number;
  /** With disk_image: the image to start from (iso_url's file). */
  image?: string;
  useBackingFile: boolean;
  skipResize: boolean;
  additional: readonly string[];
  qemuImgArgs: {create: readonly string[]; resize: readonly string[]};
}

/** One piece of work; `file` is the disk it makes or changes, `what` says how (for the log). */
export type DiskOp =
  | {kind: 'qemu-img'; args: string[]; file: string; what: string}
  | {kind: 'copy'; from: string; file: string; what: string};

export interface DiskPlan {
  disk: string;
  additional: string[];
  ops: DiskOp[];
}

export function diskPlan(input: DiskPlanInput): DiskPlan {
  const disk = path.join(input.workDir, input.diskName);
  const additional = input.additional.map((_, i) => path.join(input.workDir, `${input.vmName}-${i + 1}`));
  const ops: DiskOp[] = [];
  const create = (file: string, size: string, backing?: string): DiskOp => ({
    kind: 'qemu-img',
    args: ['create', '-f', input.format, ...(backing ? ['-b', backing, '-F', 'qcow2'] : []), ...input.qemuImgArgs.create, file, size],
    file,
    what: backing ? `an overlay on ${backing}` : `a ${size} disk`,
  });
  const size = `${input.diskSizeMiB}M`;
  const image = input.image;
  if (!image) ops.push(create(disk, size));
  else if (input.useBackingFile) ops.push(create(disk, size, image));
  input.additional.forEach((s, i) => ops.push(create(additional[i]!, s)));
  if (image && !input.useBackingFile) {
    const ext = path.extname(image).slice(1).toLowerCase();
    if (ext === input.format) ops.push({kind: 'copy', from: image, file: disk, what: `a copy of ${image}`});
    else ops.push({kind: 'qemu-img', args: ['convert', '-O', input.format, image, disk], file: disk, what: `${image} converted to ${input.format}`});
  }
  if (image && !input.skipResize) {
    ops.push({kind: 'qemu-img', args: ['resize', '-f', input.format, ...input.qemuImgArgs.resize, disk, size], file: disk, what: `resized to ${size}`});
  }
  return {disk, additional, ops};
}

/**
 * The final `qemu-img convert` (Packer's step_convert_disk.go: `convert [-c] [args] -O fmt`),
 * with -p for progress; undefined when Packer skips it (skip_compaction without compression).
 */
export function convertArgs(input: {format: 'qcow2' | 'raw'; compress: boolean; skipCompaction: boolean; args: readonly string[]; from: string; to: string}): string[] | undefined {
  if (input.skipCompaction && !input.compress) return undefined;
  return ['convert', '-p', ...(input.compress ? ['-c'] : []), ...input.args, '-O', input.format, input.from, input.to];
}
