#include "formats/jsonl.h"

#include <fstream>

#include "core/error.h"

namespace seek {

void for_each_jsonl_record(const std::string& path, const std::function<void(const nlohmann::json&)>& fn) {
  std::ifstream in(path);
  SEEK_CHECK(in, path << ": cannot open");
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      SEEK_FAIL(path << ":" << line_no << ": bad JSON: " << e.what());
    }
    try {
      fn(record);
    } catch (const nlohmann::json::exception& e) {
      SEEK_FAIL(path << ":" << line_no << ": " << e.what());
    } catch (const Error& e) {
      SEEK_FAIL(path << ":" << line_no << ": " << e.what());
    }
  }
}

}  // namespace seek
