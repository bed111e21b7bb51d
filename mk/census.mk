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
$(CENSUS_PLUGIN): samples/linux/lib/census_plugin.cpp samples/linux/lib/census_plugin.h
	@mkdir -p $(dir $@)
	$(CXX) $(SAMPLE_CXX_FLAGS) -fPIC -shared -o $@ $<

$(BUILD)/samples/%: samples/linux/%.cpp samples/linux/lib/census_plugin.h $(CENSUS_PLUGIN)
	@mkdir -p $(dir $@)
	$(CXX) $(SAMPLE_CXX_FLAGS) -o $@ $< -L$(BUILD)/samples -lcensus_plugin -Wl,-rpath,'$$ORIGIN'

$(BUILD)/tests/unit/test_type_names: TESTLIBS += -lstdc++
$(BUILD)/tests/integration/test_census_sample: TESTLIBS += -lstdc++

# The census benchmark's target (tests/bench/census.sh): 300 C++ classes, built like the samples.
CENSUS_FILL := $(BUILD)/bench/census_fill
bench: $(CENSUS_FILL)
$(CENSUS_FILL): tests/bench/census_fill.cpp
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(filter-out -Wstrict-prototypes,$(WARN)) -O2 -o $@ $<
