// Chat templates: a conversation rendered to the exact prompt text the model was trained on, the
// string Hugging Face's apply_chat_template(messages, tokenize=False) produces from the Jinja
// template in tokenizer_config.json. seek has no Jinja engine: each template family is C++ code,
// and the family (plus the variant details that differ between releases) is recognised from the
// template's text:
//   deepseek-v3   "<｜User｜>"/"<｜Assistant｜>" markers (DeepSeek V3; system messages joined)
//   deepseek-r1   the same plus "split('</think>')": earlier reasoning dropped, generation prompt
//                 "<｜Assistant｜><think>\n"; covers R1 and the R1-Distill models (Qwen/Llama), whose
//                 templates are the first R1 release (last system message only)
//   chatml        Qwen2 / Qwen2.5 "<|im_start|>role\n...<|im_end|>\n", with Qwen2.5's tools block
//   qwen3         ChatML with Qwen3's <think> handling
//   llama3        "<|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>"
// The templates' quirks are kept (for example V3 closes a tool-call block only after a second
// call), because the models saw exactly those strings. An unrecognised template is an error.
//
// Tool-call arguments are JSON text (as in the OpenAI API). Templates that print them verbatim do
// so; Qwen2.5's, which serializes them with `tojson`, gets them parsed, as if passed as a dict.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seek {

class Tokenizer;

struct ToolCall {
  std::string type = "function";  // OpenAI tool type
  std::string name;               // function name
  std::string arguments;          // JSON text of the arguments object
};

struct ChatMessage {
  std::string role;                               // "system", "user", "assistant" or "tool"
  std::optional<std::string> content;             // nullopt = null (an assistant turn that only calls tools)
  std::vector<ToolCall> tool_calls;               // assistant turns only
  std::optional<std::string> reasoning_content;   // assistant reasoning kept apart (Qwen3 reads it)
};

struct ChatOptions {
  bool add_generation_prompt = true;     // end with the opening of the assistant's turn
  std::string tools_json;                // JSON array of tool definitions (OpenAI "tools"); empty = none
  std::optional<bool> enable_thinking;   // Qwen3: false closes the think block in the prompt
};

enum class ChatFamily {
  kDeepSeek,  // V3 / R1 / R1-Distill
  kChatMl,    // Qwen2 / Qwen2.5
  kQwen3,
  kLlama3,
};

// The variant details of a family, read from the template text. Every field is a difference that
// exists between released templates.
struct ChatStyle {
  ChatFamily family = ChatFamily::kDeepSeek;
  std::string name;  // "deepseek-v3", "deepseek-r1", "chatml", "qwen3", "llama3"
  // DeepSeek
  bool join_systems = true;          // all system messages joined by "\n\n" (else only the last)
  bool tool_calls_by_key = false;    // R1: a turn with tool_calls renders them after its content;
                                     // V3: tool calls render only when content is null
  bool strip_think = false;          // drop everything up to the last "</think>" of past turns
  bool tool_output_newline = true;   // "\n" before the second and later tool outputs
  std::string generation_prompt;     // DeepSeek: "<｜Assistant｜>" or "<｜Assistant｜><think>\n"
  // ChatML
  std::string default_system;        // system turn used when the conversation has none; "" = none
  bool supports_tools = false;       // ChatML template has the Qwen2.5 tools block
  // Llama 3
  bool conditional_generation_prompt = true;  // false: the template always appends the header
};

class ChatTemplate {
 public:
  // Recognises the family of a Jinja template. bos_token is the tokenizer's BOS content (DeepSeek
  // and Llama templates print it). Throws seek::Error naming what is missing or unknown.
  static ChatTemplate from_jinja(std::string_view jinja, std::string bos_token);
  // The template in the tokenizer's tokenizer_config.json.
  static ChatTemplate for_tokenizer(const Tokenizer& tokenizer);

  // The prompt text. Throws seek::Error for conversations the template cannot express (for example
  // tool calls with Llama 3's template, or malformed tools_json).
  std::string render(std::span<const ChatMessage> messages, const ChatOptions& options = {}) const;

  const ChatStyle& style() const { return style_; }

 private:
  ChatStyle style_;
  std::string bos_token_;
};

}  // namespace seek
