# Windows samples and the Wine integration test (docs/testing-windows.md).
#
#   make wine-samples   cross-compile samples/windows/ into $(WIN_BUILD)/samples/ (MinGW-w64, static):
#                       sample.exe from samples/windows/*.c *.cpp, sample_heapdll.dll from dll/
#   make test-wine      wine-samples + `$(MAKE) windows` (vmmap.exe) + build/vmmap + the host test
#                       tests/wine/test_wine_sample.c, run under a private WINEPREFIX; always ends
#                       with `wineserver -k` for that prefix.  On success the notes (what Wine
#                       cannot show) are printed; on failure tests/run.sh prints the log's tail.
#
# Included by the Makefile (-include mk/*.mk); uses its BUILD, WARN, BASEFLAGS, LIB, LIBS, TESTLIBS,
# TEST_SUPPORT_OBJ and BIN.

WIN_BUILD        ?= build-win
MINGW_CC         ?= x86_64-w64-mingw32-gcc
MINGW_CXX        ?= x86_64-w64-mingw32-g++
# Debian installs the 64-bit loader as /usr/lib/wine/wine64 (the wine64 package); some
# distributions put wine64 on PATH.
WINE64           ?= $(firstword $(shell command -v wine64 2>/dev/null) $(wildcard /usr/lib/wine/wine64))
WINESERVER       ?= $(firstword $(shell command -v wineserver 2>/dev/null) $(wildcard /usr/lib/wine/wineserver))
# Private prefix for the test, absolute (Wine requires it); created once (wineboot -i) and reused.
# Each test program makes it ready and keeps one wineserver running for it until its end
# (tests/support/wine_session.h: Debian's wineserver -p0 ended the server after every run).
WINE_TEST_PREFIX ?= $(abspath $(WIN_BUILD))/wineprefix-test

WIN_SAMPLE_C     := $(sort $(wildcard samples/windows/*.c))
WIN_SAMPLE_CXX   := $(sort $(wildcard samples/windows/*.cpp))
WIN_SAMPLE_OBJ   := $(patsubst samples/windows/%,$(WIN_BUILD)/samples/obj/%.o,$(WIN_SAMPLE_C) $(WIN_SAMPLE_CXX))
WIN_SAMPLE_EXE   := $(WIN_BUILD)/samples/sample.exe
# A DLL the sample loads from its own folder: a heap of its own, its handle in the DLL's .bss.
WIN_SAMPLE_DLL   := $(WIN_BUILD)/samples/sample_heapdll.dll
WIN_SAMPLE_FLAGS := $(WARN) -O1 -D_WIN32_WINNT=0x0601
WIN_SAMPLE_LIBS  := -lole32 -ldbghelp -lshell32
WINE_TEST_BIN    := $(BUILD)/tests/wine/test_wine_sample
# Linux cores and minidumps mapped by both builds, compared (tests/wine/test_wine_offline.c).
WINE_OFFLINE_BIN := $(BUILD)/tests/wine/test_wine_offline
WINE_EXTRA_PREREQS += $(WINE_OFFLINE_BIN)
WINE_EXTRA_TESTS   += $(WINE_OFFLINE_BIN)

.PHONY: wine-samples test-wine wine-tools

wine-tools:
	@command -v $(MINGW_CC) >/dev/null 2>&1 && command -v $(MINGW_CXX) >/dev/null 2>&1 || { \
	    echo "vmmap: error: the MinGW-w64 compilers ($(MINGW_CC), $(MINGW_CXX)) are not installed" >&2; \
	    echo "vmmap: hint: apt-get install gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 (or: make deps)" >&2; \
	    exit 1; }

wine-samples: wine-tools $(WIN_SAMPLE_EXE) $(WIN_SAMPLE_DLL)

$(WIN_BUILD)/samples/obj/%.c.o: samples/windows/%.c
	@mkdir -p $(dir $@)
	$(Q)$(MINGW_CC) -std=c11 -Wstrict-prototypes $(WIN_SAMPLE_FLAGS) -c $< -o $@

$(WIN_BUILD)/samples/obj/%.cpp.o: samples/windows/%.cpp
	@mkdir -p $(dir $@)
	$(Q)$(MINGW_CXX) -std=c++17 $(filter-out -Wstrict-prototypes,$(WIN_SAMPLE_FLAGS)) -c $< -o $@

# Statically linked (libgcc, libstdc++, winpthread): only Windows' own DLLs at run time.
$(WIN_SAMPLE_EXE): $(WIN_SAMPLE_OBJ)
	@mkdir -p $(dir $@)
	$(Q)$(MINGW_CXX) -static -s -o $@ $^ $(WIN_SAMPLE_LIBS)

$(WIN_SAMPLE_DLL): samples/windows/dll/sample_heapdll.c
	@mkdir -p $(dir $@)
	$(Q)$(MINGW_CC) -std=c11 -Wstrict-prototypes $(WIN_SAMPLE_FLAGS) -shared -static-libgcc -s -o $@ $<

$(WINE_TEST_BIN): tests/wine/test_wine_sample.c $(LIB) $(TEST_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< $(TEST_SUPPORT_OBJ) $(LIB) $(LIBS) $(TESTLIBS)

$(WINE_OFFLINE_BIN): tests/wine/test_wine_offline.c $(TEST_SUPPORT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< $(TEST_SUPPORT_OBJ) $(LIB) $(LIBS) $(TESTLIBS)

test-wine: wine-tools
	@test -n "$(WINE64)" && test -x "$(WINE64)" && test -n "$(WINESERVER)" || { \
	    echo "vmmap: error: 64-bit Wine is not installed (no wine64 on PATH nor /usr/lib/wine/wine64, or no wineserver)" >&2; \
	    echo "vmmap: hint: apt-get install wine64 wine (or: make deps)" >&2; \
	    exit 1; }
	@$(MAKE) -s --no-print-directory $(WIN_SAMPLE_EXE) $(WIN_SAMPLE_DLL) $(BIN) $(WINE_TEST_BIN) $(WINE_EXTRA_PREREQS)
	@$(MAKE) --no-print-directory windows || { \
	    echo "vmmap: error: \`make windows\` failed: the Wine test needs $(WIN_BUILD)/vmmap.exe" >&2; exit 1; }
	@mkdir -p $(WIN_BUILD)
	@rc=0; \
	WINEPREFIX="$(WINE_TEST_PREFIX)" WINEDEBUG=-all WINE64="$(WINE64)" WINESERVER="$(WINESERVER)" \
	    VMMAP_WIN_BUILD="$(WIN_BUILD)" \
	    tests/run.sh --label wine --build $(BUILD) $(WINE_TEST_BIN) $(WINE_EXTRA_TESTS) || rc=$$?; \
	[ $$rc -ne 0 ] || grep -E '^  note:|^\[  ' $(BUILD)/logs/test_wine_sample.log 2>/dev/null || true; \
	WINEPREFIX="$(WINE_TEST_PREFIX)" "$(WINESERVER)" -k 2>/dev/null || true; \
	exit $$rc
