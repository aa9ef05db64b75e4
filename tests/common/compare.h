// Scale-aware comparison of float arrays (STYLE.md habit 6), for tests and benchmark validation.
//
//   seek::test::Tolerance tol{.rel_l2 = 1e-5};
//   EXPECT_TRUE(seek::test::all_close(got, want, n, tol));         // gtest: prints the report on failure
//   seek::test::CompareResult r = seek::test::compare(got, want, n, tol);  // anywhere: r.ok, r.report()
//
// A comparison passes when
//   1. every non-finite value sits at the same index in both arrays with the same kind (NaN, +inf,
//      -inf) — NaN never passes as "close" to anything else;
//   2. over the finite positions, the relative L2 error ||got - want|| / ||want|| <= tol.rel_l2
//      (NMSE = rel_l2², also reported); when ||want|| is 0 the absolute L2 norm is used instead;
//   3. the largest absolute error max|got - want| <= tol.max_abs (off by default).
// The report names the worst element (largest absolute error) with both values, so a failure says
// where to look. Header-only. The gtest adaptors (all_close, to_assertion) come with it when
// googletest's headers are installed; code that must not see gtest (benchmarks) defines
// SEEK_COMPARE_NO_GTEST before including this header and uses compare() + report().
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace seek::test {

struct Tolerance {
  double rel_l2 = 1e-6;                                      // bound on ||got - want|| / ||want||
  double max_abs = std::numeric_limits<double>::infinity();  // bound on max |got - want|
};

struct CompareResult {
  bool ok = true;
  int64_t n = 0;           // elements compared
  double rel_l2 = 0.0;     // ||got - want||₂ / ||want||₂ over finite positions
  double nmse = 0.0;       // rel_l2²
  double max_abs = 0.0;    // max |got - want| over finite positions
  int64_t worst_idx = -1;  // index of max_abs (-1 if all equal)
  double worst_got = 0.0, worst_want = 0.0;
  int64_t nonfinite_mismatch_idx = -1;  // first index where NaN/Inf placement differs (-1 if none)
  double mismatch_got = 0.0, mismatch_want = 0.0;
  Tolerance tol;

  explicit operator bool() const { return ok; }

  std::string report() const {
    std::ostringstream os;
    os.precision(9);
    if (nonfinite_mismatch_idx >= 0) {
      os << "non-finite mismatch at [" << nonfinite_mismatch_idx << "]: got " << mismatch_got << ", want "
         << mismatch_want << "; ";
    }
    os << "n=" << n << " rel_l2=" << rel_l2 << " (tol " << tol.rel_l2 << ") nmse=" << nmse
       << " max_abs=" << max_abs;
    if (std::isfinite(tol.max_abs)) os << " (tol " << tol.max_abs << ")";
    if (worst_idx >= 0) os << " worst [" << worst_idx << "]: got " << worst_got << ", want " << worst_want;
    return os.str();
  }
};

namespace compare_detail {
inline int nonfinite_kind(double v) {
  if (std::isnan(v)) return 1;
  if (std::isinf(v)) return v > 0 ? 2 : 3;
  return 0;
}
}  // namespace compare_detail

// Compares got[i * got_stride] with want[i * want_stride] for i in [0, n).
template <typename T>
CompareResult compare(const T* got, const T* want, int64_t n, const Tolerance& tol = {},
                      int64_t got_stride = 1, int64_t want_stride = 1) {
  CompareResult r;
  r.n = n;
  r.tol = tol;
  double err_sq = 0.0, want_sq = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double g = static_cast<double>(got[i * got_stride]);
    const double w = static_cast<double>(want[i * want_stride]);
    const int gk = compare_detail::nonfinite_kind(g), wk = compare_detail::nonfinite_kind(w);
    if (gk != 0 || wk != 0) {
      if (gk != wk && r.nonfinite_mismatch_idx < 0) {
        r.nonfinite_mismatch_idx = i;
        r.mismatch_got = g;
        r.mismatch_want = w;
      }
      continue;
    }
    const double e = g - w;
    err_sq += e * e;
    want_sq += w * w;
    if (std::fabs(e) > r.max_abs) {
      r.max_abs = std::fabs(e);
      r.worst_idx = i;
      r.worst_got = g;
      r.worst_want = w;
    }
  }
  r.rel_l2 = want_sq > 0.0 ? std::sqrt(err_sq / want_sq) : std::sqrt(err_sq);
  r.nmse = r.rel_l2 * r.rel_l2;
  r.ok = r.nonfinite_mismatch_idx < 0 && r.rel_l2 <= tol.rel_l2 && r.max_abs <= tol.max_abs;
  return r;
}

template <typename T>
CompareResult compare(const std::vector<T>& got, const std::vector<T>& want, const Tolerance& tol = {}) {
  if (got.size() != want.size()) {
    CompareResult r;
    r.ok = false;
    r.nonfinite_mismatch_idx = static_cast<int64_t>(std::min(got.size(), want.size()));
    r.tol = tol;
    return r;
  }
  return compare(got.data(), want.data(), static_cast<int64_t>(got.size()), tol);
}

}  // namespace seek::test

#if !defined(SEEK_COMPARE_NO_GTEST) && __has_include(<gtest/gtest.h>)
#include <gtest/gtest.h>

namespace seek::test {

inline ::testing::AssertionResult to_assertion(const CompareResult& r) {
  if (r.ok) return ::testing::AssertionSuccess() << r.report();
  return ::testing::AssertionFailure() << r.report();
}

// EXPECT_TRUE(all_close(got, want, n, tol)) << "context";
template <typename T>
::testing::AssertionResult all_close(const T* got, const T* want, int64_t n, const Tolerance& tol = {},
                                     int64_t got_stride = 1, int64_t want_stride = 1) {
  return to_assertion(compare(got, want, n, tol, got_stride, want_stride));
}

template <typename T>
::testing::AssertionResult all_close(const std::vector<T>& got, const std::vector<T>& want,
                                     const Tolerance& tol = {}) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "sizes differ: got " << got.size() << ", want " << want.size();
  }
  return to_assertion(compare(got, want, tol));
}

}  // namespace seek::test
#endif
