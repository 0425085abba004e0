# Sourced by the set-up scripts: install_missing LIST [apt options] installs the Debian packages
# of the array LIST that are not installed yet, updating the package lists once if needed.
say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

apt_lists_fresh() {
  [ -n "${apt_updated:-}" ] && return 0
  apt-get update -qq
  apt_updated=1
}

install_missing() {
  local -n list=$1
  shift
  local missing=()
  for package in "${list[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  say "installing ${missing[*]}"
  apt_lists_fresh
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" "${missing[@]}" >/dev/null
}
