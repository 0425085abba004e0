#!/bin/bash
# PID 1 of the L1 host (lab/vf), on the host's own filesystem under a tmpfs overlay: mounts what
# a booted host has (proc, sys, dev, a tmpfs /run, hugetlbfs), 512 pages of 2 MiB, the lab guest
# kernel's modules where modprobe looks, and the control share (9p tag l1ctl, read-write) on
# /run/l1ctl. Under systemd (lab/vf/l1-systemd-init.sh) it is a service, and systemd has mounted
# the file systems and the modules already. Then it serves the control share's file protocol (lab/vf/l1-vm.ts writes it):
#   cmd/ID.sh       a request; its first line is "# timeout-s N"
#   out/ID.stdout   what it printed, out/ID.stderr, then out/ID.code (its exit status) last
# Requests run concurrently, each killed after its timeout. L1-READY on the console (ttyS0) and
# the file ready in the share say it serves.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CHECKOUT=$(cd "$(dirname "$0")/../.." && pwd)

kernel=$(uname -r)
if [ $$ -eq 1 ]; then
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev
  mkdir -p /dev/pts /dev/shm /dev/hugepages
  mount -t devpts devpts /dev/pts
  mount -t tmpfs tmpfs /dev/shm
  # /tmp stays the host's under the overlay: a checkout may live there.
  mount -t tmpfs tmpfs /run
  mount -t hugetlbfs nodev /dev/hugepages
  mkdir -p "/lib/modules/$kernel"
  mount --bind "$CHECKOUT/build/lab/guest-kernel/lib/modules/$kernel" "/lib/modules/$kernel"
fi
echo 512 >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
exec </dev/null >/dev/console 2>&1

# No udev loads drivers here: tun for the daemon's taps (the rest, igb and vfio-pci, on demand).
modprobe tun
ip link set lo up
hostname l1
# No IPv6 chatter (router solicitations, MLD) from the PF in the wire's counters.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

ctl=/run/l1ctl
mkdir -p "$ctl"
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=512000 l1ctl "$ctl" ||
  { echo "L1-ERROR cannot mount the control share"; exec sleep infinity; }
mkdir -p "$ctl/cmd" "$ctl/out" "$ctl/running"

serve() {
  local id=$1 script="$ctl/running/$1.sh" timeout_s
  read -r _ _ timeout_s <"$script"
  timeout -s KILL "${timeout_s:-60}" bash "$script" >"$ctl/out/$id.stdout" 2>"$ctl/out/$id.stderr"
  echo $? >"$ctl/out/$id.code.tmp"
  mv "$ctl/out/$id.code.tmp" "$ctl/out/$id.code"
}

touch "$ctl/ready"
echo "L1-READY kernel=$kernel"
while :; do
  for request in "$ctl"/cmd/*.sh; do
    [ -e "$request" ] || continue
    id=$(basename "$request" .sh)
    mv "$request" "$ctl/running/$id.sh"
    serve "$id" &
  done
  sleep 0.05
done
