# Debian packages by apt-get, waiting for another apt/dpkg to finish: sourced by system_deps.sh and serve.sh.
# apt_install PACKAGE… installs as root (apt-get update once per script run); returns 1 where apt cannot run.
lock_wait=${APT_LOCK_TIMEOUT_S:-600}

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }

apt_do() {  # apt-get waiting for another apt/dpkg (unattended upgrades, a parallel install) up to $lock_wait s
  local deadline=$((SECONDS + lock_wait)) out
  while :; do
    out=$(DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$lock_wait" -y -qq "$@" 2>&1) && return 0
    if grep -qiE 'could not get lock|unable to acquire|is locked|lock-frontend' <<<"$out" && ((SECONDS < deadline)); then
      echo "waiting for the apt lock (another apt or dpkg is running)…"
      sleep 5
    else
      echo "$out" | tail -5 >&2
      return 1
    fi
  done
}

apt_updated=false
apt_install() {
  if ! can_apt; then return 1; fi
  if ! $apt_updated; then apt_do update || return 1; apt_updated=true; fi
  echo "installing $* (apt)…"
  apt_do install "$@" >/dev/null
}
