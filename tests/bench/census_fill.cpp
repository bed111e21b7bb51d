// census_fill: a C++ process for the object-census benchmark (tests/bench/census.sh): a few million
// objects of 300 classes filling about 1 GiB of glibc heap.
//
//   census_fill [OBJECTS]   (default 4,000,000) objects of T<0> .. T<299>, round robin; each holds
//                           16 to 496 bytes of data: heap pointers, small numbers and random words,
//                           as real objects do (so the census's filter sees realistic values);
//                           then prints "PID ready HEAP_BYTES OBJECTS" and waits until stdin
//                           reaches EOF.
// One thread: everything is in the brk heap.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <utility>

struct Base {
    virtual ~Base() {}
    virtual int id() const = 0;
};

template <int N> struct T : Base {
    uint64_t data[(N * 7) % 61 + 1];
    int id() const override { return N; }
};

using maker = Base *(*)();
template <int N> static Base *make() { return new T<N>; }
template <int... I> static constexpr auto table(std::integer_sequence<int, I...>)
{
    return std::array<maker, sizeof...(I)>{make<I>...};
}

static constexpr int NTYPES = 300;

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], nullptr, 10) : 4000000u;
    static constexpr auto makers = table(std::make_integer_sequence<int, NTYPES>{});
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    uintptr_t first = 0, last = 0;
    Base *prev = nullptr;
    for (size_t i = 0; i < n; i++) {
        Base *o = makers[i % NTYPES]();
        /* Fill the data behind the vptr: a pointer to the previous object, a small number, a random word. */
        uint64_t *w = reinterpret_cast<uint64_t *>(o) + 1;
        size_t words = ((i % NTYPES) * 7) % 61 + 1;
        for (size_t k = 0; k < words; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            w[k] = k % 3 == 0 ? reinterpret_cast<uintptr_t>(prev) : k % 3 == 1 ? (seed >> 56) : seed;
        }
        prev = o;
        if (!first)
            first = reinterpret_cast<uintptr_t>(o);
        last = reinterpret_cast<uintptr_t>(o) + sizeof(uint64_t) * (words + 1);
    }
    printf("%d ready %llu %zu\n", (int)getpid(), (unsigned long long)(last - first), n);
    fflush(stdout);
    char buf[64];
    while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
    }
    return prev ? 0 : 1;
}
