#!/usr/bin/env bash
# Install what mpheap's build, demo and tests need on Debian 12, and only what is missing.
# Debian packages through apt-get; the virtual board's npm packages through `npm ci`.
set -eu
cd "$(dirname "$0")/.."
need=()
have() { command -v "$1" >/dev/null 2>&1; }
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
# Node.js, npm and python3 may come from elsewhere (nvm, nodesource, pyenv): their command on
# PATH is enough, and apt is not asked for them.
present() {
    case "$1" in
        nodejs) have node ;;
        npm | python3) have "$1" ;;
        *) false ;;
    esac || pkg_installed "$1"
}
# python3 runs two tests (tests/data/gen.py, the board on a pty), which skip without it;
# tmux and less run tests/cli/show_ux.sh's terminal tests (the pager, a terminal on stdin);
# libpng-dev builds the PNG pictures (mpheap report -o map.png); libncurses-dev the
# full-screen views (mpheap watch, explore); chromium runs the HTML report's browser tests
# (tests/browser/, driven by playwright-core).
for pkg in gcc make clang libclang-rt-14-dev nodejs npm python3 tmux less libpng-dev libncurses-dev chromium; do
    present "$pkg" || need+=("$pkg")
done
# pkg-config and man-db (man -l) check the installed tree (tests/cli/install.sh); Jupyter's
# nbconvert and ipykernel run the example notebook (examples/heap-notebook.ipynb) headless.
for pkg in pkg-config man-db jupyter-nbconvert python3-ipykernel python3-nbformat jupyter-client; do
    present "$pkg" || need+=("$pkg")
done
# --windows: also what `make windows`, `make windows-zip` and `make test-windows` need:
# MinGW-w64 and its zlib (the cross-build), dpkg-dev (dpkg-source unpacks Debian's libpng
# source package: scripts/windows-libpng.sh), Wine (tests/cli/windows.sh), zip.
if [ "${1:-}" = --windows ]; then
    for pkg in gcc-mingw-w64-x86-64 libz-mingw-w64-dev dpkg-dev wine wine64 zip; do
        present "$pkg" || need+=("$pkg")
    done
fi
if [ ${#need[@]} -gt 0 ]; then
    echo "bootstrap: installing ${need[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ -f board/package-lock.json ] && { [ ! -f board/node_modules/.package-lock.json ] || [ board/package-lock.json -nt board/node_modules/.package-lock.json ]; }; then
    echo "bootstrap: npm ci (board)"
    npm ci --prefix board --no-audit --no-fund --loglevel=error
fi
if [ -f tests/browser/package-lock.json ] && { [ ! -f tests/browser/node_modules/.package-lock.json ] || [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; }; then
    echo "bootstrap: npm ci (tests/browser)"
    npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi
