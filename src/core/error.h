// Error channels (STYLE.md habit 9).
//
//   SEEK_CHECK(cond, msg)   bad input or files: throws seek::Error; caught at the CLI/HTTP edge and
//                           turned into one clear line. msg is a stream expression:
//                           SEEK_CHECK(n > 0, path << ": tensor '" << name << "' has no rows").
//   SEEK_ASSERT(cond)       an invariant of our own code; always on; aborts with file:line.
//   SEEK_DASSERT(cond)      the same for hot loops; compiled out unless SEEK_DEBUG is defined.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace seek {

// The one exception type for user-facing failures. what() is the full message, ready to print.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const std::string& msg);

}  // namespace seek

#define SEEK_CHECK(cond, msg)                                  \
  do {                                                         \
    if (!(cond)) {                                             \
      std::ostringstream seek_check_os_;                       \
      seek_check_os_ << msg;                                   \
      throw ::seek::Error(seek_check_os_.str());               \
    }                                                          \
  } while (0)

#define SEEK_FAIL(msg) SEEK_CHECK(false, msg)

#define SEEK_ASSERT(cond)                                                     \
  do {                                                                        \
    if (!(cond)) ::seek::assert_fail(#cond, __FILE__, __LINE__, std::string()); \
  } while (0)

#define SEEK_ASSERT_MSG(cond, msg)                                 \
  do {                                                             \
    if (!(cond)) {                                                 \
      std::ostringstream seek_assert_os_;                          \
      seek_assert_os_ << msg;                                      \
      ::seek::assert_fail(#cond, __FILE__, __LINE__, seek_assert_os_.str()); \
    }                                                              \
  } while (0)

#ifdef SEEK_DEBUG
#define SEEK_DASSERT(cond) SEEK_ASSERT(cond)
#else
#define SEEK_DASSERT(cond) ((void)0)
#endif
