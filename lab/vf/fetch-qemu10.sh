#!/usr/bin/env bash
# Unpacks QEMU 10 from bookworm-backports into OUT_DIR without installing it and without touching
# the system's apt sources: a private apt configuration (its own sources list, package lists and
# cache under STATE_DIR) names bookworm-backports at the mirror the system already uses, and
# `apt-get download` fetches the three packages QEMU 10 runs from; `dpkg-deb -x` unpacks them.
# The firmware the unpacked data directory lacks (bios-256k.bin among it) is copied from the
# system's seabios and ipxe. Idempotent: OUT_DIR/.unpacked marks a finished run.
# Usage: fetch-qemu10.sh OUT_DIR STATE_DIR
set -euo pipefail
OUT="${1:?usage: fetch-qemu10.sh OUT_DIR STATE_DIR}"
STATE="${2:?usage: fetch-qemu10.sh OUT_DIR STATE_DIR}"
[ ! -f "$OUT/.unpacked" ] || exit 0

# The system's Debian mirror (deb822 or one-line format), so the backports come from the same place.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 !~ /security/ { print ($2 ~ /^\[/ ? $3 : $2); exit }' /etc/apt/sources.list 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$STATE/lists/partial" "$STATE/cache/archives/partial" "$STATE/sources.list.d"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main" >"$STATE/sources.list"
apt_private=(
  -o "Dir::Etc::SourceList=$(realpath "$STATE/sources.list")"
  -o "Dir::Etc::SourceParts=$(realpath "$STATE/sources.list.d")"
  -o "Dir::State::Lists=$(realpath "$STATE/lists")"
  -o "Dir::Cache=$(realpath "$STATE/cache")"
)
apt-get "${apt_private[@]}" update -qq

download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
chmod 0777 "$download" # apt fetches as its _apt user
(cd "$download" && apt-get "${apt_private[@]}" download -qq qemu-system-x86 qemu-system-common qemu-system-data)
rm -rf "$OUT"
mkdir -p "$OUT"
for deb in "$download"/*.deb; do dpkg-deb -x "$deb" "$OUT"; done

# Firmware Debian ships in other packages (seabios, ipxe-qemu), which QEMU's -L directory must hold.
data="$OUT/usr/share/qemu"
for firmware in /usr/share/seabios/*.bin /usr/lib/ipxe/qemu/*.rom; do
  [ -e "$data/$(basename "$firmware")" ] || cp "$(readlink -f "$firmware")" "$data/$(basename "$firmware")"
done

# Its libraries come from bookworm's own packages (the backport is built against bookworm): when
# the loader misses one, the packages QEMU 10 depends on that are not installed are installed
# from the system's usual sources.
missing_libraries() { ldd "$OUT/usr/bin/qemu-system-x86_64" | awk '/not found/ { print $1 }'; }
if [ -n "$(missing_libraries)" ]; then
  depends=$(for deb in "$download"/*.deb; do dpkg-deb -f "$deb" Depends; done | tr ',' '\n' |
    sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v -e '^$' -e '^qemu-system-' | sort -u)
  absent=$(for package in $depends; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || echo "$package"
  done)
  echo "fetch-qemu10: installing what QEMU 10 links against: $absent"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $absent >/dev/null
fi
if [ -n "$(missing_libraries)" ]; then
  echo "fetch-qemu10: QEMU 10 needs libraries this system lacks: $(missing_libraries)" >&2
  exit 1
fi
"$OUT/usr/bin/qemu-system-x86_64" --version | head -1
touch "$OUT/.unpacked"
