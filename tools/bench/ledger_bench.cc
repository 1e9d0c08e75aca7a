// loyalty_ledger_bench: drives points transfers through the cards service's
// gRPC API with N concurrent clients and prints transfers/s and latency
// percentiles. `tools/loyalty bench ledger` starts a throwaway platform for
// it and runs pgbench against the same PostgreSQL for comparison.
//
// Set-up, through the real APIs: a new program (identity), a pool of clients
// and cards, each card seeded with points. Then every client, in a closed
// loop, commits one transfer per call on a random card of the pool: an
// ACCRUAL or a REDEMPTION, half and half, each with a fresh transfer id.
// Calls in the warm-up are not measured.

#include <algorithm>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "libs/rpc/call_context.h"
#include "libs/rpc/channel.h"
#include "libs/rpc/status.h"
#include "tools/bench/bench_support.h"
#include "loyalty/cards/v1/ledger_service.grpc.pb.h"

ABSL_FLAG(std::string, identity, "127.0.0.1:7101", "identity's gRPC address");
ABSL_FLAG(std::string, cards, "127.0.0.1:7102", "cards' gRPC address");
ABSL_FLAG(int, clients, 16, "concurrent clients, each with its own channel, one call at a time");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(15), "measured load time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(3), "unmeasured load before it");
ABSL_FLAG(int, card_pool, 1000, "cards the transfers are spread over");
ABSL_FLAG(std::string, seeded_marker, "",
          "if set: after seeding, print SEEDED and wait until this file exists (the "
          "script analyzes the fresh tables meanwhile, as pgbench -i does its own)");
ABSL_FLAG(int, batch, 1,
          "transfers per CommitTransfers call (one transaction); latency is per call");

namespace loyalty::bench {
namespace {

namespace cards_v1 = ::loyalty::cards::v1;

constexpr int64_t kSeedPoints = 1000000000;

struct ClientResult {
  std::vector<int64_t> latencies_us;  // measured calls only
  int64_t errors = 0;
  std::string last_error;
};

// One client's closed loop until `end`; calls finishing before `measure_from`
// are warm-up.
void RunClient(const std::string& cards_address, const std::string& program_id,
               const std::vector<std::string>& cards, int batch, int client,
               absl::Time measure_from, absl::Time end, ClientResult& result) {
  auto ledger = cards_v1::LedgerService::NewStub(rpc::DialService(cards_address));
  std::mt19937 random(client);
  std::uniform_int_distribution<size_t> card_of(0, cards.size() - 1);
  result.latencies_us.reserve(100000);
  for (int64_t seq = 0;; ++seq) {
    cards_v1::CommitTransfersRequest request;
    for (int i = 0; i < batch; ++i) {
      cards_v1::TransferSpec* spec = request.add_transfers();
      spec->set_transfer_id(absl::StrCat("bench-", client, "-", seq, "-", i));
      spec->set_card_number(cards[card_of(random)]);
      if ((seq * batch + i) % 2 == 0) {
        spec->set_kind(cards_v1::TRANSFER_KIND_ACCRUAL);
        spec->set_amount(10);
      } else {
        spec->set_kind(cards_v1::TRANSFER_KIND_REDEMPTION);
        spec->set_amount(7);
      }
    }
    cards_v1::CommitTransfersResponse response;
    grpc::ClientContext context;
    PrepareCall(context, program_id);
    const absl::Time start = absl::Now();
    grpc::Status status = ledger->CommitTransfers(&context, request, &response);
    const absl::Time done = absl::Now();
    if (done >= end) return;
    if (done < measure_from) continue;
    if (status.ok()) {
      result.latencies_us.push_back(absl::ToInt64Microseconds(done - start));
    } else {
      ++result.errors;
      result.last_error = absl::StrCat(status.error_code(), " ", status.error_message());
    }
  }
}

int Run() {
  const std::string identity = absl::GetFlag(FLAGS_identity);
  const std::string cards_address = absl::GetFlag(FLAGS_cards);
  const int clients = absl::GetFlag(FLAGS_clients);
  const int pool = absl::GetFlag(FLAGS_card_pool);
  const int batch = absl::GetFlag(FLAGS_batch);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);
  if (clients < 1 || pool < 1 || batch < 1 || duration <= absl::ZeroDuration()) {
    std::cerr << "--clients, --card_pool, --batch and --duration must be positive\n";
    return 64;
  }

