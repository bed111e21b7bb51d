/* libFuzzer target for the vtable/RTTI validator, the class-name decoders and the census over
 * arbitrary memory images.  The input is an image mapped at a fixed base as one module: its
 * first bytes choose the pointer size and where its read-only data, code and writable data
 * start.  Every aligned address of the image is validated; then a heap block whose words are
 * pointers into the image (taken from the input, so the fuzzer can aim them) is counted.  The
 * input is also decoded as an Itanium and as an MSVC name.  Any input must give verdicts whose
 * names are non-empty, bounded and NUL-terminated, never a crash, a leak or a hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmmap/model/census.h"
#include "vmmap/parse/rtti.h"
#include "vmmap/parse/type_names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IMAGE 0x10000000u
#define HEAP 0x20000000u
#define MAX_IMAGE 65536u

typedef struct two {
    const uint8_t *img;
    size_t img_len;
    const uint8_t *heap;
    size_t heap_len;
} two;

static size_t read_two(void *ctx, uint64_t addr, void *buf, size_t len)
{
    const two *t = ctx;
    const uint8_t *src = NULL;
    size_t avail = 0;
    if (addr >= IMAGE && addr - IMAGE < t->img_len) {
        src = t->img + (addr - IMAGE);
        avail = t->img_len - (size_t)(addr - IMAGE);
    } else if (addr >= HEAP && addr - HEAP < t->heap_len) {
        src = t->heap + (addr - HEAP);
        avail = t->heap_len - (size_t)(addr - HEAP);
    }
    size_t n = len < avail ? len : avail;
    if (n)
        memcpy(buf, src, n);
    return n;
}

static void check_names(const uint8_t *data, size_t size)
{
    char in[VM_TYPE_NAME_INPUT_MAX + 1], out[512];
    size_t n = size < VM_TYPE_NAME_INPUT_MAX ? size : VM_TYPE_NAME_INPUT_MAX;
    memcpy(in, data, n);
    in[n] = 0;
    if (vm_itanium_type_name(in, out, sizeof out) && (out[0] == 0 || !memchr(out, 0, sizeof out)))
        __builtin_trap();
    if (vm_msvc_type_name(in, out, sizeof out) && (out[0] == 0 || !memchr(out, 0, sizeof out)))
        __builtin_trap();
}

static void add_section(vm_module *m, const char *name, uint64_t start, uint64_t end, uint32_t prot)
{
    if (end <= start)
        return;
    vm_section *s = vm_module_add_section(m);
    if (!s)
        return;
    s->name = strdup(name);
    s->address = start;
    s->size = end - start;
    s->protection = prot;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_names(data, size);
    if (size < 8)
        return 0;
    int bits = data[0] & 1 ? 32 : 64;
    uint64_t ps = bits == 32 ? 4 : 8;
    size_t img_len = size - 4 < MAX_IMAGE ? size - 4 : MAX_IMAGE;
    size_t ro_end = (size_t)(data[1] | data[2] << 8) % (img_len + 1);
    size_t code_end = ro_end + (size_t)data[3] * 64;
    if (code_end > img_len)
        code_end = img_len;
    /* The heap: one pointer per 2 input bytes, aimed into the image. */
    size_t nwords = (size - 4) / 2 < 4096 ? (size - 4) / 2 : 4096;
    uint8_t *heap = malloc(nwords * ps + 1);
    if (!heap)
        return 0;
    for (size_t i = 0; i < nwords; i++) {
        uint64_t off = (uint64_t)(data[4 + 2 * i] | data[5 + 2 * i] << 8) % (img_len ? img_len : 1);
        uint64_t w = IMAGE + (off & ~(ps - 1));
        memcpy(heap + i * ps, &w, ps);
    }
    two t = {data + 4, img_len, heap, nwords * ps};
    vm_memreader r = {read_two, &t, NULL};

    vm_snapshot *s = vm_snapshot_new();
    if (!s) {
        free(heap);
        return 0;
    }
    s->process.bits = bits;
    s->page_size = 4096;
    vm_module *m = vm_snapshot_add_module(s);
    if (m) {
        m->path = strdup("/fuzz/image");
        m->base = IMAGE;
        m->size = img_len ? img_len : 1;
        add_section(m, ".rodata", IMAGE, IMAGE + ro_end, VM_PROT_READ);
        add_section(m, ".text", IMAGE + ro_end, IMAGE + code_end, VM_PROT_READ | VM_PROT_EXEC);
        add_section(m, ".data", IMAGE + code_end, IMAGE + img_len, VM_PROT_READ | VM_PROT_WRITE);
    }
    vm_rtti_space sp;
    if (vm_rtti_space_from_snapshot(&sp, s, &r)) {
        for (uint64_t a = IMAGE; a < IMAGE + img_len; a += ps) {
            vm_rtti_vtable vt;
            vm_rtti_verdict v = vm_rtti_check(&sp, a, &vt);
            if (v == VM_RTTI_VTABLE && (vt.name[0] == 0 || !memchr(vt.name, 0, sizeof vt.name) || vt.module != 0))
                __builtin_trap();
        }
    }
    vm_rtti_space_free(&sp);

    vm_region *reg = vm_snapshot_add_region(s);
    if (reg) {
        reg->address = HEAP;
        reg->size = nwords * ps;
        reg->kind = VM_KIND_HEAP;
        vm_block *b = vm_region_add_block(reg);
        if (b) {
            b->address = HEAP;
            b->size = nwords * ps;
            b->state = VM_STATE_COMMIT;
            b->protection = VM_PROT_READ | VM_PROT_WRITE;
            b->kind = VM_KIND_HEAP;
        }
    }
    vm_census *c = vm_census_new(s, &r, NULL);
    if (c) {
        vm_hblock hb = {.address = HEAP, .size = nwords * ps, .user = HEAP, .user_size = nwords * ps,
                        .state = VM_HBLOCK_BUSY};
        vm_census_visit(c, &hb);
        vm_census_finish(c, s);
        vm_census_free(c);
        uint64_t total = 0;
        for (size_t i = 0; i < s->nobjects; i++) {
            total += s->objects[i].bytes;
            if (s->objects[i].bytes_estimated > s->objects[i].bytes)
                __builtin_trap();
        }
        if (total > nwords * ps)
            __builtin_trap();
    }
    vm_snapshot_free(s);
    free(heap);
    return 0;
}
