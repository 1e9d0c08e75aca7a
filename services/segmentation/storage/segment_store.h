#pragma once

// PostgreSQL storage of `segmentation` (schema `segmentation`): manual
// segments and the client facts read model.

#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"
#include "services/segmentation/domain/segment.h"

namespace loyalty::generated {
std::span<const loyalty::pg::Migration> SegmentationMigrations();
}

namespace loyalty::segmentation {

class SegmentStore final {
 public:
  explicit SegmentStore(pg::Pool& pool) : pool_(pool) {}

  // Inserts a validated segment. A retry with the same request id returns
  // the first segment.
  absl::StatusOr<Segment> CreateSegment(const std::string& program_id,
                                        const Segment& segment,
                                        const std::string& request_id);
  // NOT_FOUND unless the segment exists in this program.
  absl::StatusOr<Segment> GetSegment(const std::string& program_id,
                                     const std::string& segment_id);
  // Adds the batch's clients that are not members yet and returns the
  // segment with its new size. Every client must be known to segmentation
  // as registered in this program: otherwise nothing is added and the
  // error names the first unknown one (`client_ids[i]`).
  absl::StatusOr<Segment> AddSegmentMembers(const std::string& program_id,
                                            const std::string& segment_id,
                                            const MemberBatch& batch);

  // Records a registration into the client facts, once per event id.
  // Returns false when the event had been applied before.
  absl::StatusOr<bool> ApplyClientRegistered(const ClientRegistration& registration);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::segmentation
