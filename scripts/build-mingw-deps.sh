#!/usr/bin/env bash
# Builds cJSON, libxlsxwriter, liblzma (xz-utils) and libbz2 (bzip2) for MinGW-w64 (x86_64) from
# Debian's own source packages, so the Windows vmmap.exe links the same library versions as the
# Linux build and reads the same packed cores and dumps (.xz, .bz2).  zlib comes ready-made from
# libz-mingw-w64-dev.
#
#   scripts/build-mingw-deps.sh [BUILD_DIR]     (default build-win)
#
# Result: BUILD_DIR/deps/{include,lib} with libcjson.a, libxlsxwriter.a, liblzma.a and libbz2.a,
# all static.  Each library has a stamp file; a second run with every stamp present does nothing
# (not even apt-get).
# Called by `make windows` (mk/windows.mk).
set -eu

BUILD_DIR=${1:-build-win}
mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
SRC=$BUILD_DIR/src
PREFIX=$BUILD_DIR/deps
HOST=x86_64-w64-mingw32
CC_W=${MINGW_CC:-$HOST-gcc}
CXX_W=${MINGW_CXX:-$HOST-g++}   # libxlsxwriter's CMakeLists enables C++ (nothing is built with it)
AR_W=${MINGW_AR:-$HOST-ar}
STAMP_CJSON=$PREFIX/.cjson.stamp
STAMP_XLSX=$PREFIX/.libxlsxwriter.stamp
STAMP_LZMA=$PREFIX/.liblzma.stamp
STAMP_BZ2=$PREFIX/.libbz2.stamp

say() { echo "build-mingw-deps: $*"; }
die() { echo "build-mingw-deps: error: $*" >&2; exit 1; }

if [ -f "$STAMP_CJSON" ] && [ -f "$STAMP_XLSX" ] && [ -f "$STAMP_LZMA" ] && [ -f "$STAMP_BZ2" ]; then
    exit 0
fi

command -v "$CC_W" >/dev/null || die "$CC_W not found (apt-get install gcc-mingw-w64-x86-64, or run scripts/deps.sh)"
[ -f /usr/$HOST/lib/libz.a ] || die "/usr/$HOST/lib/libz.a not found (apt-get install libz-mingw-w64-dev)"

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi

