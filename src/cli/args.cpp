#include "cli/args.h"

#include <cstdlib>

#include "core/error.h"

namespace seek::cli {

Args::Args(std::vector<std::string> argv) : argv_(std::move(argv)), used_(argv_.size(), false) {}

std::vector<std::string> Args::get_all(const std::string& name) {
  std::vector<std::string> out;
  for (size_t i = 0; i < argv_.size(); ++i) {
    if (used_[i]) continue;
    const std::string& a = argv_[i];
    if (a == name) {
      SEEK_CHECK(i + 1 < argv_.size(), "option " << name << " needs a value");
      used_[i] = used_[i + 1] = true;
      out.push_back(argv_[i + 1]);
      ++i;
    } else if (a.size() > name.size() && a.compare(0, name.size(), name) == 0 && a[name.size()] == '=') {
      used_[i] = true;
      out.push_back(a.substr(name.size() + 1));
    }
  }
  return out;
}

std::optional<std::string> Args::get(const std::string& name) {
  std::vector<std::string> all = get_all(name);
  if (all.empty()) return std::nullopt;
  SEEK_CHECK(all.size() == 1, "option " << name << " given more than once");
  return all[0];
}

std::string Args::get_or(const std::string& name, const std::string& fallback) {
  return get(name).value_or(fallback);
}

int64_t Args::get_int(const std::string& name, int64_t fallback) {
  std::optional<std::string> v = get(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v->c_str(), &end, 10);
  SEEK_CHECK(!v->empty() && *end == '\0' && errno == 0, "option " << name << ": '" << *v << "' is not an integer");
  return x;
}

double Args::get_double(const std::string& name, double fallback) {
  std::optional<std::string> v = get(name);
  if (!v) return fallback;
  char* end = nullptr;
  const double x = std::strtod(v->c_str(), &end);
  SEEK_CHECK(!v->empty() && *end == '\0', "option " << name << ": '" << *v << "' is not a number");
  return x;
}

bool Args::flag(const std::string& name) {
  bool found = false;
  for (size_t i = 0; i < argv_.size(); ++i) {
    if (!used_[i] && argv_[i] == name) {
      used_[i] = true;
      found = true;
    }
  }
  return found;
}

std::vector<std::string> Args::positionals() {
  std::vector<std::string> out;
  for (size_t i = 0; i < argv_.size(); ++i) {
    if (used_[i]) continue;
    const std::string& a = argv_[i];
    if (a.size() > 1 && a[0] == '-') continue;
    used_[i] = true;
    out.push_back(a);
  }
  return out;
}

void Args::finish() const {
  for (size_t i = 0; i < argv_.size(); ++i)
    SEEK_CHECK(used_[i], "unknown argument '" << argv_[i] << "' (see seek --help)");
}

}  // namespace seek::cli
