#!/usr/bin/env bash
# System pieces the tests need: Debian chromium + CJK fonts (browser tests), LibreOffice + poppler (the briefing
# rendered to an image), nginx (scripts/serve.sh), and PostgreSQL (127.0.0.1:5432, user postgres, trust, database
# `test`) and MariaDB (127.0.0.1:3306, root without password, database `test`) — installed, configured and started
# when missing.
# Idempotent: servers that already answer as the tests expect are left untouched.
# Outside CI, what cannot be had is reported and its tests skip saying why; under CI=true this script fails.
set -uo pipefail
source "$(dirname "$0")/apt.sh"
ci=false
case "${CI:-}" in true | TRUE | True | 1) ci=true ;; esac
failed=0

problem() {  # under CI a missing piece is an error (the tests would only skip); elsewhere a note
  if $ci; then echo "error: $*" >&2; failed=1; else echo "note: $*; the tests that need it will be skipped"; fi
}

# --- browser, fonts, document rendering, nginx -------------------------------------------------------------------
have_tools() {
  [ -x /usr/bin/chromium ] && [ -d /usr/share/fonts/opentype/noto ] && command -v soffice >/dev/null \
    && command -v pdftoppm >/dev/null && [ -x /usr/sbin/nginx ]
}
if ! have_tools; then
  apt_install chromium fonts-noto-cjk libreoffice-writer-nogui poppler-utils nginx
  [ -x /usr/bin/chromium ] || problem "Chromium (/usr/bin/chromium) could not be installed"
  [ -d /usr/share/fonts/opentype/noto ] || problem "the CJK fonts (fonts-noto-cjk) could not be installed"
  command -v soffice >/dev/null || problem "LibreOffice (libreoffice-writer-nogui) could not be installed"
  command -v pdftoppm >/dev/null || problem "poppler (poppler-utils) could not be installed"
  [ -x /usr/sbin/nginx ] || problem "nginx could not be installed"
fi

wait_until() {  # wait_until SECONDS COMMAND…
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do ((SECONDS < deadline)) || return 1; sleep 1; done
}

# --- PostgreSQL -------------------------------------------------------------------------------------------
pg_ready() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atqc 'select 1'; }
pg_setup() {
  command -v pg_ctlcluster >/dev/null || apt_install postgresql || return 1
  local version conf
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    pg_createcluster "$version" main >/dev/null || return 1
  fi
  conf=/etc/postgresql/$version/main
  if [ ! -f "$conf/conf.d/90-ci.conf" ]; then
    mkdir -p "$conf/conf.d"
    printf "listen_addresses = '127.0.0.1'\nport = 5432\n" >"$conf/conf.d/90-ci.conf"
  fi
  # pg_hba: the first matching line wins, so the tests' trust lines go on top.
  if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$conf/pg_hba.conf"; then
    sed -i '1i local all all trust\nhost all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main status >/dev/null 2>&1 \
    && pg_ctlcluster --skip-systemctl-redirect "$version" main reload \
    || pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_until 30 pg_ready
}
if ! pg_ready >/dev/null 2>&1; then
  if can_apt; then pg_setup || true; fi
fi
if pg_ready >/dev/null 2>&1; then
  [ "$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc "select 1 from pg_database where datname = 'test'")" = 1 ] \
    || psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test' || problem "no database test on PostgreSQL"
else
  problem "PostgreSQL is not reachable at 127.0.0.1:5432 as user postgres without password"
fi

# --- MariaDB ----------------------------------------------------------------------------------------------
my_ready() { mysql -h 127.0.0.1 -P 3306 -uroot -e 'select 1'; }
my_setup() {
  [ -x /usr/sbin/mariadbd ] || apt_install mariadb-server || return 1
  if [ -d /etc/mysql/mariadb.conf.d ] && [ ! -f /etc/mysql/mariadb.conf.d/90-ci.cnf ]; then
    printf '[mysqld]\nbind-address = 127.0.0.1\nport = 3306\nskip-name-resolve\ncharacter-set-server = utf8mb4\n' \
      >/etc/mysql/mariadb.conf.d/90-ci.cnf
  fi
  if ! mysqladmin -uroot ping >/dev/null 2>&1; then
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    service mariadb start >/dev/null 2>&1 \
      || start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    wait_until 30 mysqladmin -uroot ping || return 1
  fi
  # root over the socket is the machine's root (unix_socket); the tests come over TCP as root@127.0.0.1.
  mysql -uroot -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
                   GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;"
  wait_until 10 my_ready
}
if ! my_ready >/dev/null 2>&1; then
  if can_apt; then my_setup || true; fi
fi
if my_ready >/dev/null 2>&1; then
  mysql -h 127.0.0.1 -uroot -e 'CREATE DATABASE IF NOT EXISTS test' || problem "no database test on MariaDB"
else
  problem "MariaDB is not reachable at 127.0.0.1:3306 as root without password"
fi

exit $failed
