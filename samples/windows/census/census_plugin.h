// A class whose vtable lives in a DLL (samples/windows/census/census.cpp counts its objects and
// expects the census to name census_plugin.dll as their module).
#ifndef VMMAP_SAMPLES_WIN_CENSUS_PLUGIN_H
#define VMMAP_SAMPLES_WIN_CENSUS_PLUGIN_H

#ifdef CENSUS_PLUGIN_BUILD
#define CENSUS_PLUGIN_API __declspec(dllexport)
#else
#define CENSUS_PLUGIN_API __declspec(dllimport)
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
