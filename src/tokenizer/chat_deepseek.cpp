// DeepSeek V3 / R1 / R1-Distill chat templates, transcribed from their Jinja (tokenizer_config.json
// of deepseek-ai/DeepSeek-V3, DeepSeek-R1 and the R1-Distill models). The namespace variables of
// the Jinja (ns.is_first, ns.is_tool, ns.is_output_first) become the locals of the same names,
// and, as in the Jinja, is_first and is_output_first are never reset.
#include "tokenizer/chat_render.h"

namespace seek::chat {

namespace {

constexpr std::string_view kUser = "<｜User｜>";
constexpr std::string_view kAssistant = "<｜Assistant｜>";
constexpr std::string_view kEnd = "<｜end▁of▁sentence｜>";
constexpr std::string_view kCallsBegin = "<｜tool▁calls▁begin｜>";
constexpr std::string_view kCallsEnd = "<｜tool▁calls▁end｜>";
constexpr std::string_view kCallBegin = "<｜tool▁call▁begin｜>";
constexpr std::string_view kCallEnd = "<｜tool▁call▁end｜>";
constexpr std::string_view kSep = "<｜tool▁sep｜>";
constexpr std::string_view kOutputsBegin = "<｜tool▁outputs▁begin｜>";
constexpr std::string_view kOutputsEnd = "<｜tool▁outputs▁end｜>";
constexpr std::string_view kOutputBegin = "<｜tool▁output▁begin｜>";
constexpr std::string_view kOutputEnd = "<｜tool▁output▁end｜>";

// type<｜tool▁sep｜>name\n```json\narguments\n```<｜tool▁call▁end｜>
void append_call_body(const ToolCall& call, std::string* out) {
  *out += call.type;
  *out += kSep;
  *out += call.name;
  *out += "\n```json\n";
  *out += call.arguments;
  *out += "\n```";
  *out += kCallEnd;
}

std::string system_prompt(const ChatStyle& style, std::span<const ChatMessage> messages) {
  std::string prompt;
  bool first = true;
  for (const ChatMessage& m : messages) {
    if (m.role != "system") continue;
    if (!style.join_systems) {
      prompt = text_of(m);  // the first R1 release keeps only the last system message
    } else {
      if (!first) prompt += "\n\n";
      prompt += text_of(m);
    }
    first = false;
  }
  return prompt;
}

}  // namespace

std::string render_deepseek(const ChatStyle& style, const std::string& bos, std::span<const ChatMessage> messages,
                            const ChatOptions& options) {
  std::string out = bos + system_prompt(style, messages);
  bool is_first = false;         // a tool-call block has been opened (never reset, as in the Jinja)
  bool is_tool = false;          // inside a run of tool outputs
  bool is_output_first = true;   // no tool output rendered yet (never reset, as in the Jinja)

  for (const ChatMessage& m : messages) {
    if (m.role == "user") {
      is_tool = false;
      out += kUser;
      out += text_of(m);
    }
    const bool assistant = m.role == "assistant";
    // V3 and the first R1 release render tool calls only for a null content; the later R1
    // template renders them whenever the message has tool_calls, after its content.
    const bool tool_turn = assistant && (style.tool_calls_by_key ? !m.tool_calls.empty() : !m.content.has_value());
    if (tool_turn) {
      is_tool = false;
      for (const ToolCall& call : m.tool_calls) {
        if (!is_first) {
          out += kAssistant;
          if (style.tool_calls_by_key && m.content) out += *m.content;
          out += kCallsBegin;
          out += kCallBegin;
          append_call_body(call, &out);
          is_first = true;
        } else {
          out += "\n";
          out += kCallBegin;
          append_call_body(call, &out);
          if (!style.tool_calls_by_key) {
            out += kCallsEnd;  // V3: the block is closed after each later call only
            out += kEnd;
          }
        }
      }
      if (style.tool_calls_by_key) {
        out += kCallsEnd;
        out += kEnd;
      }
    }
    if (assistant && !tool_turn) {
      if (is_tool) {
        out += kOutputsEnd;
        out += text_of(m);
        out += kEnd;
        is_tool = false;
      } else {
        std::string_view content = text_of(m);
        if (style.strip_think) content = after_last(content, "</think>");
        out += kAssistant;
        out += content;
        out += kEnd;
      }
    }
    if (m.role == "tool") {
      is_tool = true;
      if (is_output_first) {
        out += kOutputsBegin;
        is_output_first = false;
      } else if (style.tool_output_newline) {
        out += "\n";
      }
      out += kOutputBegin;
      out += text_of(m);
      out += kOutputEnd;
    }
  }
  if (is_tool) out += kOutputsEnd;
  if (options.add_generation_prompt && !is_tool) out += style.generation_prompt;
  return out;
}

}  // namespace seek::chat
