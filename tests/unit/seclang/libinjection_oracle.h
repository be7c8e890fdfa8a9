#pragma once
// libinjection (inside the installed libmodsecurity, which exports its functions) as a
// test oracle for rampart's own @detectSQLi / @detectXSS: the differential test calls
// both and prints where they disagree. Loaded at run time, so nothing links against
// it; absent library → available() is false and the tests skip. Only the verdicts and
// the fingerprint are used: rampart's detectors share no code or tables with it.

#include <dlfcn.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace rampart::seclang::testing {

class LibinjectionOracle {
 public:
  static LibinjectionOracle& get() {
    static LibinjectionOracle oracle;
    return oracle;
  }

  bool available() const { return sqli_ != nullptr && xss_ != nullptr; }

  // libinjection_sqli's verdict; `fingerprint` receives the fingerprint it matched.
  bool sqli(std::string_view in, std::string* fingerprint = nullptr) const {
    char fp[8] = {};
    const bool hit = sqli_(in.data(), in.size(), fp) != 0;
    if (fingerprint) fingerprint->assign(fp, strnlen(fp, sizeof fp));
    return hit;
  }

  bool xss(std::string_view in) const { return xss_(in.data(), in.size()) != 0; }

 private:
  using Sqli = int (*)(const char*, size_t, char*);
  using Xss = int (*)(const char*, size_t);

  LibinjectionOracle() {
    void* lib = dlopen("libmodsecurity.so.3", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return;
    sqli_ = reinterpret_cast<Sqli>(dlsym(lib, "libinjection_sqli"));
    xss_ = reinterpret_cast<Xss>(dlsym(lib, "libinjection_xss"));
  }

  Sqli sqli_ = nullptr;
  Xss xss_ = nullptr;
};

}  // namespace rampart::seclang::testing
