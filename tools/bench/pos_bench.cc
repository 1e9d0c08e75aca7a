// loyalty_pos_bench: drives the POS flow (calculate, then confirm) through
// pos's gRPC API and through the HTTP gateway, and prints throughput and
// latency percentiles per step. `tools/loyalty bench pos` starts a throwaway
// platform for it, samples the CPU time of every process and runs pgbench
// against the same PostgreSQL for comparison.
//
// Set-up, through the real APIs: a program, POS settings, a store, a
// catalogue (categories, products, some of them noDiscount), 20 active
// campaigns with varied rules, a till's API key bound to the store, and a
// pool of cards seeded with points. Then the phases:
//   grpc      N clients in a closed loop: calculate a random receipt of 1-30
//             lines on a random card (a quarter of them paying points),
//             then confirm it;
//   http      the same through the gateway's JSON routes with the API key,
//             one keep-alive connection per client, as a till keeps;
//   openloop  calculate only, at a fixed arrival rate over gRPC; latency is
//             measured from each call's scheduled send time, so a slow
//             server cannot hold the load back (no coordinated omission).
//             Those receipts stay CALCULATED, with their holds: a till that
//             went silent leaves them so too.
// Calls in each phase's warm-up are not measured.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "libs/rpc/channel.h"
#include "libs/rpc/status.h"
#include "loyalty/campaigns/v1/campaigns_service.grpc.pb.h"
#include "loyalty/identity/v1/access_service.grpc.pb.h"
#include "loyalty/pos/v1/catalogue_service.grpc.pb.h"
#include "loyalty/pos/v1/pos_service.grpc.pb.h"
#include "loyalty/pos/v1/store_service.grpc.pb.h"
#include "tools/bench/bench_support.h"
#include "tools/bench/http_connection.h"

ABSL_FLAG(std::string, identity, "127.0.0.1:7101", "identity's gRPC address");
ABSL_FLAG(std::string, cards, "127.0.0.1:7102", "cards' gRPC address");
ABSL_FLAG(std::string, pos, "127.0.0.1:7103", "pos's gRPC address");
ABSL_FLAG(std::string, campaigns, "127.0.0.1:7104", "campaigns' gRPC address");
ABSL_FLAG(std::string, gateway, "127.0.0.1:8080", "the HTTP gateway's host:port");
ABSL_FLAG(int, clients, 16, "closed-loop clients, each with its own connection");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(15), "measured time of each phase");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(3), "unmeasured load before each phase");
ABSL_FLAG(int, rate, 500, "receipts per second calculated in the open-loop phase");
ABSL_FLAG(int, card_pool, 1000, "cards the receipts are spread over");
ABSL_FLAG(std::string, phases, "grpc,http,openloop", "phases to run, in this order");
ABSL_FLAG(std::string, seeded_marker, "",
          "if set: after seeding, print SEEDED and wait until this file exists (the "
          "script analyzes the fresh tables meanwhile, as pgbench -i does its own)");

