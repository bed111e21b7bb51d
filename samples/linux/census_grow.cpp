// A C++ program that keeps creating objects of one class, for `vmmap diff` of two census
// snapshots (tests/integration/test_census_diff.c): it holds fixed numbers of Steady and Other
// objects, and each line "N" it reads on stdin creates N more Leaky objects (never freed, as a
// leak would), then prints the running totals as one JSON line.  The first line is the truth
// at start.  It ends when stdin closes.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vector>

namespace app {

struct Steady {
    virtual ~Steady() {}
    virtual int f() const { return 1; }
    long data[3] = {0, 0, 0};
};

struct Other {
    virtual ~Other() {}
    virtual int g() const { return 2; }
};

struct Leaky {
    virtual ~Leaky() {}
    virtual int h() const { return 3; }
    char payload[40] = {0};
};

}  // namespace app

static char g_stdout_buffer[1 << 12];

int main()
{
    setvbuf(stdout, g_stdout_buffer, _IOLBF, sizeof g_stdout_buffer);
    /* Fixed-size arrays of pointers, allocated once: no container grows (and frees) later. */
    static app::Steady *steady[100];
    static app::Other *other[20];
    for (auto &p : steady)
        p = new app::Steady;
    for (auto &p : other)
        p = new app::Other;
    static app::Leaky *leaky[1 << 20];
    long nleaky = 0;
    printf("{\"pid\":%d,\"Steady\":100,\"Other\":20,\"Leaky\":0}\n", (int)getpid());
    char line[64];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(0, line + len, 1);
        if (r <= 0)
            break;
        if (line[len] != '\n' && len + 1 < sizeof line) {
            len++;
            continue;
        }
        line[len] = 0;
        len = 0;
        long n = strtol(line, nullptr, 10);
        for (long i = 0; i < n && nleaky < (long)(sizeof leaky / sizeof leaky[0]); i++)
            leaky[nleaky++] = new app::Leaky;
        printf("{\"Steady\":100,\"Other\":20,\"Leaky\":%ld}\n", nleaky);
    }
    return steady[0]->f() + other[0]->g() + (nleaky ? leaky[0]->h() : 0) == 0;
}
