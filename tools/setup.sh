#!/usr/bin/env bash
# Shared set-up for ./run and ./test: install missing Debian packages, then configure and build.
# Sourced, not executed: defines seek_install_deps and seek_build.
#
#   seek_install_deps base|test   install what the binary (base) or the test suite (test) needs
#   seek_build DIR [cmake args] [-- build args]
#                                 configure (Release) and build incrementally into DIR

SEEK_BASE_PACKAGES=(cmake g++ ninja-build pkg-config libpcre2-dev nlohmann-json3-dev libcpp-httplib-dev
                    libgtest-dev libbenchmark-dev zlib1g-dev ccache)
SEEK_TEST_PACKAGES=(python3 python3-torch python3-numpy python3-jinja2 libopenblas0-pthread nodejs npm clang
                    libclang-rt-14-dev libsimde-dev)

seek_missing_packages() {
  local missing=() p
  for p in "$@"; do
    # Node.js may come from elsewhere than Debian (with npm bundled); a working command is enough.
    case "$p" in
      nodejs) command -v node >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]}"
}

seek_install_deps() {
  local pkgs=("${SEEK_BASE_PACKAGES[@]}")
  [ "${1:-base}" = test ] && pkgs+=("${SEEK_TEST_PACKAGES[@]}")
  local missing
  missing=$(seek_missing_packages "${pkgs[@]}")
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "seek: missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get install -y $missing" >&2
    return 1
  fi
  echo "seek: installing $missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || return 1
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >&2 || return 1
}

seek_build() {
  local dir=$1
  shift
  local gen=() configure=() build=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do configure+=("$1"); shift; done
  [ $# -gt 0 ] && shift && build=("$@")
  command -v ninja >/dev/null && gen=(-G Ninja)
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S . -B "$dir" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release "${configure[@]}" >&2 || return 1
  fi
  cmake --build "$dir" -j "$(nproc)" "${build[@]}" >&2 || return 1
}
