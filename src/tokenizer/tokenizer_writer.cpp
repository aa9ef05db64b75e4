#include "tokenizer/tokenizer_writer.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mmap_file.h"

namespace seek {

namespace {

// ordered_json keeps keys in insertion order, which is the order HF writes them in.
using Json = nlohmann::ordered_json;

Json normalizer_json(const std::vector<NormalizerKind>& normalizers) {
  std::vector<Json> list;
  for (const NormalizerKind kind : normalizers) {
    switch (kind) {
      case NormalizerKind::kNfc: list.push_back(Json{{"type", "NFC"}}); break;
    }
  }
  if (list.empty()) return nullptr;
  if (list.size() == 1) return list[0];
  return Json{{"type", "Sequence"}, {"normalizers", list}};
}

const char* behavior_name(SplitBehavior b) {
  switch (b) {
    case SplitBehavior::kRemoved: return "Removed";
    case SplitBehavior::kIsolated: return "Isolated";
    case SplitBehavior::kMergedWithPrevious: return "MergedWithPrevious";
    case SplitBehavior::kMergedWithNext: return "MergedWithNext";
    case SplitBehavior::kContiguous: return "Contiguous";
  }
  SEEK_ASSERT(false);
  return "";
}

Json pre_tokenizer_json(const TokenizerSpec& spec) {
  Json list = Json::array();
  bool byte_level = false;
  for (const PreTokenizerStep& step : spec.pre_tokenizer) {
    switch (step.kind) {
      case PreTokenizerStep::Kind::kSplit:
        list.push_back(Json{{"type", "Split"},
                            {"pattern", Json{{step.pattern_is_regex ? "Regex" : "String", step.pattern}}},
                            {"behavior", behavior_name(step.behavior)},
                            {"invert", step.invert}});
        break;
      case PreTokenizerStep::Kind::kByteLevel:
        byte_level = true;
        list.push_back(Json{{"type", "ByteLevel"},
                            {"add_prefix_space", step.add_prefix_space},
                            {"trim_offsets", true},
                            {"use_regex", step.use_regex}});
        break;
    }
  }
  SEEK_CHECK(byte_level,
             spec.source << ": pre_tokenizer has no ByteLevel step; only byte-level BPE can be written");
  if (list.size() == 1) return list[0];
  return Json{{"type", "Sequence"}, {"pretokenizers", list}};
}

Json added_token_json(const AddedToken& t) {
  return Json{{"id", t.id},          {"content", t.content}, {"single_word", t.single_word},
              {"lstrip", t.lstrip},  {"rstrip", t.rstrip},   {"normalized", t.normalized},
              {"special", t.special}};
}

Json model_json(const TokenizerSpec& spec) {
  std::vector<std::pair<std::string, int32_t>> vocab = spec.vocab;
  std::sort(vocab.begin(), vocab.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  for (size_t i = 1; i < vocab.size(); ++i) {
    SEEK_CHECK(vocab[i].second != vocab[i - 1].second,
               spec.source << ": vocab entries '" << vocab[i - 1].first << "' and '" << vocab[i].first
                           << "' share id " << vocab[i].second);
  }
  // Built straight from the id-ordered list: inserting key by key would make ordered_json search
  // for duplicates each time (quadratic in the vocabulary); the names are already unique because
  // the spec came from a map or from the trainer's token table.
  Json::object_t vocab_object(vocab.begin(), vocab.end());
  Json merges = Json::array();
  for (const auto& [left, right] : spec.merges) merges.push_back(Json::array({left, right}));
  return Json{{"type", "BPE"},
              {"dropout", nullptr},
              {"unk_token", nullptr},
              {"continuing_subword_prefix", nullptr},
              {"end_of_word_suffix", nullptr},
              {"fuse_unk", false},
              {"byte_fallback", false},
              {"ignore_merges", spec.ignore_merges},
              {"vocab", Json(std::move(vocab_object))},
              {"merges", std::move(merges)}};
}

Json token_name_json(const std::optional<std::string>& token) {
  if (!token) return nullptr;
  return *token;
}

}  // namespace

std::string tokenizer_json_text(const TokenizerSpec& spec) {
  SEEK_CHECK(!spec.template_bos_id.has_value(),
             spec.source << ": a TemplateProcessing post_processor cannot be written (only ByteLevel)");
  std::vector<AddedToken> added = spec.added_tokens;
  std::sort(added.begin(), added.end(), [](const AddedToken& a, const AddedToken& b) { return a.id < b.id; });
  Json added_json = Json::array();
  for (const AddedToken& t : added) added_json.push_back(added_token_json(t));

  // post_processor and decoder exactly as in DeepSeek-V3's tokenizer.json.
  const Json root{
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", std::move(added_json)},
      {"normalizer", normalizer_json(spec.normalizers)},
      {"pre_tokenizer", pre_tokenizer_json(spec)},
      {"post_processor",
       Json{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}}},
      {"decoder",
       Json{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model", model_json(spec)}};
  return root.dump(2);
}

std::string tokenizer_config_json_text(const TokenizerSpec& spec, const TokenizerWriteOptions& options) {
  Json decoder = Json::object();
  std::vector<AddedToken> added = spec.added_tokens;
  std::sort(added.begin(), added.end(), [](const AddedToken& a, const AddedToken& b) { return a.id < b.id; });
  for (const AddedToken& t : added) {
    decoder[std::to_string(t.id)] =
        Json{{"content", t.content}, {"lstrip", t.lstrip},           {"normalized", t.normalized},
             {"rstrip", t.rstrip},   {"single_word", t.single_word}, {"special", t.special}};
  }
  // The fields and their order follow DeepSeek-V3's tokenizer_config.json; legacy and
  // sp_model_kwargs only matter to the slow LlamaTokenizer but are kept so both classes load it.
  const Json root{{"add_bos_token", spec.add_bos_token.value_or(false)},
                  {"add_eos_token", false},
                  {"added_tokens_decoder", std::move(decoder)},
                  {"bos_token", token_name_json(spec.bos_token)},
                  {"chat_template", spec.chat_template.empty() ? Json(nullptr) : Json(spec.chat_template)},
                  {"clean_up_tokenization_spaces", false},
                  {"eos_token", token_name_json(spec.eos_token)},
                  {"legacy", true},
                  {"model_max_length", options.model_max_length},
                  {"pad_token", token_name_json(spec.pad_token)},
                  {"sp_model_kwargs", Json::object()},
                  {"tokenizer_class", options.tokenizer_class},
                  {"unk_token", nullptr}};
  return root.dump(2);
}

void write_tokenizer_dir(const TokenizerSpec& spec, const std::string& dir,
                         const TokenizerWriteOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  SEEK_CHECK(!ec && fs::is_directory(dir),
             dir << ": cannot create the output directory"
                 << (ec ? " (" + ec.message() + ")" : std::string(" (a file is there)")));
  const std::string json = tokenizer_json_text(spec) + "\n";
  const std::string config = tokenizer_config_json_text(spec, options) + "\n";
  write_file_atomic((fs::path(dir) / "tokenizer.json").string(), json.data(), json.size());
  write_file_atomic((fs::path(dir) / "tokenizer_config.json").string(), config.data(), config.size());
}

}  // namespace seek
