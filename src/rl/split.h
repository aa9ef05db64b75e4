// Train / held-out membership: a property of the problem itself, never of the seed that drew it.
//
// A problem is held out when a stable hash of its canonical key (task.h: the problem up to
// presentation, so "3 + 5" and "5 + 3", or the same Countdown numbers in another order, share a
// fate) falls in the first kHeldoutPerMille of 1000 buckets. Every generator run, whatever its
// seed, level or task mix, agrees on this, so a model trained on any number of train sets has
// never seen a held-out problem. Changing the hash or the salt reshuffles every split: don't.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "rl/task.h"

namespace seek::rl {

enum class Split { kTrain, kHeldout };

inline constexpr uint64_t kHeldoutPerMille = 100;  // 10% of all problems are held out

std::string_view split_name(Split split);  // "train", "heldout"
std::optional<Split> split_from_name(std::string_view name);

// FNV-1a over the bytes, then the splitmix64 finalizer so that nearby keys spread over all buckets.
// Fixed forever: ids and splits are derived from it.
uint64_t stable_hash(std::string_view bytes);

Split split_of(const Problem& problem);

}  // namespace seek::rl
