# `make windows`: vmmap.exe cross-compiled with MinGW-w64 (x86_64), statically linked (no DLLs
# beyond the system's), from the same sources as the Linux build with the Windows platform
# folder instead of the Linux one.  Included by the main Makefile; the build itself is the main
# Makefile's own rules, run again by a recursive make with the cross compiler and build-win/.
#
# cJSON, libxlsxwriter, liblzma and libbz2 for MinGW are built from Debian's source packages by
# scripts/build-mingw-deps.sh into $(WIN_BUILD)/deps (once; later runs do nothing); zlib comes
# from libz-mingw-w64-dev.

WIN_BUILD    ?= build-win
WIN_HOST     ?= x86_64-w64-mingw32
WIN_CC       ?= $(WIN_HOST)-gcc
WIN_DEPS     := $(WIN_BUILD)/deps
WIN_EXE      := $(WIN_BUILD)/vmmap.exe

# __USE_MINGW_ANSI_STDIO: C99 printf (%zu, %llu) instead of msvcrt's (util/compiler.h).
# _WIN32_WINNT 0x0A00: Windows 10 declarations (QueryWorkingSetEx as K32*, protection levels).
# _POSIX_THREAD_SAFE_FUNCTIONS: MinGW declares gmtime_r only under it (used by the CLI).
# LZMA_API_STATIC: lzma.h declares dllimport functions unless told the library is static.
WIN_DEFS     := -D__USE_MINGW_ANSI_STDIO=1 -D_WIN32_WINNT=0x0A00 -D_POSIX_THREAD_SAFE_FUNCTIONS=200112L \
                -DLZMA_API_STATIC
WIN_CFLAGS   := $(WIN_DEFS) -I$(WIN_DEPS)/include
WIN_SYSLIBS  := -lz -lpsapi -lm -lpthread
WIN_LIBS     := -static -L$(WIN_DEPS)/lib -lxlsxwriter -lcjson -llzma -lbz2 $(WIN_SYSLIBS)

.PHONY: windows windows-deps windows-native clean-windows

windows: windows-deps
	@$(MAKE) --no-print-directory CC=$(WIN_CC) BUILD=$(WIN_BUILD) PLATFORM_DIR=vmmap/sources/windows \
	    BIN=$(WIN_EXE) CFLAGS="$(WIN_CFLAGS) $(CFLAGS)" LIBS="$(WIN_LIBS)" $(WIN_EXE)

windows-deps:
	@command -v $(WIN_CC) >/dev/null || { echo "vmmap: error: $(WIN_CC) not found" >&2; \
	    echo "vmmap: hint: run scripts/deps.sh (or apt-get install gcc-mingw-w64-x86-64 libz-mingw-w64-dev)" >&2; exit 1; }
	@scripts/build-mingw-deps.sh $(WIN_BUILD)

# Native build in an MSYS2 MINGW64 shell, with MSYS2's own cJSON and libxlsxwriter packages
# (README.md, "Building on Windows").  Not exercised here: the cross build above is.
windows-native:
	@$(MAKE) --no-print-directory CC=gcc BUILD=$(WIN_BUILD) PLATFORM_DIR=vmmap/sources/windows \
	    BIN=$(WIN_EXE) CFLAGS="$(WIN_DEFS) $(CFLAGS)" LIBS="-static -lxlsxwriter -lcjson -llzma -lbz2 $(WIN_SYSLIBS)" $(WIN_EXE)

clean-windows:
	rm -rf $(WIN_BUILD)/obj $(WIN_BUILD)/libvmmap.a $(WIN_EXE)
