// Logging to stderr with a level set once by the program's front end (no environment lookups).
#pragma once

#include <sstream>

namespace seek {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kQuiet };

void set_log_level(LogLevel level);
LogLevel log_level();
void log_line(LogLevel level, const std::string& line);

}  // namespace seek

#define SEEK_LOG(level, msg)                                            \
  do {                                                                  \
    if (::seek::LogLevel::level >= ::seek::log_level()) {               \
      std::ostringstream seek_log_os_;                                  \
      seek_log_os_ << msg;                                              \
      ::seek::log_line(::seek::LogLevel::level, seek_log_os_.str());    \
    }                                                                   \
  } while (0)
#define SEEK_LOG_INFO(msg) SEEK_LOG(kInfo, msg)
#define SEEK_LOG_WARN(msg) SEEK_LOG(kWarn, msg)
#define SEEK_LOG_DEBUG(msg) SEEK_LOG(kDebug, msg)
