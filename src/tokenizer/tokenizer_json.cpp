// Reads tokenizer.json and tokenizer_config.json (the Hugging Face `tokenizers` serialization) into
// a TokenizerSpec. Only byte-level BPE is accepted; anything else is refused with a message that
// names the file and the field, never half-loaded.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <limits>

#include "core/error.h"
#include "core/mmap_file.h"
#include "tokenizer/tokenizer_spec.h"

namespace seek {

namespace {

using Json = nlohmann::json;

// Error context: the file, and the path of the field inside it ("model.merges[12]").
struct Where {
  const std::string& file;
  std::string field;
  Where at(const std::string& key) const { return {file, field.empty() ? key : field + "." + key}; }
  Where at(size_t index) const { return {file, field + "[" + std::to_string(index) + "]"}; }
};

std::ostream& operator<<(std::ostream& os, const Where& w) { return os << w.file << ": " << w.field; }

const char* type_name(const Json& j) { return j.type_name(); }

const Json& require(const Json& obj, const char* key, const Where& w) {
  SEEK_CHECK(obj.is_object(), w << " must be an object, found " << type_name(obj));
  const auto it = obj.find(key);
  SEEK_CHECK(it != obj.end(), w.at(key) << " is missing");
  return *it;
}

std::string as_string(const Json& j, const Where& w) {
  SEEK_CHECK(j.is_string(), w << " must be a string, found " << type_name(j));
  return j.get<std::string>();
}

bool opt_bool(const Json& obj, const char* key, bool fallback, const Where& w) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  SEEK_CHECK(it->is_boolean(), w.at(key) << " must be true or false, found " << type_name(*it));
  return it->get<bool>();
}

int32_t as_id(const Json& j, const Where& w) {
  SEEK_CHECK(j.is_number_integer(), w << " must be an integer token id, found " << type_name(j));
  const int64_t v = j.get<int64_t>();
  SEEK_CHECK(v >= 0 && v < std::numeric_limits<int32_t>::max(), w << " = " << v << " is not a valid token id");
  return static_cast<int32_t>(v);
}

std::string type_of(const Json& obj, const Where& w) { return as_string(require(obj, "type", w), w.at("type")); }

Json parse_json(const std::string& text, const std::string& file) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    SEEK_FAIL(file << ": not valid JSON (" << e.what() << ")");
  }
}

void read_normalizer(const Json& j, const Where& w, std::vector<NormalizerKind>* out) {
  if (j.is_null()) return;
  const std::string type = type_of(j, w);
  if (type == "Sequence") {
    const Json& list = require(j, "normalizers", w);
    SEEK_CHECK(list.is_array(), w.at("normalizers") << " must be an array");
    for (size_t i = 0; i < list.size(); ++i) read_normalizer(list[i], w.at("normalizers").at(i), out);
  } else if (type == "NFC") {
    out->push_back(NormalizerKind::kNfc);
  } else {
    SEEK_FAIL(w << ": normalizer type '" << type << "' is not supported (seek supports NFC and Sequence)");
  }
}

