#!/bin/sh
# Inside the PVP guest: testpmd forwards between its two virtio ports (the guest's VNF), mac
# mode: each frame leaves with the sending port's MAC as source (the daemon's spoof check wants
# the guest's own) and the TRex port on the far side as destination. TREX_MAC0/TREX_MAC1: the
# MACs of TRex's ports 0 and 1 (trex_cfg.yaml's src_mac, or `portattr` in the console).
set -eu
TREX_MAC0=${TREX_MAC0:?the MAC of TRex port 0}
TREX_MAC1=${TREX_MAC1:?the MAC of TRex port 1}
modprobe vfio-pci
echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode
dpdk-devbind.py -b vfio-pci 0000:00:03.0 0000:00:04.0 # the guest's two virtio-net ports (lspci)
# Frames in on port 0 (from TRex port 0) leave on port 1 towards TRex port 1, and the reverse.
exec dpdk-testpmd -l 0-2 -n 4 -- --nb-cores=2 --rxq=1 --txq=1 --rxd=1024 --txd=1024 \
  --forward-mode=mac --eth-peer=0,"$TREX_MAC0" --eth-peer=1,"$TREX_MAC1" --auto-start --stats-period 10
