#!/usr/bin/env bash
# System pieces the browser tests need (Debian chromium, CJK fonts), and the local database servers if stopped.
# Without root or apt these are skipped, and so (with a printed reason) are the tests that need them.
set -uo pipefail
# Chromium + CJK fonts for the browser tests; LibreOffice + poppler to render the briefing to an image.
packages="chromium fonts-noto-cjk libreoffice-writer-nogui poppler-utils"
if [ ! -x /usr/bin/chromium ] || ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null \
   || [ ! -d /usr/share/fonts/opentype/noto ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing $packages (apt)…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null \
      || echo "warning: apt-get could not install $packages; the tests that need them will be skipped"
  else
    echo "note: no root/apt: $packages not installed; the tests that need them will be skipped"
  fi
fi
# Start the local servers if this machine has them but they are down (the tests skip, saying so, if unreachable).
if command -v pg_ctlcluster >/dev/null && ! pg_isready -h 127.0.0.1 -q 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start 2>/dev/null || true
fi
if [ -x /usr/sbin/mariadbd ] && ! mysqladmin -h 127.0.0.1 -uroot ping >/dev/null 2>&1; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do mysqladmin -h 127.0.0.1 -uroot ping >/dev/null 2>&1 && break; sleep 1; done
fi
exit 0
