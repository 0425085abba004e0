# Sourced by the release tests (scripts/test-debian13, scripts/test-deb-releases): a minimal Debian
# root per release under build/lab/<suite>-root, made once by debootstrap and kept, and a way to
# run commands in it with the host's /proc, /sys, /dev, hugetlbfs and network namespaces.
# The kernel is the host's; only the userland is the release's.

DEBIAN_MIRROR=http://deb.debian.org/debian

# make_root SUITE: build/lab/SUITE-root, complete (its marker written last) or made anew. The
# Debian mirror is needed the first time; without it the root cannot be made, and it says so.
make_root() {
  local suite=$1 root=build/lab/$1-root entry
  [ -f "$root/.debootstrap-complete" ] && return 0
  command -v debootstrap >/dev/null && command -v curl >/dev/null || {
    apt_lists_fresh
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap curl >/dev/null
  }
  curl -fsS --max-time 30 -o /dev/null "$DEBIAN_MIRROR/dists/$suite/Release" || {
    echo "cannot reach the Debian mirror $DEBIAN_MIRROR (its $suite Release file): the $suite root is made from it" >&2
    return 1
  }
  rm -rf "$root"
  mkdir -p "$root"
  # debootstrap fails on a target whose path holds a space (a CI clone's may): it writes
  # through the root's entry, whose path has none.
  entry=$(root_path "$root")
  mkdir -p "$entry"
  mount --bind "$root" "$entry"
  mount --make-private "$entry"
  # minbase: apt and dpkg, nothing else; ca-certificates for the npm registry's TLS.
  if ! debootstrap --variant=minbase --include=ca-certificates "$suite" "$entry" "$DEBIAN_MIRROR" >"build/lab/$suite-debootstrap.log"; then
    umount -l "$entry"
    echo "debootstrap of $suite failed: see build/lab/$suite-debootstrap.log and $root/debootstrap/debootstrap.log" >&2
    return 1
  fi
  umount "$entry"
  # The release's security and updates suites, as a host of that release has them.
  cat >"$root/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR $suite main
deb $DEBIAN_MIRROR $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
EOF
  # A test root, made again rather than repaired: dpkg need not sync each file it unpacks, which
  # halves the packages' install (measured: 46 s instead of 108 s for the Debian 13 test's).
  echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/test-root-unsafe-io"
  touch "$root/.debootstrap-complete"
}

# Where ROOT is entered: a private bind of it outside the checkout, so the kernel's file systems
# mounted inside never show under build/ (where the lint's directory walk would meet /proc), and
# no mount made inside propagates to the host or from it. Named by the root's absolute path too,
# so two checkouts' roots (two CI clones, say) never share an entry.
root_path() { echo "/run/vhost-failover-roots/$(basename "$1")-$(realpath -m "$1" | sha256sum | cut -c1-12)"; }

# root_mounts_up ROOT: the host's kernel interfaces in ROOT's private bind. Each mount is recorded
# in ROOT/.mounts so root_mounts_down undoes exactly them.
root_mounts_up() {
  local root=$1 entry
  entry=$(root_path "$root")
  mkdir -p "$entry"
  mount --bind "$root" "$entry"
  mount --make-private "$entry"
  echo "$entry" >"$root/.mounts"
  # Each bind a slave of the host's mount: what the host mounts below it shows inside, but no
  # unmount inside reaches the host. A plain bind of a shared mount (/run/netns is one: ip netns
  # makes it so) is its peer, and the lazy unmount at the end would then also unmount every
  # namespace the host had under it.
  bind_into() {
    mkdir -p "$entry$2"
    mount --bind "$1" "$entry$2"
    mount --make-rslave "$entry$2"
    echo "$entry$2" >>"$root/.mounts"
  }
  bind_into /proc /proc
  bind_into /sys /sys
  bind_into /dev /dev
  bind_into /dev/pts /dev/pts
  mountpoint -q /dev/hugepages && bind_into /dev/hugepages /dev/hugepages
  # ip netns add creates its files under /run/netns: the host's directory, so the names the
  # tests choose are checked against the host's (the namespaces made inside stay inside).
  mkdir -p /run/netns
  bind_into /run/netns /run/netns
  # A tmpfs /tmp: the root's sockets and scratch files are its own, the host's /tmp is not shared.
  mkdir -p "$entry/tmp"
  mount -t tmpfs -o size=2g tmpfs "$entry/tmp"
  echo "$entry/tmp" >>"$root/.mounts"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
}

# root_mounts_down ROOT: the mounts root_mounts_up recorded, innermost first; lazy, so a process
# still holding a file cannot keep one mounted.
root_mounts_down() {
  local root=$1
  [ -f "$root/.mounts" ] || return 0
  tac "$root/.mounts" | while read -r mount_point; do
    if mountpoint -q "$mount_point"; then umount -l "$mount_point"; fi
  done
  rm -f "$root/.mounts"
  rmdir "$(root_path "$root")" 2>/dev/null || true
}

# in_root ROOT COMMAND...: COMMAND as root in ROOT (mounted by root_mounts_up), with a clean
# environment.
in_root() {
  local root=$1
  shift
  chroot "$(root_path "$root")" /usr/bin/env -i HOME=/root \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
