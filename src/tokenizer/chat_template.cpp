// Recognising a chat template's family from its Jinja text, and dispatching to its renderer.
#include "tokenizer/chat_template.h"

#include "core/error.h"
#include "tokenizer/chat_render.h"
#include "tokenizer/tokenizer.h"

namespace seek {

namespace {

bool has(std::string_view text, std::string_view needle) { return text.find(needle) != std::string_view::npos; }

// Template sources write "\n" inside Jinja string literals either as a real newline (the JSON held
// "\n") or as backslash-n (the JSON held "\\n"); both mean a newline.
bool has_after_newline(std::string_view text, std::string_view needle) {
  return has(text, "\n" + std::string(needle)) || has(text, "\\n" + std::string(needle));
}

ChatStyle detect_deepseek(std::string_view t) {
  SEEK_CHECK(!has(t, "is_last_user"),
             "chat_template: this DeepSeek template revision (R1-0528 / V3.1 style) is not supported yet");
  ChatStyle s;
  s.family = ChatFamily::kDeepSeek;
  s.strip_think = has(t, "split('</think>')");
  s.name = s.strip_think ? "deepseek-r1" : "deepseek-v3";
  s.join_systems = has(t, "is_first_sp");
  s.tool_calls_by_key = has(t, "'tool_calls' in message");
  s.tool_output_newline = has_after_newline(t, "<｜tool▁output▁begin｜>");
  s.generation_prompt = has(t, "<｜Assistant｜><think>") ? "<｜Assistant｜><think>\n" : "<｜Assistant｜>";
  return s;
}

ChatStyle detect_chatml(std::string_view t) {
  ChatStyle s;
  if (has(t, "reasoning_content")) {
    s.family = ChatFamily::kQwen3;
    s.name = "qwen3";
    s.supports_tools = true;
    return s;
  }
  s.family = ChatFamily::kChatMl;
  s.name = "chatml";
  s.supports_tools = has(t, "<tools>") && has(t, "<tool_call>");
  for (const char* prompt : {"You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
                             "You are a helpful assistant."}) {
    if (has(t, prompt)) {
      s.default_system = prompt;
      break;
    }
  }
  return s;
}

}  // namespace

ChatTemplate ChatTemplate::from_jinja(std::string_view t, std::string bos_token) {
  SEEK_CHECK(!t.empty(), "the tokenizer has no chat_template (tokenizer_config.json)");
  ChatTemplate result;
  result.bos_token_ = std::move(bos_token);
  if (has(t, "<｜User｜>") && has(t, "<｜Assistant｜>")) {
    result.style_ = detect_deepseek(t);
  } else if (has(t, "<|im_start|>")) {
    result.style_ = detect_chatml(t);
  } else if (has(t, "<|start_header_id|>")) {
    SEEK_CHECK(!has(t, "Cutting Knowledge Date"),
               "chat_template: the Llama 3.1+ template (tools, knowledge-date header) is not supported yet");
    result.style_.family = ChatFamily::kLlama3;
    result.style_.name = "llama3";
    result.style_.conditional_generation_prompt = has(t, "add_generation_prompt");
  } else {
    SEEK_FAIL("chat_template is not one seek knows (DeepSeek V3/R1, Qwen2/2.5/3 ChatML, Llama 3); it begins '"
              << t.substr(0, 80) << "'");
  }
  return result;
}

ChatTemplate ChatTemplate::for_tokenizer(const Tokenizer& tokenizer) {
  try {
    return from_jinja(tokenizer.chat_template(), tokenizer.bos_token());
  } catch (const Error& e) {
    SEEK_FAIL(tokenizer.source() << ": " << e.what());
  }
}

std::string ChatTemplate::render(std::span<const ChatMessage> messages, const ChatOptions& options) const {
  switch (style_.family) {
    case ChatFamily::kDeepSeek:
      return chat::render_deepseek(style_, bos_token_, messages, options);
    case ChatFamily::kChatMl:
      return chat::render_chatml(style_, messages, options);
    case ChatFamily::kQwen3:
      return chat::render_qwen3(style_, messages, options);
    case ChatFamily::kLlama3:
      return chat::render_llama3(style_, bos_token_, messages, options);
  }
  SEEK_ASSERT(false);
  return {};
}

}  // namespace seek
