/* What the steps (linux_capture.h) share, live and offline: finding the mapping at an address. */
#include "linux_capture.h"

long lx_find_mapping(const lx_capture *c, uint64_t addr)
{
    size_t lo = 0, hi = c->maps.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->maps.v[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->maps.n && c->maps.v[lo].start <= addr && addr < c->maps.v[lo].end)
        return (long)lo;
    return -1;
}
