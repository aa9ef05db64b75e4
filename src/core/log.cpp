#include "core/log.h"

#include <atomic>
#include <cstdio>

namespace seek {

namespace {
std::atomic<LogLevel> g_level{LogLevel::kWarn};  // the one process-wide setting, set by the CLI
}

void set_log_level(LogLevel level) { g_level.store(level); }
LogLevel log_level() { return g_level.load(); }

void log_line(LogLevel level, const std::string& line) {
  const char* tag = level == LogLevel::kError ? "error" : level == LogLevel::kWarn ? "warning" : "info";
  std::fprintf(stderr, "seek: %s: %s\n", tag, line.c_str());
}

}  // namespace seek
