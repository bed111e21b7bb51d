# vmmap — build, test, demo, bench.  `make help` lists the targets.
#
# Sources are found by wildcard: a new .c file under vmmap/ or report/ joins the library, a new
# tests/unit/test_*.c becomes a test binary, a new tests/fuzz/fuzz_*.c a fuzz target.
#
# Compiler command lines are not printed (warnings and errors are): `make V=1` shows them.

CC        ?= cc
V         ?= 0
Q         := $(if $(filter 1,$(V)),,@)
PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     ?= build
OPT       ?= -O2
SANITIZE  ?=
CFLAGS    ?=
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
BASEFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) $(OPT) -g $(SANITIZE) -I.
# libxlsxwriter is not linked: report/xlsx_lib.c dlopens it when a workbook is written (it brings
# libcrypto and libminizip, 1.7 ms of start-up every command would pay); its headers are still
# needed (libxlsxwriter-dev).  -ldl for dlopen: part of libc since glibc 2.34, a library before.
LIBS      := -lcjson -llzma -lbz2 -lz -lm -ldl -pthread
TESTLIBS  := -lcmocka

# The live source is the build's platform folder (sources/linux: /proc; mk/windows.mk names
# sources/windows).  The Linux address-space model (sources/linux_model: the steps that make a
# Linux process's mappings into blocks, the maps parser, ELF cores and Linux minidumps) is in
# every build: a core is read the same on any machine.
PLATFORM_DIR := vmmap/sources/linux
LIB_SRC := $(sort $(wildcard vmmap/*.c vmmap/model/*.c vmmap/util/*.c vmmap/parse/*.c \
             vmmap/classify/*.c vmmap/capture/*.c vmmap/series/*.c vmmap/sources/*.c vmmap/sources/input/*.c \
             vmmap/sources/nt/*.c vmmap/sources/minidump/*.c vmmap/sources/linux_model/*.c \
             $(PLATFORM_DIR)/*.c vmmap/cli/*.c report/*.c))
LIB_SRC := $(filter-out vmmap/cli/main.c,$(LIB_SRC))
LIB_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC))
LIB     := $(BUILD)/libvmmap.a
BIN     := $(BUILD)/vmmap

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
INTEG_SRC := $(sort $(wildcard tests/integration/test_*.c))
INTEG_BIN := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(INTEG_SRC))
TEST_SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))
TEST_SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SUPPORT_SRC))
SAMPLE_SRC := $(sort $(wildcard samples/linux/*.c))
SAMPLE_BIN := $(patsubst samples/linux/%.c,$(BUILD)/samples/%,$(SAMPLE_SRC))
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
BENCH_BIN := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all deps demo test check unit integration test-asan test-valgrind test-tsan tsan-run fuzz bench clean help report-preview man install uninstall clean-all
.DEFAULT_GOAL := all

all: $(BIN) $(SAMPLE_BIN)

help:
	@echo "make            build $(BIN) and the samples"
	@echo "make demo       install what is missing, build, map the bundled sample process"
	@echo "make test       install what is missing, build, run every test (plain, ASan+UBSan, valgrind, TSan, fuzz smoke, Wine)"
	@echo "make windows    cross-compile build-win/vmmap.exe (MinGW-w64, static)"
	@echo "make test-wine  the Windows sample under Wine, mapped by vmmap.exe"
	@echo "make check      build and run unit + integration tests once (no sanitizers)"
	@echo "make test-tsan  ThreadSanitizer over the unit tests that run threads"
	@echo "make fuzz       run every libFuzzer target for FUZZ_SECONDS (default 60) each"
	@echo "make bench      benchmarks: live snapshots of several process shapes vs cat smaps (and pmap -X), report, minidump, diff"
	@echo "make deps       install the Debian packages the build and tests need (apt-get)"
	@echo "make man        the man page build/vmmap.1, made from the --help texts"
	@echo "make install    vmmap and its man page into PREFIX ($(PREFIX)), under DESTDIR if set"
	@echo "make clean      remove build/, build-asan/, build-fuzz/, build-tsan/"
	@echo "make clean-all  also build-win/ (MinGW build, deps, Wine prefixes): everything make test leaves"
	@echo "V=1             show the compiler command lines"

deps:
	@scripts/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/obj/vmmap/cli/main.o $(LIB)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB) $(TEST_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< $(TEST_SUPPORT_OBJ) $(LIB) $(LIBS) $(TESTLIBS)

$(BUILD)/tests/integration/%: tests/integration/%.c $(LIB) $(TEST_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< $(TEST_SUPPORT_OBJ) $(LIB) $(LIBS) $(TESTLIBS)

# Samples are built without sanitizers: they are the targets, not the code under test.
$(BUILD)/samples/%: samples/linux/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g -pthread -o $@ $<

$(BUILD)/bench/%: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -pthread -o $@ $< -ldl

# The library the "many libraries" shape loads a few hundred copies of.
BENCH_LIB := $(BUILD)/bench/libshape.so
$(BENCH_LIB): tests/bench/lib/shape_lib.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=c11 $(WARN) -O1 -shared -fPIC -o $@ $<

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(BUILD)

# The whole suite.  Each stage prints its own results; tests/run.sh prints the closing tally.
test: deps
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-valgrind
	@$(MAKE) --no-print-directory test-tsan
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-10}
	@$(MAKE) --no-print-directory test-wine
	@tests/run.sh --tally

check: all $(UNIT_BIN) $(INTEG_BIN)
	@tests/run.sh --label plain --build $(BUILD) $(UNIT_BIN) $(INTEG_BIN)

test-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	    SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    all asan-run

asan-run: $(UNIT_BIN) $(INTEG_BIN)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	    tests/run.sh --label asan --build $(BUILD) $(UNIT_BIN) $(INTEG_BIN)

test-valgrind: all $(UNIT_BIN)
	@tests/run.sh --label valgrind --build $(BUILD) --valgrind $(UNIT_BIN)

# ThreadSanitizer (clang) over the unit tests that run threads: the smaps reader thread, the JSON
# printing workers, util/parallel, the task list.
TSAN_TESTS := test_parallel test_json test_proc_maps test_proc_process test_read_ahead test_heap_step test_census
test-tsan:
	@$(MAKE) --no-print-directory BUILD=build-tsan CC=clang OPT=-O1 SANITIZE=-fsanitize=thread tsan-run

tsan-run: $(addprefix $(BUILD)/tests/unit/,$(TSAN_TESTS))
	@TSAN_OPTIONS=halt_on_error=1 tests/run.sh --label tsan --build $(BUILD) $^

FUZZ_SECONDS ?= 60
fuzz:
	@scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_SRC)

bench: all $(BENCH_BIN) $(BENCH_LIB)
	@tests/bench/run.sh $(BUILD)

# A report rendered by LibreOffice (PDF, then the Summary page as PNG) to look at.
report-preview: all
	@scripts/report-preview.sh $(BUILD)

# The man page, made from the help texts of the binary just built (scripts/manpage.sh).
MAN := $(BUILD)/vmmap.1
man: $(MAN)
$(MAN): $(BIN) scripts/manpage.sh
	$(Q)scripts/manpage.sh $(BIN) > $@.tmp && mv $@.tmp $@

install: $(BIN) $(MAN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/vmmap
	install -m 0644 $(MAN) $(DESTDIR)$(PREFIX)/share/man/man1/vmmap.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/vmmap $(DESTDIR)$(PREFIX)/share/man/man1/vmmap.1

clean:
	rm -rf build build-asan build-fuzz build-tsan

# Everything `make test` leaves behind, about 1.6 GB: also the Windows build with its deps and
# its Wine prefixes.
clean-all: clean
	rm -rf build-win

# Windows cross-build (vmmap.exe) and the Wine tests live in their own makefile fragments.
-include mk/*.mk

-include $(LIB_OBJ:.o=.d) $(TEST_SUPPORT_OBJ:.o=.d) $(BUILD)/obj/vmmap/cli/main.d