# apt-get source needs deb-src entries.  Debian 12 keeps its sources in deb822 form
# (debian.sources); we add a separate deb-src file with the same URIs and suites rather than edit
# the system's file.
ensure_deb_src() {
    if apt-cache showsrc cjson >/dev/null 2>&1 && apt-cache showsrc cjson 2>/dev/null | grep -q '^Package:'; then
        return 0
    fi
    local out=/etc/apt/sources.list.d/vmmap-deb-src.sources
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        say "adding deb-src entries ($out)"
        sed -e 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee "$out" >/dev/null
    elif [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
        out=/etc/apt/sources.list.d/vmmap-deb-src.list
        say "adding deb-src entries ($out)"
        grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $SUDO tee "$out" >/dev/null
    else
        say "no Debian sources found; adding bookworm main"
        printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            | $SUDO tee "$out" >/dev/null
    fi
    $SUDO apt-get update -qq || die "apt-get update failed"
}

# Unpacks the source package into $SRC/<name>-<version>/ (once) and prints that directory.
fetch_source() {
    local pkg=$1 dir
    dir=$(find "$SRC" -maxdepth 1 -mindepth 1 -type d -name "$pkg-*" 2>/dev/null | sort | tail -n1)
    if [ -z "$dir" ]; then
        (cd "$SRC" && apt-get source -qq "$pkg" >&2) || die "apt-get source $pkg failed"
        dir=$(find "$SRC" -maxdepth 1 -mindepth 1 -type d -name "$pkg-*" | sort | tail -n1)
    fi
    [ -n "$dir" ] || die "source of $pkg not unpacked in $SRC"
    echo "$dir"
}

build_cjson() {
    local dir=$1
    say "building cJSON from $(basename "$dir")"
    local obj=$BUILD_DIR/obj-deps/cjson
    mkdir -p "$obj" "$PREFIX/include/cjson" "$PREFIX/lib"
    # One file, no configuration needed: compile it directly (its CMake adds nothing we need).
    "$CC_W" -std=c89 -O2 -Wall -c "$dir/cJSON.c" -o "$obj/cJSON.o"
    rm -f "$PREFIX/lib/libcjson.a"
    "$AR_W" rcs "$PREFIX/lib/libcjson.a" "$obj/cJSON.o"
    cp "$dir/cJSON.h" "$PREFIX/include/cjson/cJSON.h"
    touch "$STAMP_CJSON"
}

build_xlsxwriter() {
    local dir=$1
    say "building libxlsxwriter from $(basename "$dir")"
    local obj=$BUILD_DIR/obj-deps/xlsxwriter
    rm -rf "$obj"
    mkdir -p "$obj" "$PREFIX/lib"
    cat >"$obj/toolchain.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_C_COMPILER $CC_W)
set(CMAKE_CXX_COMPILER ${CXX_W})
set(CMAKE_RC_COMPILER $HOST-windres)
set(CMAKE_FIND_ROOT_PATH /usr/$HOST)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
EOF
    # The bundled tmpfileplus is kept (not USE_STANDARD_TMPFILE): on Windows it creates its
    # temporaries under GetTempPath, where msvcrt's tmpfile() writes to the root of the drive,
    # which needs administrator rights.  Static library only; zlib from libz-mingw-w64-dev.
    cmake -S "$dir" -B "$obj" -DCMAKE_TOOLCHAIN_FILE="$obj/toolchain.cmake" \
        -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
        -DBUILD_TESTS=OFF -DBUILD_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX="$PREFIX" \
        -DZLIB_LIBRARY=/usr/$HOST/lib/libz.a -DZLIB_INCLUDE_DIR=/usr/$HOST/include >/dev/null
    cmake --build "$obj" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
    cmake --install "$obj" >/dev/null
    # CMake may install into lib or lib64 and may name it libxlsxwriter.a: normalise.
    for f in "$PREFIX"/lib*/libxlsxwriter*.a; do
        [ -f "$f" ] && [ "$f" != "$PREFIX/lib/libxlsxwriter.a" ] && cp "$f" "$PREFIX/lib/libxlsxwriter.a"
    done
    [ -f "$PREFIX/lib/libxlsxwriter.a" ] || die "libxlsxwriter.a was not produced"
    [ -f "$PREFIX/include/xlsxwriter.h" ] || die "xlsxwriter.h was not installed"
    touch "$STAMP_XLSX"
}

# liblzma alone from xz-utils' release tarball (configure included): static, decoders only (vmmap
# never compresses; the encoders' match finder also calls an MSVC intrinsic MinGW lacks), no
# programs, no threads (vmmap decodes one stream on one thread), no translations.  Windows needs
# LZMA_API_STATIC when compiling against the static library (mk/windows.mk defines it).
build_lzma() {
    local dir=$1
    say "building liblzma from $(basename "$dir")"
    local obj=$BUILD_DIR/obj-deps/lzma
    rm -rf "$obj"
    mkdir -p "$obj"
    (cd "$obj" && "$dir/configure" --host=$HOST --prefix="$PREFIX" CC="$CC_W" AR="$AR_W" \
        --enable-static --disable-shared --disable-encoders --disable-threads --disable-nls --disable-doc --disable-scripts \
        --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links >/dev/null) \
        || die "liblzma: configure failed"
    make -C "$obj/src/liblzma" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null || die "liblzma: build failed"
    make -C "$obj/src/liblzma" install >/dev/null || die "liblzma: install failed"
    [ -f "$PREFIX/lib/liblzma.a" ] && [ -f "$PREFIX/include/lzma.h" ] || die "liblzma.a / lzma.h not installed"
    touch "$STAMP_LZMA"
}

# libbz2: bzip2's library sources compiled directly (its Makefile builds the programs too, with
# the host compiler).
build_bz2() {
    local dir=$1
    say "building libbz2 from $(basename "$dir")"
    local obj=$BUILD_DIR/obj-deps/bz2 f objs=()
    rm -rf "$obj"
    mkdir -p "$obj" "$PREFIX/include" "$PREFIX/lib"
    for f in blocksort huffman crctable randtable compress decompress bzlib; do
        "$CC_W" -O2 -Wall -D_FILE_OFFSET_BITS=64 -c "$dir/$f.c" -o "$obj/$f.o" || die "libbz2: $f.c failed"
        objs+=("$obj/$f.o")
    done
    rm -f "$PREFIX/lib/libbz2.a"
    "$AR_W" rcs "$PREFIX/lib/libbz2.a" "${objs[@]}"
    cp "$dir/bzlib.h" "$PREFIX/include/bzlib.h"
    touch "$STAMP_BZ2"
}

mkdir -p "$SRC" "$PREFIX"
ensure_deb_src
if [ ! -f "$STAMP_CJSON" ]; then
    build_cjson "$(fetch_source cjson)"
fi
if [ ! -f "$STAMP_XLSX" ]; then
    build_xlsxwriter "$(fetch_source libxlsxwriter)"
fi
if [ ! -f "$STAMP_LZMA" ]; then
    build_lzma "$(fetch_source xz-utils)"
fi
if [ ! -f "$STAMP_BZ2" ]; then
    build_bz2 "$(fetch_source bzip2)"
fi
say "done: $PREFIX"
