/* Breakpad/Crashpad minidumps of Linux processes as a source (vm_source_linux_minidump): the
 * dump's LinuxMaps stream (the process's /proc/PID/maps text) read by the live source's maps
 * parser, its threads with the stack pointer of their captured context, LinuxProcStatus (pid,
 * name, VmPTE), LinuxCmdLine, the OS from SystemInfo's CSD string, the modules' build-ids from
 * their CodeView records, and the offline Linux steps (linux_offline.h) over the captured memory.
 * A dump without LinuxMaps (Crashpad's Linux writer) is rebuilt from its modules and stacks and
 * said to be partial.  docs/minidumps.md, "Linux processes". */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../parse/minidump.h"
#include "../../util/xalloc.h"
#include "../input/unpack.h"
#include "../minidump/minidump_source.h"
#include "../source.h"
#include "linux_offline.h"

enum {
    MD_LINUX_PROC_STATUS = 0x47670004,
    MD_LINUX_CMD_LINE = 0x47670006,
    MD_LINUX_AUXV = 0x47670008,
    MD_LINUX_MAPS = 0x47670009,
    PLATFORM_LINUX = 0x8201,
    PLATFORM_ANDROID = 0x8203,
};

/* ---- recognition: MDMP whose SystemInfo says Linux or Android ---- */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Reads len content bytes at off (through the packing), at most 64 MiB in. */
static bool read_content(const char *path, uint64_t off, uint8_t *buf, size_t len)
{
    if (off > (UINT64_C(64) << 20))
        return false;
    vm_unpack *u;
    vm_error e = {0};
    if (vm_unpack_open(path, &u, &e) != VM_EXIT_OK)
        return false;
    uint8_t skip[4096];
    bool ok = true;
    while (ok && off) {
        size_t got, want = off < sizeof skip ? (size_t)off : sizeof skip;
        ok = vm_unpack_read(u, skip, want, &got, &e) == VM_EXIT_OK && got;
        off -= ok ? got : 0;
    }
    size_t done = 0;
    while (ok && done < len) {
        size_t got;
        ok = vm_unpack_read(u, buf + done, len - done, &got, &e) == VM_EXIT_OK && got;
        done += ok ? got : 0;
    }
    vm_unpack_close(u);
    return ok;
}

static bool bytes_at(const char *path, const uint8_t *head, size_t n, uint64_t off, uint8_t *buf, size_t len)
{
    if (off <= n && len <= n - off) {
        memcpy(buf, head + off, len);
        return true;
    }
    return path && read_content(path, off, buf, len);
}

static bool linux_md_claims(const char *arg, const uint8_t *head, size_t n)
{
    if (!head || n < 32 || memcmp(head, "MDMP", 4) != 0)
        return false;
    uint32_t count = le32(head + 8), dir = le32(head + 12);
    if (count > 4096)
        count = 4096;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t e[12], si[24];
        if (!bytes_at(arg, head, n, (uint64_t)dir + i * 12u, e, sizeof e))
            return false;
        if (le32(e) != VM_MD_STREAM_SYSTEM_INFO)
            continue;
        if (le32(e + 4) < sizeof si || !bytes_at(arg, head, n, le32(e + 8), si, sizeof si))
            return false;
        uint32_t platform = le32(si + 20);
        return platform == PLATFORM_LINUX || platform == PLATFORM_ANDROID;
    }
    return false;
}

/* ---- the streams ---- */

/* "Key:\tvalue" of /proc/PID/status text; the value copied into out. */
static bool status_field(const uint8_t *t, size_t n, const char *key, char *out, size_t len)
{
    size_t k = strlen(key);
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && t[e] != '\n')
            e++;
        if (e - i > k && memcmp(t + i, key, k) == 0 && t[i + k] == ':') {
            size_t v = i + k + 1;
            while (v < e && (t[v] == ' ' || t[v] == '\t'))
                v++;
            size_t m = e - v < len - 1 ? e - v : len - 1;
            memcpy(out, t + v, m);
            out[m] = '\0';
            return true;
        }
        i = e + 1;
    }
    return false;
}

/* "Linux 4.4.0-38-generic #57-Ubuntu SMP ..." -> "Linux 4.4.0-38-generic". */
static char *os_from_csd(const vm_minidump *md)
{
    const char *csd = md->csd_version;
    const char *platform = md->sys.platform_id == PLATFORM_ANDROID ? "Android" : "Linux";
    if (md->sys.major_version || !csd || !*csd) {
        char os[96];
        vm_md_os_string(md, os, sizeof os);
        return vm_strdup(os);
    }
    const char *rel = strncmp(csd, "Linux ", 6) == 0 ? csd + 6 : csd;
    size_t n = strcspn(rel, " ");
    return vm_asprintf("%s %.*s", platform, (int)(n > 64 ? 64 : n), rel);
}

