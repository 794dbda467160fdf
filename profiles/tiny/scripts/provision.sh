#!/bin/sh
# vmbench tiny guest provisioner (runs over SSH as root, busybox ash).
#
# Prints seed-format sections (disk nested inside system) and writes a marker
# onto the VM disk that a test can find in `qemu-img convert -O raw` of the
# output image:   VMBENCH_TINY_MARKER ${MARKER:-default}
# Preferred: ext2 filesystem on the whole disk with the marker in the file
# /vmbench-release; fallback: the marker line written raw at offset 1 MiB.

DISK=${DISK:-/dev/vda}
MNT=/mnt/vmbench-disk
LINE="VMBENCH_TINY_MARKER ${MARKER:-default}"
SEP='============================================================================'

begin() {
  echo "$SEP"
  echo "BEGIN{$1}"
}
end() { echo "END{$1}"; }

raw_marker() {
  # 1 MiB = 2048 sectors of 512 bytes; notrunc keeps the rest of the disk
  printf '%s\n' "$LINE" | dd of="$DISK" bs=512 seek=2048 conv=notrunc,fsync 2>/dev/null || return 1
  sync
  # read it back
  got=$(dd if="$DISK" bs=512 skip=2048 count=1 2>/dev/null | head -n 1)
  [ "$got" = "$LINE" ]
}

begin system
echo "kernel: $(uname -srm)"
echo "hostname: $(hostname)"
echo "uptime: $(cut -d' ' -f1 /proc/uptime) s"
echo "memory: $(awk '/^MemTotal/ {print $2 " " $3}' /proc/meminfo)"
echo "user: $(id)"

begin disk
STATUS=1
if [ ! -b "$DISK" ]; then
  echo "ERROR: $DISK is not a block device"
else
  echo "device: $DISK, $(blockdev --getsize64 "$DISK") bytes"
  METHOD=
  if command -v mke2fs >/dev/null 2>&1 || command -v mkfs.ext2 >/dev/null 2>&1; then
    MKFS=mke2fs
    command -v mke2fs >/dev/null 2>&1 || MKFS=mkfs.ext2
    if $MKFS -F -L vmbench "$DISK" >/dev/null 2>&1; then
      echo "mkfs: $MKFS $DISK ok"
      mkdir -p "$MNT"
      if mount -t ext2 "$DISK" "$MNT" 2>/dev/null || mount "$DISK" "$MNT" 2>/dev/null; then
        printf '%s\n' "$LINE" >"$MNT/vmbench-release"
        sync
        echo "wrote $MNT/vmbench-release: $(cat "$MNT/vmbench-release")"
        df -k "$MNT" | tail -n 1 | awk '{print "filesystem: " $2 " KiB, " $3 " KiB used"}'
        umount "$MNT" && METHOD=ext2
        sync
      else
        echo "mount of $DISK failed (no ext2/ext4 driver?)"
      fi
    else
      echo "mkfs: $MKFS $DISK failed"
    fi
  else
    echo "no mke2fs/mkfs.ext2 in this busybox"
  fi
  if [ -z "$METHOD" ]; then
    echo "falling back to a raw write at offset 1 MiB"
    if raw_marker; then METHOD=raw; fi
  fi
  if [ -n "$METHOD" ]; then
    STATUS=0
    echo "method: $METHOD"
    echo "marker: $LINE"
  else
    echo "ERROR: could not write the marker to $DISK"
  fi
fi
end disk

echo "mounts: $(grep -c . /proc/mounts)"
end system
exit $STATUS
