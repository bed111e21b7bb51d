/* vmmap heaps TARGET: inside the heaps.  Every block of every heap walked (glibc today), one row
 * per heap with busy / free / cached blocks and bytes, largest free block, fragmentation,
 * overhead and owner; each heap's block sizes (WinDbg's `!heap -s` and `!heap -stat`); --blocks
 * lists the blocks themselves for scripts. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../report/heap_view.h"
#include "../../report/heaps_csv.h"
#include "../../report/output.h"
#include "../../report/text_heaps.h"
#include "../capture/heap_step.h"
#include "../util/output_target.h"
#include "../util/units.h"
#include "cli.h"

#define DEFAULT_TOP 10

static void help(FILE *out)
{
    fprintf(out,
            "Usage: vmmap heaps TARGET [--heap ID] [--blocks] [--top N] [-o FILE] [OPTIONS]\n"
            "\n"
            "Opens the heaps: walks every block of every heap in the target's memory and shows,\n"
            "one row per heap, biggest committed first:\n"
            "  Heap, Kind, Address   as in `vmmap show` (glibc main arena / arena / mmap chunks)\n"
            "  Owner                 the modules whose writable data (.data, .bss) holds the\n"
            "                        heap's address (libc for glibc's arenas; msvcrt.dll for\n"
            "                        its CRT heap; a DLL with a static CRT for its own);\n"
            "                        several: all.  \"process default heap\": GetProcessHeap's\n"
            "                        (PEB.ProcessHeap)\n"
            "  Committed             the heap's committed memory\n"
            "  Busy, Busy size       blocks in use by the program\n"
            "  Free, Free size       free as the allocator counts it (glibc: fastbins, the bins\n"
            "                        and the top chunk)\n"
            "  Cached, Cached size   held by a front-end cache (glibc's per-thread tcache,\n"
            "                        Wine's delayed frees): in use for the allocator, free for\n"
            "                        the program\n"
            "  Largest free          the largest free block\n"
            "  Frag.                 free bytes outside the largest free block, in %% of free\n"
            "  Overhead              the allocator's own bytes between blocks (heap headers,\n"
            "                        malloc_state, fence posts, an mmapped chunk's slack)\n"
            "then each heap's block sizes by bytes (size, busy, free, cached, bytes).  Block\n"
            "sizes are the allocator's, header included; sizes in K (1 K = 1,024 bytes).\n"
            "\n"
            "The same figures in glibc's words (malloc_info(3), mallinfo2(3)); each glibc arena:\n"
            "  malloc_info <total type=\"fast\"> + <total type=\"rest\"> count = Free blocks:\n"
            "      the fastbins, and the bins with the top chunk (one free block, usually the\n"
            "      largest); its sizes add the PREV_INUSE bit of each binned chunk's size field:\n"
            "      1 byte more per \"rest\" block other than the top than Free size\n"
            "  malloc_info <system type=\"current\"> = Busy + Free + Cached + Overhead bytes\n"
            "  glibc counts tcache blocks as in use, vmmap as Cached: glibc's in use is\n"
            "      Busy + Cached + Overhead\n"
            "Summed over the arenas, mallinfo2: fordblks = Free size, ordblks + smblks = Free\n"
            "blocks (smblks the fastbin ones), uordblks = Busy + Cached + Overhead bytes,\n"
            "arena = the arenas' current; keepcost = the main arena's top chunk (the last\n"
            "free block `--blocks` lists for it).  mmapped chunks (malloc_info <total\n"
            "type=\"mmap\">, mallinfo2 hblks / hblkhd) are the \"glibc mmap chunks\" heap: its\n"
            "Busy blocks, and its Busy + Overhead bytes.  Windows: HeapWalk reports Wine's\n"
            "delayed frees as busy (PROCESS_HEAP_ENTRY_BUSY): its busy = Busy + Cached.\n"
            "\n"
            "Walked: glibc's heaps (x86-64, glibc 2.26 and later, safe-linking detected), on a\n"
            "live process or an ELF core; Windows heaps on a live process or a full-memory minidump: NT heaps\n"
            "(Windows 7 and 8-11, x64 and x86: back-end blocks, LFH slots, VirtualAlloc'd\n"
            "blocks), Wine's heaps, and of a segment heap its large allocations (its VS and\n"
            "LFH blocks are encoded with ntdll's keys: not counted, said in the heap's note).\n"
            "Not walked, and said so per heap: other allocators, and any target without memory\n"
            "(a snapshot file shows what `vmmap snapshot --heap-blocks` saved).\n"
            "Memory that changes while it is read ends a heap part's walk with a warning\n"
            "(`vmmap show TARGET --warnings`); the rest is still counted.  Reading every heap\n"
            "byte takes time on big heaps: progress is shown on a terminal after a second.\n"
            "\n"
            "Options:\n"
            "  --heap ID        only the heap with this id (the Heap column)\n"
            "  --blocks         list the blocks instead, tab-separated, one per line:\n"
            "                   heap id, address (the block's header), size, state (busy, free,\n"
            "                   cached); with --heap, of that heap only\n"
            "  --top N          block sizes shown per heap (default %d; 0: all)\n"
            "  -o, --output FILE  write instead of showing: FILE.json a snapshot whose heaps carry\n"
            "                   stats, sizes and owner (docs/snapshot-format.md); FILE.xlsx the\n"
            "                   review workbook (Heaps sheet with these columns, Sizes sheet);\n"
            "                   FILE.csv the heaps table and the size tables (memory in K); '-'\n"
            "                   writes JSON to stdout.  The file appears whole or not at all.\n"
            "  --wide           every column and the whole of Owner, however wide the terminal\n"
            "  --color=WHEN     auto (default), always, never\n"
            "  -h, --help       this help\n"
            "On a terminal the tables fit its width: the columns least needed are left out\n"
            "(Heap, Kind, Committed, Busy size and Owner stay), a line says which, and Owner\n"
            "is cut with an ellipsis; piped output keeps every column.\n"
            "\n%s"
            "\n"
            "Examples:\n"
            "  vmmap heaps 1234                        every heap of process 1234\n"
            "  vmmap heaps myserver --heap 2 --top 0   one heap, all its block sizes\n"
            "  vmmap heaps 1234 --blocks --heap 0 | awk '$4 == \"cached\"'\n"
            "  vmmap heaps 1234 -o heaps.xlsx\n"
            "  vmmap snapshot 1234 --heap-blocks -o before.json   (then `vmmap diff` shows busy and\n"
            "                                          free bytes per heap changing)\n",
            DEFAULT_TOP, VM_CLI_TARGET_HELP);
}

/* --blocks: printed from inside the capture, while the target's memory can still be read. */
typedef struct blocks_ctx {
    FILE *out;
    int64_t heap;
    bool ran;           /* the capture reached the hook */
    bool no_memory;     /* ... but the source has no memory to read */
    bool write_failed;
    bool quiet;
} blocks_ctx;

