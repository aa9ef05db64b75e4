// seek convert IN OUT [--type T]: Hugging Face directory <-> GGUF (by OUT's extension).
// seek quantize IN OUT --type q8_0|q4_0|q4_K_M|q5_K_M|q2_K|q3_K|q4_K|q5_K|q6_K|q5_0|q5_1|q4_1|iq4_nl|iq4_xs|bf16|f16: GGUF with quantised matrices that llama.cpp
// reads (the MoE router, ffn_gate_inp, stays f32 as llama.cpp's quantiser keeps it; K-quant rows without
// whole 256-value super-blocks take iq4_nl, q5_0, q5_1 or q8_0, as llama.cpp's do).
#include "cli/commands.h"
#include "core/error.h"
#include "model/convert.h"
#include "model/weight_source.h"

namespace seek::cli {

namespace {

DType parse_type(const std::string& t) {
  if (t == "q8_0") return DType::kQ8_0;
  if (t == "q4_0") return DType::kQ4_0;
  if (t == "q4_1") return DType::kQ4_1;
  if (t == "q5_0") return DType::kQ5_0;
  if (t == "q5_1") return DType::kQ5_1;
  if (t == "q2_k" || t == "q2_K") return DType::kQ2_K;
  if (t == "q3_k" || t == "q3_K") return DType::kQ3_K;
  if (t == "q4_k" || t == "q4_K") return DType::kQ4_K;
  if (t == "q5_k" || t == "q5_K") return DType::kQ5_K;
  if (t == "q6_k" || t == "q6_K") return DType::kQ6_K;
  if (t == "iq4_nl" || t == "IQ4_NL") return DType::kIQ4_NL;
  if (t == "iq4_xs" || t == "IQ4_XS") return DType::kIQ4_XS;
  if (t == "bf16") return DType::kBF16;
  if (t == "f16") return DType::kF16;
  if (t == "f32") return DType::kF32;
  SEEK_FAIL("--type must be one of q8_0, q4_0, q4_1, q5_0, q5_1, q2_K, q3_K, q4_K, q5_K, q6_K, iq4_nl, iq4_xs, bf16, f16, f32 (seek quantize also takes "
            "llama.cpp's mixes q4_K_M and q5_K_M; got '" << t << "')");
}

bool is_gguf_path(const std::string& p) { return p.size() > 5 && p.compare(p.size() - 5, 5, ".gguf") == 0; }

}  // namespace

int cmd_convert(Args& args) {
  const std::optional<std::string> type = args.get("--type");
  const std::vector<std::string> pos = args.positionals();
  args.finish();
  SEEK_CHECK(pos.size() == 2, "usage: seek convert IN OUT (IN, OUT: a Hugging Face directory or a .gguf file)");
  const std::unique_ptr<WeightSource> source = WeightSource::open(pos[0]);
  if (is_gguf_path(pos[1])) {
    GgufExportOptions options;
    if (type) options.matrix_type = parse_type(*type);
    export_gguf(*source, pos[1], options);
  } else {
    SEEK_CHECK(!type, "--type applies to GGUF output only");
    export_hf(*source, pos[1]);
  }
  return 0;
}

int cmd_quantize(Args& args) {
  const std::optional<std::string> type = args.get("--type");
  const std::vector<std::string> pos = args.positionals();
  args.finish();
  SEEK_CHECK(pos.size() == 2 && type,
             "usage: seek quantize IN OUT.gguf --type q8_0|q4_0|q4_K_M|q5_K_M|q2_K|q3_K|q4_K|q5_K|q6_K|q5_0|q5_1|q4_1|iq4_nl|iq4_xs|bf16|f16");
  SEEK_CHECK(is_gguf_path(pos[1]), "seek quantize writes GGUF: OUT must end in .gguf (got '" << pos[1] << "')");
  const std::unique_ptr<WeightSource> source = WeightSource::open(pos[0]);
  GgufExportOptions options;
  // llama.cpp's mixes: q4_K / q5_K with q6_K where its recipe spends more bits.
  const bool mix = *type == "q4_K_M" || *type == "q4_k_m" || *type == "q5_K_M" || *type == "q5_k_m";
  options.matrix_type = parse_type(mix ? type->substr(0, 4) : *type);
  options.k_mix = mix;
  export_gguf(*source, pos[1], options);
  return 0;
}

}  // namespace seek::cli
