// A class whose vtable lives in a shared library / DLL of its own (libcensus_plugin.so,
// census_plugin.dll): the census samples count its objects and expect the census to name that
// library as their module.
#ifndef VMMAP_SAMPLES_CENSUS_PLUGIN_H
#define VMMAP_SAMPLES_CENSUS_PLUGIN_H

#if defined(_WIN32) && defined(CENSUS_PLUGIN_BUILD)
#define CENSUS_PLUGIN_API __declspec(dllexport)
#elif defined(_WIN32)
#define CENSUS_PLUGIN_API __declspec(dllimport)
#else
#define CENSUS_PLUGIN_API
#endif

namespace plugin {

class Plugin {
public:
    explicit Plugin(int id);
    virtual ~Plugin();
    virtual int id() const;

private:
    int id_;
};

CENSUS_PLUGIN_API Plugin *make_plugin(int id);

}  // namespace plugin

#endif
