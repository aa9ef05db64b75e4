// The seek binary as a user runs it, from another directory: given no --model it runs the default
// model (models/seek-r1-tiny) for generate, chat (piped, as a script would drive it), tokenize and
// bench, each the same as with --model naming that directory; a wrong model path gets one clear line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/seek_binary.h"

namespace {

namespace fs = std::filesystem;
using seek::test::seek_binary;

std::string default_model() { return (fs::path(SEEK_SOURCE_DIR) / "models/seek-r1-tiny").string(); }

using SeekRun = seek::test::CommandRun;

// `shell_args` after the binary, run by /bin/sh from another directory, stdin_text (its \n are
// newlines) on stdin; stdout only, or stderr only.
SeekRun run_seek(const std::string& shell_args, const std::string& stdin_text = "", bool stderr_only = false) {
  const std::string in_tmp = "cd " + fs::temp_directory_path().string() + " && ";
  return seek::test::run_command(in_tmp + "printf '%b' '" + stdin_text + "' | " + seek_binary() + " " +
                                 shell_args + (stderr_only ? " 2>&1 >/dev/null" : " 2>/dev/null"));
}

class CliDefaultModel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(seek_binary())) GTEST_SKIP() << "no seek binary beside the tests: " << seek_binary();
    ASSERT_TRUE(fs::exists(default_model() + "/config.json")) << default_model();
  }
};

TEST_F(CliDefaultModel, GenerateRunsItWithoutModel) {
  const std::string args = "generate --chat --prompt 'What is 2 + 3?' -n 24 -t 2";
  const SeekRun plain = run_seek(args), named = run_seek(args + " --model " + default_model());
  EXPECT_EQ(plain.status, 0);
  EXPECT_EQ(named.status, 0);
  EXPECT_FALSE(plain.out.empty());
  EXPECT_EQ(plain.out, named.out);
}

TEST_F(CliDefaultModel, ChatRunsItWithoutModel) {
  const SeekRun r = run_seek("chat -n 24 -t 2 --temp 0", "What is 1 + 1?\\n/help\\n/reset\\n");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("seek chat"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seek-r1-tiny"), std::string::npos) << r.out;  // the header names the model
  EXPECT_NE(r.out.find("thought for"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/reset"), std::string::npos) << r.out;          // /help's list
  EXPECT_NE(r.out.find("(new conversation)"), std::string::npos) << r.out;
}

TEST_F(CliDefaultModel, TokenizeUsesItsTokenizer) {
  const SeekRun plain = run_seek("tokenize", "What is 1 + 1?"), named = run_seek("tokenize --model " + default_model(), "What is 1 + 1?");
  EXPECT_EQ(plain.status, 0);
  EXPECT_FALSE(plain.out.empty());
  EXPECT_EQ(plain.out, named.out);
}

// seek bench as a script reads it (--json) and as a person does (the table), on the default model:
// rates and limits positive and consistent, the KV cache exactly the MLA latent (kv_lora_rank +
// qk_rope_head_dim values per token per layer, the MTP layer's included) at the cache type's size.
TEST_F(CliDefaultModel, BenchReportsConsistentFigures) {
  std::ifstream config_file(default_model() + "/config.json");
  const nlohmann::json config = nlohmann::json::parse(config_file);
  const int64_t latent = config["kv_lora_rank"].get<int64_t>() + config["qk_rope_head_dim"].get<int64_t>();
  const int64_t layers = config["num_hidden_layers"].get<int64_t>() + config.value("num_nextn_predict_layers", 0);
  for (const auto& [kv_type, bytes] : {std::pair<std::string, int64_t>{"f32", 4}, {"bf16", 2}}) {
    const SeekRun r = run_seek("bench -p 8 -n 4 -t 2 --json --kv-type " + kv_type);
    ASSERT_EQ(r.status, 0) << r.out;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["kv_bytes_per_token"].get<int64_t>(), layers * latent * bytes) << kv_type;
    for (const char* key : {"pp_tok_s", "tg_tok_s", "read_gbs", "tg_roofline_tok_s", "peak_gflops", "prefill_gflops",
                            "peak_rss_mib", "decode_weight_mib_per_token"})
      EXPECT_GT(j[key].get<double>(), 0.0) << key;
    EXPECT_NEAR(j["tg_fraction_of_roofline"].get<double>(),
                j["tg_tok_s"].get<double>() / j["tg_roofline_tok_s"].get<double>(), 1e-3);
    EXPECT_EQ(j["pp_tokens"], 8);
    EXPECT_EQ(j["tg_tokens"], 4);
  }
  // Four sequences of random tokens: the routed experts a pass ran per MoE layer, as the model counted
  // them, lie between one token's top-k and the experts the four tokens could reach.
  const int64_t top_k = config["num_experts_per_tok"].get<int64_t>();
  const int64_t experts = config["n_routed_experts"].get<int64_t>();
  const SeekRun four = run_seek("bench -p 8 -n 8 -t 2 --json --parallel 4");
  ASSERT_EQ(four.status, 0) << four.out;
  const double reached = nlohmann::json::parse(four.out)["tg_parallel_experts_per_layer"].get<double>();
  EXPECT_GT(reached, static_cast<double>(top_k));
  EXPECT_LE(reached, static_cast<double>(std::min(experts, 4 * top_k)));
  const SeekRun table = run_seek("bench -p 8 -n 4 -t 2 --parallel 2");
  ASSERT_EQ(table.status, 0);
  for (const char* row : {"\npp ", "\ntg ", "\ntg x2", "kv cache", "peak rss"})
    EXPECT_NE(table.out.find(row), std::string::npos) << row << " in\n" << table.out;
  // More positions than the model holds: one line naming the options and the model's context.
  const int64_t context = config["max_position_embeddings"].get<int64_t>();
  const SeekRun too_long =
      run_seek("bench -p " + std::to_string(context) + " -n 4 -t 2", "", /*stderr_only=*/true);
  EXPECT_EQ(too_long.status, 1);
  EXPECT_NE(too_long.out.find("the model holds " + std::to_string(context) + " (max_position_embeddings)"),
            std::string::npos)
      << too_long.out;
  EXPECT_EQ(std::count(too_long.out.begin(), too_long.out.end(), '\n'), 1) << too_long.out;
}

// A wrong or missing model: one line on stderr naming the path and what is wrong, exit status 1.
TEST_F(CliDefaultModel, BadModelPathsGetOneClearLine) {
  const std::string dir = ::testing::TempDir() + "seek_cli_bad_model";
  fs::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    return dir + "/" + name;
  };
  const std::string one_byte = write("one-byte.gguf", "x"), text = write("notes.txt", "not a model\n");
  const std::string bad_magic = write("bad-magic.gguf", std::string(64, 'z'));
  const struct {
    std::string path, says;
  } cases[] = {{dir + "/missing", "no such model file or directory"},
               {one_byte, "too small for a GGUF file"},
               {bad_magic, "GGUF"},
               {text, "not a model"}};
  for (const auto& c : cases) {
    for (const char* command : {"chat", "generate --prompt hi"}) {
      const SeekRun r = run_seek(std::string(command) + " --model " + c.path, "", /*stderr_only=*/true);
      EXPECT_EQ(r.status, 1) << command << " " << c.path;
      EXPECT_NE(r.out.find(c.path), std::string::npos) << r.out;
      EXPECT_NE(r.out.find(c.says), std::string::npos) << r.out;
      EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    }
  }
}

}  // namespace
