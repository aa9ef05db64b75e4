// StopStrings on hand-made streams: a stop string split over pieces is held back and never released,
// a false start is released as soon as it is decided, the earliest of several stop strings wins.
#include "engine/stop_strings.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace seek {
namespace {

// Feeds the pieces in order; returns what was released at each step, then finish()'s text.
std::vector<std::string> stream(StopStrings& s, const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  for (const std::string& p : pieces) out.emplace_back(s.push(p));
  out.emplace_back(s.finish());
  return out;
}

TEST(StopStrings, SplitStopIsHeldAndDropped) {
  StopStrings s({"o wor"});
  const std::vector<std::string> got = stream(s, {"Hel", "lo w", "orld", "!"});
  // "o w" could start the stop string, so it waits; "orld" completes it: nothing after "Hell" is seen.
  EXPECT_EQ(got, (std::vector<std::string>{"Hel", "l", "", "", ""}));
  EXPECT_EQ(s.matched(), 0);
}

TEST(StopStrings, FalseStartIsReleasedWhenDecided) {
  StopStrings s({"END"});
  const std::vector<std::string> got = stream(s, {"theE", "N", "D?", "x"});
  EXPECT_EQ(got, (std::vector<std::string>{"the", "", "", "", ""}));
  StopStrings t({"END"});
  EXPECT_EQ(stream(t, {"theE", "N", "d", "E"}), (std::vector<std::string>{"the", "", "ENd", "", "E"}));
  EXPECT_EQ(t.matched(), -1);
}

TEST(StopStrings, EarliestOfSeveralWins) {
  StopStrings s({"bcd", "ab", "zz"});
  EXPECT_EQ(stream(s, {"xa", "bcd"}), (std::vector<std::string>{"x", "", ""}));
  EXPECT_EQ(s.matched(), 1);
  // A stop string inside one piece, with text after it in the same piece.
  StopStrings t({"\n\n", "###"});
  EXPECT_EQ(stream(t, {"one\ntwo ### three\n\n"}), (std::vector<std::string>{"one\ntwo ", ""}));
  EXPECT_EQ(t.matched(), 1);
}

TEST(StopStrings, MultiByteCharactersStayWhole) {
  StopStrings s({"中文"});
  const std::vector<std::string> got = stream(s, {"a中", "b中", "文c"});
  EXPECT_EQ(got, (std::vector<std::string>{"a", "中b", "", ""}));
  EXPECT_EQ(s.matched(), 0);
}

TEST(StopStrings, NoStopsPassesEverything) {
  StopStrings s({});
  EXPECT_EQ(stream(s, {"a", "", "bc"}), (std::vector<std::string>{"a", "", "bc", ""}));
  EXPECT_EQ(s.held_bytes(), 0u);
}

TEST(StopStrings, RejectsBadLists) {
  EXPECT_THROW(StopStrings({""}), Error);
  EXPECT_THROW(StopStrings({std::string("\xC3")}), Error);
  EXPECT_THROW(StopStrings(std::vector<std::string>(kMaxStopStrings + 1, "x")), Error);
  EXPECT_NO_THROW(StopStrings(std::vector<std::string>(kMaxStopStrings, "x")));
}

}  // namespace
}  // namespace seek
