// Chat templates: seek's C++ renderers against the exact strings the real Jinja templates produce.
// chat_cases.json is written by tests/tokenizer/chat_oracle.py (jinja2, configured as Hugging Face
// transformers configures it) from the templates in tests/tokenizer/templates/.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>

#include "core/error.h"
#include "core/mmap_file.h"
#include "tokenizer/chat_template.h"

namespace seek {
namespace {

namespace fs = std::filesystem;

const fs::path kHere = fs::path(__FILE__).parent_path();
const fs::path kTemplates = kHere / ".." / ".." / "tokenizer" / "templates";
const std::string kBos = "<｜begin▁of▁sentence｜>";

std::string template_text(const std::string& stem) { return read_file((kTemplates / (stem + ".jinja")).string()); }

ChatTemplate load(const std::string& stem, const std::string& bos) {
  return ChatTemplate::from_jinja(template_text(stem), bos);
}

std::vector<ChatMessage> messages_from_json(const nlohmann::ordered_json& list) {
  std::vector<ChatMessage> out;
  for (const auto& m : list) {
    ChatMessage msg;
    msg.role = m.at("role");
    if (!m.at("content").is_null()) msg.content = m.at("content").get<std::string>();
    if (m.contains("reasoning_content")) msg.reasoning_content = m["reasoning_content"].get<std::string>();
    for (const auto& c : m.value("tool_calls", nlohmann::ordered_json::array())) {
      msg.tool_calls.push_back({c.at("type"), c.at("function").at("name"), c.at("function").at("arguments")});
    }
    out.push_back(std::move(msg));
  }
  return out;
}

TEST(ChatTemplate, MatchesJinjaOnEveryFixtureCase) {
  const auto cases = nlohmann::ordered_json::parse(read_file((kHere / "chat_cases.json").string()));
  ASSERT_GT(cases.size(), 60u);
  for (const auto& c : cases) {
    const std::string name = c.at("template").get<std::string>() + "/" + c.at("case").get<std::string>();
    const ChatTemplate tmpl = load(c.at("template"), c.at("bos_token"));
    ChatOptions options;
    options.add_generation_prompt = c.at("add_generation_prompt");
    if (!c.at("tools").is_null()) options.tools_json = c.at("tools").dump();
    if (!c.at("enable_thinking").is_null()) options.enable_thinking = c.at("enable_thinking").get<bool>();
    EXPECT_EQ(tmpl.render(messages_from_json(c.at("messages")), options), c.at("expected").get<std::string>())
        << name;
  }
}

TEST(ChatTemplate, DetectsEachFamilyAndVariant) {
  EXPECT_EQ(load("deepseek_v3", kBos).style().name, "deepseek-v3");
  const ChatStyle r1 = load("deepseek_r1", kBos).style();
  EXPECT_EQ(r1.name, "deepseek-r1");
  EXPECT_TRUE(r1.join_systems && r1.tool_calls_by_key && r1.strip_think && !r1.tool_output_newline);
  EXPECT_EQ(r1.generation_prompt, "<｜Assistant｜><think>\n");
  const ChatStyle distill = load("deepseek_r1_distill", kBos).style();
  EXPECT_EQ(distill.name, "deepseek-r1");
  EXPECT_FALSE(distill.join_systems);
  EXPECT_TRUE(distill.tool_output_newline);
  const ChatStyle qwen25 = load("qwen2_5", "").style();
  EXPECT_EQ(qwen25.name, "chatml");
  EXPECT_TRUE(qwen25.supports_tools);
  EXPECT_EQ(qwen25.default_system, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
  EXPECT_EQ(load("qwen3", "").style().name, "qwen3");
  EXPECT_EQ(load("llama3", "<|begin_of_text|>").style().name, "llama3");
  EXPECT_FALSE(load("llama3", "<|begin_of_text|>").style().conditional_generation_prompt);
}

// The worked examples of shared/reference/architecture.md §9.2, written out by hand.
TEST(ChatTemplate, ReferenceExamplesByHand) {
  const ChatTemplate r1 = load("deepseek_r1", kBos);
  const std::vector<ChatMessage> turns = {
      {"user", "Hi", {}, {}}, {"assistant", "<think>…</think>Hello", {}, {}}, {"user", "2+2?", {}, {}}};
  EXPECT_EQ(r1.render(turns),
            "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>Hello<｜end▁of▁sentence｜><｜User｜>2+2?"
            "<｜Assistant｜><think>\n");
  const std::vector<ChatMessage> sys = {{"system", "You are a good assistant", {}, {}},
                                        {"user", "What is the weather in Copenhagen?", {}, {}}};
  EXPECT_EQ(r1.render(sys),
            "<｜begin▁of▁sentence｜>You are a good assistant<｜User｜>What is the weather in Copenhagen?"
            "<｜Assistant｜><think>\n");

  const ChatTemplate v3 = load("deepseek_v3", kBos);
  const std::vector<ChatMessage> v3_turns = {{"user", "u1", {}, {}}, {"assistant", "a1", {}, {}}, {"user", "u2", {}, {}}};
  EXPECT_EQ(v3.render(v3_turns),
            "<｜begin▁of▁sentence｜><｜User｜>u1<｜Assistant｜>a1<｜end▁of▁sentence｜><｜User｜>u2<｜Assistant｜>");

  const ChatTemplate qwen = load("qwen2_5", "");
  const std::vector<ChatMessage> q = {{"user", "Hi", {}, {}}};
  EXPECT_EQ(qwen.render(q),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");

  const ChatTemplate llama = load("llama3", "<|begin_of_text|>");
  const std::vector<ChatMessage> l = {{"system", " Be nice. ", {}, {}}, {"user", "Hi\n", {}, {}}};
  EXPECT_EQ(llama.render(l),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe nice.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, ToolCallStringsByHand) {
  const ChatTemplate r1 = load("deepseek_r1", kBos);
  ChatMessage call{"assistant", std::nullopt, {{"function", "get_time", "{}"}}, {}};
  const std::vector<ChatMessage> turns = {{"user", "Time?", {}, {}}, call, {"tool", "12:00", {}, {}}};
  EXPECT_EQ(r1.render(turns),
            "<｜begin▁of▁sentence｜><｜User｜>Time?<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function"
            "<｜tool▁sep｜>get_time\n```json\n{}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜>"
            "<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>12:00<｜tool▁output▁end｜><｜tool▁outputs▁end｜>");

  const ChatTemplate qwen = load("qwen2_5", "");
  const std::vector<ChatMessage> q = {{"user", "Time?", {}, {}}, call, {"tool", "12:00", {}, {}}};
  EXPECT_EQ(qwen.render(q, {.add_generation_prompt = true, .tools_json = "", .enable_thinking = {}}),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nTime?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_time\", "
            "\"arguments\": {}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n12:00\n</tool_response>"
            "<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, ErrorsAreClear) {
  EXPECT_THROW(ChatTemplate::from_jinja("", ""), Error);
  try {
    ChatTemplate::from_jinja("{% for m in messages %}[INST]{{ m.content }}[/INST]{% endfor %}", "");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not one seek knows"), std::string::npos) << e.what();
  }
  const ChatTemplate llama = load("llama3", "<|begin_of_text|>");
  const std::vector<ChatMessage> call = {{"assistant", std::nullopt, {{"function", "f", "{}"}}, {}}};
  EXPECT_THROW(llama.render(call), Error);
  const ChatTemplate qwen = load("qwen2_5", "");
  EXPECT_THROW(qwen.render({}, {.add_generation_prompt = true, .tools_json = "[{oops", .enable_thinking = {}}), Error);
}

}  // namespace
}  // namespace seek
