/* vmmap info DUMP|CORE: what a minidump or a core holds and, because of it, what its map can and
 * cannot show.  Cores: info_core.c. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../parse/minidump.h"
#include "../capture/capture.h"
#include "../sources/input/unpack.h"
#include "../sources/minidump/minidump_source.h"
#include "../util/file_io.h"
#include "../util/units.h"
#include "info.h"
#include "../sources/linux_model/linux_offline.h"
#include "cli.h"

/* MINIDUMP_TYPE bits worth naming. */
enum { MD_WITH_FULL_MEMORY = 0x2, MD_WITH_FULL_MEMORY_INFO = 0x800 };

static void help(FILE *out)
{
    fprintf(out,
            "Usage: vmmap info DUMP|CORE [OPTIONS]\n"
            "\n"
            "Describes a Windows minidump: architecture, OS build, process id, when it was written,\n"
            "its streams, how much memory it captured, whether it has a region list\n"
            "(MemoryInfoList) and full memory, and what the map (`vmmap DUMP`) can and cannot show\n"
            "because of that (docs/minidumps.md).  Or a Linux ELF core: who wrote it (the kernel or\n"
            "gdb's gcore), the process, the signal, the threads, the memory present against the\n"
            "memory mapped, and what its map can and cannot show (docs/cores.md).  Either may be\n"
            "gzip/xz/bzip2-compressed.\n"
            "\n"
            "Options:\n"
            "  --image-path DIR[:DIR...]  where the module files are, for images whose headers\n"
            "                   the dump or core lacks (as for `vmmap DUMP`): what the map can\n"
            "                   show then\n"
            "  --wide           whole lines, however wide the terminal (on one, long lines\n"
            "                   are wrapped to fit it; piped output keeps them whole)\n"
            "  -h, --help       this help\n"
            "\n"
            "Exit codes: 0 ok, 3 no such file, 5 not a minidump or core / nothing in it to map,\n"
            "            7 a core of a kind vmmap cannot read (big-endian)\n");
}

void vm_info_put(vm_info_out *o)
{
    vm_tline_print(&o->line, o->out, o->width, 4);
}

static void print_streams(vm_info_out *o, const vm_minidump *md)
{
    size_t unused = 0, shown = 0;
    vm_tline_add(&o->line, "  streams:");
    for (size_t i = 0; i < md->ndir; i++) {
        uint32_t type = md->dir[i].stream_type;
        const char *nm = vm_md_stream_name(type);
        if (type == 0) {
            unused++;
            continue;
        }
        if (nm)
            vm_tline_add(&o->line, "%s %s", shown++ ? "," : "", nm);
        else
            vm_tline_add(&o->line, "%s 0x%" PRIx32, shown++ ? "," : "", type);
    }
    if (unused)
        vm_tline_add(&o->line, "%s %zu unused", shown ? "," : "", unused);
    vm_info_put(o);
}

/* A Breakpad/Crashpad dump of a Linux (or Android) process: mapped as one (linux_minidump.c). */
static bool is_linux(const vm_minidump *md)
{
    return md->has_system_info && (md->sys.platform_id == 0x8201 || md->sys.platform_id == 0x8203);
}

static void print_header(vm_info_out *o, const char *path, const vm_minidump *md, const vm_snapshot *s)
{
    char os[96];
    vm_md_os_string(md, os, sizeof os);
    if (s && s->os && is_linux(md)) /* named from the CSD string: Breakpad writes 0.0.0 */
        snprintf(os, sizeof os, "%s", s->os);
    const char *arch = md->has_system_info ? vm_md_arch_name(md->sys.processor_architecture) : NULL;
    vm_tline_add(&o->line, "%s: minidump", path);
    if (s && s->process.name)
        vm_tline_add(&o->line, " of %s", s->process.name);
    int64_t pid = -1;
    if (md->has_misc_info && (md->misc.flags1 & VM_MD_MISC1_PROCESS_ID))
        pid = md->misc.process_id;
    else if (s && s->process.pid > 0)
        pid = s->process.pid;
    uint32_t uid = 0;
    bool has_uid = is_linux(md) && vm_linux_minidump_uid(md, &uid); /* as a core's info says it */
    if (pid >= 0)
        vm_tline_add(&o->line, " (pid %" PRId64, pid);
    else if (has_uid)
        vm_tline_add(&o->line, " (pid unknown");
    if (has_uid)
        vm_tline_add(&o->line, ", uid %" PRIu32, uid);
    if (pid >= 0 || has_uid)
        vm_tline_add(&o->line, ")");
    vm_tline_add(&o->line, ", %s %d-bit, %s, written %s", arch ? arch : "unknown architecture", md->bits,
                 os[0] ? os : "OS unknown", s && s->taken_at ? s->taken_at : "at an unknown time");
    vm_info_put(o);
}

