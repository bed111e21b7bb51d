# The C++ object census (issue 12): what its tests and samples need beyond the main Makefile.
#
#   test_type_names links libstdc++ to compare our demangler with abi::__cxa_demangle.
#
# Included by the Makefile (-include mk/*.mk).

$(BUILD)/tests/unit/test_type_names: TESTLIBS += -lstdc++
