#!/bin/bash
# PID 1 of the L1 host (lab/vf) when it boots systemd: readies the overlay root for the host's own
# /lib/systemd/systemd, then becomes it (exec keeps PID 1). What it writes lands in L1's tmpfs
# overlay, never on the host:
# - the lab guest kernel's modules where modprobe (and udev) look;
# - l1-ctl.service, which runs lab/vf/l1-init.sh, the control share's command server, once
#   systemd's basic boot is done, and l1-lab.target, the only target L1 boots into (the host's
#   multi-user.target would start its own services: a database, timers, gettys);
# - masks for what an L1 of a few minutes does not need or cannot do on a read-only 9p root;
# - no /.dockerenv (the host's root has one when it is a container): systemd takes it to mean it
#   runs in a container and skips what a booted host runs (udev among them).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CHECKOUT=$(cd "$(dirname "$0")/../.." && pwd)

mount -t proc proc /proc
kernel=$(uname -r)
mkdir -p "/lib/modules/$kernel"
mount --bind "$CHECKOUT/build/lab/guest-kernel/lib/modules/$kernel" "/lib/modules/$kernel"
umount /proc

rm -f /.dockerenv
units=/etc/systemd/system
cat >"$units/l1-ctl.service" <<UNIT
[Unit]
Description=the VF lab's command server (lab/vf/l1-init.sh)
After=basic.target

[Service]
ExecStart=$CHECKOUT/lab/vf/l1-init.sh
# The commands it runs (the daemon outside systemd, testpmd) outlive no stop: L1 is switched off.
KillMode=process
UNIT
cat >"$units/l1-lab.target" <<UNIT
[Unit]
Description=the VF lab's L1 host
Requires=basic.target l1-ctl.service
After=basic.target l1-ctl.service
AllowIsolate=yes
UNIT
# Time, entropy and first-boot services, the journal's move to /var (it stays in /run), mounts
# nothing here uses, and the pcrphase and repart services (no TPM, no disk).
for unit in systemd-timesyncd.service systemd-pstore.service systemd-firstboot.service \
  systemd-random-seed.service systemd-journal-flush.service systemd-machine-id-commit.service \
  systemd-pcrphase.service systemd-pcrphase-sysinit.service systemd-repart.service \
  systemd-binfmt.service proc-sys-fs-binfmt_misc.automount sys-kernel-debug.mount \
  sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount \
  systemd-update-utmp.service systemd-remount-fs.service systemd-fsck-root.service \
  e2scrub_reap.service apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
  e2scrub_all.timer fstrim.timer man-db.timer; do
  ln -sf /dev/null "$units/$unit"
done

exec /lib/systemd/systemd --unit=l1-lab.target --log-target=console --show-status=false
