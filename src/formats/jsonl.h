// JSON Lines files (one JSON value per line; blank lines skipped), read record by record with
// errors that name the file and line.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace seek {

// Calls fn(record) for each non-blank line. A line that is not JSON, or a seek::Error
// that fn throws, becomes one seek::Error "<path>:<line>: ...".
void for_each_jsonl_record(const std::string& path, const std::function<void(const nlohmann::json&)>& fn);

}  // namespace seek
