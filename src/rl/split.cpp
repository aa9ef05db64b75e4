#include "rl/split.h"

#include <string>

namespace seek::rl {

namespace {

constexpr std::string_view kSplitSalt = "seek-split-v1:";

}  // namespace

std::string_view split_name(Split split) {
  switch (split) {
    case Split::kTrain: return "train";
    case Split::kHeldout: return "heldout";
  }
  return "?";
}

std::optional<Split> split_from_name(std::string_view name) {
  if (name == "train") return Split::kTrain;
  if (name == "heldout") return Split::kHeldout;
  return std::nullopt;
}

uint64_t stable_hash(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

Split split_of(const Problem& problem) {
  const uint64_t h = stable_hash(std::string(kSplitSalt) + canonical_key(problem));
  return h % 1000 < kHeldoutPerMille ? Split::kHeldout : Split::kTrain;
}

}  // namespace seek::rl
