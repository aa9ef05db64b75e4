// Internal to the chat-template implementation: one renderer per family (chat_deepseek.cpp,
// chat_qwen.cpp, chat_llama3.cpp) and the Jinja/Python string helpers they share.
#pragma once

#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <string_view>

#include "tokenizer/chat_template.h"

namespace seek::chat {

std::string render_deepseek(const ChatStyle& style, const std::string& bos, std::span<const ChatMessage> messages,
                            const ChatOptions& options);
std::string render_chatml(const ChatStyle& style, std::span<const ChatMessage> messages, const ChatOptions& options);
std::string render_qwen3(const ChatStyle& style, std::span<const ChatMessage> messages, const ChatOptions& options);
std::string render_llama3(const ChatStyle& style, const std::string& bos, std::span<const ChatMessage> messages,
                          const ChatOptions& options);

// Python's json.dumps(x, ensure_ascii=False) — what HF's `tojson` filter prints: ", " and ": "
// separators, keys in their given order, non-ASCII text unescaped.
std::string py_json_dumps(const nlohmann::ordered_json& value);

// The tool definitions in options.tools_json (a JSON array), or an empty array.
nlohmann::ordered_json parse_tools(const ChatOptions& options);

// Python str methods as Jinja templates call them.
std::string_view py_strip_chars(std::string_view s, char c);    // s.strip(c)
std::string_view py_lstrip_chars(std::string_view s, char c);   // s.lstrip(c)
std::string_view py_rstrip_chars(std::string_view s, char c);   // s.rstrip(c)
std::string_view py_strip(std::string_view s);                  // s.strip(): Python whitespace
// s.split(sep)[-1] and s.split(sep)[0]
std::string_view after_last(std::string_view s, std::string_view sep);
std::string_view before_first(std::string_view s, std::string_view sep);

// A message's content where the template concatenates it as a string (null renders as "").
inline std::string_view text_of(const ChatMessage& m) { return m.content ? std::string_view(*m.content) : ""; }

}  // namespace seek::chat
