#!/usr/bin/env bash
# Builds the lab guest's initramfs: busybox-static, iproute2's ip with its libraries, init.sh,
# and the modules virtio-net over PCI and 802.1Q need, in load order, from a Debian kernel
# package unpacked under KERNEL_ROOT (scripts/setup-lab puts one there; it is never installed).
# Usage: build-initramfs.sh KERNEL_ROOT OUT_DIR [INIT MODULE...]: another /init and its modules
# for another image (lab/vf's L1 host). Writes OUT_DIR/initramfs.cpio.gz and OUT_DIR/vmlinuz;
# rebuilds only when the init, this script or the kernel is newer than the image.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage="usage: build-initramfs.sh KERNEL_ROOT OUT_DIR [INIT MODULE...]"
ROOT="$(cd "${1:?$usage}" && pwd)"
OUT="${2:?$usage}"
INIT="${3:-$HERE/init.sh}"
MODULES=("${@:4}")
[ ${#MODULES[@]} -gt 0 ] || MODULES=(virtio_pci virtio_net 8021q)
mkdir -p "$OUT"
if [ -f "$OUT/initramfs.cpio.gz" ] && [ -e "$OUT/vmlinuz" ] &&
  [ "$OUT/initramfs.cpio.gz" -nt "$INIT" ] && [ "$OUT/initramfs.cpio.gz" -nt "$0" ] &&
  [ "$OUT/initramfs.cpio.gz" -nt "$ROOT/.unpacked" ]; then
  exit 0
fi

# The newest kernel in the unpacked tree that has its modules.
KVER=$(for k in "$ROOT"/boot/vmlinuz-*; do v=${k#"$ROOT"/boot/vmlinuz-}; [ -d "$ROOT/lib/modules/$v" ] && echo "$v"; done | sort -V | tail -1)
[ -n "$KVER" ] || { echo "no kernel under $ROOT/boot (run scripts/setup-lab)" >&2; exit 1; }

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE"/{bin,sbin,dev,proc,sys,etc}
cp /bin/busybox "$STAGE/bin/busybox"
for applet in $("$STAGE/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$STAGE/bin/$applet"
done

# iproute2's ip: busybox's has no `maddr add`.
install -D -m0755 "$(readlink -f /bin/ip)" "$STAGE/sbin/ip"
ldd /bin/ip | awk '/=> \//{print $3} /^[ \t]*\//{print $1}' | sort -u | while read -r lib; do
  install -D -m0755 "$(readlink -f "$lib")" "$STAGE$lib"
done

# Modules with their dependencies, in the order modprobe would load them.
: >"$STAGE/etc/modules.order"
declare -A seen=()
for module in "${MODULES[@]}"; do
  while read -r line; do
    # "insmod PATH [OPTIONS]": the path may hold spaces (a checkout's), so it ends at .ko[.xz|.zst].
    [[ $line =~ ^insmod\ (.*\.ko(\.xz|\.zst)?)( |$) ]] || continue
    path=${BASH_REMATCH[1]}
    [ -z "${seen[$path]:-}" ] || continue
    seen[$path]=1
    target="$STAGE/lib/modules/$(basename "$path")"
    install -D -m0644 "$path" "$target"
    case "$target" in *.xz) xz -d "$target"; target=${target%.xz} ;; *.zst) zstd -q -d --rm "$target"; target=${target%.zst} ;; esac
    echo "/lib/modules/$(basename "$target")" >>"$STAGE/etc/modules.order"
  done < <(modprobe -d "$ROOT" -S "$KVER" --show-depends "$module")
done

install -m0755 "$INIT" "$STAGE/init"
(cd "$STAGE" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet | gzip -n -6) >"$OUT/.initramfs.tmp"
mv -f "$OUT/.initramfs.tmp" "$OUT/initramfs.cpio.gz"
ln -sfn "$ROOT/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
