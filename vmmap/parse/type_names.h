/* Class names as the two C++ ABIs store them in RTTI, turned into what a user reads.
 *
 * Both decoders are our own, written for names that come from target memory (untrusted): input
 * and output are bounded, recursion is bounded, nothing is allocated beyond one working area, and
 * a name the decoder does not fully understand is refused rather than guessed (the census uses a
 * refused name as one more sign that a candidate vtable is not one).
 *
 * Why not the C++ runtime's abi::__cxa_demangle: vmmap is a C program and its Windows build is a
 * static C-only executable; linking libstdc++ for one function would change both, and the
 * runtime's demangler is a large recursive parser of whole symbols that has had crashes on
 * crafted input.  The output follows __cxa_demangle's text exactly (tests/unit/test_type_names.c
 * compares the two over every _ZTS name of the machine's libraries). */
#ifndef VMMAP_PARSE_TYPE_NAMES_H
#define VMMAP_PARSE_TYPE_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* Longest name accepted on input (an Itanium _ZTS string or an MSVC decorated name). */
#define VM_TYPE_NAME_INPUT_MAX 1024

/* An Itanium ABI <type> (std::type_info::__name, the _ZTS symbol without its prefix, one leading
 * '*' allowed): "7Derived" -> "Derived", "N2ns4NameE" -> "ns::Name",
 * "St6vectorIiSaIiEE" -> "std::vector<int, std::allocator<int> >".  Writes a NUL-terminated
 * name to out and returns true; false (out holds "") when the text is not a type the decoder
 * understands completely, or when the name does not fit in cap bytes. */
bool vm_itanium_type_name(const char *mangled, char *out, size_t cap);

/* An MSVC TypeDescriptor name (".?AVDerived@@", ".?AUPoint@@", ".?AVName@ns@@",
 * ".?AV?$vector@HV?$allocator@H@std@@@std@@") -> "Derived", "Point", "ns::Name",
 * "std::vector<int,std::allocator<int> >": namespaces in source order, template arguments as
 * undname writes them without the class/struct keywords.  Same contract as above. */
bool vm_msvc_type_name(const char *decorated, char *out, size_t cap);

#endif