SplitBehavior read_behavior(const Json& j, const Where& w) {
  const std::string b = as_string(j, w);
  if (b == "Removed") return SplitBehavior::kRemoved;
  if (b == "Isolated") return SplitBehavior::kIsolated;
  if (b == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (b == "Contiguous") return SplitBehavior::kContiguous;
  SEEK_FAIL(w << ": unknown split behavior '" << b << "'");
}

void read_pre_tokenizer(const Json& j, const Where& w, std::vector<PreTokenizerStep>* out) {
  if (j.is_null()) return;
  const std::string type = type_of(j, w);
  if (type == "Sequence") {
    const Json& list = require(j, "pretokenizers", w);
    SEEK_CHECK(list.is_array(), w.at("pretokenizers") << " must be an array");
    for (size_t i = 0; i < list.size(); ++i) read_pre_tokenizer(list[i], w.at("pretokenizers").at(i), out);
  } else if (type == "Split") {
    PreTokenizerStep step;
    step.kind = PreTokenizerStep::Kind::kSplit;
    const Json& pattern = require(j, "pattern", w);
    SEEK_CHECK(pattern.is_object(), w.at("pattern") << " must be an object {\"Regex\": ...} or {\"String\": ...}");
    if (pattern.contains("Regex")) {
      step.pattern = as_string(pattern["Regex"], w.at("pattern").at("Regex"));
      step.pattern_is_regex = true;
    } else if (pattern.contains("String")) {
      step.pattern = as_string(pattern["String"], w.at("pattern").at("String"));
      step.pattern_is_regex = false;
    } else {
      SEEK_FAIL(w.at("pattern") << " has neither \"Regex\" nor \"String\"");
    }
    step.behavior = read_behavior(require(j, "behavior", w), w.at("behavior"));
    step.invert = opt_bool(j, "invert", false, w);
    out->push_back(std::move(step));
  } else if (type == "ByteLevel") {
    PreTokenizerStep step;
    step.kind = PreTokenizerStep::Kind::kByteLevel;
    step.add_prefix_space = opt_bool(j, "add_prefix_space", true, w);
    step.use_regex = opt_bool(j, "use_regex", true, w);
    out->push_back(std::move(step));
  } else {
    SEEK_FAIL(w << ": pre-tokenizer type '" << type << "' is not supported (seek supports Sequence, Split, ByteLevel)");
  }
}

void check_decoder(const Json& j, const Where& w) {
  if (j.is_null()) return;
  const std::string type = type_of(j, w);
  if (type == "ByteLevel") return;
  if (type == "Sequence") {
    const Json& list = require(j, "decoders", w);
    SEEK_CHECK(list.is_array(), w.at("decoders") << " must be an array");
    for (size_t i = 0; i < list.size(); ++i) check_decoder(list[i], w.at("decoders").at(i));
    return;
  }
  SEEK_FAIL(w << ": decoder type '" << type << "' is not supported (seek decodes byte-level BPE only)");
}

// The id of the special token a TemplateProcessing puts before the text, if any.
std::optional<int32_t> read_post_processor(const Json& j, const Where& w) {
  if (j.is_null()) return std::nullopt;
  const std::string type = type_of(j, w);
  if (type == "Sequence") {
    const Json& list = require(j, "processors", w);
    SEEK_CHECK(list.is_array(), w.at("processors") << " must be an array");
    for (size_t i = 0; i < list.size(); ++i) {
      if (auto id = read_post_processor(list[i], w.at("processors").at(i))) return id;
    }
    return std::nullopt;
  }
  if (type != "TemplateProcessing") return std::nullopt;  // ByteLevel & co. add no tokens
  const Json& single = require(j, "single", w);
  SEEK_CHECK(single.is_array(), w.at("single") << " must be an array");
  if (single.empty() || !single[0].is_object() || !single[0].contains("SpecialToken")) return std::nullopt;
  const Json& first = single[0]["SpecialToken"];
  const std::string name = as_string(require(first, "id", w.at("single").at(0)), w.at("single").at(0).at("id"));
  const Json& specials = require(j, "special_tokens", w);
  const Json& entry = require(specials, name.c_str(), w.at("special_tokens"));
  const Json& ids = require(entry, "ids", w.at("special_tokens").at(name));
  SEEK_CHECK(ids.is_array() && ids.size() == 1, w.at("special_tokens").at(name).at("ids") << " must hold one id");
  return as_id(ids[0], w.at("special_tokens").at(name).at("ids").at(0));
}

void read_model(const Json& j, const Where& w, TokenizerSpec* spec) {
  SEEK_CHECK(j.is_object(), w << " must be an object");
  if (j.contains("type")) {
    const std::string type = type_of(j, w);
    SEEK_CHECK(type == "BPE", w.at("type") << " is '" << type << "'; seek supports BPE models only");
  }
  SEEK_CHECK(!opt_bool(j, "byte_fallback", false, w),
             w.at("byte_fallback") << " is true; seek supports byte-level BPE, not byte fallback");
  if (j.contains("dropout") && !j["dropout"].is_null()) {
    SEEK_CHECK(j["dropout"].is_number() && j["dropout"].get<double>() == 0.0,
               w.at("dropout") << " is set; BPE dropout is a training feature seek does not apply");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (j.contains(key) && !j[key].is_null())
      SEEK_CHECK(as_string(j[key], w.at(key)).empty(), w.at(key) << " is not supported by byte-level BPE");
  }
  spec->ignore_merges = opt_bool(j, "ignore_merges", false, w);

  const Json& vocab = require(j, "vocab", w);
  SEEK_CHECK(vocab.is_object(), w.at("vocab") << " must be an object {token: id}");
  spec->vocab.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it)
    spec->vocab.emplace_back(it.key(), as_id(it.value(), w.at("vocab").at(it.key())));

  const Json& merges = require(j, "merges", w);
  SEEK_CHECK(merges.is_array(), w.at("merges") << " must be an array");
  spec->merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const Json& m = merges[i];
    const Where mw = w.at("merges").at(i);
    if (m.is_string()) {
      // Legacy form "a b": byte-level tokens never contain a space, so the first space splits.
      const std::string s = m.get<std::string>();
      const size_t space = s.find(' ');
      SEEK_CHECK(space != std::string::npos && space > 0 && space + 1 < s.size(),
                 mw << " = '" << s << "' is not of the form 'left right'");
      spec->merges.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else {
      SEEK_CHECK(m.is_array() && m.size() == 2, mw << " must be \"left right\" or [left, right]");
      spec->merges.emplace_back(as_string(m[0], mw.at(0)), as_string(m[1], mw.at(1)));
    }
  }
}