static bool print_block(void *ctx, const vm_hblock *b)
{
    blocks_ctx *c = ctx;
    if (b->state == VM_HBLOCK_OVERHEAD)
        return true; /* not a block */
    if (fprintf(c->out, "%d\t0x%" PRIx64 "\t%" PRIu64 "\t%s\n", (int)b->heap_id, b->address, b->size,
                vm_hblock_state_word(b->state)) < 0) {
        c->write_failed = true;
        return false;
    }
    return true;
}

/* Without --blocks: only whether the target had memory to walk (a snapshot file has none). */
static int note_memory(void *ctx, vm_facts *facts, vm_error *err)
{
    (void)err;
    blocks_ctx *c = ctx;
    c->ran = true;
    c->no_memory = !facts->mem.read;
    return VM_EXIT_OK;
}

static int list_blocks(void *ctx, vm_facts *facts, vm_error *err)
{
    blocks_ctx *c = ctx;
    c->ran = true;
    if (!facts->mem.read) {
        c->no_memory = true;
        return VM_EXIT_OK;
    }
    if (fprintf(c->out, "Heap\tAddress\tSize\tState\n") < 0)
        c->write_failed = true;
    vm_heap_tee tee = {print_block, c, c->heap};
    return vm_heap_stats_fill(&facts->mem, facts->snap, c->quiet, &tee, err);
}

static bool has_heap(const vm_snapshot *s, int64_t id)
{
    for (size_t i = 0; i < s->nheaps; i++)
        if (s->heaps[i].id == id)
            return true;
    return false;
}

static int no_such_heap(const vm_snapshot *s, int64_t id)
{
    vm_error err = {0};
    vm_error_set(&err, VM_EXIT_USAGE, "heaps: no heap with id %" PRId64 " (the target has %zu heap%s)", id,
                 s->nheaps, s->nheaps == 1 ? "" : "s");
    vm_error_hint(&err, "`vmmap heaps TARGET` lists them with their ids");
    return vm_error_report(&err);
}

static size_t walked(const vm_snapshot *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nheaps; i++)
        n += s->heaps[i].stats_known;
    return n;
}

static int write_output(const vm_snapshot *s, const char *output, int64_t heap, bool quiet)
{
    vm_error err = {0};
    vm_output_format f = vm_output_format_of_path(output);
    if (f == VM_OUTPUT_UNKNOWN && vm_out_is_stream(output)) /* '-', /dev/null, a FIFO */
        f = VM_OUTPUT_JSON;
    if (f == VM_OUTPUT_UNKNOWN) {
        vm_error_set(&err, VM_EXIT_USAGE, "heaps: -o %s: expected a .json, .xlsx or .csv file name", output);
        vm_error_hint(&err, "'-' writes the JSON snapshot to stdout");
        return vm_error_report(&err);
    }
    int rc = f == VM_OUTPUT_CSV ? vm_heaps_write_csv(s, output, heap, &err) : vm_output_write(s, output, f, &err);
    if (rc != 0)
        return vm_error_report(&err);
    vm_cli_report_written(s, output, quiet);
    return 0;
}