namespace loyalty::bench {
namespace {

namespace campaigns_v1 = ::loyalty::campaigns::v1;
namespace identity_v1 = ::loyalty::identity::v1;
namespace pos_v1 = ::loyalty::pos::v1;

constexpr int64_t kSeedPoints = 1000000000;
constexpr int kProducts = 400;
constexpr int kCampaigns = 20;
constexpr int kMaxLines = 30;
// Categories of the catalogue; the last one's products are all noDiscount,
// as retailers flag tobacco.
constexpr const char* kCategories[] = {"dairy",  "bakery", "meat",      "produce",
                                       "drinks", "snacks", "household", "tobacco"};
constexpr int kCategoryCount = sizeof(kCategories) / sizeof(kCategories[0]);

// ------------------------------------------------------------------ set-up

struct Product {
  std::string sku;
  std::string category;
  int64_t price = 0;  // minor units per piece or per kilogram
  bool weighed = false;
};

struct Setup {
  std::string program_id;
  std::string store_id;
  std::string pos_api_key;  // ROLE_POS, bound to the store
  std::vector<Product> products;
  std::vector<std::string> cards;
};

absl::Status ConfigurePos(const std::string& pos_address, Setup& setup) {
  auto channel = rpc::DialService(pos_address);
  auto stores = pos_v1::StoreService::NewStub(channel);
  {
    pos_v1::CreateStoreRequest request;
    request.mutable_store()->set_name("Benchmark store");
    request.set_request_id("bench-store");
    pos_v1::Store store;
    grpc::ClientContext context;
    PrepareCall(context, setup.program_id);
    absl::Status status = rpc::FromGrpcStatus(stores->CreateStore(&context, request, &store));
    if (!status.ok()) return status;
    setup.store_id = store.store_id();
  }
  {
    // 5% back in points; up to half a receipt payable in points of 1.00.
    pos_v1::UpdatePosSettingsRequest request;
    pos_v1::PosSettings* settings = request.mutable_settings();
    settings->set_accrual_rate_bp(500);
    settings->set_max_redeem_share_bp(5000);
    settings->set_point_value(100);
    settings->set_accrual_activation_delay_seconds(0);
    settings->set_points_lifetime_days(365);
    pos_v1::PosSettings updated;
    grpc::ClientContext context;
    PrepareCall(context, setup.program_id);
    absl::Status status =
        rpc::FromGrpcStatus(stores->UpdatePosSettings(&context, request, &updated));
    if (!status.ok()) return status;
  }

  auto catalogue = pos_v1::CatalogueService::NewStub(channel);
  for (const char* category_id : kCategories) {
    pos_v1::CreateCategoryRequest request;
    request.mutable_category()->set_category_id(category_id);
    request.mutable_category()->set_name(category_id);
    request.set_request_id(absl::StrCat("bench-category-", category_id));
    pos_v1::Category category;
    grpc::ClientContext context;
    PrepareCall(context, setup.program_id);
    absl::Status status =
        rpc::FromGrpcStatus(catalogue->CreateCategory(&context, request, &category));
    if (!status.ok()) return status;
  }
  std::mt19937 random(42);
  std::uniform_int_distribution<int64_t> price_of(50, 5000);  // roubles
  pos_v1::BatchUpsertProductsRequest batch;
  for (int i = 0; i < kProducts; ++i) {
    Product product{.sku = absl::StrFormat("sku-%04d", i),
                    .category = kCategories[i % kCategoryCount],
                    .price = price_of(random) * 100,
                    .weighed = i % 5 == 1};
    pos_v1::Product* proto = batch.add_products();
    proto->set_sku(product.sku);
    proto->set_name(absl::StrCat("Product ", i));
    proto->set_category_id(product.category);
    proto->set_base_price(product.price);
    proto->set_no_discount(i % kCategoryCount == kCategoryCount - 1 || i % 50 == 7);
    setup.products.push_back(std::move(product));
  }
  pos_v1::BatchUpsertProductsResponse upserted;
  grpc::ClientContext context;
  PrepareCall(context, setup.program_id);
  return rpc::FromGrpcStatus(catalogue->BatchUpsertProducts(&context, batch, &upserted));
}

// The 20 campaigns: what a chain typically runs at once.
std::vector<campaigns_v1::Campaign> BenchCampaigns() {
  std::vector<campaigns_v1::Campaign> campaigns;
  auto add = [&](const std::string& name) {
    campaigns_v1::Campaign& campaign = campaigns.emplace_back();
    campaign.set_name(name);
    campaign.set_stacking(campaigns_v1::STACKING_COMBINABLE);
    campaign.set_priority(static_cast<int32_t>(campaigns.size()));
    campaigns_v1::Rule* rule = campaign.add_rules();
    rule->set_rule_id(absl::StrCat("rule-", campaigns.size()));
    rule->set_cashier_message(name);
    return rule;
  };
  // 7 category discounts, 5%..11% (not on tobacco).
  for (int c = 0; c < kCategoryCount - 1; ++c) {
    campaigns_v1::DiscountEffect* discount =
        add(absl::StrCat(kCategories[c], " week"))->add_effects()->mutable_discount();
    discount->set_target(campaigns_v1::TARGET_LINES);
    discount->mutable_lines()->add_categories(kCategories[c]);
    discount->set_percent_bp(500 + 100 * c);
  }
  // 4 receipt-sum thresholds: a percentage or a fixed sum off the receipt.
  for (int step = 1; step <= 4; ++step) {
    campaigns_v1::Rule* rule = add(absl::StrCat("Spend ", step * 1000, " roubles"));
    rule->add_conditions()->mutable_receipt_sum()->set_min_amount(step * 100000);
    campaigns_v1::DiscountEffect* discount = rule->add_effects()->mutable_discount();
    discount->set_target(campaigns_v1::TARGET_RECEIPT);
    if (step % 2 == 1) {
      discount->set_percent_bp(100 * step);
    } else {
      discount->set_fixed_amount(5000 * step);
    }
  }
  // 4 bonus-point multipliers on a category.
  for (int c = 0; c < 4; ++c) {
    campaigns_v1::PointsEffect* points =
        add(absl::StrCat("x", 2 + c % 2, " points on ", kCategories[c + 2]))
            ->add_effects()
            ->mutable_points();
    points->set_target(campaigns_v1::TARGET_LINES);
    points->mutable_lines()->add_categories(kCategories[c + 2]);
    points->set_multiplier(2 + c % 2);
  }
  // 4 fixed discounts on lines of given products, bought 2 and more.
  for (int p = 0; p < 4; ++p) {
    campaigns_v1::Rule* rule = add(absl::StrCat("Bundle ", p));
    campaigns_v1::LineMatchCondition* match = rule->add_conditions()->mutable_line_match();
    for (int k = 0; k < 10; ++k) {
      match->mutable_lines()->add_skus(absl::StrFormat("sku-%04d", p * 40 + k * 8));
    }
    match->set_min_quantity_milli(2000);
    campaigns_v1::DiscountEffect* discount = rule->add_effects()->mutable_discount();
    discount->set_target(campaigns_v1::TARGET_LINES);
    discount->set_fixed_amount(3000);
  }
  // Members only: bonus points go to identified members, anonymous receipts
  // get none.
  campaigns_v1::Rule* members = add("Members: 50 points from 500 roubles");
  members->add_conditions()->mutable_receipt_sum()->set_min_amount(50000);
  campaigns_v1::PointsEffect* bonus = members->add_effects()->mutable_points();
  bonus->set_target(campaigns_v1::TARGET_RECEIPT);
  bonus->set_fixed_points(50);
  return campaigns;
}

absl::Status StartCampaigns(const std::string& campaigns_address, const std::string& program_id) {
  auto service = campaigns_v1::CampaignService::NewStub(rpc::DialService(campaigns_address));
  std::vector<campaigns_v1::Campaign> campaigns = BenchCampaigns();
  if (campaigns.size() != kCampaigns) {
    return absl::InternalError(absl::StrCat(campaigns.size(), " campaigns, not ", kCampaigns));
  }
  for (size_t i = 0; i < campaigns.size(); ++i) {
    campaigns_v1::CreateCampaignRequest create;
    *create.mutable_campaign() = campaigns[i];
    create.set_request_id(absl::StrCat("bench-campaign-", i));
    campaigns_v1::Campaign created;
    grpc::ClientContext create_context;
    PrepareCall(create_context, program_id);
    absl::Status status =
        rpc::FromGrpcStatus(service->CreateCampaign(&create_context, create, &created));
    if (!status.ok()) return status;
    campaigns_v1::ActivateCampaignRequest activate;
    activate.set_campaign_id(created.campaign_id());
    campaigns_v1::Campaign active;
    grpc::ClientContext activate_context;
    PrepareCall(activate_context, program_id);
    status = rpc::FromGrpcStatus(service->ActivateCampaign(&activate_context, activate, &active));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CreatePosApiKey(const std::string& identity_address,
                                            const Setup& setup) {
  auto access = identity_v1::AccessService::NewStub(rpc::DialService(identity_address));
  identity_v1::CreateApiKeyRequest request;
  request.set_program_id(setup.program_id);
  request.set_display_name("benchmark till");
  request.set_role(api::v1::ROLE_POS);
  request.set_store_id(setup.store_id);
  identity_v1::CreateApiKeyResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  absl::Status status = rpc::FromGrpcStatus(access->CreateApiKey(&context, request, &response));
  if (!status.ok()) return status;
  return response.secret();
}

// --------------------------------------------------------------- receipts

// Random receipts over the catalogue and the card pool.
class ReceiptGenerator final {
 public:
  ReceiptGenerator(const Setup& setup, uint32_t seed, std::string number_prefix)
      : setup_(setup), random_(seed), prefix_(std::move(number_prefix)) {}

  pos_v1::CalculateReceiptRequest Next() {
    pos_v1::CalculateReceiptRequest request;
    request.set_store_id(setup_.store_id);
    request.set_receipt_number(absl::StrCat(prefix_, "-", sequence_++));
    request.set_card_number(setup_.cards[Uniform(setup_.cards.size())]);
    const int lines = 1 + static_cast<int>(Uniform(kMaxLines));
    int64_t total = 0;
    for (int n = 1; n <= lines; ++n) {
      const Product& product = setup_.products[Uniform(setup_.products.size())];
      pos_v1::ReceiptLine* line = request.add_lines();
      line->set_line_number(n);
      line->set_sku(product.sku);
      line->set_category(product.category);
      line->set_price(product.price);
      int64_t milli = product.weighed ? 100 + static_cast<int64_t>(Uniform(1900))
                                      : 1000 * (1 + static_cast<int64_t>(Uniform(3)));
      line->set_quantity(milli % 1000 == 0 ? absl::StrCat(milli / 1000)
                                           : absl::StrFormat("%d.%03d", milli / 1000, milli % 1000));
      total += (product.price * milli + 500) / 1000;
    }
    // A quarter of the buyers pay a tenth of the receipt in points: well
    // under the program's half, whatever the campaigns take off.
    if (Uniform(4) == 0) request.set_points_to_spend(total / 10 / 100);
    return request;
  }

 private:
  size_t Uniform(size_t bound) { return std::uniform_int_distribution<size_t>(0, bound - 1)(random_); }

  const Setup& setup_;
  std::mt19937 random_;
  std::string prefix_;
  int64_t sequence_ = 0;
};

// A till: where receipts go, over gRPC or over HTTP.
class Till {
 public:
  virtual ~Till() = default;
  virtual absl::StatusOr<pos_v1::Receipt> Calculate(const pos_v1::CalculateReceiptRequest& r) = 0;
  virtual absl::StatusOr<pos_v1::Receipt> Confirm(const pos_v1::ConfirmReceiptRequest& r) = 0;
};

class GrpcTill final : public Till {
 public:
  GrpcTill(std::shared_ptr<grpc::Channel> channel, const Setup& setup)
      : stub_(pos_v1::PosService::NewStub(std::move(channel))), setup_(setup) {}

  absl::StatusOr<pos_v1::Receipt> Calculate(const pos_v1::CalculateReceiptRequest& r) override {
    pos_v1::Receipt receipt;
    grpc::ClientContext context;
    PrepareCall(context, setup_.program_id, "ROLE_POS", setup_.store_id);
    absl::Status status = rpc::FromGrpcStatus(stub_->CalculateReceipt(&context, r, &receipt));
    if (!status.ok()) return status;
    return receipt;
  }

  absl::StatusOr<pos_v1::Receipt> Confirm(const pos_v1::ConfirmReceiptRequest& r) override {
    pos_v1::Receipt receipt;
    grpc::ClientContext context;
    PrepareCall(context, setup_.program_id, "ROLE_POS", setup_.store_id);
    absl::Status status = rpc::FromGrpcStatus(stub_->ConfirmReceipt(&context, r, &receipt));
    if (!status.ok()) return status;
    return receipt;
  }

 private:
  std::unique_ptr<pos_v1::PosService::Stub> stub_;
  const Setup& setup_;
};

// The gateway's JSON routes, with the till's API key.
class HttpTill final : public Till {
 public:
  HttpTill(const std::string& gateway, const Setup& setup)
      : connection_(HostOf(gateway), PortOf(gateway), {{"x-api-key", setup.pos_api_key}}) {}

  absl::StatusOr<pos_v1::Receipt> Calculate(const pos_v1::CalculateReceiptRequest& r) override {
    return Post("/v1/pos/receipts:calculate", r);
  }

  absl::StatusOr<pos_v1::Receipt> Confirm(const pos_v1::ConfirmReceiptRequest& r) override {
    return Post("/v1/pos/receipts:confirm", r);
  }

 private:
  static std::string HostOf(const std::string& address) {
    return std::string(address.substr(0, address.rfind(':')));
  }
  static std::string PortOf(const std::string& address) {
    return std::string(address.substr(address.rfind(':') + 1));
  }

  absl::StatusOr<pos_v1::Receipt> Post(const std::string& path,
                                       const google::protobuf::Message& request) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(request, &json).ok()) {
      return absl::InternalError("cannot encode the request as JSON");
    }
    absl::StatusOr<HttpReply> reply = connection_.Post(path, json, kCallDeadline);
    if (!reply.ok()) return reply.status();
    if (reply->status != 200) {
      return absl::UnknownError(absl::StrCat("HTTP ", reply->status, ": ", reply->body));
    }
    pos_v1::Receipt receipt;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(reply->body, &receipt, options).ok()) {
      return absl::InternalError(absl::StrCat("unexpected reply: ", reply->body));
    }
    return receipt;
  }

