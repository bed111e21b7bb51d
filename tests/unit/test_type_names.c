/* Class-name decoders (parse/type_names.h).
 *
 * Itanium: our demangler against the C++ runtime's own abi::__cxa_demangle (this test links
 * libstdc++), on names compiled from every construct a class name can hold (g++ 12 printed them
 * with typeid(...).name(): nested, local, lambdas, templates with literals, packs, pointers to
 * functions and members, ABI tags, std:: abbreviations), on every _ZTS symbol of the machine's
 * libstdc++ (VMMAP_TEST_DEMANGLE_DIR=DIR: of every shared library in DIR), and on refusals:
 * truncated, trailing garbage, dangling substitutions, expressions, nesting beyond the bound.
 *
 * MSVC: no compiler or undname here, so expected texts are written out from the documented
 * encoding (primitives, V/U classes, templates with their own back-reference scope, $0 numbers,
 * pointers with __ptr64 and cv letters, anonymous namespaces) and checked exactly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmap/parse/elf.h"
#include "vmmap/parse/type_names.h"
#include "vmmap/util/pattern.h"

/* libstdc++'s demangler, declared here because this is C (cxxabi.h is C++). */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* Demangles with both and fails on any difference; returns 1 when both accept, 0 when the runtime
 * refuses too (not compared). */
static int same_as_runtime(const char *mangled)
{
    int status = 0;
    char *ref = __cxa_demangle(mangled, NULL, NULL, &status);
    char mine[4096];
    bool ok = vm_itanium_type_name(mangled, mine, sizeof mine);
    if (!ref) {
        if (ok)
            fail_msg("%s: the runtime refuses it, we gave \"%s\"", mangled, mine);
        return 0;
    }
    if (!ok)
        fail_msg("%s: refused; the runtime gives \"%s\"", mangled, ref);
    if (strcmp(ref, mine) != 0)
        fail_msg("%s:\n  runtime %s\n  ours    %s", mangled, ref, mine);
    free(ref);
    return 1;
}

/* What g++ 12 wrote for typeid(x).name() of a program with one class of every kind. */
static const char *const COMPILED[] = {
    "7Derived", "N2ns4NameE", "N2ns5inner3BoxIiEE", "N2ns5inner3BoxINS_4NameEEE", "N12_GLOBAL__N_16HiddenE",
    "6IntArgILin5EE", "6IntArgILi0EE", "4UArgILj7EE", "4LArgILln9EE", "5ULArgILm9EE", "5LLArgILx1EE",
    "4BArgILb1EE", "4BArgILb0EE", "4CArgILc65EE", "5SCArgILan3EE", "4SArgILs2EE", "4EArgIL5Color1EE",
    "5SEArgIL6Scoped3EE", "4PackIJEE", "4PackIJicEE", "5Pack2IiJEE", "5Pack2IiJ4PackIJEEEE", "4NArgILDnEE",
    "4PArgIXadL_Z4gvarEEE", "4FArgIXadL_Z4gfuniEEE", "4TArgIPFicEE", "4TArgIRFicEE", "4TArgIA4_iE",
    "4TArgIPA4_iE", "4TArgIA2_A3_iE", "4TArgIM6MemberiE", "4TArgIM6MemberKFvvEE", "4TArgIPVKcE", "4TArgIKPcE",
    "4TArgIRKiE", "4TArgIOiE", "4TArgIPFvizEE", "4TArgIDoFvvEE", "4TArgIPDoFvvEE", "4TArgISt8functionIFviEEE",
    "4TArgISt3mapINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEESt6vectorIiSaIiEESt4lessIS6_ESaISt4pair"
    "IKS6_S9_EEEE",
    "4TArgISt5tupleIJidEEE", "4TArgISt10unique_ptrIA_iSt14default_deleteIS1_EEE", "4TArgIwE", "4TArgIDsE",
    "4TArgIDiE", "4TArgIoE", "4TArgIeE", "4TArgIgE", "4TArgIDnE", "4TArgICdE", "5TTArgI4TArgE", "5TTArgISaE",
    "6TaggedB4tag1", "4TArgI6TaggedB4tag1E", "N5Outer6NestedE", "N5Outer2NTIS_EE",
    "4TArgINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEE",
    "4TArgINSt7__cxx1112basic_stringIwSt11char_traitsIwESaIwEEEE", "4TArgIPSoE", "4TArgIPSdE", "4TArgIPSiE",
    "Z4mainE5Local", "Z4mainE5Local_0", "Z4mainE5Local_1", "ZZ4mainENKUlvE_clEvE8InLambda",
    "ZZ4mainENKUlicE0_clEicE9InLambda2", "Z4tfunIiEvT_E3InT", "Z4tfunIcEvT_E3InT", "Z4tfunIN2ns4NameEEvT_E3InT",
    "ZN4CtorC4EvE6InCtor", "ZNK4CtorclEvE4InOp", "ZNO4CtorplEiE6InPlus", "ZNKUlvE_clEvE9InDefault",
    "Z4mainENUt_2UNE", "4TArgIZ4mainEUliE1_E", "4TArgISt8functionIFiRK6MemberPiEEE",
    "4TArgISt4pairIKiSt10shared_ptrIN2ns4NameEEEE", "ZN4CtorD4EvE6InDtor",
    /* from the machine's libraries: an empty pack after a template (no space between '>'), a
     * function returning a function pointer, noexcept function types, lambdas in templates */
    "N4llvm6detail9PassModelINS_6ModuleE17NewPMDebugifyPassNS_17PreservedAnalysesENS_15AnalysisManagerIS2_JEE"
    "EJEEE",
    "St5_BindIFPFNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEP12pkgCacheFileRKN8pkgCache11PkgIteratorE"
    "ES7_St12_PlaceholderILi1EEEE",
    "St19_Sp_counted_deleterIPcPDoFvPvESaIvELN9__gnu_cxx12_Lock_policyE2EE",
    "St23_Sp_counted_ptr_inplaceI1BSaIvELN9__gnu_cxx12_Lock_policyE2EE",
    "NSt7__cxx1115basic_stringbufIcSt11char_traitsIcESaIcEEE", "N12_GLOBAL__N_121future_error_categoryE",
};