void read_added_tokens(const Json& j, const Where& w, TokenizerSpec* spec) {
  if (j.is_null()) return;
  SEEK_CHECK(j.is_array(), w << " must be an array");
  for (size_t i = 0; i < j.size(); ++i) {
    const Where tw = w.at(i);
    AddedToken t;
    t.id = as_id(require(j[i], "id", tw), tw.at("id"));
    t.content = as_string(require(j[i], "content", tw), tw.at("content"));
    SEEK_CHECK(!t.content.empty(), tw.at("content") << " is empty");
    t.special = opt_bool(j[i], "special", false, tw);
    t.lstrip = opt_bool(j[i], "lstrip", false, tw);
    t.rstrip = opt_bool(j[i], "rstrip", false, tw);
    t.normalized = opt_bool(j[i], "normalized", !t.special, tw);
    t.single_word = opt_bool(j[i], "single_word", false, tw);
    spec->added_tokens.push_back(std::move(t));
  }
}

// bos_token / eos_token: a string, an AddedToken object {"content": ...}, or null.
std::optional<std::string> read_token_name(const Json& obj, const char* key, const Where& w) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  return as_string(require(*it, "content", w.at(key)), w.at(key).at("content"));
}

void read_config(const Json& j, const Where& w, TokenizerSpec* spec) {
  SEEK_CHECK(j.is_object(), w.file << " must hold a JSON object");
  spec->bos_token = read_token_name(j, "bos_token", w);
  spec->eos_token = read_token_name(j, "eos_token", w);
  spec->pad_token = read_token_name(j, "pad_token", w);
  if (j.contains("add_bos_token") && !j["add_bos_token"].is_null())
    spec->add_bos_token = opt_bool(j, "add_bos_token", false, w);
  const auto it = j.find("chat_template");
  if (it == j.end() || it->is_null()) return;
  if (it->is_string()) {
    spec->chat_template = it->get<std::string>();
    return;
  }
  // A list of named templates: Hugging Face uses the one called "default".
  SEEK_CHECK(it->is_array(), w.at("chat_template") << " must be a string or a list of {name, template}");
  for (size_t i = 0; i < it->size(); ++i) {
    const Where tw = w.at("chat_template").at(i);
    const std::string name = as_string(require((*it)[i], "name", tw), tw.at("name"));
    if (name == "default") spec->chat_template = as_string(require((*it)[i], "template", tw), tw.at("template"));
  }
}

}  // namespace

TokenizerSpec parse_tokenizer_spec(const std::string& tokenizer_json, const std::string& config_json,
                                   const std::string& source, const std::string& config_source) {
  TokenizerSpec spec;
  spec.source = source;
  const Json root = parse_json(tokenizer_json, source);
  const Where w{source, ""};
  SEEK_CHECK(root.is_object(), source << " must hold a JSON object");
  read_model(require(root, "model", w), w.at("model"), &spec);
  read_added_tokens(root.value("added_tokens", Json()), w.at("added_tokens"), &spec);
  read_normalizer(root.value("normalizer", Json()), w.at("normalizer"), &spec.normalizers);
  read_pre_tokenizer(root.value("pre_tokenizer", Json()), w.at("pre_tokenizer"), &spec.pre_tokenizer);
  check_decoder(root.value("decoder", Json()), w.at("decoder"));
  spec.template_bos_id = read_post_processor(root.value("post_processor", Json()), w.at("post_processor"));

  bool byte_level = false;
  for (const PreTokenizerStep& s : spec.pre_tokenizer) byte_level |= s.kind == PreTokenizerStep::Kind::kByteLevel;
  SEEK_CHECK(byte_level, source << ": pre_tokenizer has no ByteLevel step; seek supports byte-level BPE only");

  if (!config_json.empty()) {
    const Json config = parse_json(config_json, config_source);
    read_config(config, Where{config_source, ""}, &spec);
  }
  return spec;
}

TokenizerSpec load_tokenizer_spec(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path json_path = path;
  if (fs::is_directory(json_path, ec)) json_path /= "tokenizer.json";
  SEEK_CHECK(fs::exists(json_path, ec), json_path.string() << ": no such file (expected a model directory with "
                                                              "tokenizer.json, or a tokenizer.json path)");
  const fs::path config_path = json_path.parent_path() / "tokenizer_config.json";
  std::string config;
  if (fs::exists(config_path, ec)) config = read_file(config_path.string());
  return parse_tokenizer_spec(read_file(json_path.string()), config, json_path.string(), config_path.string());
}

}  // namespace seek
