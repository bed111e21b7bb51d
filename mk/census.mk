# The C++ object census (issue 12): what its tests and samples need beyond the main Makefile.
#
#   samples/linux/*.cpp   C++ samples, built with g++ (and linked with the census's plugin
#                         library, whose vtables live in a shared object of their own)
#   test_type_names       links libstdc++ to compare our demangler with abi::__cxa_demangle
#
# Included by the Makefile (-include mk/*.mk); uses its BUILD and WARN.

CXX              ?= g++
SAMPLE_CXX_SRC   := $(sort $(wildcard samples/linux/*.cpp))
SAMPLE_CXX_BIN   := $(patsubst samples/linux/%.cpp,$(BUILD)/samples/%,$(SAMPLE_CXX_SRC))
SAMPLE_CXX_FLAGS := -std=c++17 $(filter-out -Wstrict-prototypes,$(WARN)) -O1 -g -pthread
CENSUS_PLUGIN    := $(BUILD)/samples/libcensus_plugin.so

all: $(SAMPLE_CXX_BIN)

# Samples are built without sanitizers, like the C ones: they are the targets, not the code under test.
$(CENSUS_PLUGIN): samples/common/census_plugin.cpp samples/common/census_plugin.h
	@mkdir -p $(dir $@)
	$(Q)$(CXX) $(SAMPLE_CXX_FLAGS) -fPIC -shared -o $@ $<

$(BUILD)/samples/%: samples/linux/%.cpp samples/common/census_plugin.h samples/common/census_classes.h $(CENSUS_PLUGIN)
	@mkdir -p $(dir $@)
	$(Q)$(CXX) $(SAMPLE_CXX_FLAGS) -o $@ $< -L$(BUILD)/samples -lcensus_plugin -Wl,-rpath,'$$ORIGIN'

$(BUILD)/tests/unit/test_type_names: TESTLIBS += -lstdc++
$(BUILD)/tests/integration/test_census_sample: TESTLIBS += -lstdc++

# The census benchmark's target (tests/bench/census.sh): 300 C++ classes, built like the samples.
CENSUS_FILL := $(BUILD)/bench/census_fill
bench: $(CENSUS_FILL)
$(CENSUS_FILL): tests/bench/census_fill.cpp
	@mkdir -p $(dir $@)
	$(Q)$(CXX) -std=c++17 $(filter-out -Wstrict-prototypes,$(WARN)) -O2 -o $@ $<

# The Windows C++ census sample (samples/windows/census/: census.exe and census_plugin.dll, MinGW
# g++, libstdc++ linked statically into each) and its Wine test, run by `make test-wine` beside
# test_wine_sample (mk/wine.mk runs $(WINE_EXTRA_TESTS) after building $(WINE_EXTRA_PREREQS)).
WIN_BUILD        ?= build-win
MINGW_CXX        ?= x86_64-w64-mingw32-g++
WIN_CENSUS_EXE   := $(WIN_BUILD)/samples/census.exe
WIN_CENSUS_DLL   := $(WIN_BUILD)/samples/census_plugin.dll
WIN_CENSUS_FLAGS := -std=c++17 $(filter-out -Wstrict-prototypes,$(WARN)) -O1 -D_WIN32_WINNT=0x0601
WINE_CENSUS_BIN  := $(BUILD)/tests/wine/test_wine_census
WINE_EXTRA_PREREQS += $(WIN_CENSUS_EXE) $(WIN_CENSUS_DLL) $(WINE_CENSUS_BIN)
WINE_EXTRA_TESTS   += $(WINE_CENSUS_BIN)

$(WIN_CENSUS_DLL): samples/common/census_plugin.cpp samples/common/census_plugin.h
	@mkdir -p $(dir $@)
	$(Q)$(MINGW_CXX) $(WIN_CENSUS_FLAGS) -shared -static-libgcc -static-libstdc++ -o $@ $< \
	    -Wl,--out-implib,$(WIN_BUILD)/samples/libcensus_plugin.dll.a

$(WIN_CENSUS_EXE): samples/windows/census/census.cpp samples/common/census_plugin.h samples/common/census_classes.h $(WIN_CENSUS_DLL)
	@mkdir -p $(dir $@)
	$(Q)$(MINGW_CXX) $(WIN_CENSUS_FLAGS) -static -o $@ $< $(WIN_BUILD)/samples/libcensus_plugin.dll.a -ldbghelp -lshell32

$(WINE_CENSUS_BIN): tests/wine/test_wine_census.c $(LIB) $(TEST_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< $(TEST_SUPPORT_OBJ) $(LIB) $(LIBS) $(TESTLIBS)
