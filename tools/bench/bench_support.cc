#include "tools/bench/bench_support.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "libs/rpc/call_context.h"
#include "libs/rpc/channel.h"
#include "libs/rpc/status.h"
#include "loyalty/cards/v1/cards_service.grpc.pb.h"
#include "loyalty/cards/v1/ledger_service.grpc.pb.h"
#include "loyalty/identity/v1/access_service.grpc.pb.h"
#include "loyalty/identity/v1/identity_service.grpc.pb.h"

namespace loyalty::bench {

namespace cards_v1 = ::loyalty::cards::v1;
namespace identity_v1 = ::loyalty::identity::v1;

void PrepareCall(grpc::ClientContext& context, const std::string& program_id,
                 const std::string& role, const std::string& store_id) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  rpc::WriteCallContext({.program_id = program_id, .role = role, .store_id = store_id},
                        context);
}

absl::StatusOr<std::string> CreateProgram(const std::string& identity_address,
                                          const std::string& label) {
  auto access = identity_v1::AccessService::NewStub(rpc::DialService(identity_address));
  identity_v1::CreateProgramRequest request;
  request.mutable_program()->set_name(absl::StrCat(label, " ", absl::FormatTime(absl::Now())));
  request.mutable_program()->set_time_zone("UTC");
  request.mutable_program()->set_default_country_code("7");
  identity_v1::Program program;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  absl::Status status = rpc::FromGrpcStatus(access->CreateProgram(&context, request, &program));
  if (!status.ok()) return status;
  return program.program_id();
}

absl::StatusOr<std::string> NewSeededCard(const std::string& identity_address,
                                          const std::string& cards_address,
                                          const std::string& program_id, int index,
                                          int64_t points) {
  auto identity = identity_v1::IdentityService::NewStub(rpc::DialService(identity_address));
  identity_v1::RegisterClientRequest client_request;
  client_request.mutable_client()->set_first_name(absl::StrCat("Bench ", index));
  client_request.mutable_client()->set_phone(absl::StrCat("+7900", 1000000 + index));
  identity_v1::Client client;
  grpc::ClientContext client_context;
  PrepareCall(client_context, program_id);
  absl::Status status =
      rpc::FromGrpcStatus(identity->RegisterClient(&client_context, client_request, &client));
  if (!status.ok()) return status;

  auto cards = cards_v1::CardsService::NewStub(rpc::DialService(cards_address));
  cards_v1::IssueCardRequest card_request;
  card_request.set_client_id(client.client_id());
  cards_v1::Card card;
  grpc::ClientContext card_context;
  PrepareCall(card_context, program_id);
  status = rpc::FromGrpcStatus(cards->IssueCard(&card_context, card_request, &card));
  if (!status.ok()) return status;

  auto ledger = cards_v1::LedgerService::NewStub(rpc::DialService(cards_address));
  cards_v1::CommitTransfersRequest seed;
  cards_v1::TransferSpec* spec = seed.add_transfers();
  spec->set_transfer_id(absl::StrCat("seed-", index));
  spec->set_kind(cards_v1::TRANSFER_KIND_ACCRUAL);
  spec->set_card_number(card.number());
  spec->set_amount(points);
  cards_v1::CommitTransfersResponse response;
  grpc::ClientContext seed_context;
  PrepareCall(seed_context, program_id);
  status = rpc::FromGrpcStatus(ledger->CommitTransfers(&seed_context, seed, &response));
  if (!status.ok()) return status;
  return card.number();
}

absl::Status ForEachInParallel(int count, int threads,
                               const std::function<absl::Status(int)>& task) {
  std::atomic<int> next{0};
  std::mutex mutex;
  absl::Status first = absl::OkStatus();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        absl::Status status = task(i);
        if (!status.ok()) {
          std::lock_guard lock(mutex);
          if (first.ok()) first = status;
          return;
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  return first;
}

absl::Status AwaitSeededMarker(const std::string& marker) {
  if (marker.empty()) return absl::OkStatus();
  std::cout << "SEEDED" << std::endl;
  const absl::Time give_up = absl::Now() + absl::Minutes(2);
  while (!std::filesystem::exists(marker)) {
    if (absl::Now() > give_up) {
      return absl::DeadlineExceededError(absl::StrCat("nobody created ", marker));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::OkStatus();
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double PercentileMs(const std::vector<int64_t>& sorted_us, double fraction) {
  if (sorted_us.empty()) return 0;
  size_t index = static_cast<size_t>(fraction * static_cast<double>(sorted_us.size() - 1) + 0.5);
  return static_cast<double>(sorted_us[index]) / 1000.0;
}

LatencySummary Summarize(std::vector<int64_t>& latencies_us) {
  std::sort(latencies_us.begin(), latencies_us.end());
  LatencySummary summary;
  summary.count = static_cast<int64_t>(latencies_us.size());
  for (int64_t us : latencies_us) summary.mean_ms += static_cast<double>(us) / 1000.0;
  if (summary.count > 0) summary.mean_ms /= static_cast<double>(summary.count);
  summary.p50_ms = PercentileMs(latencies_us, 0.50);
  summary.p95_ms = PercentileMs(latencies_us, 0.95);
  summary.p99_ms = PercentileMs(latencies_us, 0.99);
  summary.max_ms = PercentileMs(latencies_us, 1.0);
  return summary;
}

}  // namespace loyalty::bench
