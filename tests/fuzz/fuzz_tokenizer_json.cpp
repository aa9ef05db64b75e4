// libFuzzer target for the tokenizer: the tokenizer.json parser, fuzzed pre-tokenizer patterns,
// and encode/decode of fuzzed text on a fixed small tokenizer. The first input byte picks the mode.
// Any failure other than seek::Error (a crash, a sanitizer report, another exception, a broken
// round trip) is a bug.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "../unit/tokenizer/tiny_tokenizer.h"
#include "core/error.h"
#include "tokenizer/nfc.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_tokenizer_json: %s\n", what);
    std::abort();
  }
}

const seek::Tokenizer& tiny(bool nfc) {
  static const seek::Tokenizer plain(seek::parse_tokenizer_spec(seek::test::tiny_tokenizer_json().dump(), "", "tiny"));
  static const seek::Tokenizer normalizing = [] {
    seek::test::TinyOptions options;
    options.nfc = true;
    options.ignore_merges = true;
    return seek::Tokenizer(seek::parse_tokenizer_spec(seek::test::tiny_tokenizer_json(options).dump(), "", "tiny"));
  }();
  return nfc ? normalizing : plain;
}

void fuzz_parser(const std::string& input) {
  try {
    const seek::Tokenizer t(seek::parse_tokenizer_spec(input, "", "fuzz/tokenizer.json"));
    seek::EncodeOptions options;
    options.allow_special = true;
    const std::vector<int32_t> ids = t.encode("Hello, world! 123 中文 <|special|> \xF0\x9F\x99\x82", options);
    for (const int32_t id : ids) check(t.is_valid_id(id), "encode produced an unknown id");
  } catch (const seek::Error&) {
  }
}

void fuzz_pattern(const std::string& input) {
  nlohmann::json root = seek::test::tiny_tokenizer_json();
  root["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = seek::utf8::make_valid(input);
  try {
    const seek::Tokenizer t(seek::parse_tokenizer_spec(root.dump(), "", "fuzz/tokenizer.json"));
    const std::string text = "The lower tower's 12345 aaa  \t\n 中文 e\xCC\x81";
    check(t.decode(t.encode(text)) == text, "round trip failed with a fuzzed pattern");
  } catch (const seek::Error&) {
  }
}

void fuzz_text(const std::string& input, bool allow_special) {
  seek::EncodeOptions options;
  options.allow_special = allow_special;
  const seek::Tokenizer& plain = tiny(false);
  const std::vector<int32_t> ids = plain.encode(input, options);
  // Without a normalizer every byte survives, except the whitespace that [L]/[R] strip.
  const bool strips = input.find("[L]") != std::string::npos || input.find("[R]") != std::string::npos;
  if (!strips) check(plain.decode(ids) == seek::utf8::make_valid(input), "decode(encode(text)) != text");

  seek::StreamDecoder stream(plain);
  std::string streamed;
  for (const int32_t id : ids) {
    const std::string piece = stream.push(id);
    check(seek::utf8::is_valid(piece), "stream decoder emitted invalid UTF-8");
    streamed += piece;
  }
  streamed += stream.flush();
  check(streamed == seek::utf8::make_valid(plain.decode(ids)), "stream decode != batch decode");

  const seek::Tokenizer& normalizing = tiny(true);
  const std::string back = normalizing.decode(normalizing.encode(input, options));
  check(seek::utf8::is_valid(back), "NFC tokenizer decoded to invalid UTF-8");
  if (!strips && input.find('<') == std::string::npos && input.find('[') == std::string::npos)
    check(back == seek::nfc_normalize(seek::utf8::make_valid(input)), "NFC round trip failed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      fuzz_parser(input);
      break;
    case 1:
      fuzz_pattern(input);
      break;
    case 2:
      fuzz_text(input, true);
      break;
    case 3:
      fuzz_text(input, false);
      break;
  }
  return 0;
}
