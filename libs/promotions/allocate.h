#pragma once

// Spreading an integer total (a discount in minor units, points) over
// receipt lines so that the parts add up to it exactly.

#include <cstdint>
#include <span>

namespace loyalty::promotions {

// Writes into `parts` (same size as `weights`) a split of `total` in
// proportion to `weights` by largest remainder, no part above its cap.
// When the caps add up to less than `total`, every part is at its cap; the
// sum handed out is returned. Leftover units go to the largest remainders,
// ties to the lower index, so the result depends on the inputs only. When
// all weights are zero, the lines with room share equally. `caps` may be
// empty (no caps). Inputs must be non-negative.
int64_t Apportion(int64_t total, std::span<const int64_t> weights, std::span<const int64_t> caps,
                  std::span<int64_t> parts);

}  // namespace loyalty::promotions
