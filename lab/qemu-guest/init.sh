#!/bin/sh
# /init of the lab's QEMU guest: busybox plus iproute2's ip, a Debian kernel's virtio-net. It
# brings eth0 up with the address from the kernel command line, then sets a receive filter
# through virtio-net's control queue (a VLAN and a multicast group), and idles. It reports each
# step on the console (ttyS0) as a line the host waits for:
#   GUEST-READY        eth0 up with its address; its MAC and negotiated virtio features
#   GUEST-FILTERS-SET  eth0.VLAN up and the multicast group joined
# With guest.tcp=IP:PORT it also opens a TCP connection there every second: the guest's stack
# leaves the checksum to the NIC (virtio's NEEDS_CSUM), so the host can check who completes it.
# With guest.sink=PORT it takes one TCP stream on PORT and prints what arrived once it ends
# (a live migration's proof that every byte the daemon wrote into guest memory arrived intact):
#   GUEST-SINK md5=HEX
# Kernel command line: guest.ip=A.B.C.D/N  guest.vlan=ID  guest.mcast=MAC  guest.tcp=IP:PORT
#                      guest.sink=PORT
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
    guest.tcp=*) TCP="${setting#*=}" ;;
    guest.sink=*) SINK="${setting#*=}" ;;
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
# Feature bits as negotiated, bit 0 first (bit 0: VIRTIO_NET_F_CSUM, the guest offloads checksums).
echo "GUEST-READY mac=$(cat /sys/class/net/eth0/address) features=$(cat /sys/class/net/eth0/device/features)"

if [ -n "$VLAN" ]; then
  $IP link add link eth0 name "eth0.$VLAN" type vlan id "$VLAN" && $IP link set "eth0.$VLAN" up
fi
[ -n "$MCAST" ] && $IP maddr add "$MCAST" dev eth0
echo "GUEST-FILTERS-SET"

if [ -n "$TCP" ]; then
  while :; do nc -w 1 "${TCP%:*}" "${TCP#*:}" </dev/null >/dev/null 2>&1; sleep 1; done &
fi

if [ -n "$SINK" ]; then
  # nc's stdin never ends (sleep): busybox nc stops reading the socket when its stdin does.
  (sleep 1000000 | nc -l -p "$SINK" | md5sum | sed 's/ .*//; s/^/GUEST-SINK md5=/') &
fi

while :; do sleep 3600; done
