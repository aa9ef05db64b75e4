// A tiny random V3-style model (MTP included) with the tiny test tokenizer, for the engine tests.
#pragma once

#include <memory>
#include <string>

#include "common/tiny_model.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "unit/tokenizer/tiny_tokenizer.h"

namespace seek::test {

struct TinyEngine {
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

// `name` keeps the checkpoint directories of different tests apart.
inline TinyEngine load_tiny_engine(const std::string& name) {
  nlohmann::json config = tiny_v3_config();
  config["vocab_size"] = 320;  // the tiny tokenizer has ~280 ids
  const std::string dir = write_model(config, name);
  const std::string tok = tiny_tokenizer_json().dump();
  write_file_atomic(dir + "/tokenizer.json", tok.data(), tok.size());
  RunSettings s;
  s.num_threads = 2;
  s.max_context = 128;
  s.max_batch_tokens = 8;  // several prefill chunks
  TinyEngine e;
  e.model = Model::load(dir, s);
  e.tokenizer = std::make_unique<Tokenizer>(Tokenizer::load(dir));
  return e;
}

}  // namespace seek::test
