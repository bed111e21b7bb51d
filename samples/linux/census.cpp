// A C++ program with known numbers of objects of several classes, for the object census
// (vmmap objects; tests/integration/test_census_sample.c).  It prints its ground truth as one
// JSON line, then waits until its stdin closes.
//
// What it holds, each type chosen to test one rule of the census:
//   Circle, Square      single inheritance from Shape (abstract: no Shape object exists)
//   Widget              multiple inheritance: two vptrs in one object, one object
//   ListItem            in a std::list: the object after each node's two links
//   VecItem             in a std::vector grown by doubling from empty: many objects in one block;
//                       the freed smaller buffers still hold stale copies, which must not count
//   Holder<int>         a template, in an array allocated with new[] (another many-object block)
//   Temp                created and deleted again: must not count
//   ThreadObj           created by another thread (its own malloc arena); ThreadTemp created and
//                       deleted there (its tcache and the arena's bins)
//   plugin::Plugin      defined in a shared library (libcensus_plugin.so): named with it
//   Unused              has a vtable but is never instantiated: count 0
//   Circle also has one static instance (.bss) and one on main's stack: not heap objects, seen
//   only with --all.
// Allocation order matters: the vector grows and the temporaries are freed last, so no later
// allocation reuses a chunk still holding a stale vptr; stdout has a static buffer for the same
// reason.  The truth gives each type's count and its bytes as the census charges them (chunk
// size = malloc_usable_size + 8 for an object alone in its chunk; the usable size of a buffer
// holding many, estimated).
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <list>
#include <vector>

#include "../common/census_plugin.h"

#include "../common/census_classes.h"

static Circle g_static_circle;
static char g_stdout_buffer[1 << 16];
static volatile int g_sink;

static ThreadObj *g_thread_objs[N_THREAD];
static uint64_t g_thread_bytes;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static bool g_thread_ready, g_release;

static uint64_t chunk_bytes(const void *p)
{
    return malloc_usable_size(const_cast<void *>(p)) + 8;
}

/* Allocation happens in functions of their own that return before the thread waits: a vtable
 * address the loop kept in a callee-saved register would otherwise be saved on the stack by
 * whatever the waiting thread calls, a live stale copy that --all would rightly count. */
__attribute__((noinline)) static void thread_allocate()
{
    for (int i = 0; i < N_THREAD; i++) {
        g_thread_objs[i] = new ThreadObj;
        g_thread_bytes += chunk_bytes(g_thread_objs[i]);
    }
    ThreadTemp *tmp[N_THREAD_TEMP];
    for (int i = 0; i < N_THREAD_TEMP; i++)
        tmp[i] = new ThreadTemp;
    for (int i = 0; i < N_THREAD_TEMP; i++)
        delete tmp[i];
}

static void *thread_main(void *)
{
    thread_allocate();
    pthread_mutex_lock(&g_lock);
    g_thread_ready = true;
    pthread_cond_broadcast(&g_cond);
    while (!g_release)
        pthread_cond_wait(&g_cond, &g_lock);
    pthread_mutex_unlock(&g_lock);
    return nullptr;
}

static void type(const char *name, const char *module, long heap, uint64_t bytes, bool estimated, bool last)
{
    printf("{\"name\":\"%s\",\"module\":\"%s\",\"heap\":%ld,\"bytes\":%llu,\"estimated\":%s}%s", name, module, heap,
           (unsigned long long)bytes, estimated ? "true" : "false", last ? "" : ",");
}

struct truth {
    uint64_t circle, square, widget, list, holder, plugin, vec;
    std::list<ListItem> *list_items;
    std::vector<VecItem> *vec_items;
    Shape *first_shape;
};

static pthread_t g_thread;

