#include "tokenizer/bpe.h"

#include <algorithm>

#include "core/error.h"
#include "tokenizer/byte_level.h"

namespace seek {

namespace {

// Min-heap order on (rank, pos): std::push_heap keeps the largest on top, so invert.
bool heap_less(const BpeScratch::Candidate& a, const BpeScratch::Candidate& b) {
  if (a.rank != b.rank) return a.rank > b.rank;
  return a.pos > b.pos;
}

}  // namespace

BpeModel::BpeModel(const TokenizerSpec& spec) : ignore_merges_(spec.ignore_merges) {
  byte_id_.fill(-1);
  int32_t limit = 0;
  for (const auto& [token, id] : spec.vocab) limit = std::max(limit, id + 1);
  id_to_bytes_.resize(limit);
  id_known_.assign(limit, false);

  // Byte-level strings -> ids, to resolve the merges (which are written in byte-level strings).
  StringMap<int32_t> by_string;
  by_string.reserve(spec.vocab.size());
  vocab_.reserve(spec.vocab.size());
  for (const auto& [token, id] : spec.vocab) {
    SEEK_CHECK(!id_known_[id], spec.source << ": model.vocab gives id " << id << " to two tokens");
    id_known_[id] = true;
    by_string.emplace(token, id);
    std::optional<std::string> bytes = byte_level::decode_token(token);
    if (!bytes) {
      id_to_bytes_[id] = token;  // not byte-level: BPE never produces it, decode prints it as is
      continue;
    }
    if (bytes->size() == 1) byte_id_[static_cast<uint8_t>((*bytes)[0])] = id;
    id_to_bytes_[id] = *bytes;
    vocab_.emplace(std::move(*bytes), id);
  }

  merges_.reserve(spec.merges.size());
  for (size_t rank = 0; rank < spec.merges.size(); ++rank) {
    const auto& [left, right] = spec.merges[rank];
    const auto l = by_string.find(left);
    const auto r = by_string.find(right);
    const auto m = by_string.find(left + right);
    SEEK_CHECK(l != by_string.end() && r != by_string.end() && m != by_string.end(),
               spec.source << ": model.merges[" << rank << "] = '" << left << " " << right << "' uses a token ('"
                           << (l == by_string.end() ? left : r == by_string.end() ? right : left + right)
                           << "') that is not in model.vocab");
    // A repeated pair keeps its last rank, as the Rust and JS implementations do.
    merges_.insert_or_assign(pair_key(l->second, r->second), Merge{static_cast<int32_t>(rank), m->second});
  }
}

std::optional<int32_t> BpeModel::find(std::string_view bytes) const {
  const auto it = vocab_.find(bytes);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::token_bytes(int32_t id) const {
  if (id < 0 || id >= id_limit() || !id_known_[id]) return nullptr;
  return &id_to_bytes_[id];
}

const BpeModel::Merge* BpeModel::find_merge(int32_t left, int32_t right) const {
  const auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

void BpeModel::encode_word(std::string_view bytes, BpeScratch* scratch, std::vector<int32_t>* out) const {
  if (bytes.empty()) return;
  if (bytes.size() == 1) {
    const int32_t id = byte_id_[static_cast<uint8_t>(bytes[0])];
    if (id >= 0) out->push_back(id);
    return;
  }
  if (ignore_merges_) {
    if (const auto id = find(bytes)) {
      out->push_back(*id);
      return;
    }
  }
  const bool cacheable = bytes.size() < kCacheMaxWordBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    const auto it = cache_.find(bytes);
    if (it != cache_.end()) {
      out->insert(out->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = out->size();
  merge_symbols(bytes, scratch, out);
  if (cacheable) {
    std::vector<int32_t> ids(out->begin() + static_cast<std::ptrdiff_t>(first), out->end());
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kCacheCapacity) cache_.clear();
    cache_.emplace(std::string(bytes), std::move(ids));
  }
}

void BpeModel::merge_symbols(std::string_view bytes, BpeScratch* scratch, std::vector<int32_t>* out) const {
  auto& symbols = scratch->symbols;
  auto& heap = scratch->heap;
  symbols.clear();
  heap.clear();
  // One symbol per byte. A byte missing from the vocabulary is dropped, as HF does when the model
  // has no unk token (byte-level vocabularies hold all 256 bytes, so this does not happen there).
  for (const char c : bytes) {
    const int32_t id = byte_id_[static_cast<uint8_t>(c)];
    if (id < 0) continue;
    const int32_t idx = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, idx - 1, idx + 1, 1});
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) {
    if (const Merge* m = find_merge(symbols[i].id, symbols[i + 1].id)) heap.push_back({m->rank, i, m->new_id});
  }
  std::make_heap(heap.begin(), heap.end(), heap_less);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), heap_less);
    const BpeScratch::Candidate top = heap.back();
    heap.pop_back();
    BpeScratch::Symbol& left = symbols[top.pos];
    if (left.len == 0 || left.next < 0) continue;
    const BpeScratch::Symbol right = symbols[left.next];
    // A stale candidate: the pair at this position changed since it was queued.
    const Merge* current = find_merge(left.id, right.id);
    if (current == nullptr || current->new_id != top.new_id) continue;

    symbols[left.next].len = 0;
    left.id = top.new_id;
    left.len += right.len;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;

    if (left.prev >= 0) {
      if (const Merge* m = find_merge(symbols[left.prev].id, left.id)) {
        heap.push_back({m->rank, left.prev, m->new_id});
        std::push_heap(heap.begin(), heap.end(), heap_less);
      }
    }
    if (left.next >= 0) {
      if (const Merge* m = find_merge(left.id, symbols[left.next].id)) {
        heap.push_back({m->rank, top.pos, m->new_id});
        std::push_heap(heap.begin(), heap.end(), heap_less);
      }
    }
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) out->push_back(symbols[i].id);
}

}  // namespace seek