  HttpConnection connection_;
};

// ------------------------------------------------------------------ phases

struct StepSamples {
  std::vector<int64_t> latencies_us;  // measured successful calls
  int64_t errors = 0;
  std::string last_error;

  void Record(const absl::Status& status, absl::Duration latency) {
    if (status.ok()) {
      latencies_us.push_back(absl::ToInt64Microseconds(latency));
    } else {
      ++errors;
      last_error = status.ToString();
    }
  }
  void Merge(const StepSamples& other) {
    latencies_us.insert(latencies_us.end(), other.latencies_us.begin(),
                        other.latencies_us.end());
    errors += other.errors;
    if (!other.last_error.empty()) last_error = other.last_error;
  }
};

struct PhaseSamples {
  StepSamples calculate;
  StepSamples confirm;
  // Open loop: how late the latest call was sent after its scheduled time,
  // and how many measured calls were still waiting for a free sender when
  // the phase ended (the server had not kept up).
  absl::Duration worst_send_delay;
  int64_t unsent = 0;
  // Open loop: calls that finished inside the measured window, whenever
  // they were due (what the servers' CPU time in the window was spent on).
  int64_t finished_in_window = 0;
};

// One closed-loop client: calculate, then confirm, until `end`.
void RunClosedLoopClient(Till& till, ReceiptGenerator& receipts, absl::Time measure_from,
                         absl::Time end, PhaseSamples& samples) {
  while (true) {
    pos_v1::CalculateReceiptRequest request = receipts.Next();
    const absl::Time start = absl::Now();
    absl::StatusOr<pos_v1::Receipt> calculated = till.Calculate(request);
    const absl::Time calculated_at = absl::Now();
    if (calculated_at >= end) return;
    const bool measured = calculated_at >= measure_from;
    if (measured) samples.calculate.Record(calculated.status(), calculated_at - start);
    if (!calculated.ok()) continue;

    pos_v1::ConfirmReceiptRequest confirm;
    confirm.set_request_id(absl::StrCat("confirm-", calculated->receipt_id()));
    confirm.set_receipt_id(calculated->receipt_id());
    absl::StatusOr<pos_v1::Receipt> confirmed = till.Confirm(confirm);
    const absl::Time confirmed_at = absl::Now();
    if (confirmed_at >= end) return;
    if (measured) samples.confirm.Record(confirmed.status(), confirmed_at - calculated_at);
  }
}

// Open loop: receipt i is due at start + i / rate, whoever sends it; a
// pool of senders big enough that one is free when the server keeps up.
void RunOpenLoop(const std::vector<std::unique_ptr<Till>>& tills, const Setup& setup, int rate,
                 absl::Time start, absl::Time measure_from, absl::Time end,
                 std::vector<PhaseSamples>& samples) {
  std::atomic<int64_t> next{0};
  const absl::Duration interval = absl::Seconds(1) / rate;
  std::vector<std::thread> senders;
  for (size_t s = 0; s < tills.size(); ++s) {
    senders.emplace_back([&, s] {
      ReceiptGenerator receipts(setup, static_cast<uint32_t>(1000 + s), absl::StrCat("o", s));
      PhaseSamples& mine = samples[s];
      for (int64_t i = next++;; i = next++) {
        const absl::Time due = start + interval * i;
        if (due >= end) return;
        if (absl::Now() >= end) {
          // Behind schedule at the end: the calls still due are not sent,
          // so that an overloaded server does not stretch the phase far
          // past its duration. They count with their wait so far, a lower
          // bound of their latency: leaving them out would flatter the
          // percentiles exactly when the server falls behind.
          if (due >= measure_from) {
            ++mine.unsent;
            mine.calculate.latencies_us.push_back(absl::ToInt64Microseconds(end - due));
          }
          continue;
        }
        pos_v1::CalculateReceiptRequest request = receipts.Next();
        absl::SleepFor(due - absl::Now());
        const absl::Time sent = absl::Now();
        absl::StatusOr<pos_v1::Receipt> calculated = tills[s]->Calculate(request);
        if (const absl::Time done = absl::Now(); done >= measure_from && done < end) {
          ++mine.finished_in_window;
        }
        if (due < measure_from) continue;
        mine.calculate.Record(calculated.status(), absl::Now() - due);
        mine.worst_send_delay = std::max(mine.worst_send_delay, sent - due);
      }
    });
  }
  for (std::thread& sender : senders) sender.join();
}

// `answered`: the calls that got an answer (in the open loop, latencies
// also stand for calls never sent).
void PrintStep(const std::string& name, StepSamples& step, double seconds, int64_t answered) {
  LatencySummary s = Summarize(step.latencies_us);
  std::cout << std::fixed << std::setprecision(2) << "  " << std::left << std::setw(10) << name
            << std::right << answered << " ok, " << step.errors << " failed; "
            << static_cast<double>(answered) / seconds << "/s; ms mean " << s.mean_ms << ", p50 "
            << s.p50_ms << ", p95 " << s.p95_ms << ", p99 " << s.p99_ms << ", max " << s.max_ms
            << "\n";
  if (step.errors > 0) std::cout << "    last error: " << step.last_error << "\n";
}

std::string ResultFields(const std::string& step, const LatencySummary& s, double seconds,
                         int64_t answered, int64_t errors) {
  return absl::StrFormat(" %s_rate=%.2f %s_p50_ms=%.2f %s_p95_ms=%.2f %s_p99_ms=%.2f "
                         "%s_max_ms=%.2f %s_errors=%d",
                         step, static_cast<double>(answered) / seconds, step, s.p50_ms, step,
                         s.p95_ms, step, s.p99_ms, step, s.max_ms, step, errors);
}

// Runs one phase; prints MEASURE markers around the measured window (the
// driving script samples the servers' CPU time there), the figures, and a
// RESULT line for the script.
int RunPhase(const std::string& phase, const Setup& setup) {
  const int clients = absl::GetFlag(FLAGS_clients);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const absl::Time start = absl::Now();
  const absl::Time measure_from = start + absl::GetFlag(FLAGS_warmup);
  const absl::Time end = measure_from + duration;
  const int rate = absl::GetFlag(FLAGS_rate);
  const bool open_loop = phase == "openloop";

  std::vector<std::unique_ptr<Till>> tills;
  if (phase == "grpc") {
    for (int c = 0; c < clients; ++c) {
      tills.push_back(
          std::make_unique<GrpcTill>(rpc::DialService(absl::GetFlag(FLAGS_pos)), setup));
    }
    std::cout << "\n== Phase a: gRPC, " << clients << " clients in a closed loop (calculate, "
              << "then confirm)\n";
  } else if (phase == "http") {
    for (int c = 0; c < clients; ++c) {
      tills.push_back(std::make_unique<HttpTill>(absl::GetFlag(FLAGS_gateway), setup));
    }
    std::cout << "\n== Phase b: HTTP gateway, " << clients << " clients in a closed loop, "
              << "one keep-alive connection each, x-api-key of a till\n";
  } else if (open_loop) {
    // Enough senders for 50 ms of backlog at the target rate; a few
    // channels, as a fleet of tills behind a few front ends would be.
    const int senders = std::clamp(rate / 20, 8, 256);
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    for (int c = 0; c < 4; ++c) channels.push_back(rpc::DialService(absl::GetFlag(FLAGS_pos)));
    for (int s = 0; s < senders; ++s) {
      tills.push_back(std::make_unique<GrpcTill>(channels[static_cast<size_t>(s) % 4], setup));
    }
    std::cout << "\n== Phase c: gRPC calculate only, open loop at " << rate << " receipts/s ("
              << senders << " senders; latency from the scheduled send time)\n";
  } else {
    std::cerr << "unknown phase '" << phase << "' (grpc, http or openloop)\n";
    return 64;
  }
  std::cout << std::flush;

  std::vector<PhaseSamples> samples(tills.size());
  std::vector<std::thread> threads;
  if (open_loop) {
    threads.emplace_back(
        [&] { RunOpenLoop(tills, setup, rate, start, measure_from, end, samples); });
  } else {
    for (size_t c = 0; c < tills.size(); ++c) {
      threads.emplace_back([&, c] {
        ReceiptGenerator receipts(setup, static_cast<uint32_t>(c),
                                  absl::StrCat(phase.substr(0, 1), c));
        RunClosedLoopClient(*tills[c], receipts, measure_from, end, samples[c]);
      });
    }
  }
  absl::SleepFor(measure_from - absl::Now());
  std::cout << "MEASURE start " << phase << std::endl;
  const double cpu_start = ProcessCpuSeconds();
  absl::SleepFor(end - absl::Now());
  const double client_cpu = ProcessCpuSeconds() - cpu_start;
  std::cout << "MEASURE end " << phase << std::endl;
  for (std::thread& thread : threads) thread.join();

  PhaseSamples all;
  for (const PhaseSamples& s : samples) {
    all.calculate.Merge(s.calculate);
    all.confirm.Merge(s.confirm);
    all.worst_send_delay = std::max(all.worst_send_delay, s.worst_send_delay);
    all.unsent += s.unsent;
    all.finished_in_window += s.finished_in_window;
  }
  const double seconds = absl::ToDoubleSeconds(duration);
  const int64_t calculate_errors = all.calculate.errors;
  const int64_t confirm_errors = all.confirm.errors;
  const int64_t calculated = static_cast<int64_t>(all.calculate.latencies_us.size()) - all.unsent;
  const int64_t confirmed = static_cast<int64_t>(all.confirm.latencies_us.size());
  PrintStep("calculate", all.calculate, seconds, calculated);
  if (!open_loop) PrintStep("confirm", all.confirm, seconds, confirmed);
  if (open_loop) {
    std::cout << "  latest send after its scheduled time: "
              << absl::FormatDuration(absl::Trunc(all.worst_send_delay, absl::Microseconds(100)))
              << " (large: every sender was waiting on the server); " << all.unsent
              << " scheduled calls not sent by the end, counted above with their wait until "
              << "then (a lower bound); " << calculated << " answered\n";
  }
  const LatencySummary calculate = Summarize(all.calculate.latencies_us);
  const LatencySummary confirm = Summarize(all.confirm.latencies_us);
  std::cout << "RESULT " << phase << absl::StrFormat(" receipts=%d", confirm.count)
            << ResultFields("calculate", calculate, seconds, calculated, calculate_errors)
            << ResultFields("confirm", confirm, seconds, confirmed, confirm_errors)
            << absl::StrFormat(" unsent=%d finished_in_window=%d client_cpu_s=%.3f", all.unsent,
                               open_loop ? all.finished_in_window : confirm.count, client_cpu)
            << std::endl;
  return calculate_errors + confirm_errors > 0 || calculated == 0 ? 1 : 0;
}

int Run() {
  const int pool = absl::GetFlag(FLAGS_card_pool);
  if (absl::GetFlag(FLAGS_clients) < 1 || pool < 1 || absl::GetFlag(FLAGS_rate) < 1 ||
      absl::GetFlag(FLAGS_duration) <= absl::ZeroDuration()) {
    std::cerr << "--clients, --card_pool, --rate and --duration must be positive\n";
    return 64;
  }
  const std::string identity = absl::GetFlag(FLAGS_identity);
  const absl::Time setup_start = absl::Now();
  Setup setup;
  absl::StatusOr<std::string> program_id = CreateProgram(identity, "POS benchmark");
  if (!program_id.ok()) {
    std::cerr << "cannot create the program: " << program_id.status() << "\n";
    return 1;
  }
  setup.program_id = *program_id;
  if (absl::Status status = ConfigurePos(absl::GetFlag(FLAGS_pos), setup); !status.ok()) {
    std::cerr << "cannot set up the store, settings and catalogue: " << status << "\n";
    return 1;
  }
  if (absl::Status status = StartCampaigns(absl::GetFlag(FLAGS_campaigns), setup.program_id);
      !status.ok()) {
    std::cerr << "cannot start the campaigns: " << status << "\n";
    return 1;
  }
  absl::StatusOr<std::string> key = CreatePosApiKey(identity, setup);
  if (!key.ok()) {
    std::cerr << "cannot create the till's API key: " << key.status() << "\n";
    return 1;
  }
  setup.pos_api_key = *key;
  setup.cards.resize(static_cast<size_t>(pool));
  absl::Status seeded = ForEachInParallel(pool, 8, [&](int i) -> absl::Status {
    absl::StatusOr<std::string> card =
        NewSeededCard(identity, absl::GetFlag(FLAGS_cards), setup.program_id, i, kSeedPoints);
    if (!card.ok()) return card.status();
    setup.cards[static_cast<size_t>(i)] = *card;
    return absl::OkStatus();
  });
  if (!seeded.ok()) {
    std::cerr << "cannot set up the cards: " << seeded << "\n";
    return 1;
  }
  if (absl::Status marker = AwaitSeededMarker(absl::GetFlag(FLAGS_seeded_marker));
      !marker.ok()) {
    std::cerr << marker << "\n";
    return 1;
  }
  std::cout << "setup: program " << setup.program_id << "; store, settings (5% accrual, up to "
            << "50% in points), " << kCategoryCount << " categories, " << kProducts
            << " products (tobacco and every 50th noDiscount), " << kCampaigns
            << " active campaigns, " << pool << " cards seeded, in "
            << absl::FormatDuration(absl::Trunc(absl::Now() - setup_start, absl::Milliseconds(100)))
            << "\n"
            << "receipts: 1-" << kMaxLines << " random lines (a fifth of the products weighed), "
            << "a random card, a quarter paying 10% in points; "
            << absl::FormatDuration(absl::GetFlag(FLAGS_warmup)) << " warm-up, "
            << absl::FormatDuration(absl::GetFlag(FLAGS_duration)) << " measured per phase\n"
            << std::flush;

  int result = 0;
  for (absl::string_view phase : absl::StrSplit(absl::GetFlag(FLAGS_phases), ',')) {
    result = std::max(result, RunPhase(std::string(phase), setup));
  }
  return result;
}

}  // namespace
}  // namespace loyalty::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Drives receipts (calculate, confirm) through pos over gRPC and the HTTP gateway.\n"
      "  loyalty_pos_bench --identity=HOST:PORT --cards=HOST:PORT --pos=HOST:PORT\n"
      "      --campaigns=HOST:PORT --gateway=HOST:PORT [--clients=16] [--duration=15s]\n"
      "      [--warmup=3s] [--rate=500] [--card_pool=1000] [--phases=grpc,http,openloop]");
  absl::ParseCommandLine(argc, argv);
  return loyalty::bench::Run();
}
