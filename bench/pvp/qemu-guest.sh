#!/bin/sh
# The PVP guest: a KVM VM with two virtio-net ports on the daemon's groups vm_a and vm_b (QEMU
# is the vhost-user server, the daemon connects: daemon.yaml's mode: client). Guest RAM on
# shared 1 GB hugepages (vhost-user needs memory the daemon can map); 1024-entry virtqueues;
# four vCPUs pinned by the lab (taskset or libvirt's <vcpupin>) to CPUs the daemon's workers do
# not use. GUEST_IMAGE: a Debian or Fedora cloud image with dpdk installed (guest-testpmd.sh).
set -eu
GUEST_IMAGE=${GUEST_IMAGE:?set GUEST_IMAGE to the guest disk}
RUN=/run/vhost-failover
exec qemu-system-x86_64 -machine q35,accel=kvm -cpu host -smp 4 -m 8G \
  -object memory-backend-file,id=mem,size=8G,mem-path=/dev/hugepages-1G,share=on,prealloc=on \
  -numa node,memdev=mem \
  -drive file="$GUEST_IMAGE",if=virtio \
  -chardev socket,id=vm_a,path=$RUN/vm_a.sock,server=on,wait=off \
  -netdev vhost-user,id=vm_a,chardev=vm_a \
  -device virtio-net-pci,netdev=vm_a,mac=52:54:00:00:0a:01,rx_queue_size=1024,tx_queue_size=1024,mrg_rxbuf=off \
  -chardev socket,id=vm_b,path=$RUN/vm_b.sock,server=on,wait=off \
  -netdev vhost-user,id=vm_b,chardev=vm_b \
  -device virtio-net-pci,netdev=vm_b,mac=52:54:00:00:0a:02,rx_queue_size=1024,tx_queue_size=1024,mrg_rxbuf=off \
  -nographic
