// The classes of the C++ census samples (samples/linux/census.cpp, samples/windows/census/),
// one per rule of the census (docs/objects.md), and how many of each the samples make.  Shared
// so that both platforms count the same things; each sample prints its own truth.
#ifndef VMMAP_SAMPLES_CENSUS_CLASSES_H
#define VMMAP_SAMPLES_CENSUS_CLASSES_H

namespace {

constexpr int N_CIRCLE = 1000, N_SQUARE = 500, N_WIDGET = 300, N_LIST = 200, N_VEC = 1024, N_HOLDER = 10,
              N_TEMP = 100, N_THREAD = 150, N_THREAD_TEMP = 40, N_PLUGIN = 50;

}  // namespace

struct Shape {
    virtual ~Shape();
    virtual double area() const = 0;
    int id = 0;
};
Shape::~Shape() {}

struct Circle : Shape {
    double r = 1;
    double area() const override { return 3.14159 * r * r; }
};

struct Square : Shape {
    double side = 2, pad[3] = {0, 0, 0};
    double area() const override { return side * side; }
};

struct Drawable {
    virtual ~Drawable() {}
    virtual void draw() {}
    int depth = 0;
};
struct Clickable {
    virtual ~Clickable() {}
    virtual void click() {}
    int clicks = 0;
};
struct Widget : Drawable, Clickable {
    void draw() override {}
    void click() override { clicks++; }
    char name[24] = "widget";
};

struct ListItem {
    virtual ~ListItem() {}
    virtual int value() const { return (int)v; }
    long long v = 7;
};

struct VecItem {
    virtual ~VecItem() {}
    virtual int get() const { return x; }
    int x = 3;
};

template <class T> struct Holder {
    virtual ~Holder() {}
    virtual T get() const { return t; }
    T t{};
};

struct Temp {
    virtual ~Temp() {}
    virtual int f() { return 1; }
    char pad[40] = {0};
};

struct ThreadObj {
    virtual ~ThreadObj() {}
    virtual int f() { return 2; }
    long long data[4] = {0, 0, 0, 0};
};

struct ThreadTemp {
    virtual ~ThreadTemp() {}
    virtual int f() { return 3; }
    long long data[2] = {0, 0};
};

struct Unused {
    virtual ~Unused();
    virtual int never();
};
Unused::~Unused() {}
int Unused::never() { return 0; }

#endif
