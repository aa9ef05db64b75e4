// seek tokenize [--model DIR|tokenizer.json|MODEL.gguf] [--file F] [--lines] [--special] [--bos]
//
// Prints the token ids of the text in F (or stdin), space-separated. With --lines every input line
// (the bytes between '\n's; a final '\n' does not start another line) is encoded on its own and
// gets one output line. --special recognises special tokens written in the text (HF's default);
// --bos prepends the BOS id when the tokenizer has one.
#include <cstdio>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "cli/default_model.h"
#include "core/error.h"
#include "core/mmap_file.h"
#include "tokenizer/tokenizer.h"

namespace seek::cli {

namespace {

std::string read_stdin() {
  std::string data;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), stdin)) > 0) data.append(buf, n);
  SEEK_CHECK(!std::ferror(stdin), "error reading standard input");
  return data;
}

void append_ids(const std::vector<int32_t>& ids, std::string* out) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out->push_back(' ');
    *out += std::to_string(ids[i]);
  }
  out->push_back('\n');
}

void write_out(std::string* out) {
  SEEK_CHECK(std::fwrite(out->data(), 1, out->size(), stdout) == out->size(), "error writing standard output");
  out->clear();
}

}  // namespace

int cmd_tokenize(Args& args) {
  const std::optional<std::string> model = args.get("--model");
  const std::optional<std::string> file = args.get("--file");
  const bool lines = args.flag("--lines");
  EncodeOptions options;
  options.allow_special = args.flag("--special");
  options.add_bos = args.flag("--bos");
  args.finish();
  // Without --model: the default model's tokenizer.
  const Tokenizer tokenizer = Tokenizer::load(model ? *model : default_model_or_fail());
  const std::string text = file ? read_file(*file) : read_stdin();

  std::string out;
  std::vector<int32_t> ids;
  if (!lines) {
    tokenizer.encode_into(text, options, &ids);
    append_ids(ids, &out);
  } else {
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      ids.clear();
      tokenizer.encode_into(std::string_view(text).substr(start, end - start), options, &ids);
      append_ids(ids, &out);
      if (out.size() > (1 << 20)) write_out(&out);
      start = end + 1;
    }
  }
  write_out(&out);
  SEEK_CHECK(std::fflush(stdout) == 0, "error writing standard output");
  return 0;
}

}  // namespace seek::cli
