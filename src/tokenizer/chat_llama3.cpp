// The Llama 3 chat template (Meta-Llama-3-Instruct tokenizer_config.json): every message becomes
// "<|start_header_id|>role<|end_header_id|>\n\n" + content.strip() + "<|eot_id|>", the first one
// preceded by BOS. The original template appends the assistant header unconditionally; later
// copies guard it with add_generation_prompt (ChatStyle::conditional_generation_prompt).
#include "core/error.h"
#include "tokenizer/chat_render.h"

namespace seek::chat {

std::string render_llama3(const ChatStyle& style, const std::string& bos, std::span<const ChatMessage> messages,
                          const ChatOptions& options) {
  SEEK_CHECK(parse_tools(options).empty(), "chat template 'llama3' has no tools block");
  std::string out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    SEEK_CHECK(m.tool_calls.empty() || m.content.has_value(),
               "chat template 'llama3' cannot express tool calls (message " << i << ")");
    if (i == 0) out += bos;
    out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n";
    out += py_strip(text_of(m));
    out += "<|eot_id|>";
  }
  if (options.add_generation_prompt || !style.conditional_generation_prompt)
    out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

}  // namespace seek::chat
