// Loading tokenizer.json: malformed files are seek::Error naming the file and the problem.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "tiny_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace seek {
namespace {

using nlohmann::json;

// The message of the seek::Error that loading `root` throws ("" when it loads).
std::string load_error(const json& root, const std::string& config = "") {
  try {
    Tokenizer t(parse_tokenizer_spec(root.dump(), config, "bad/tokenizer.json", "bad/tokenizer_config.json"));
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

void expect_error(const json& root, const std::string& fragment, const std::string& config = "") {
  const std::string message = load_error(root, config);
  ASSERT_FALSE(message.empty()) << "expected an error containing '" << fragment << "'";
  EXPECT_NE(message.find(fragment), std::string::npos) << message;
  EXPECT_NE(message.find("bad/tokenizer"), std::string::npos) << "names the file: " << message;
}

TEST(TokenizerJson, TinyLoads) { EXPECT_EQ(load_error(test::tiny_tokenizer_json()), ""); }

TEST(TokenizerJson, NotJson) {
  try {
    parse_tokenizer_spec("{\"model\": [1, 2", "", "bad/tokenizer.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad/tokenizer.json: not valid JSON"), std::string::npos) << e.what();
  }
}

TEST(TokenizerJson, MissingOrWrongFields) {
  json root = test::tiny_tokenizer_json();
  root.erase("model");
  expect_error(root, "model is missing");

  root = test::tiny_tokenizer_json();
  root["model"]["type"] = "WordPiece";
  expect_error(root, "model.type is 'WordPiece'");

  root = test::tiny_tokenizer_json();
  root["model"]["vocab"] = json::array();
  expect_error(root, "model.vocab must be an object");

  root = test::tiny_tokenizer_json();
  root["model"]["vocab"]["Ġzz"] = -5;
  expect_error(root, "-5 is not a valid token id");

  root = test::tiny_tokenizer_json();
  root["model"]["byte_fallback"] = true;
  expect_error(root, "byte_fallback");

  root = test::tiny_tokenizer_json();
  root["added_tokens"][0].erase("content");
  expect_error(root, "added_tokens[0].content is missing");

  root = test::tiny_tokenizer_json();
  root["normalizer"] = {{"type", "Lowercase"}};
  expect_error(root, "normalizer type 'Lowercase' is not supported");
}

TEST(TokenizerJson, BadMerges) {
  json root = test::tiny_tokenizer_json();
  root["model"]["merges"].push_back("nospace");
  expect_error(root, "is not of the form 'left right'");

  root = test::tiny_tokenizer_json();
  root["model"]["merges"].push_back("Ġq zz");
  expect_error(root, "not in model.vocab");

  root = test::tiny_tokenizer_json();
  root["model"]["merges"].push_back(json::array({"a"}));
  expect_error(root, "model.merges[");
}

TEST(TokenizerJson, PreTokenizerProblems) {
  json root = test::tiny_tokenizer_json();
  root["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "\\s+"}}}, {"behavior", "Isolated"}};
  expect_error(root, "no ByteLevel step");

  root = test::tiny_tokenizer_json();
  root["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
  expect_error(root, "does not compile");

  root = test::tiny_tokenizer_json();
  root["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Sideways";
  expect_error(root, "unknown split behavior 'Sideways'");

  root = test::tiny_tokenizer_json();
  root["pre_tokenizer"]["pretokenizers"][0]["type"] = "Metaspace";
  expect_error(root, "pre-tokenizer type 'Metaspace' is not supported");

  root = test::tiny_tokenizer_json();
  root["decoder"] = {{"type", "WordPiece"}};
  expect_error(root, "decoder type 'WordPiece'");
}

TEST(TokenizerJson, BadConfig) {
  expect_error(test::tiny_tokenizer_json(), "bad/tokenizer_config.json: not valid JSON", "{oops");
  expect_error(test::tiny_tokenizer_json(), "bos_token 'nope' is not a token", R"({"bos_token": "nope"})");
  expect_error(test::tiny_tokenizer_json(), "add_bos_token must be true or false", R"({"add_bos_token": "yes"})");
}

TEST(TokenizerJson, LoadsDirectoryOrFileAndReportsMissing) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("seek_tok_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << test::tiny_tokenizer_json().dump();
  std::ofstream(dir / "tokenizer_config.json") << test::tiny_config_json();
  const Tokenizer from_dir = Tokenizer::load(dir.string());
  const Tokenizer from_file = Tokenizer::load((dir / "tokenizer.json").string());
  EXPECT_EQ(from_dir.encode("the lower"), from_file.encode("the lower"));
  EXPECT_TRUE(from_file.bos_id().has_value());  // the config beside the file is read too
  try {
    Tokenizer::load((dir / "missing").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(TokenizerJson, TemplateProcessingGivesBos) {
  json root = test::tiny_tokenizer_json();
  const int bos = root["added_tokens"][0]["id"];
  root["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", {{{"SpecialToken", {{"id", "<|bos|>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
      {"special_tokens", {{"<|bos|>", {{"id", "<|bos|>"}, {"ids", {bos}}, {"tokens", {"<|bos|>"}}}}}}};
  const Tokenizer t(parse_tokenizer_spec(root.dump(), "", "t.json"));
  EXPECT_TRUE(t.add_bos());
  EXPECT_EQ(t.bos_id(), bos);
}

}  // namespace
}  // namespace seek
