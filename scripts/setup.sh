#!/usr/bin/env bash
# vmon set-up for a Debian machine, then one invoke task:
#   bash scripts/setup.sh demo   # install everything, run the demo
#   bash scripts/setup.sh test   # (install what is missing,) run every test
# Installs the Debian toolchain packages when it can (root or passwordless sudo), creates
# .venv with vmon and its dev extras (re-installed only when pyproject.toml changes), and
# runs `invoke <args>` inside it. The Zephyr workspace itself lives outside the repository
# (docs/workspace.md); without one, firmware steps are skipped with a loud line.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEB_PACKAGES=(
  gcc-arm-none-eabi picolibc-arm-none-eabi libstdc++-arm-none-eabi-picolibc qemu-system-arm
  device-tree-compiler ninja-build gperf cmake ccache file xz-utils git
  python3-venv python3-dev
  clang libclang-rt-dev  # libFuzzer targets on native_sim (ASan, UBSan)
)
# 32-bit host libraries only exist on x86 hosts (native_sim builds need them).
case "$(dpkg --print-architecture 2>/dev/null || echo unknown)" in
  amd64) DEB_PACKAGES+=(gcc-multilib g++-multilib) ;;
esac

install_debian_packages() {
  command -v dpkg-query >/dev/null || { echo "setup: not a Debian system; install the toolchain by hand (docs/workspace.md)"; return 0; }
  local missing=()
  for pkg in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  # Node.js runs the JavaScript payload formatters' tests; any node on PATH will do.
  command -v node >/dev/null || missing+=(nodejs)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo=(sudo)
    else
      echo "setup: WARNING cannot install Debian packages (not root, no sudo): ${missing[*]}"
      echo "setup: firmware builds need them: sudo apt-get install ${missing[*]}"
      return 0
    fi
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

create_venv() {
  local python=${PYTHON:-python3}
  local stamp=.venv/.vmon-installed
  local want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "setup: creating .venv with vmon and its dev extras"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  echo "$want" > "$stamp"
}

install_debian_packages
create_venv
if [ $# -eq 0 ]; then set -- demo; fi
exec .venv/bin/invoke "$@"
