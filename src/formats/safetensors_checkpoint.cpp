#include "formats/safetensors_checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/mmap_file.h"

namespace seek {

namespace fs = std::filesystem;

namespace {

constexpr const char* kIndexName = "model.safetensors.index.json";
constexpr const char* kSingleName = "model.safetensors";

// Shard names come from a file we did not write: keep them inside the checkpoint directory.
void check_shard_name(const std::string& shard, const std::string& tensor_name,
                      const std::string& index_path) {
  const bool ok = !shard.empty() && shard != "." && shard != ".." && shard.find('/') == std::string::npos &&
                  shard.find('\\') == std::string::npos;
  SEEK_CHECK(ok, index_path << ": weight_map puts tensor '" << tensor_name << "' in '" << shard
                            << "', which is not a file name inside the checkpoint directory");
}

// weight_map: tensor name -> shard file name.
std::map<std::string, std::string> read_weight_map(const std::string& index_path) {
  const std::string text = read_file(index_path);
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    SEEK_FAIL(index_path << ": not valid JSON: " << e.what());
  }
  SEEK_CHECK(index.is_object(), index_path << ": expected a JSON object, got " << index.type_name());
  const auto it = index.find("weight_map");
  SEEK_CHECK(it != index.end(), index_path << ": missing \"weight_map\"");
  SEEK_CHECK(it->is_object(),
             index_path << ": \"weight_map\" is a JSON " << it->type_name() << ", expected an object");
  std::map<std::string, std::string> weight_map;
  for (const auto& [tensor_name, shard] : it->items()) {
    SEEK_CHECK(shard.is_string(), index_path << ": weight_map entry for tensor '" << tensor_name
                                             << "' is a JSON " << shard.type_name()
                                             << ", expected a file name");
    check_shard_name(shard.get<std::string>(), tensor_name, index_path);
    weight_map[tensor_name] = shard.get<std::string>();
  }
  return weight_map;
}

}  // namespace

SafetensorsCheckpoint SafetensorsCheckpoint::open(const std::string& path) {
  SafetensorsCheckpoint ckpt;
  ckpt.path_ = path;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  SEEK_CHECK(!ec && fs::exists(status), path << ": no such file or directory");

  if (!fs::is_directory(status)) {
    ckpt.files_.push_back(SafetensorsFile::open(path));
    for (const auto& info : ckpt.files_[0].tensors()) ckpt.where_[info.name] = 0;
  } else if (const fs::path index_path = fs::path(path) / kIndexName; fs::exists(index_path)) {
    const std::map<std::string, std::string> weight_map = read_weight_map(index_path.string());
    std::map<std::string, size_t> shard_idx;
    for (const auto& [tensor_name, shard] : weight_map) {
      auto it = shard_idx.find(shard);
      if (it == shard_idx.end()) {
        const fs::path shard_path = fs::path(path) / shard;
        SEEK_CHECK(fs::exists(shard_path), index_path.string()
                                               << ": tensor '" << tensor_name << "' is in "
                                               << shard_path.string() << ", which does not exist");
        ckpt.files_.push_back(SafetensorsFile::open(shard_path.string()));
        it = shard_idx.emplace(shard, ckpt.files_.size() - 1).first;
      }
      const SafetensorsFile& file = ckpt.files_[it->second];
      SEEK_CHECK(file.has(tensor_name), index_path.string()
                                            << ": weight_map puts tensor '" << tensor_name << "' in "
                                            << file.name() << ", which has no such tensor");
      ckpt.where_[tensor_name] = it->second;
    }
  } else {
    std::vector<std::string> shard_paths;
    if (fs::exists(fs::path(path) / kSingleName)) {
      shard_paths.push_back((fs::path(path) / kSingleName).string());
    } else {
      for (const auto& entry : fs::directory_iterator(path))
        if (entry.is_regular_file() && entry.path().extension() == ".safetensors")
          shard_paths.push_back(entry.path().string());
      std::sort(shard_paths.begin(), shard_paths.end());
    }
    SEEK_CHECK(!shard_paths.empty(), path << ": no " << kIndexName << ", " << kSingleName
                                          << " or other *.safetensors file in this directory");
    for (const std::string& shard_path : shard_paths) {
      ckpt.files_.push_back(SafetensorsFile::open(shard_path));
      const size_t idx = ckpt.files_.size() - 1;
      for (const auto& info : ckpt.files_[idx].tensors()) {
        const auto [it, inserted] = ckpt.where_.emplace(info.name, idx);
        SEEK_CHECK(inserted, path << ": tensor '" << info.name << "' is in both "
                                  << ckpt.files_[it->second].name() << " and " << shard_path);
      }
    }
  }
  for (const auto& entry : ckpt.where_) ckpt.names_.push_back(entry.first);
  std::sort(ckpt.names_.begin(), ckpt.names_.end());
  return ckpt;
}

const SafetensorsTensorInfo& SafetensorsCheckpoint::info(const std::string& tensor_name) const {
  const auto it = where_.find(tensor_name);
  SEEK_CHECK(it != where_.end(), path_ << ": checkpoint has no tensor '" << tensor_name << "'");
  return files_[it->second].info(tensor_name);
}

Tensor SafetensorsCheckpoint::tensor(const std::string& tensor_name) const {
  const auto it = where_.find(tensor_name);
  SEEK_CHECK(it != where_.end(), path_ << ": checkpoint has no tensor '" << tensor_name << "'");
  return files_[it->second].tensor(tensor_name);
}

const std::string& SafetensorsCheckpoint::file_of(const std::string& tensor_name) const {
  const auto it = where_.find(tensor_name);
  SEEK_CHECK(it != where_.end(), path_ << ": checkpoint has no tensor '" << tensor_name << "'");
  return files_[it->second].name();
}

std::vector<std::string> write_safetensors_sharded(const std::string& dir,
                                                   const std::vector<NamedTensor>& tensors,
                                                   const ShardedWriteOptions& options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  SEEK_CHECK(!ec, dir << ": cannot create directory: " << ec.message());

  // Greedy packing in the given order; a tensor larger than the limit gets a shard of its own.
  std::vector<std::vector<NamedTensor>> shards(1);
  uint64_t shard_bytes = 0, total_bytes = 0;
  for (const NamedTensor& named : tensors) {
    const uint64_t nbytes = named.second.nbytes();
    if (!shards.back().empty() && shard_bytes + nbytes > options.max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().push_back(named);
    shard_bytes += nbytes;
    total_bytes += nbytes;
  }

  const fs::path index_path = fs::path(dir) / kIndexName;
  if (shards.size() == 1) {
    const std::string single = (fs::path(dir) / kSingleName).string();
    write_safetensors(single, shards[0], options.metadata);
    // A stale index from an earlier sharded write would take precedence over the new file.
    fs::remove(index_path, ec);
    return {single};
  }

  std::vector<std::string> written;
  nlohmann::json weight_map = nlohmann::json::object();
  for (size_t i = 0; i < shards.size(); ++i) {
    char shard_name[64];
    std::snprintf(shard_name, sizeof(shard_name), "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
    const std::string shard_path = (fs::path(dir) / shard_name).string();
    write_safetensors(shard_path, shards[i], options.metadata);
    for (const NamedTensor& named : shards[i]) weight_map[named.first] = shard_name;
    written.push_back(shard_path);
  }
  const nlohmann::json index = {{"metadata", {{"total_size", total_bytes}}}, {"weight_map", weight_map}};
  const std::string text = index.dump(2) + "\n";
  write_file_atomic(index_path.string(), text.data(), text.size());
  written.push_back(index_path.string());
  return written;
}

}  // namespace seek
