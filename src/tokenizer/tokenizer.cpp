#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "core/error.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/nfc.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer_gguf.h"
#include "tokenizer/utf8.h"

namespace seek {

struct Tokenizer::Impl {
  std::string source;                       // tokenizer.json path
  std::vector<NormalizerKind> normalizers;  // applied in order to text outside added tokens
  std::unique_ptr<BpeModel> model;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<AddedTokenMatcher> raw_matcher;         // added tokens with normalized=false
  std::unique_ptr<AddedTokenMatcher> normalized_matcher;  // added tokens with normalized=true
  std::vector<AddedToken> added;                          // as listed in tokenizer.json
  std::vector<int32_t> added_index;                       // id -> index into `added`, -1 if none
  std::vector<std::string> added_bytes;                   // decoded bytes of each added token
  int32_t vocab_size = 0;                                 // one past the largest id

  std::optional<int32_t> bos_id, eos_id;
  std::string bos_token, eos_token;
  bool add_bos = false;
  std::string chat_template;

  // The normalized text: `text` itself when no normalizer changes it, else a view of *storage.
  std::string_view normalize(std::string_view text, std::string* storage) const {
    for (const NormalizerKind kind : normalizers) {
      switch (kind) {
        case NormalizerKind::kNfc:
          if (!nfc_quick_check(text)) {
            *storage = nfc_normalize(text);
            text = *storage;
          }
          break;
      }
    }
    return text;
  }
};

namespace {

// Working memory of one encode call.
struct EncodeScratch {
  BpeScratch bpe;
  PreTokenizeScratch pre;
  std::vector<TextSegment> raw_segments;
  std::vector<TextSegment> normalized_segments;
  std::vector<std::string_view> pieces;
};

}  // namespace

Tokenizer Tokenizer::load(const std::string& path) {
  if (is_gguf_file(path)) return Tokenizer(load_gguf_tokenizer_spec(path));
  return Tokenizer(load_tokenizer_spec(path));
}

Tokenizer::Tokenizer(const TokenizerSpec& spec) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.source = spec.source;
  m.normalizers = spec.normalizers;
  m.model = std::make_unique<BpeModel>(spec);
  m.pre_tokenizer = std::make_unique<PreTokenizer>(spec.pre_tokenizer, spec.source);
  m.vocab_size = m.model->id_limit();
  for (const AddedToken& t : spec.added_tokens) m.vocab_size = std::max(m.vocab_size, t.id + 1);

  m.added = spec.added_tokens;
  m.added_index.assign(m.vocab_size, -1);
  std::vector<AddedToken> raw, normalized;
  for (size_t i = 0; i < m.added.size(); ++i) {
    AddedToken t = m.added[i];
    m.added_index[t.id] = static_cast<int32_t>(i);
    std::optional<std::string> bytes = byte_level::decode_token(t.content);
    m.added_bytes.push_back(bytes ? *bytes : t.content);
    if (t.normalized) {
      std::string storage;
      t.content = std::string(m.normalize(t.content, &storage));  // HF matches them in normalized form
      normalized.push_back(std::move(t));
    } else {
      raw.push_back(std::move(t));
    }
  }
  m.raw_matcher = std::make_unique<AddedTokenMatcher>(std::move(raw));
  m.normalized_matcher = std::make_unique<AddedTokenMatcher>(std::move(normalized));

  if (spec.bos_token) {
    m.bos_token = *spec.bos_token;
    m.bos_id = token_id(m.bos_token);
    SEEK_CHECK(m.bos_id.has_value(), spec.source << ": bos_token '" << m.bos_token << "' is not a token");
  } else if (spec.template_bos_id) {
    m.bos_id = spec.template_bos_id;
    SEEK_CHECK(is_valid_id(*m.bos_id), spec.source << ": post_processor names unknown token id " << *m.bos_id);
    m.bos_token = token_bytes(*m.bos_id);
  }
  if (spec.eos_token) {
    m.eos_token = *spec.eos_token;
    m.eos_id = token_id(m.eos_token);
    SEEK_CHECK(m.eos_id.has_value(), spec.source << ": eos_token '" << m.eos_token << "' is not a token");
  }
  m.add_bos = m.bos_id.has_value() && spec.add_bos_token.value_or(spec.template_bos_id.has_value());
  m.chat_template = spec.chat_template;
}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