/* Every allocation of the program, in the order the comment at the top explains. */
__attribute__((noinline)) static bool build(truth *t)
{
    static Shape *shapes[N_CIRCLE + N_SQUARE];
    for (int i = 0; i < N_CIRCLE; i++) {
        shapes[i] = new Circle;
        t->circle += chunk_bytes(shapes[i]);
    }
    for (int i = 0; i < N_SQUARE; i++) {
        shapes[N_CIRCLE + i] = new Square;
        t->square += chunk_bytes(shapes[N_CIRCLE + i]);
    }
    t->first_shape = shapes[0];
    static Widget *widgets[N_WIDGET];
    for (int i = 0; i < N_WIDGET; i++) {
        widgets[i] = new Widget;
        t->widget += chunk_bytes(widgets[i]);
    }
    t->list_items = new std::list<ListItem>;
    for (int i = 0; i < N_LIST; i++)
        t->list_items->emplace_back();
    for (ListItem &item : *t->list_items) /* the node: two links before the object */
        t->list += chunk_bytes(reinterpret_cast<char *>(&item) - 2 * sizeof(void *));
    /* new[] puts the element count before the first object: the objects are the block after it */
    auto *holders = new Holder<int>[N_HOLDER];
    t->holder = malloc_usable_size(reinterpret_cast<char *>(holders) - sizeof(size_t)) - sizeof(size_t);
    static plugin::Plugin *plugins[N_PLUGIN];
    for (int i = 0; i < N_PLUGIN; i++) {
        plugins[i] = plugin::make_plugin(i);
        t->plugin += chunk_bytes(plugins[i]);
    }

    if (pthread_create(&g_thread, nullptr, thread_main, nullptr) != 0)
        return false;
    pthread_mutex_lock(&g_lock);
    while (!g_thread_ready)
        pthread_cond_wait(&g_cond, &g_lock);
    pthread_mutex_unlock(&g_lock);

    t->vec_items = new std::vector<VecItem>;
    for (int i = 0; i < N_VEC; i++)
        t->vec_items->emplace_back();
    t->vec = malloc_usable_size(t->vec_items->data());
    static Temp *temps[N_TEMP];
    for (int i = 0; i < N_TEMP; i++)
        temps[i] = new Temp;
    for (int i = 0; i < N_TEMP; i++)
        delete temps[i];
    return true;
}

int main()
{
    setvbuf(stdout, g_stdout_buffer, _IOFBF, sizeof g_stdout_buffer);
    Circle stack_circle;
    stack_circle.id = 42;
    truth t = {};
    if (!build(&t))
        return 1;

    printf("{\"pid\":%d,\"vector_buffer\":\"%p\",\"list_item\":\"%p\",\"thread_obj\":\"%p\",\"stack_circle\":\"%p\","
           "\"static_circle\":\"%p\",\"types\":[",
           (int)getpid(), static_cast<void *>(t.vec_items->data()), static_cast<void *>(&t.list_items->front()),
           static_cast<void *>(g_thread_objs[0]), static_cast<void *>(&stack_circle),
           static_cast<void *>(&g_static_circle));
    type("Circle", "census", N_CIRCLE, t.circle, false, false);
    type("Square", "census", N_SQUARE, t.square, false, false);
    type("Widget", "census", N_WIDGET, t.widget, false, false);
    type("ListItem", "census", N_LIST, t.list, false, false);
    type("VecItem", "census", N_VEC, t.vec, true, false);
    type("Holder<int>", "census", N_HOLDER, t.holder, true, false);
    type("Temp", "census", 0, 0, false, false);
    type("ThreadObj", "census", N_THREAD, g_thread_bytes, false, false);
    type("ThreadTemp", "census", 0, 0, false, false);
    type("plugin::Plugin", "libcensus_plugin.so", N_PLUGIN, t.plugin, false, false);
    type("Unused", "census", 0, 0, false, true);
    printf("],\"outside\":{\"Circle\":{\"stack\":1,\"image_data\":1}}}\n");
    fflush(stdout);

    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {
    }
    pthread_mutex_lock(&g_lock);
    g_release = true;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    pthread_join(g_thread, nullptr);
    g_sink = stack_circle.id + static_cast<int>(t.first_shape->area()) + t.list_items->front().value();
    return 0;
}