enum { O_HEAP = 1200, O_BLOCKS, O_TOP };
static const struct option longopts[] = {
    VM_CLI_TARGET_LONGOPTS,
    {"heap", required_argument, NULL, O_HEAP},
    {"blocks", no_argument, NULL, O_BLOCKS},
    {"top", required_argument, NULL, O_TOP},
    {"output", required_argument, NULL, 'o'},
    VM_CLI_COLOR_LONGOPT,
    VM_CLI_WIDE_LONGOPT,
    {"help", no_argument, NULL, 'h'},
    {0}};
static const char shortopts[] = ":ho:q"; /* ':' first: a missing value is told apart */

typedef struct heaps_args {
    vm_heaps_view_options view;
    bool blocks;
} heaps_args;

static int own_option(void *ctx, int opt)
{
    heaps_args *h = ctx;
    char *end;
    switch (opt) {
    case O_HEAP:
        h->view.heap = strtoll(optarg, &end, 10);
        if (!*optarg || *end || h->view.heap < 0 || h->view.heap > INT32_MAX)
            return vm_cli_usage_error("heaps", "--heap %s: expected a heap id (a number from the Heap column)", optarg);
        break;
    case O_TOP: {
        unsigned long long n = strtoull(optarg, &end, 10);
        if (!*optarg || *end || optarg[0] == '-' || n > 1000000000ull)
            return vm_cli_usage_error("heaps", "--top %s: expected a number of rows (0: all)", optarg);
        h->view.top = (size_t)n;
        break;
    }
    case O_BLOCKS: h->blocks = true; break;
    }
    return 0;
}

static int run(int argc, char **argv)
{
    vm_cli_args args = {0};
    heaps_args h = {.view = {.heap = -1, .top = DEFAULT_TOP}};
    int rc = vm_cli_parse(&vm_cmd_heaps, argc, argv, &args, own_option, &h);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    vm_target t = args.target;
    vm_heaps_view_options view = h.view;
    const bool blocks = h.blocks;
    const char *output = args.output;
    const vm_view_opts look = args.view;
    vm_error err = {0};
    if (!vm_cli_take_target(&t, argc, argv, optind, "heaps", &err))
        return vm_error_report(&err);
    if (blocks && output)
        return vm_cli_usage_error("heaps", "--blocks prints to stdout; it does not take -o (redirect it)");
    if (t.capture.skip_heaps)
        return vm_cli_usage_error("heaps", "--no-heaps leaves nothing for `heaps` to do: it reads heap memory");
    blocks_ctx bc = {stdout, view.heap, false, false, false, t.capture.quiet};
    t.capture.with_memory = blocks ? list_blocks : note_memory; /* list_blocks walks for the stats too */
    t.capture.with_memory_ctx = &bc;
    t.capture.heap_blocks = !blocks;
    vm_snapshot *s = NULL;
    if (vm_load_target(&t, &s, &err) != 0)
        return vm_error_report(&err);
    rc = 0;
    if (view.heap >= 0 && !has_heap(s, view.heap)) {
        rc = no_such_heap(s, view.heap);
    } else if (blocks) {
        if (!bc.ran || bc.no_memory) {
            vm_error_set(&err, VM_EXIT_USAGE, "heaps --blocks: %s has no memory to walk",
                         bc.ran ? "this target" : "a snapshot file");
            vm_error_hint(&err, "run it on the live process (or a full-memory dump)");
            rc = vm_error_report(&err);
        } else if (bc.write_failed || fflush(stdout) != 0) {
            vm_error_set(&err, VM_EXIT_ERROR, "heaps: cannot write the block list to stdout");
            rc = vm_error_report(&err);
        }
    } else if (output) {
        rc = write_output(s, output, view.heap, t.capture.quiet);
    } else {
        view.color = vm_cli_view_color(&look, stdout);
        view.width = vm_cli_view_width(&look, stdout);
        rc = vm_text_heaps(stdout, s, &view) < 0 ? 1 : 0;
        if (rc == 0 && walked(s) == 0 && s->nheaps && !t.capture.quiet)
            fprintf(stderr, "vmmap: note: no heap was walked%s\n",
                    bc.ran ? "; the notes under the table say why"
                           : " when this snapshot was taken; `vmmap snapshot TARGET --heap-blocks` saves the walk");
        /* main() checks that stdout took it all, and says so when it did not */
    }
    vm_snapshot_free(s);
    return rc;
}

const vm_command vm_cmd_heaps = {"heaps", "inside the heaps: busy, free and cached blocks, sizes, owners",
                                 run, help, shortopts, longopts};
