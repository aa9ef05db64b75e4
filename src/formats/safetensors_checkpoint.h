// A Hugging Face checkpoint stored as safetensors, possibly split into shards, presented as one
// name -> tensor map.
//
// Which files make the checkpoint (the order Hugging Face uses):
//   1. model.safetensors.index.json: its "weight_map" names the shard of every tensor;
//   2. else model.safetensors;
//   3. else every *.safetensors file in the directory (a tensor found in two files is an error).
// A path to a single .safetensors file is accepted too. Shards are mapped, never copied; tensors view
// the mappings and keep them alive. Errors name the file and the tensor at fault.
//
// Writing: write_safetensors_sharded() splits a tensor list into shards of at most
// `max_shard_bytes` (a single file "model.safetensors" when everything fits, like save_pretrained)
// and writes the index. Every file is written atomically.
//
// Thread-safety: immutable after open; concurrent readers are fine.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/safetensors.h"

namespace seek {

class SafetensorsCheckpoint {
 public:
  // `path` is a directory or a single .safetensors file.
  static SafetensorsCheckpoint open(const std::string& path);

  // Every tensor name, sorted.
  const std::vector<std::string>& names() const { return names_; }
  bool has(const std::string& tensor_name) const { return where_.count(tensor_name) != 0; }
  // Errors name the checkpoint and the tensor when it is absent.
  const SafetensorsTensorInfo& info(const std::string& tensor_name) const;
  Tensor tensor(const std::string& tensor_name) const;
  // Path of the file holding `tensor_name`.
  const std::string& file_of(const std::string& tensor_name) const;
  const std::vector<SafetensorsFile>& files() const { return files_; }

 private:
  std::string path_;
  std::vector<SafetensorsFile> files_;
  std::unordered_map<std::string, size_t> where_;  // tensor name -> index into files_
  std::vector<std::string> names_;
};

struct ShardedWriteOptions {
  uint64_t max_shard_bytes = uint64_t{5} << 30;  // tensor bytes per shard (a tensor is never split)
  std::map<std::string, std::string> metadata;   // copied into every shard's __metadata__
};

// Writes `tensors` (in order) into directory `dir` (created if missing): "model.safetensors" when one
// shard suffices, else "model-0000i-of-0000n.safetensors" files plus model.safetensors.index.json.
// Returns the paths written, the index last.
std::vector<std::string> write_safetensors_sharded(const std::string& dir,
                                                   const std::vector<NamedTensor>& tensors,
                                                   const ShardedWriteOptions& options = {});

}  // namespace seek
