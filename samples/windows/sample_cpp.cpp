// The C++ part of the Windows sample (samples/windows/sample.c): allocations made with operator
// new / new[], which libstdc++ (MinGW) serves from the CRT's malloc, i.e. the CRT heap.
//
// Called from C; every pointer stays alive until cpp_release() so the snapshot sees the blocks.
#include <cstddef>
#include <new>
#include <vector>

namespace {

struct node {
    node *next;
    unsigned char payload[120];
};

std::vector<node *> g_nodes;         // small objects: operator new
unsigned char *g_big = nullptr;      // one large array: operator new[]
std::size_t g_big_size = 0;

}  // namespace

extern "C" {

// Allocates `count` small objects (128 bytes each) and one array of `big_size` bytes; returns the
// address of the first object and stores the array's address in *big_out. NULL on failure.
void *cpp_allocate(int count, std::size_t big_size, void **big_out)
{
    try {
        g_nodes.reserve(static_cast<std::size_t>(count));
        node *prev = nullptr;
        for (int i = 0; i < count; i++) {
            node *n = new node();
            n->next = prev;
            n->payload[0] = static_cast<unsigned char>(i);
            prev = n;
            g_nodes.push_back(n);
        }
        g_big = new unsigned char[big_size];
        g_big_size = big_size;
        for (std::size_t i = 0; i < big_size; i += 4096)
            g_big[i] = 1;
    } catch (const std::bad_alloc &) {
        return nullptr;
    }
    *big_out = g_big;
    return g_nodes.empty() ? nullptr : g_nodes.front();
}

// The address of small object i (0 <= i < count), or NULL.
void *cpp_object(int i)
{
    if (i < 0 || static_cast<std::size_t>(i) >= g_nodes.size())
        return nullptr;
    return g_nodes[static_cast<std::size_t>(i)];
}

void cpp_release(void)
{
    for (node *n : g_nodes)
        delete n;
    g_nodes.clear();
    delete[] g_big;
    g_big = nullptr;
    g_big_size = 0;
}

}  // extern "C"
