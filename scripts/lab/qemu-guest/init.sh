#!/bin/sh
# /init of the lab's QEMU guest: busybox plus iproute2's ip, a Debian kernel's virtio-net. It
# brings eth0 up with the address from the kernel command line, then sets a receive filter
# through virtio-net's control queue (a VLAN and a multicast group), and idles. It reports each
# step on the console (ttyS0) as a line the host waits for:
#   GUEST-READY        eth0 up with its address
#   GUEST-FILTERS-SET  eth0.VLAN up and the multicast group joined
# Kernel command line: guest.ip=A.B.C.D/N  guest.vlan=ID  guest.mcast=MAC
export PATH=/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

for setting in $(cat /proc/cmdline); do
  case "$setting" in
    guest.ip=*) ADDRESS="${setting#*=}" ;;
    guest.vlan=*) VLAN="${setting#*=}" ;;
    guest.mcast=*) MCAST="${setting#*=}" ;;
  esac
done
# Debian's busybox runs its own applets before PATH: iproute2 (for maddr) by full path.
IP=/sbin/ip

for module in $(cat /etc/modules.order); do insmod "$module" || echo "GUEST-ERROR insmod $module"; done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6  # no IPv6 chatter in the host's counters
$IP link set lo up
$IP link set eth0 up
[ -n "$ADDRESS" ] && $IP addr add "$ADDRESS" dev eth0
echo "GUEST-READY mac=$(cat /sys/class/net/eth0/address)"

if [ -n "$VLAN" ]; then
  $IP link add link eth0 name "eth0.$VLAN" type vlan id "$VLAN" && $IP link set "eth0.$VLAN" up
fi
[ -n "$MCAST" ] && $IP maddr add "$MCAST" dev eth0
echo "GUEST-FILTERS-SET"

while :; do sleep 3600; done
