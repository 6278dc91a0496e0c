#!/bin/sh
# Installs the Debian packages moetop builds, runs and tests with.
#   sh tools/deps.sh            install what is missing (as root)
#   sh tools/deps.sh --ensure   the same, but when not root only name what is missing
#   sh tools/deps.sh --check    only name what is missing (exit 1 if anything is)
#   sh tools/deps.sh --list     print the package list
#   sh tools/deps.sh --train    also what `make model` needs to train the bundled model
# Idempotent: when everything is present it changes nothing and says nothing.
set -eu

# build: compiler, make, pkg-config; libraries: ncursesw (and ncurses-term for
# the direct-colour terminfo entries truecolor uses), inih, cglm, Vulkan
# loader and headers, glslc for shaders; tests: lavapipe (Mesa's CPU Vulkan),
# the validation layers, clang for the fuzzers, tmux for terminal tests,
# python3 and pandas to check that exported CSV loads in it, unicode-data
# (UnicodeData.txt under /usr/share/unicode: the tokenizer's differential
# corpus and tools/gen_unicode_tables.py read it), locales for the sources
# localedef builds a decimal-comma locale from (test_locale; the system's own
# locales are not touched); the experiments: LAPACK (LAPACKE, with BLAS) for
# eigenvalues and Gram matrices, liblinear for the logistic-regression probe
# of `moetop predict`.
PACKAGES="gcc make pkg-config libc6-dev libncurses-dev libinih-dev libcglm-dev ncurses-term liblapacke-dev liblinear-dev \
libvulkan-dev glslc mesa-vulkan-drivers vulkan-validationlayers clang libclang-rt-14-dev tmux \
python3 python3-pandas unicode-data locales"

# Commands the tests need, whichever package provides them: node and npm run
# the tokenizer's differential test against npm's tiktoken. Debian's `nodejs
# npm` are installed only when a command is missing (NodeSource's nodejs,
# which bundles npm, conflicts with Debian's npm package).
COMMANDS="node npm"

# training the bundled model (make model): Debian's PyTorch with OpenBLAS
# threads, the text it learns from, and Python's regex module (o200k's
# pre-tokenizer, for choosing and checking its vocabulary)
TRAIN_PACKAGES="python3-torch python3-numpy libopenblas0-pthread bible-kjv fortunes wordnet-base python3-regex"

mode=${1:-install}
case "$mode" in
  --list) echo $PACKAGES nodejs npm; exit 0 ;;
  --train) PACKAGES="$PACKAGES $TRAIN_PACKAGES"; mode=install ;;
  install|--ensure|--check) ;;
  *) echo "usage: sh tools/deps.sh [--ensure|--check|--list|--train]" >&2; exit 2 ;;
esac

missing=""
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing="$missing $p"
done
# a missing command brings in Debian's nodejs and npm together (Debian's npm
# needs Debian's nodejs)
for c in $COMMANDS; do
  if ! command -v "$c" >/dev/null 2>&1; then
    missing="$missing nodejs npm"
    break
  fi
done
[ -z "$missing" ] && exit 0

if [ "$mode" = --check ] || [ "$(id -u)" != 0 ]; then
  echo "moetop: missing Debian packages:$missing" >&2
  if [ "$(id -u)" = 0 ]; then
    echo "moetop: install them with: make deps" >&2
  else
    echo "moetop: install them with: sudo apt-get install -y$missing   (or: sudo make deps)" >&2
  fi
  exit 1
fi

echo "moetop: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