static void test_itanium_compiled(void **state)
{
    (void)state;
    int compared = 0;
    for (size_t i = 0; i < sizeof COMPILED / sizeof COMPILED[0]; i++)
        compared += same_as_runtime(COMPILED[i]);
    assert_int_equal(compared, (int)(sizeof COMPILED / sizeof COMPILED[0]));
}

static void expect_itanium(const char *mangled, const char *want)
{
    char out[512];
    if (!vm_itanium_type_name(mangled, out, sizeof out))
        fail_msg("%s refused, want %s", mangled, want);
    assert_string_equal(out, want);
}

static void test_itanium_examples(void **state)
{
    (void)state;
    expect_itanium("7Derived", "Derived");
    expect_itanium("N2ns4NameE", "ns::Name");
    expect_itanium("St6vectorIiSaIiEE", "std::vector<int, std::allocator<int> >");
    expect_itanium("*N12_GLOBAL__N_16HiddenE", "(anonymous namespace)::Hidden"); /* libstdc++'s '*' */
    expect_itanium("Z4mainE5Local", "main::Local");
}

static void expect_refused(const char *mangled)
{
    char out[512] = "x";
    if (vm_itanium_type_name(mangled, out, sizeof out))
        fail_msg("\"%s\" accepted as \"%s\"", mangled, out);
    assert_string_equal(out, "");
}

