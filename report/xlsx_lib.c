/* The table of libxlsxwriter's functions (xlsx_lib.h): filled by dlopen and dlsym on the first
 * workbook on Linux, from the statically linked library at once on Windows. */
#define VM_XLSX_LIB_DIRECT
#include "xlsx_lib.h"

#ifdef _WIN32

/* The MinGW build links libxlsxwriter.a: the table holds its functions; nothing to load. */
#define VM_XLSX_STATIC(fn) .fn = fn,
vm_xlsx_table vm_xlsx_lib = {VM_XLSX_FUNCTIONS(VM_XLSX_STATIC)};
#undef VM_XLSX_STATIC

bool vm_xlsx_lib_load(vm_error *err)
{
    (void)err;
    return true;
}

#else

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

vm_xlsx_table vm_xlsx_lib;
static bool loaded;

/* The soname Debian 12's libxlsxwriter4 installs, then the unversioned name (libxlsxwriter-dev's
 * link, or a library installed from source under another version). */
static const char *const library_names[] = {"libxlsxwriter.so.4", "libxlsxwriter.so"};
#define DEBIAN_PACKAGE "libxlsxwriter4"

static void cannot_load(vm_error *err, const char *why)
{
    vm_error_set(err, VM_EXIT_ERROR, "libxlsxwriter, which writes workbooks, cannot be loaded (%s)", why);
    vm_error_hint(err, "install the package " DEBIAN_PACKAGE " (apt-get install " DEBIAN_PACKAGE ")");
}

static void missing_function(vm_error *err, const char *name, const char *fn)
{
    vm_error_set(err, VM_EXIT_ERROR, "the libxlsxwriter loaded (%s) has no function %s", name, fn);
    vm_error_hint(err, "install the package " DEBIAN_PACKAGE " (apt-get install " DEBIAN_PACKAGE ")");
}

/* Every function of the list from handle into t; false with err set naming the first missing. */
static bool resolve(void *handle, const char *name, vm_xlsx_table *t, vm_error *err)
{
    /* POSIX has dlsym's object pointer converted to a function pointer: the cast is its way. */
#define VM_XLSX_RESOLVE(fn)                                  \
    t->fn = (__typeof__(t->fn))dlsym(handle, #fn);           \
    if (!t->fn) {                                            \
        missing_function(err, name, #fn);                    \
        return false;                                        \
    }
    VM_XLSX_FUNCTIONS(VM_XLSX_RESOLVE)
#undef VM_XLSX_RESOLVE
    return true;
}

bool vm_xlsx_lib_load(vm_error *err)
{
    if (loaded)
        return true;
    /* Test hook: VMMAP_TEST_XLSX_LIB=PATH is the only library tried (/nonexistent: as if absent). */
    const char *hook = getenv("VMMAP_TEST_XLSX_LIB");
    const char *const *names = library_names;
    size_t nnames = sizeof library_names / sizeof library_names[0];
    if (hook && *hook) {
        names = &hook;
        nnames = 1;
    }
    void *handle = NULL;
    const char *name = NULL;
    char first_error[512] = "";
    for (size_t i = 0; i < nnames && !handle; i++) {
        name = names[i];
        handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
        const char *why = handle ? NULL : dlerror();
        if (i == 0 && why) /* the expected name's reason: the fallback's would only repeat it */
            snprintf(first_error, sizeof first_error, "%s", why);
    }
    if (!handle) {
        cannot_load(err, first_error[0] ? first_error : names[0]);
        return false;
    }
    /* Filled aside and copied whole: the table is never left half-resolved. */
    vm_xlsx_table t;
    if (!resolve(handle, name, &t, err)) {
        dlclose(handle);
        return false;
    }
    vm_xlsx_lib = t;
    loaded = true; /* the handle stays open for the process's life: the table points into it */
    return true;
}

#endif