static char *cmdline(const vm_minidump *md)
{
    size_t n;
    const uint8_t *p = vm_md_stream_data(md, MD_LINUX_CMD_LINE, &n);
    if (!p || !n)
        return NULL;
    if (n > 4096)
        n = 4096;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        s[i] = p[i] == 0 ? ' ' : (p[i] < 0x20 ? '?' : (char)p[i]);
    while (n && s[n - 1] == ' ')
        n--;
    s[n] = '\0';
    return s;
}

bool vm_linux_minidump_uid(const vm_minidump *md, uint32_t *uid)
{
    size_t n;
    const uint8_t *st = vm_md_stream_data(md, MD_LINUX_PROC_STATUS, &n);
    char v[128];
    if (!st || !status_field(st, n, "Uid", v, sizeof v) || v[0] < '0' || v[0] > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long u = strtoull(v, &end, 10);
    if (errno || u > UINT32_MAX || (*end && *end != ' ' && *end != '\t'))
        return false; /* a hostile or cut value: no uid rather than a wrong one */
    *uid = (uint32_t)u;
    return true;
}

static void process_facts(const vm_minidump *md, vm_snapshot *s)
{
    size_t n;
    const uint8_t *st = vm_md_stream_data(md, MD_LINUX_PROC_STATUS, &n);
    char v[128];
    if (st && status_field(st, n, "Pid", v, sizeof v))
        s->process.pid = strtoll(v, NULL, 10);
    else if (md->has_misc_info && (md->misc.flags1 & VM_MD_MISC1_PROCESS_ID))
        s->process.pid = md->misc.process_id;
    if (st && status_field(st, n, "Name", v, sizeof v))
        s->process.name = vm_strdup(v);
    if (st && status_field(st, n, "VmPTE", v, sizeof v)) {
        s->page_table_bytes = strtoull(v, NULL, 10) * 1024;
        s->page_table_known = true;
    }
    if (md->nmodules && md->modules[0].name)
        s->process.exe = vm_strdup(md->modules[0].name);
    s->process.cmdline = cmdline(md);
    s->process.bits = md->bits;
}

/* ---- the maps: LinuxMaps, or rebuilt from modules and stacks ---- */

static int cmp_mapping(const void *a, const void *b)
{
    const vm_linux_mapping *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorted and without overlaps (hostile text). */
static void normalise(vm_linux_maps *m, vm_snapshot *s)
{
    if (m->n > 1)
        qsort(m->v, m->n, sizeof *m->v, cmp_mapping);
    size_t out = 0, dropped = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->v[i].end <= m->v[i].start || (out && m->v[i].start < m->v[out - 1].end)) {
            free(m->v[i].name);
            dropped++;
            continue;
        }
        m->v[out++] = m->v[i];
    }
    m->n = out;
    if (dropped)
        vm_snapshot_warn(s, "minidump", "LinuxMaps: %zu empty or overlapping mappings left out", dropped);
}

static bool maps_from_modules(const vm_minidump *md, vm_linux_maps *m)
{
    size_t cap = md->nmodules + md->nthreads;
    m->v = calloc(cap ? cap : 1, sizeof *m->v);
    if (!m->v)
        return false;
    for (size_t i = 0; i < md->nmodules; i++) {
        const vm_md_module *mod = &md->modules[i];
        if (!mod->size || mod->base + mod->size < mod->base)
            continue;
        vm_linux_mapping *x = &m->v[m->n++];
        x->start = mod->base & ~UINT64_C(0xfff);
        x->end = (mod->base + mod->size + 0xfff) & ~UINT64_C(0xfff);
        x->r = x->x = true; /* not known: the module as one executable mapping */
        x->inode = i + 1;
        if (mod->name && !(x->name = vm_strdup(mod->name)))
            return false;
    }
    for (size_t i = 0; i < md->nthreads; i++) {
        const vm_md_thread *t = &md->threads[i];
        if (!t->stack_size || t->stack_start + t->stack_size < t->stack_start)
            continue;
        vm_linux_mapping *x = &m->v[m->n++];
        x->start = t->stack_start & ~UINT64_C(0xfff);
        x->end = (t->stack_start + t->stack_size + 0xfff) & ~UINT64_C(0xfff);
        x->r = x->w = true;
    }
    return true;
}

static int read_maps(const vm_minidump *md, vm_linux_maps *m, vm_snapshot *s, vm_error *err)
{
    size_t n;
    const uint8_t *text = vm_md_stream_data(md, MD_LINUX_MAPS, &n);
    if (text) {
        char why[160];
        if (vm_linux_parse_smaps_text((const char *)text, n, m, why, sizeof why)) {
            normalise(m, s);
            return VM_EXIT_OK;
        }
        vm_snapshot_warn(s, "minidump", "LinuxMaps: %s: the map is rebuilt from modules and stacks", why);
        vm_linux_maps_free(m);
    }
    if (!maps_from_modules(md, m)) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return VM_EXIT_ERROR;
    }
    normalise(m, s);
    vm_snapshot_warn(s, "minidump", "partial map: the dump has no LinuxMaps stream (Crashpad writes none), so the "
                     "map is rebuilt from %zu modules and %zu thread stacks; everything else shows as Free",
                     md->nmodules, md->nthreads);
    return VM_EXIT_OK;
}

