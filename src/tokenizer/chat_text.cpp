// The Python text functions that chat templates call through Jinja (str.strip & co., the tojson
// filter), reproduced exactly so that rendered prompts match Hugging Face byte for byte.
#include "core/error.h"
#include "tokenizer/chat_render.h"
#include "tokenizer/utf8.h"

namespace seek::chat {

namespace {

using OrderedJson = nlohmann::ordered_json;

// Python's str.isspace() set (what str.strip() removes with no argument).
bool is_py_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

void dump_string(const std::string& s, std::string* out) {
  // nlohmann escapes exactly what json.dumps(ensure_ascii=False) escapes: '"', '\\', \b \f \n \r \t
  // and the other C0 controls as \u00xx. Invalid UTF-8 is replaced rather than thrown.
  *out += OrderedJson(s).dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

void dump(const OrderedJson& v, std::string* out) {
  switch (v.type()) {
    case OrderedJson::value_t::object: {
      *out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) *out += ", ";
        first = false;
        dump_string(it.key(), out);
        *out += ": ";
        dump(it.value(), out);
      }
      *out += '}';
      return;
    }
    case OrderedJson::value_t::array: {
      *out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) *out += ", ";
        dump(v[i], out);
      }
      *out += ']';
      return;
    }
    case OrderedJson::value_t::string:
      dump_string(v.get<std::string>(), out);
      return;
    case OrderedJson::value_t::null:
    case OrderedJson::value_t::boolean:
    case OrderedJson::value_t::number_integer:
    case OrderedJson::value_t::number_unsigned:
    case OrderedJson::value_t::number_float:
    case OrderedJson::value_t::binary:
    case OrderedJson::value_t::discarded:
      *out += v.dump();
      return;
  }
}

}  // namespace

std::string py_json_dumps(const OrderedJson& value) {
  std::string out;
  dump(value, &out);
  return out;
}

OrderedJson parse_tools(const ChatOptions& options) {
  if (options.tools_json.empty()) return OrderedJson::array();
  OrderedJson tools;
  try {
    tools = OrderedJson::parse(options.tools_json);
  } catch (const OrderedJson::exception& e) {
    SEEK_FAIL("chat tools: not valid JSON (" << e.what() << ")");
  }
  if (tools.is_null()) return OrderedJson::array();
  SEEK_CHECK(tools.is_array(), "chat tools: expected a JSON array of tool definitions");
  return tools;
}

std::string_view py_lstrip_chars(std::string_view s, char c) {
  const size_t i = s.find_first_not_of(c);
  return i == std::string_view::npos ? std::string_view() : s.substr(i);
}

std::string_view py_rstrip_chars(std::string_view s, char c) {
  const size_t i = s.find_last_not_of(c);
  return i == std::string_view::npos ? std::string_view() : s.substr(0, i + 1);
}

std::string_view py_strip_chars(std::string_view s, char c) { return py_rstrip_chars(py_lstrip_chars(s, c), c); }

std::string_view py_strip(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t next = begin;
    if (!is_py_space(utf8::decode(s, &next))) break;
    begin = next;
  }
  size_t end = s.size();
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80) --start;
    size_t pos = start;
    if (!is_py_space(utf8::decode(s, &pos))) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

std::string_view after_last(std::string_view s, std::string_view sep) {
  const size_t i = s.rfind(sep);
  return i == std::string_view::npos ? s : s.substr(i + sep.size());
}

std::string_view before_first(std::string_view s, std::string_view sep) {
  const size_t i = s.find(sep);
  return i == std::string_view::npos ? s : s.substr(0, i);
}

}  // namespace seek::chat
