// Qwen chat templates (ChatML): Qwen2 / Qwen2.5, with Qwen2.5's tools block, and Qwen3 with its
// <think> handling. Transcribed from the Jinja in the models' tokenizer_config.json.
#include "core/error.h"
#include "tokenizer/chat_render.h"

namespace seek::chat {

namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr std::string_view kToolsIntro =
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with "
    "function signatures within <tools></tools> XML tags:\n<tools>";
constexpr std::string_view kToolsOutro =
    "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
    "<args-json-object>}\n</tool_call><|im_end|>\n";

void append_turn(std::string_view role, std::string_view content, std::string* out) {
  *out += "<|im_start|>";
  *out += role;
  *out += "\n";
  *out += content;
  *out += "<|im_end|>\n";
}

void append_tools(const OrderedJson& tools, std::string* out) {
  *out += kToolsIntro;
  for (const OrderedJson& tool : tools) {
    *out += "\n";
    *out += py_json_dumps(tool);
  }
  *out += kToolsOutro;
}

// A tool's output: consecutive tool messages share one user turn.
void append_tool_output(std::span<const ChatMessage> messages, size_t i, std::string* out) {
  if (i == 0 || messages[i - 1].role != "tool") *out += "<|im_start|>user";
  *out += "\n<tool_response>\n";
  *out += text_of(messages[i]);
  *out += "\n</tool_response>";
  if (i + 1 == messages.size() || messages[i + 1].role != "tool") *out += "<|im_end|>\n";
}

// Qwen2.5 prints arguments with `tojson`, written for a dict: seek's arguments are JSON text, so
// they are parsed first (text that is not JSON prints as a JSON string, as a str would).
std::string arguments_as_tojson(const std::string& arguments) {
  const OrderedJson parsed = OrderedJson::parse(arguments, nullptr, false);
  return py_json_dumps(parsed.is_discarded() ? OrderedJson(arguments) : parsed);
}

}  // namespace

std::string render_chatml(const ChatStyle& style, std::span<const ChatMessage> messages, const ChatOptions& options) {
  const OrderedJson tools = parse_tools(options);
  std::string out;
  const bool has_system = !messages.empty() && messages[0].role == "system";
  if (!tools.empty()) {
    SEEK_CHECK(style.supports_tools, "chat template '" << style.name << "' has no tools block");
    out += "<|im_start|>system\n";
    out += has_system ? text_of(messages[0]) : std::string_view(style.default_system);
    out += "\n\n";
    append_tools(tools, &out);
  } else if (has_system) {
    append_turn("system", text_of(messages[0]), &out);
  } else if (!style.default_system.empty()) {
    append_turn("system", style.default_system, &out);
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (m.role == "user" || (m.role == "system" && i != 0) || (m.role == "assistant" && m.tool_calls.empty())) {
      append_turn(m.role, text_of(m), &out);
    } else if (m.role == "assistant") {
      out += "<|im_start|>assistant";
      if (!text_of(m).empty()) {
        out += "\n";
        out += text_of(m);
      }
      for (const ToolCall& call : m.tool_calls) {
        out += "\n<tool_call>\n{\"name\": \"" + call.name + "\", \"arguments\": ";
        out += arguments_as_tojson(call.arguments);
        out += "}\n</tool_call>";
      }
      out += "<|im_end|>\n";
    } else if (m.role == "tool") {
      append_tool_output(messages, i, &out);
    }
  }
  if (options.add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

std::string render_qwen3(const ChatStyle& style, std::span<const ChatMessage> messages, const ChatOptions& options) {
  const OrderedJson tools = parse_tools(options);
  std::string out;
  const bool has_system = !messages.empty() && messages[0].role == "system";
  if (!tools.empty()) {
    out += "<|im_start|>system\n";
    if (has_system) {
      out += text_of(messages[0]);
      out += "\n\n";
    }
    append_tools(tools, &out);
  } else if (has_system) {
    append_turn("system", text_of(messages[0]), &out);
  }

  // The last user query that is not a tool response wrapped as a user message: reasoning is kept
  // only for assistant turns after it.
  size_t last_query = messages.empty() ? 0 : messages.size() - 1;
  for (size_t i = messages.size(); i-- > 0;) {
    const std::string_view c = text_of(messages[i]);
    const bool wrapped = c.starts_with("<tool_response>") && c.ends_with("</tool_response>");
    if (messages[i].role == "user" && !wrapped) {
      last_query = i;
      break;
    }
  }

  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (m.role == "user" || (m.role == "system" && i != 0)) {
      append_turn(m.role, text_of(m), &out);
    } else if (m.role == "assistant") {
      std::string_view content = text_of(m);
      std::string_view reasoning;
      if (m.reasoning_content) {
        reasoning = *m.reasoning_content;
      } else if (content.find("</think>") != std::string_view::npos) {
        reasoning = py_lstrip_chars(after_last(py_rstrip_chars(before_first(content, "</think>"), '\n'), "<think>"), '\n');
        content = py_lstrip_chars(after_last(content, "</think>"), '\n');
      }
      out += "<|im_start|>assistant\n";
      if (i > last_query && (i + 1 == messages.size() || !reasoning.empty())) {
        out += "<think>\n";
        out += py_strip_chars(reasoning, '\n');
        out += "\n</think>\n\n";
        out += py_lstrip_chars(content, '\n');
      } else {
        out += content;
      }
      for (size_t k = 0; k < m.tool_calls.size(); ++k) {
        if (k > 0 || !content.empty()) out += "\n";
        out += "<tool_call>\n{\"name\": \"" + m.tool_calls[k].name + "\", \"arguments\": ";
        out += m.tool_calls[k].arguments;  // a string: printed as is
        out += "}\n</tool_call>";
      }
      out += "<|im_end|>\n";
    } else if (m.role == "tool") {
      append_tool_output(messages, i, &out);
    }
  }
  if (options.add_generation_prompt) {
    out += "<|im_start|>assistant\n";
    if (options.enable_thinking == false) out += "<think>\n\n</think>\n\n";
  }
  return out;
}

}  // namespace seek::chat
