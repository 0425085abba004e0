#!/bin/sh
# /init of the L1 host's initramfs: mounts the host's own filesystem (9p tag hostroot, read-only)
# under a tmpfs overlay, so L1 runs the host's DPDK, Node and checkout unchanged and its writes
# stay in L1's memory, then switches to it and runs the script named by l1.init= (lab/vf/l1-init.sh
# in the checkout) as PID 1. Failures are printed on the console (ttyS0) as L1-ERROR lines.
export PATH=/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

for setting in $(cat /proc/cmdline); do
  case "$setting" in l1.init=*) L1_INIT="${setting#*=}" ;; esac
done
for module in $(cat /etc/modules.order); do insmod "$module" || echo "L1-ERROR insmod $module"; done

mkdir -p /lower /rw /newroot
# cache=loose: the root is read-only and L1 lives for minutes; Node reads thousands of files.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower ||
  { echo "L1-ERROR cannot mount the host's root over 9p"; exec sh; }
mount -t tmpfs -o size=512m tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot ||
  { echo "L1-ERROR cannot mount the overlay"; exec sh; }
umount /proc /sys
exec switch_root /newroot "${L1_INIT:?l1.init= missing}"
