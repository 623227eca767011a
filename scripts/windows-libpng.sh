#!/usr/bin/env bash
# libpng for the Windows build (`make windows`): Debian has no MinGW-w64 libpng, so this takes
# Debian's own source package of libpng1.6 (the one bookworm's libpng-dev is built from, with
# Debian's patches), and cross-compiles it with MinGW-w64 into a static library.
#   scripts/windows-libpng.sh DEPS_DIR CC AR
# Leaves DEPS_DIR/libpng/libpng.a and DEPS_DIR/libpng/include/{png,pngconf,pnglibconf}.h.
# The source is fetched once into DEPS_DIR/src through apt-get source, with a private list
# of Debian's deb-src entries (DEPS_DIR/apt): the system's apt configuration is not touched.
# apt-get checks the files against Debian's signed index; dpkg-source (dpkg-dev) applies the
# patches. MPH_LIBPNG_SRC=DIR uses an unpacked libpng source tree instead.
set -eu
deps=$1 cc=$2 ar=$3
out=$deps/libpng
src=${MPH_LIBPNG_SRC:-}
if [ -z "$src" ]; then
    src=$(ls -d "$deps"/src/libpng1.6-*/ 2>/dev/null | head -n 1)
    src=${src%/}
fi
if [ -z "$src" ] || [ ! -f "$src/png.c" ]; then
    for tool in apt-get dpkg-source; do
        command -v "$tool" >/dev/null 2>&1 || {
            echo "windows-libpng: $tool is missing (Debian: apt, dpkg-dev; scripts/bootstrap.sh --windows)" >&2
            exit 1
        }
    done
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    apt_dir=$(mkdir -p "$deps/apt/lists/partial" && cd "$deps/apt" && pwd)
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $codename main" \
        >"$apt_dir/sources.list"
    apt_opts=(-q -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
              -o "Dir::State::Lists=$apt_dir/lists" -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)")
    echo "windows-libpng: apt-get source libpng1.6 (Debian $codename) into $deps/src"
    apt-get "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 || {
        cat "$apt_dir/update.log" >&2
        echo "windows-libpng: could not read Debian's source index (deb-src $codename)" >&2
        exit 1
    }
    rm -rf "$deps/src" && mkdir -p "$deps/src"
    (cd "$deps/src" && apt-get "${apt_opts[@]}" source libpng1.6 >../apt/source.log 2>&1) || {
        cat "$deps/apt/source.log" >&2
        echo "windows-libpng: apt-get source libpng1.6 failed" >&2
        exit 1
    }
    src=$(ls -d "$deps"/src/libpng1.6-*/ | head -n 1)
    src=${src%/}
fi
rm -rf "$out.tmp" && mkdir -p "$out.tmp/include" "$out.tmp/obj"
# The prebuilt configuration is libpng's default one (every feature, no platform code).
cp "$src/scripts/pnglibconf.h.prebuilt" "$out.tmp/include/pnglibconf.h"
cp "$src/png.h" "$src/pngconf.h" "$out.tmp/include/"
for f in png pngerror pngget pngmem pngpread pngread pngrio pngrtran pngrutil pngset pngtrans \
         pngwio pngwrite pngwtran pngwutil; do
    "$cc" -O2 -I"$out.tmp/include" -I"$src" -c "$src/$f.c" -o "$out.tmp/obj/$f.o" &
done
failed=0
for job in $(jobs -p); do wait "$job" || failed=1; done
[ $failed -eq 0 ] || { echo "windows-libpng: compiling $src failed" >&2; exit 1; }
"$ar" rcs "$out.tmp/libpng.a" "$out.tmp"/obj/*.o
echo "$(basename "$src")" >"$out.tmp/VERSION"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "windows-libpng: $out/libpng.a from $(basename "$src")"
