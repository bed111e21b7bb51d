/* Helper of tests/bench/diff.sh (the diff benchmark), compiled by the script with -lcjson.
 *
 *   helper parse FILE.json            reads FILE and parses it with cJSON alone, then frees it:
 *                                     the floor for loading a snapshot
 *   helper mutate IN.json OUT.json    writes a copy of the snapshot IN with every 10th region
 *                                     changed, in turn: committed halved, protection changed,
 *                                     removed, or a copy added at a new address; prints the
 *                                     number of regions changed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(1);
    }
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static cJSON *load(const char *path)
{
    size_t len;
    char *text = slurp(path, &len);
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    if (!j) {
        fprintf(stderr, "%s: not JSON\n", path);
        exit(1);
    }
    return j;
}

static void set_num(cJSON *o, const char *key, double v)
{
    cJSON_ReplaceItemInObject(o, key, cJSON_CreateNumber(v));
}

static void change(cJSON *regions, cJSON *r, int which, unsigned long serial)
{
    cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "blocks"), 0);
    char addr[32];
    switch (which) {
    case 0: set_num(b, "committed", cJSON_GetObjectItem(b, "committed")->valuedouble / 2); break;
    case 1: {
        const char *p = cJSON_GetObjectItem(b, "protection")->valuestring;
        cJSON_ReplaceItemInObject(b, "protection", cJSON_CreateString(strcmp(p, "Read") ? "Read" : "Read/Write"));
        break;
    }
    case 2: break; /* removed by the caller */
    default: {
        cJSON *copy = cJSON_Duplicate(r, 1);
        snprintf(addr, sizeof addr, "0x%lx", 0x500000000000ul + serial * 0x100000ul);
        cJSON_ReplaceItemInObject(copy, "address", cJSON_CreateString(addr));
        cJSON *blk;
        unsigned long off = 0;
        cJSON_ArrayForEach(blk, cJSON_GetObjectItem(copy, "blocks"))
        {
            char a[32];
            snprintf(a, sizeof a, "0x%lx", 0x500000000000ul + serial * 0x100000ul + off);
            cJSON_ReplaceItemInObject(blk, "address", cJSON_CreateString(a));
            off += (unsigned long)cJSON_GetObjectItem(blk, "size")->valuedouble;
        }
        cJSON_AddItemToArray(regions, copy);
    }
    }
}

static int mutate(const char *in, const char *out)
{
    cJSON *j = load(in);
    cJSON *regions = cJSON_GetObjectItem(j, "regions");
    int n = cJSON_GetArraySize(regions), changed = 0;
    cJSON **items = malloc(sizeof *items * (size_t)n);
    cJSON *r;
    int i = 0;
    cJSON_ArrayForEach(r, regions) items[i++] = r;
    for (i = 0; i < n; i += 10) {
        int which = (i / 10) % 4;
        change(regions, items[i], which, (unsigned long)i);
        if (which == 2)
            cJSON_Delete(cJSON_DetachItemViaPointer(regions, items[i]));
        changed++;
    }
    free(items);
    char *text = cJSON_PrintUnformatted(j);
    FILE *f = fopen(out, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(out);
        return 1;
    }
    free(text);
    cJSON_Delete(j);
    printf("%d\n", changed);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "parse") == 0) {
        cJSON_Delete(load(argv[2]));
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "mutate") == 0)
        return mutate(argv[2], argv[3]);
    fprintf(stderr, "usage: helper parse FILE | helper mutate IN OUT\n");
    return 2;
}
