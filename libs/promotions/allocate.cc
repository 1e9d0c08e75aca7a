#include "libs/promotions/allocate.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "libs/common/decimal.h"

namespace loyalty::promotions {

int64_t Apportion(int64_t total, std::span<const int64_t> weights, std::span<const int64_t> caps,
                  std::span<int64_t> parts) {
  const size_t n = weights.size();
  auto cap = [&](size_t i) { return caps.empty() ? std::numeric_limits<int64_t>::max() : caps[i]; };
  std::fill(parts.begin(), parts.end(), 0);
  if (total <= 0 || n == 0) return 0;

  // The lines still taking a share. Zero weights take nothing unless every
  // weight is zero; then each line with room weighs the same.
  bool any_weight = false;
  for (size_t i = 0; i < n; ++i) any_weight |= weights[i] > 0 && cap(i) > 0;
  auto weight = [&](size_t i) { return any_weight ? weights[i] : int64_t{1}; };
  std::vector<size_t> open;
  open.reserve(n);
  int64_t room = 0;
  for (size_t i = 0; i < n; ++i) {
    if (weight(i) > 0 && cap(i) > 0) {
      open.push_back(i);
      room = cap(i) > std::numeric_limits<int64_t>::max() - room
                 ? std::numeric_limits<int64_t>::max()
                 : room + cap(i);
    }
  }
  int64_t remaining = std::min(total, room);
  const int64_t handed_out = remaining;

  // Water filling: a line whose proportional share reaches its cap gets the
  // cap and leaves; the others share what is left, until every share fits.
  // Each round removes a line or finishes, so at most n rounds.
  std::vector<int64_t> remainders(n, 0);
  while (!open.empty() && remaining > 0) {
    int64_t weight_sum = 0;
    for (size_t i : open) weight_sum += weight(i);
    bool capped = false;
    for (size_t k = 0; k < open.size();) {
      size_t i = open[k];
      if (MulDivFloor(remaining, weight(i), weight_sum) >= cap(i)) {
        parts[i] = cap(i);
        remaining -= cap(i);
        open.erase(open.begin() + static_cast<std::ptrdiff_t>(k));
        capped = true;
      } else {
        ++k;
      }
    }
    if (capped) continue;
    int64_t assigned = 0;
    for (size_t i : open) {
      parts[i] = MulDivFloor(remaining, weight(i), weight_sum);
      remainders[i] = MulDivRemainder(remaining, weight(i), weight_sum);
      assigned += parts[i];
    }
    // Fewer units left than open lines, and each of those lines is below
    // its cap by at least one.
    std::stable_sort(open.begin(), open.end(),
                     [&](size_t a, size_t b) { return remainders[a] > remainders[b]; });
    for (size_t k = 0; assigned < remaining; ++k) {
      ++parts[open[k]];
      ++assigned;
    }
    remaining = 0;
  }
  return handed_out;
}

}  // namespace loyalty::promotions