std::vector<int32_t> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  encode_into(text, options, &ids);
  return ids;
}

void Tokenizer::encode_into(std::string_view text, const EncodeOptions& options, std::vector<int32_t>* ids) const {
  const Impl& m = *impl_;
  if (options.add_bos && m.bos_id) ids->push_back(*m.bos_id);

  std::string repaired;
  if (!utf8::is_valid(text)) {
    repaired = utf8::make_valid(text);
    text = repaired;
  }
  EncodeScratch scratch;
  scratch.raw_segments.clear();
  m.raw_matcher->split(text, options.allow_special, &scratch.raw_segments);
  for (const TextSegment& raw : scratch.raw_segments) {
    if (raw.token_id >= 0) {
      ids->push_back(raw.token_id);
      continue;
    }
    std::string storage;
    const std::string_view normalized = m.normalize(text.substr(raw.begin, raw.end - raw.begin), &storage);
    scratch.normalized_segments.clear();
    m.normalized_matcher->split(normalized, options.allow_special, &scratch.normalized_segments);
    for (const TextSegment& seg : scratch.normalized_segments) {
      if (seg.token_id >= 0) {
        ids->push_back(seg.token_id);
        continue;
      }
      m.pre_tokenizer->split(normalized.substr(seg.begin, seg.end - seg.begin), &scratch.pre, &scratch.pieces);
      for (const std::string_view piece : scratch.pieces) m.model->encode_word(piece, &scratch.bpe, ids);
    }
  }
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string out;
  for (const int32_t id : ids) {
    if (skip_special && is_special(id)) continue;
    out += token_bytes(id);
  }
  return out;
}

const std::string& Tokenizer::token_bytes(int32_t id) const {
  const Impl& m = *impl_;
  SEEK_CHECK(id >= 0 && id < m.vocab_size, "token id " << id << " is out of range (vocabulary of " << m.vocab_size
                                                       << " ids in " << m.source << ")");
  if (m.added_index[id] >= 0) return m.added_bytes[m.added_index[id]];
  const std::string* bytes = m.model->token_bytes(id);
  SEEK_CHECK(bytes != nullptr, "token id " << id << " is not used by the vocabulary of " << m.source);
  return *bytes;
}

bool Tokenizer::is_valid_id(int32_t id) const {
  const Impl& m = *impl_;
  return id >= 0 && id < m.vocab_size && (m.added_index[id] >= 0 || m.model->token_bytes(id) != nullptr);
}

bool Tokenizer::is_special(int32_t id) const {
  const Impl& m = *impl_;
  return id >= 0 && id < m.vocab_size && m.added_index[id] >= 0 && m.added[m.added_index[id]].special;
}

std::optional<int32_t> Tokenizer::token_id(std::string_view token) const {
  const Impl& m = *impl_;
  for (const AddedToken& t : m.added)
    if (t.content == token) return t.id;
  const std::optional<std::string> bytes = byte_level::decode_token(token);
  if (!bytes) return std::nullopt;
  return m.model->find(*bytes);
}

int32_t Tokenizer::vocab_size() const { return impl_->vocab_size; }
std::optional<int32_t> Tokenizer::bos_id() const { return impl_->bos_id; }
std::optional<int32_t> Tokenizer::eos_id() const { return impl_->eos_id; }
const std::string& Tokenizer::bos_token() const { return impl_->bos_token; }
const std::string& Tokenizer::eos_token() const { return impl_->eos_token; }
bool Tokenizer::add_bos() const { return impl_->add_bos; }
const std::string& Tokenizer::chat_template() const { return impl_->chat_template; }
const std::string& Tokenizer::source() const { return impl_->source; }

}  // namespace seek