static void test_itanium_refusals(void **state)
{
    (void)state;
    static const char *const BAD[] = {
        "", "*", "7Derive", "8Derived", "0", "N2ns4NameEx", "N2ns4Name", "NE", "S_", "S0_", "T_", "St",
        "I1AE", "1AIE", "3fooIXplLi1ELi2EEE", "Dv4_i", "U3foo1A", "4TArgIPFPFilEcEE",
        "7Der ved", "99999999999999999999A", "1A1B", "Ut_", "L1A", "Z4mainE", "ZE1A",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        expect_refused(BAD[i]);
    /* Nesting past the bound, and input past the length bound. */
    char deep[VM_TYPE_NAME_INPUT_MAX + 8];
    memset(deep, 'P', 500);
    strcpy(deep + 500, "i");
    expect_refused(deep);
    memset(deep, 'A', sizeof deep - 1);
    deep[sizeof deep - 1] = 0;
    memcpy(deep, "1A", 2);
    expect_refused(deep);
    /* A name that does not fit the caller's buffer is refused, not cut. */
    char small[9];
    assert_false(vm_itanium_type_name("N2ns4NameE", small, 8));
    assert_true(vm_itanium_type_name("N2ns4NameE", small, sizeof small));
    assert_string_equal(small, "ns::Name");
}

/* Substitutions that expand into long text again and again stop at the pool bound. */
static void test_itanium_expansion_bound(void **state)
{
    (void)state;
    char m[VM_TYPE_NAME_INPUT_MAX];
    size_t n = (size_t)snprintf(m, sizeof m, "1AI%s", "N1b1cIiEE");
    for (int i = 0; i < 20 && n + 40 < sizeof m; i++)
        n += (size_t)snprintf(m + n, sizeof m - n, "St4pairIS0_S0_E");
    snprintf(m + n, sizeof m - n, "E");
    char out[4096];
    /* Either decoded whole (and then as the runtime does) or refused; never cut. */
    if (vm_itanium_type_name(m, out, sizeof out))
        same_as_runtime(m);
}

typedef struct corpus {
    size_t names, compared;
} corpus;

static bool on_zts(void *ctx, const char *name, uint64_t value, uint64_t size)
{
    (void)value;
    (void)size;
    corpus *c = ctx;
    c->names++;
    c->compared += (size_t)same_as_runtime(name + 4);
    return true;
}

static void demangle_file(const char *path, corpus *c)
{
    vm_file_reader fr;
    char err[256];
    if (!vm_file_reader_open(&fr, path, err, sizeof err))
        return;
    vm_memreader r = vm_file_reader_make(&fr);
    vm_elf e;
    memset(&e, 0, sizeof e);
    if (vm_elf_parse(&r, fr.size, &e, err, sizeof err))
        vm_elf_each_symbol(&r, &e, "_ZTS", on_zts, c);
    vm_elf_free(&e);
    vm_file_reader_close(&fr);
}

static void test_itanium_machine_corpus(void **state)
{
    (void)state;
    corpus c = {0, 0};
    const char *dir = getenv("VMMAP_TEST_DEMANGLE_DIR");
    if (dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d)))
            if (strstr(de->d_name, ".so")) {
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                demangle_file(path, &c);
            }
        if (d)
            closedir(d);
    } else {
        static const char *const LIBS[] = {"/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6",
                                           "/usr/lib/libstdc++.so.6"};
        for (size_t i = 0; i < sizeof LIBS / sizeof LIBS[0] && c.names == 0; i++)
            demangle_file(LIBS[i], &c);
    }
    if (c.names == 0)
        skip(); /* no libstdc++ with symbols on this machine */
    print_message("  note: %zu _ZTS names, %zu compared with __cxa_demangle\n", c.names, c.compared);
    assert_int_equal(c.compared, c.names);
}

static void expect_msvc(const char *decorated, const char *want)
{
    char out[512];
    if (!vm_msvc_type_name(decorated, out, sizeof out))
        fail_msg("%s refused, want %s", decorated, want);
    assert_string_equal(out, want);
}