/* ---- gather ---- */

typedef struct lmd_state {
    vm_md_file file;
    vm_minidump md;
} lmd_state;

static void release(vm_facts *f)
{
    lmd_state *st = f->source_ctx;
    if (!st)
        return;
    vm_md_free(&st->md);
    vm_md_file_close(&st->file);
    free(st);
}

static int oom(vm_error *err)
{
    vm_error_set(err, VM_EXIT_ERROR, "out of memory reading the minidump");
    return VM_EXIT_ERROR;
}

int vm_linux_minidump_gather_parsed(const vm_minidump *md, const vm_capture_options *opt, vm_facts *f,
                                    vm_error *err)
{
    vm_snapshot *s = f->snap;
    char when[32];
    vm_md_format_time(md->header.time_date_stamp, when, sizeof when);
    free(s->taken_at);
    s->taken_at = vm_strdup(when);
    s->source = vm_strdup("minidump");
    s->os = os_from_csd(md);
    const char *arch = md->has_system_info ? vm_md_arch_name(md->sys.processor_architecture) : NULL;
    s->arch = vm_strdup(arch ? arch : "unknown");
    if (!s->taken_at || !s->source || !s->arch)
        return oom(err);
    process_facts(md, s);
    for (size_t i = 0; i < md->nwarnings; i++)
        vm_snapshot_warn(s, "minidump", "%s", md->warnings[i]);
    vm_snapshot_warn(s, "minidump", "a minidump holds no smaps: Committed, Private and the working-set columns are "
                     "unknown");

    vm_linux_maps maps = {NULL, 0};
    int rc = read_maps(md, &maps, s, err);
    vm_linux_task *tasks = md->nthreads ? calloc(md->nthreads, sizeof *tasks) : NULL;
    vm_linux_build_id *ids = md->nmodules ? calloc(md->nmodules, sizeof *ids) : NULL;
    if (rc == VM_EXIT_OK && ((md->nthreads && !tasks) || (md->nmodules && !ids)))
        rc = oom(err);
    size_t nids = 0;
    for (size_t i = 0; rc == VM_EXIT_OK && i < md->nthreads; i++) {
        tasks[i].tid = md->threads[i].thread_id;
        tasks[i].sp_known = vm_md_thread_sp(md, &md->threads[i], &tasks[i].sp);
        if (md->threads[i].name)
            snprintf(tasks[i].name, sizeof tasks[i].name, "%s", md->threads[i].name);
    }
    for (size_t i = 0; rc == VM_EXIT_OK && i < md->nmodules; i++) {
        ids[nids].base = md->modules[i].base;
        ids[nids].len = vm_md_module_build_id(md, &md->modules[i], ids[nids].id, sizeof ids[nids].id);
        nids += ids[nids].len > 0;
    }
    if (rc == VM_EXIT_OK) {
        vm_linux_offline in = {.pid = s->process.pid, .page_size = 4096, .maps = maps, .tasks = tasks,
                               .ntasks = md->nthreads, .mem = vm_md_memreader(md), .ids = ids, .nids = nids};
        rc = vm_linux_offline_facts(&in, opt, f, err);
        if (rc == VM_EXIT_OK)
            f->mem = vm_md_memreader(md);
    }
    vm_linux_maps_free(&maps);
    free(tasks);
    free(ids);
    return rc;
}

static int linux_md_gather(const char *path, const vm_capture_options *opt, vm_facts *f, vm_error *err)
{
    lmd_state *st = calloc(1, sizeof *st);
    if (!st)
        return oom(err);
    f->source_ctx = st;
    f->release = release;
    int rc = vm_md_file_load(path, &st->file, err);
    if (rc != VM_EXIT_OK)
        return rc;
    char msg[512];
    if (!vm_md_parse(st->file.data, st->file.size, &st->md, msg, sizeof msg)) {
        bool no_mem = strstr(msg, "out of memory") != NULL;
        vm_error_set(err, no_mem ? VM_EXIT_ERROR : VM_EXIT_BAD_INPUT, "%s: %s", path, msg);
        if (!no_mem)
            vm_error_hint(err, "the file is damaged or incomplete: copy it again from its source");
        return err->code;
    }
    if (!st->md.nthreads && !st->md.nmodules && !vm_md_stream_data(&st->md, MD_LINUX_MAPS, &(size_t){0})) {
        vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: nothing to map: no threads, modules or LinuxMaps", path);
        return VM_EXIT_BAD_INPUT;
    }
    return vm_linux_minidump_gather_parsed(&st->md, opt, f, err);
}

const vm_source vm_source_linux_minidump = {"linux-minidump", linux_md_claims, linux_md_gather, VM_ASK_ALL};