static void print_contents(vm_info_out *o, const vm_minidump *md)
{
    char cap[32];
    vm_format_human(md->captured_bytes, cap, sizeof cap);
    bool full = (md->header.flags & MD_WITH_FULL_MEMORY) != 0;
    vm_tline_add(&o->line, "  threads %zu (%zu named), modules %zu (%zu unloaded)", md->nthreads, md->nthread_names,
                 md->nmodules, md->nunloaded);
    vm_info_put(o);
    vm_tline_add(&o->line, "  memory captured: %zu range%s, %s (%s%s%s)%s", md->nranges, vm_plural(md->nranges), cap,
                 md->has_memory_list ? "MemoryList" : "", md->has_memory_list && md->has_memory64_list ? " + " : "",
                 md->has_memory64_list ? "Memory64List" : (md->has_memory_list ? "" : "no memory lists"),
                 full ? ", full memory" : ", not full memory");
    vm_info_put(o);
    size_t maps_len = 0, lines = 0;
    const uint8_t *maps = is_linux(md) ? vm_md_stream_data(md, 0x47670009, &maps_len) : NULL;
    for (size_t i = 0; maps && i < maps_len; i++)
        lines += maps[i] == '\n';
    if (maps)
        vm_tline_add(&o->line, "  region list: LinuxMaps, %zu mapping%s (the process's /proc/PID/maps: the whole "
                     "address space)", lines, vm_plural(lines));
    else if (md->has_memory_info)
        vm_tline_add(&o->line, "  region list: MemoryInfoList, %zu entr%s (the whole address space)", md->nmeminfo,
                     md->nmeminfo == 1 ? "y" : "ies");
    else
        vm_tline_add(&o->line, "  region list: none (no MemoryInfoList): the map is rebuilt and partial");
    vm_info_put(o);
    if (md->has_misc_info && (md->misc.flags1 & VM_MD_MISC1_PROCESS_TIMES)) {
        char started[32];
        vm_md_format_time(md->misc.process_create_time, started, sizeof started);
        vm_tline_add(&o->line, "  process: started %s, CPU user %" PRIu32 " s, kernel %" PRIu32 " s", started,
                     md->misc.process_user_time, md->misc.process_kernel_time);
        vm_info_put(o);
    }
}

static size_t heaps_not_captured(const vm_snapshot *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nheaps; i++)
        n += s->heaps[i].kind && strcmp(s->heaps[i].kind, "not captured") == 0;
    return n;
}

static size_t split_modules(const vm_snapshot *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nmodules; i++)
        n += s->modules[i].nsections > 0;
    return n;
}

static void print_can_linux(vm_info_out *o, const vm_minidump *md, const vm_snapshot *s)
{
    size_t with_sections = split_modules(s);
    vm_tline_add(&o->line, "  the map shows (as a Linux process): %zu region%s; %zu image%s (%zu split into sections), "
                 "the other files of the module list as Mapped File; stacks of %zu thread%s; %zu heap%s",
                 s->nregions, vm_plural(s->nregions), s->nmodules, vm_plural(s->nmodules), with_sections,
                 s->nthreads, vm_plural(s->nthreads), s->nheaps, vm_plural(s->nheaps));
    vm_info_put(o);
    vm_tline_add(&o->line, "  it cannot show: the smaps counters (Committed, Private, working set: not in dumps); the "
                 "memory that was not captured (%zu range%s %s)", md->nranges, vm_plural(md->nranges),
                 md->nranges == 1 ? "was" : "were");
    if (with_sections < s->nmodules)
        vm_tline_add(&o->line, "; sections of %zu image%s (no module file with the image's build-id: --image-path)",
                     s->nmodules - with_sections, vm_plural(s->nmodules - with_sections));
    vm_info_put(o);
}

static void print_can(vm_info_out *o, const vm_minidump *md, const vm_snapshot *s)
{
    if (is_linux(md)) {
        print_can_linux(o, md, s);
        return;
    }
    size_t with_sections = split_modules(s);
    size_t missing = heaps_not_captured(s);
    /* The heap count is the summary's (every heap listed); how many of them were walked follows. */
    char walked[64] = "";
    if (missing)
        snprintf(walked, sizeof walked, " (%zu walked, %zu not captured)", s->nheaps - missing, missing);
    vm_tline_add(&o->line, "  the map shows: %zu region%s; %s; %zu of %zu image%s split into sections; stacks of %zu "
                 "thread%s; %zu heap%s%s",
                 s->nregions, vm_plural(s->nregions),
                 md->has_memory_info ? "every region's state, protection and type as VirtualQueryEx saw them"
                                     : "only modules, stacks and captured ranges (protections assumed)",
                 with_sections, s->nmodules, vm_plural(s->nmodules), s->nthreads, vm_plural(s->nthreads), s->nheaps,
                 vm_plural(s->nheaps), walked);
    vm_info_put(o);
    vm_tline_add(&o->line, "  it cannot show: working-set counters (not in dumps)");
    if (!md->has_memory_info)
        vm_tline_add(&o->line, "; reserved memory, mapped files, free space");
    if (missing || !s->nheaps)
        vm_tline_add(&o->line, "; %s (heap memory not captured)", s->nheaps ? "the contents of some heaps" : "heaps");
    if (with_sections < s->nmodules)
        vm_tline_add(&o->line, "; sections of %zu image%s (PE headers not captured)", s->nmodules - with_sections,
                     vm_plural(s->nmodules - with_sections));
    vm_info_put(o);
}

