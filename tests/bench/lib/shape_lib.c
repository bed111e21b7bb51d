/* A shared library for the benchmark's "many libraries" shape (tests/bench/run.sh copies it a few
 * hundred times and the shapes program dlopen's every copy).  It has what a real library has, so
 * each copy maps as one does: code (a few pages), read-only data, relocated data (RELRO),
 * initialised data and bss. */
#include <stddef.h>

#define TABLE 2048

static const unsigned table[TABLE] = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89}; /* .rodata */
unsigned shape_data[TABLE] = {1};                                          /* .data */
unsigned shape_bss[4 * TABLE];                                             /* .bss */
const unsigned *const shape_table_ref = table;                             /* .data.rel.ro */

/* Enough distinct code to fill more than one page of .text. */
#define STEP(n)                                                                                   \
    unsigned shape_step_##n(unsigned x)                                                           \
    {                                                                                             \
        for (size_t i = 0; i < TABLE; i += 1 + (n)) {                                             \
            x = x * 2654435761u + table[i] + shape_data[(i + (n)) % TABLE];                        \
            shape_bss[(x ^ (n)) % (4 * TABLE)] += x;                                              \
        }                                                                                         \
        return x;                                                                                 \
    }
STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)
STEP(8) STEP(9) STEP(10) STEP(11) STEP(12) STEP(13) STEP(14) STEP(15)