static void test_msvc_names(void **state)
{
    (void)state;
    expect_msvc(".?AVDerived@@", "Derived");
    expect_msvc(".?AUPoint@@", "Point");
    expect_msvc(".?ATBits@@", "Bits");
    expect_msvc(".?AVName@ns@@", "ns::Name");
    expect_msvc(".?AVName@inner@outer@@", "outer::inner::Name");
    expect_msvc(".?AVbad_alloc@std@@", "std::bad_alloc");
    expect_msvc(".?AV?$vector@HV?$allocator@H@std@@@std@@", "std::vector<int,std::allocator<int> >");
    expect_msvc(".?AV?$basic_ostream@DU?$char_traits@D@std@@@std@@",
                "std::basic_ostream<char,std::char_traits<char> >");
    /* "2" is the map scope's third fragment: map, less<int>, std. */
    expect_msvc(".?AV?$map@HHU?$less@H@std@@V?$allocator@U?$pair@$$CBHH@std@@@2@@std@@",
                "std::map<int,int,std::less<int>,std::allocator<std::pair<int const,int> > >");
    expect_msvc(".?AVHidden@?A0x1a2b3c4d@@", "`anonymous namespace'::Hidden");
    expect_msvc(".?AV?$Fixed@$0BA@@@", "Fixed<16>");
    expect_msvc(".?AV?$Fixed@$0A@@@", "Fixed<0>");
    expect_msvc(".?AV?$Fixed@$00@@", "Fixed<1>");
    expect_msvc(".?AV?$Fixed@$0?0@@", "Fixed<-1>");
    expect_msvc(".?AV?$P@PEAH@@", "P<int *>");
    expect_msvc(".?AV?$P@PEBD@@", "P<char const *>");
    expect_msvc(".?AV?$P@PAH@@", "P<int *>"); /* x86: no __ptr64 marker */
    expect_msvc(".?AV?$R@AEAVThing@@@@", "R<Thing &>");
    expect_msvc(".?AV?$F@P6AXH@Z@@", "F<void (__cdecl*)(int)>");
    expect_msvc(".?AV?$function@$$A6AXH@Z@std@@", "std::function<void __cdecl(int)>");
    expect_msvc(".?AV?$function@$$A6AHXZ@std@@", "std::function<int __cdecl(void)>");
    expect_msvc(".?AV?$T@_N_J_K_W@@", "T<bool,__int64,unsigned __int64,wchar_t>");
    expect_msvc(".?AV?$T@W4Color@@@@", "T<Color>");
    expect_msvc(".?AV?$tuple@$$V@std@@", "std::tuple<>");
    /* A back-reference to the enclosing name's earlier fragment. */
    expect_msvc(".?AVInner@Outer@ns@@", "ns::Outer::Inner");
    expect_msvc(".?AV?$Box@VItem@ns@@@ns@@", "ns::Box<ns::Item>");
    /* In a template's own scope, fragment 0 is the template's name. */
    expect_msvc(".?AV?$Box@VItem@0@@ns@@", "ns::Box<Box::Item>");
}

static void test_msvc_refusals(void **state)
{
    (void)state;
    static const char *const BAD[] = {
        "", ".?AV", ".?AVX", ".?AV@@", ".?AVX@", ".?AVX@@junk", ".?AXX@@", "?AVX@@", ".?AV<lambda_1>@?1??main@@YAHXZ@",
        ".?AV?$X@@@", ".?AV?$X@Z@@", ".?AV5@@", ".?AVa b@@", ".?AV?$X@$0@@@", ".?AW9E@@", ".?AV?$X@PEZH@@",
    };
    char out[256];
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        if (vm_msvc_type_name(BAD[i], out, sizeof out))
            fail_msg("\"%s\" accepted as \"%s\"", BAD[i], out);
    /* Template nesting beyond the bound. */
    char deep[VM_TYPE_NAME_INPUT_MAX];
    size_t n = (size_t)snprintf(deep, sizeof deep, ".?AV");
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, "?$A@V");
    snprintf(deep + n, sizeof deep - n, "B@@");
    assert_false(vm_msvc_type_name(deep, out, sizeof out));
}

static void test_patterns(void **state)
{
    (void)state;
    assert_true(vm_pattern_match("Derived", "Derived"));
    assert_false(vm_pattern_match("Derived", "Derived2"));
    assert_true(vm_pattern_match("std::*", "std::vector<int, std::allocator<int> >"));
    assert_true(vm_pattern_match("*Context", "app::RequestContext"));
    assert_false(vm_pattern_match("*Context", "app::RequestContextFactory"));
    assert_true(vm_pattern_match("A?C", "ABC"));
    assert_false(vm_pattern_match("A?C", "AC"));
    assert_true(vm_pattern_match("[A-C]x", "Bx"));
    assert_false(vm_pattern_match("[!A-C]x", "Bx"));
    assert_true(vm_pattern_match("Box\\<int>", "Box<int>"));
    assert_true(vm_pattern_match("a[b", "a[b")); /* an unclosed set is a plain '[' */
    assert_true(vm_pattern_match("**a*b*", "xxaxxbxx"));
    assert_false(vm_pattern_match("*a*b", "xxaxxbxx"));
    assert_true(vm_pattern_match("", ""));
    assert_false(vm_pattern_match("", "x"));
    assert_true(vm_pattern_is_glob("a*"));
    assert_false(vm_pattern_is_glob("a\\*"));
    assert_false(vm_pattern_is_glob("ns::Name"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_itanium_compiled),     cmocka_unit_test(test_itanium_examples),
        cmocka_unit_test(test_itanium_refusals),     cmocka_unit_test(test_itanium_expansion_bound),
        cmocka_unit_test(test_itanium_machine_corpus), cmocka_unit_test(test_msvc_names),
        cmocka_unit_test(test_msvc_refusals),        cmocka_unit_test(test_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