/* JSON text whose first non-blank byte opens an object: a snapshot. */
static bool opens_object(const uint8_t *h, size_t n)
{
    size_t i = 0;
    while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
        i++;
    return i < n && h[i] == '{';
}

/* What the file is, from its first bytes (decompressed): 'c' an ELF core, 'm' a minidump; 0 with
 * err filled when it is neither (what it is then, as `vmmap FILE` would say) or cannot be read. */
static int kind_of(const char *path, vm_error *err)
{
    uint8_t *h = malloc(VM_SOURCE_HEAD_BYTES);
    size_t n = 0;
    vm_packing p = VM_PACK_NONE;
    int kind = 0;
    if (!h) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
    } else if (vm_unpack_head(path, h, VM_SOURCE_HEAD_BYTES, &n, &p, err) != VM_EXIT_OK) {
        bool dir = false;
        uint64_t size;
        if (err->code == VM_EXIT_BAD_INPUT && vm_path_info(path, &size, &dir) && dir)
            vm_directory_target(path, err); /* the same answer as `vmmap DIR` */
    } else if (n >= 18 && memcmp(h, "\x7f" "ELF", 4) == 0 && h[16] == 4 && h[17] == 0) {
        kind = 'c';
    } else if (n >= 4 && memcmp(h, "MDMP", 4) == 0) {
        kind = 'm';
    } else if (p == VM_PACK_NONE && opens_object(h, n)) {
        vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: a snapshot (JSON), not a minidump or core", path);
        vm_error_hint(err, "`vmmap info` describes dumps and cores; `vmmap %s` shows the snapshot", path);
    } else {
        vm_unclaimed_file(path, h, n, (int)p, err); /* an executable, text, an empty file, ... */
    }
    free(h);
    return kind;
}

static int describe(const char *path, const vm_capture_options *opt, vm_info_out *o, vm_error *err)
{
    int kind = kind_of(path, err);
    if (kind == 0)
        return err->code;
    if (kind == 'c')
        return vm_info_core(path, opt, o, err);
    vm_md_file f;
    int rc = vm_md_file_load(path, &f, err);
    if (rc != VM_EXIT_OK)
        return rc;
    vm_minidump md;
    char msg[512];
    if (!vm_md_parse(f.data, f.size, &md, msg, sizeof msg)) {
        vm_error_set(err, strstr(msg, "out of memory") ? VM_EXIT_ERROR : VM_EXIT_BAD_INPUT, "%s: %s", path, msg);
        vm_md_file_close(&f);
        return err->code;
    }
    vm_snapshot *s = NULL;
    vm_error map_err = {0};
    int map_rc;
    if (is_linux(&md))
        map_rc = vm_capture_source(&vm_source_linux_minidump, path, opt, &s, &map_err);
    else
        map_rc = vm_minidump_capture_buffer_opt(f.data, f.size, path, opt, &s, &map_err);
    print_header(o, path, &md, s);
    print_streams(o, &md);
    print_contents(o, &md);
    if (s) {
        print_can(o, &md, s);
    } else {
        vm_tline_add(&o->line, "  the map cannot be built: %s", map_err.msg);
        vm_info_put(o);
    }
    for (size_t i = 0; i < md.nwarnings; i++) {
        vm_tline_add(&o->line, "  warning: %s", md.warnings[i]);
        vm_info_put(o);
    }
    vm_snapshot_free(s);
    vm_md_free(&md);
    vm_md_file_close(&f);
    if (map_rc != VM_EXIT_OK)
        *err = map_err;
    return map_rc;
}

static const struct option longopts[] = {{"image-path", required_argument, NULL, 1004}, /* VM_CLI_TARGET_LONGOPTS's */
                                         VM_CLI_WIDE_LONGOPT,
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
static const char shortopts[] = ":h"; /* ':' first: a missing value is told apart */

static int run(int argc, char **argv)
{
    vm_cli_args args = {0};
    int rc = vm_cli_parse(&vm_cmd_info, argc, argv, &args, NULL, NULL);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    /* The map is made as `vmmap DUMP` would make it (quietly: info says what it shows). */
    vm_capture_options capture = {.quiet = true, .image_path = args.target.capture.image_path};
    const vm_view_opts view = args.view;
    if (argc - optind != 1)
        return vm_cli_usage_error("info", "one minidump or core file expected");
    vm_error err = {0};
    vm_info_out o = {.out = stdout, .width = vm_cli_view_width(&view, stdout)};
    rc = describe(argv[optind], &capture, &o, &err);
    vm_tline_free(&o.line);
    if (rc != VM_EXIT_OK)
        return vm_error_report(&err);
    return 0; /* main() checks that stdout took it all */
}

const vm_command vm_cmd_info = {"info", "describe a minidump or a core: what it holds, what its map can show", run,
                                help, shortopts, longopts};