  absl::StatusOr<std::string> program_id = CreateProgram(identity, "Ledger benchmark");
  if (!program_id.ok()) {
    std::cerr << "cannot create the program: " << program_id.status() << "\n";
    return 1;
  }
  std::vector<std::string> cards(static_cast<size_t>(pool));
  const absl::Time setup_start = absl::Now();
  absl::Status setup = ForEachInParallel(pool, std::min(clients, 8), [&](int i) -> absl::Status {
    absl::StatusOr<std::string> card = NewSeededCard(identity, cards_address, *program_id, i, kSeedPoints);
    if (!card.ok()) return card.status();
    cards[static_cast<size_t>(i)] = *card;
    return absl::OkStatus();
  });
  if (!setup.ok()) {
    std::cerr << "cannot set up the cards: " << setup << "\n";
    return 1;
  }
  if (absl::Status seeded = AwaitSeededMarker(absl::GetFlag(FLAGS_seeded_marker));
      !seeded.ok()) {
    std::cerr << seeded << "\n";
    return 1;
  }
  std::cout << "setup: program " << *program_id << ", " << pool << " clients and cards seeded in "
            << absl::FormatDuration(absl::Trunc(absl::Now() - setup_start, absl::Milliseconds(100)))
            << "\n"
            << "load: " << clients << " clients, " << absl::FormatDuration(warmup) << " warm-up, "
            << absl::FormatDuration(duration) << " measured; " << batch
            << " transfer(s) per CommitTransfers call (ACCRUAL 10 / REDEMPTION 7 alternating, "
               "random card each)\n"
            << std::flush;

  std::vector<ClientResult> results(static_cast<size_t>(clients));
  const absl::Time measure_from = absl::Now() + warmup;
  const absl::Time end = measure_from + duration;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back(RunClient, std::cref(cards_address), std::cref(*program_id),
                         std::cref(cards), batch, c, measure_from, end,
                         std::ref(results[static_cast<size_t>(c)]));
  }
  // Marks the measured window on stdout, so that a script reading it can
  // sample the servers' CPU time at the same moments.
  absl::SleepFor(measure_from - absl::Now());
  std::cout << "MEASURE start" << std::endl;
  const double cpu_start = ProcessCpuSeconds();
  absl::SleepFor(end - absl::Now());
  const double client_cpu = ProcessCpuSeconds() - cpu_start;
  std::cout << "MEASURE end" << std::endl;
  for (std::thread& thread : threads) thread.join();

  std::vector<int64_t> all;
  int64_t errors = 0;
  std::string last_error;
  for (const ClientResult& result : results) {
    all.insert(all.end(), result.latencies_us.begin(), result.latencies_us.end());
    errors += result.errors;
    if (!result.last_error.empty()) last_error = result.last_error;
  }
  std::sort(all.begin(), all.end());
  const double seconds = absl::ToDoubleSeconds(duration);
  const double calls_per_second = static_cast<double>(all.size()) / seconds;
  const double tps = calls_per_second * batch;
  double mean_ms = 0;
  for (int64_t us : all) mean_ms += static_cast<double>(us) / 1000.0;
  if (!all.empty()) mean_ms /= static_cast<double>(all.size());
  std::cout << std::fixed << std::setprecision(2)
            << "transfers: " << static_cast<int64_t>(all.size()) * batch << " in " << all.size()
            << " calls in " << seconds << " s, " << errors << " failed calls"
            << (errors > 0 ? " (last: " : "") << (errors > 0 ? last_error + ")" : "") << "\n"
            << "transfers/s: " << tps << (batch > 1 ? " (calls/s: " : "")
            << (batch > 1 ? absl::StrFormat("%.2f)", calls_per_second) : "") << "\n"
            << "latency ms per call: mean " << mean_ms << ", p50 " << PercentileMs(all, 0.50)
            << ", p95 " << PercentileMs(all, 0.95) << ", p99 " << PercentileMs(all, 0.99)
            << ", max " << PercentileMs(all, 1.0) << "\n";
  // For scripts (tools/loyalty bench ledger).
  std::cout << "RESULT tps=" << tps << " p50_ms=" << PercentileMs(all, 0.50)
            << " p95_ms=" << PercentileMs(all, 0.95) << " p99_ms=" << PercentileMs(all, 0.99)
            << " errors=" << errors << " client_cpu_s=" << client_cpu << "\n";
  return errors > 0 || all.empty() ? 1 : 0;
}

}  // namespace
}  // namespace loyalty::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Drives points transfers through the cards service's gRPC API.\n"
      "  loyalty_ledger_bench --identity=HOST:PORT --cards=HOST:PORT [--clients=16]\n"
      "      [--duration=15s] [--warmup=3s] [--card_pool=1000] [--batch=1]");
  absl::ParseCommandLine(argc, argv);
  return loyalty::bench::Run();
}
