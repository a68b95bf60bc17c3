#!/usr/bin/env bash
# Installs what mmucheck needs from Debian when it is missing:
#   libz3-dev  Z3's C API (headers, pkg-config file, library) the package links against
#   z3         Z3's command line, used by the tests to re-check exported SMT-LIB2 queries
#   cvc5       a second solver's command line: the tests require it to answer every exported query as Z3 does
#   chromium   a headless browser: the tests render the HTML trace viewer in it and check its DOM
# As root it uses apt-get; otherwise it names the packages to install and fails.
set -euo pipefail
need=()
if ! pkg-config --exists z3 2>/dev/null && [ ! -f /usr/include/z3.h ]; then need+=(libz3-dev); fi
if ! command -v z3 >/dev/null 2>&1; then need+=(z3); fi
if ! command -v cvc5 >/dev/null 2>&1; then need+=(cvc5); fi
if ! command -v chromium >/dev/null 2>&1; then need+=(chromium); fi
if ! command -v pkg-config >/dev/null 2>&1; then need+=(pkg-config); fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "mmucheck setup: missing Debian packages: ${need[*]}" >&2
  echo "  install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "mmucheck setup: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 || {
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
}
