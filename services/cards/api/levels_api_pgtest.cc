// The template and level services in-process over gRPC, with IssueCard and
// GetCard as main() wires them: real handlers, real PostgreSQL, a fake
// identity.

#include <memory>
#include <thread>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/rpc/call_context.h"
#include "libs/rpc/status.h"
#include "prometheus/registry.h"
#include "services/cards/api/cards_api.h"
#include "services/cards/api/level_metrics.h"
#include "services/cards/api/level_scheduler.h"
#include "services/cards/api/levels_api.h"
#include "services/cards/api/templates_api.h"
#include "services/cards/testing/levels_fixture.h"

namespace loyalty::cards {
namespace {

using testing::FakeClientDirectory;
using testing::LevelsPgTest;

class LevelsApiTest : public LevelsPgTest {
 protected:
  void SetUp() override {
    LevelsPgTest::SetUp();
    if (HasFatalFailure()) return;
    cards_api_ = std::make_unique<CardsApi>(*cards_, directory_, card_levels_.get());
    templates_api_ = std::make_unique<TemplatesApi>(*templates_);
    levels_api_ = std::make_unique<LevelsApi>(LevelsApi::Deps{.levels = *levels_,
                                                              .cards = *cards_,
                                                              .card_levels = *card_levels_,
                                                              .recalculation = *recalculation_,
                                                              .bonuses = *bonuses_,
                                                              .clock = clock_});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(cards_api_.get());
    builder.RegisterService(templates_api_.get());
    builder.RegisterService(levels_api_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    cards_stub_ = v1::CardsService::NewStub(channel);
    templates_stub_ = v1::TemplatesService::NewStub(channel);
    levels_stub_ = v1::LevelsService::NewStub(channel);
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    LevelsPgTest::TearDown();
  }

  // Calls `method` on `stub` as the gateway would for `program` (this
  // test's by default), returning the response or the status.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(Stub& stub,
                                grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                                const Request& request, absl::string_view program = "") {
    grpc::ClientContext context;
    rpc::WriteCallContext(
        rpc::CallContext{.program_id = std::string(program.empty() ? program_ : program),
                         .role = "ROLE_ADMIN",
                         .principal_id = "key-42",
                         .trace = TraceParent::NewRoot()},
        context);
    Response response;
    absl::Status status = rpc::FromGrpcStatus((stub.*method)(&context, request, &response));
    if (!status.ok()) return status;
    return response;
  }

  absl::StatusOr<v1::LevelType> CreateType(const std::string& name) {
    v1::CreateLevelTypeRequest request;
    request.mutable_level_type()->set_name(name);
    request.mutable_level_type()->set_metric(v1::LEVEL_METRIC_PURCHASE_AMOUNT);
    request.mutable_level_type()->mutable_window()->set_kind(v1::LEVEL_WINDOW_KIND_ROLLING_DAYS);
    request.mutable_level_type()->mutable_window()->set_days(30);
    return Call(*levels_stub_, &v1::LevelsService::Stub::CreateLevelType, request);
  }

  absl::StatusOr<v1::Level> CreateLevelRpc(const std::string& type_id, const std::string& name,
                                           int64_t threshold, int64_t bonus = 0) {
    v1::CreateLevelRequest request;
    request.set_level_type_id(type_id);
    request.mutable_level()->set_name(name);
    request.mutable_level()->set_threshold(threshold);
    request.mutable_level()->set_discount_bp(threshold > 0 ? 300 : 0);
    request.mutable_level()->set_accrual_bp(threshold > 0 ? 700 : 100);
    request.mutable_level()->set_bonus_points(bonus);
    return Call(*levels_stub_, &v1::LevelsService::Stub::CreateLevel, request);
  }

  absl::StatusOr<v1::CardTemplate> CreateTemplateRpc(v1::CardTemplate card_template,
                                                     const std::string& request_id = "") {
    v1::CreateTemplateRequest request;
    *request.mutable_template_() = std::move(card_template);
    request.set_request_id(request_id);
    return Call(*templates_stub_, &v1::TemplatesService::Stub::CreateTemplate, request);
  }

  absl::StatusOr<v1::Card> IssueRpc(const std::string& template_id,
                                    const std::string& request_id = "") {
    const std::string client = NewUuid();
    directory_.Add(program_, client);
    v1::IssueCardRequest request;
    request.set_client_id(client);
    request.set_template_id(template_id);
    request.set_request_id(request_id);
    return Call(*cards_stub_, &v1::CardsService::Stub::IssueCard, request);
  }

  // A ladder Base 0 < Gold 5000 (bonus 250) and a bonus template on it.
  struct Setup {
    v1::LevelType type;
    v1::Level base;
    v1::Level gold;
    v1::CardTemplate card_template;
  };
  Setup MakeSetup() {
    Setup setup;
    setup.type = *CreateType("Spend");
    setup.base = *CreateLevelRpc(setup.type.level_type_id(), "Base", 0);
    setup.gold = *CreateLevelRpc(setup.type.level_type_id(), "Gold", 5000, 250);
    v1::CardTemplate card_template;
    card_template.set_name("Standard");
    card_template.set_kind(v1::CARD_KIND_BONUS);
    card_template.set_level_type_id(setup.type.level_type_id());
    card_template.set_background_color("#00aa55");
    card_template.set_logo_url("https://cdn.example.ru/logo.png");
    card_template.mutable_wallet()->set_logo_text("Shop");
    setup.card_template = *CreateTemplateRpc(card_template);
    return setup;
  }

  FakeClientDirectory directory_;
  std::unique_ptr<CardsApi> cards_api_;
  std::unique_ptr<TemplatesApi> templates_api_;
  std::unique_ptr<LevelsApi> levels_api_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::CardsService::Stub> cards_stub_;
  std::unique_ptr<v1::TemplatesService::Stub> templates_stub_;
  std::unique_ptr<v1::LevelsService::Stub> levels_stub_;
};

TEST_F(LevelsApiTest, IssuedCardShowsTemplateLevelAndBenefits) {
  Setup setup = MakeSetup();
  EXPECT_EQ(setup.card_template.background_color(), "#00AA55");
  EXPECT_EQ(setup.card_template.state(), v1::DEFINITION_STATE_ACTIVE);
  EXPECT_EQ(setup.card_template.etag(), "1");
  EXPECT_EQ(setup.gold.rank(), 2);

  auto card = IssueRpc(setup.card_template.template_id(), "issue-1");
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_EQ(card->template_id(), setup.card_template.template_id());
  EXPECT_EQ(card->level().name(), "Base");
  EXPECT_EQ(card->level().level_id(), setup.base.level_id());
  EXPECT_EQ(card->level().rank(), 1);
  EXPECT_EQ(card->level().reason(), v1::LEVEL_CHANGE_REASON_INITIAL);
  EXPECT_TRUE(card->level().has_start_time());
  EXPECT_EQ(card->benefits().kind(), v1::CARD_KIND_BONUS);
  EXPECT_EQ(card->benefits().accrual_bp(), 100);

  v1::GetCardRequest get;
  get.set_number(card->number());
  auto got = Call(*cards_stub_, &v1::CardsService::Stub::GetCard, get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->level().name(), "Base");
  EXPECT_EQ(got->template_id(), setup.card_template.template_id());

  // A retry of the issue with another template is a different request.
  v1::CardTemplate vip;
  vip.set_name("VIP");
  vip.set_kind(v1::CARD_KIND_DISCOUNT);
  vip.set_discount_bp(1000);
  auto vip_template = CreateTemplateRpc(vip);
  ASSERT_TRUE(vip_template.ok()) << vip_template.status();
  v1::IssueCardRequest retry;
  retry.set_client_id(card->client_id());
  retry.set_template_id(vip_template->template_id());
  retry.set_request_id("issue-1");
  auto conflicting = Call(*cards_stub_, &v1::CardsService::Stub::IssueCard, retry);
  EXPECT_EQ(conflicting.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(conflicting.status()), "request_id");

  // A discount card without levels.
  auto discount = IssueRpc(vip_template->template_id());
  ASSERT_TRUE(discount.ok()) << discount.status();
  EXPECT_FALSE(discount->has_level());
  EXPECT_EQ(discount->benefits().kind(), v1::CARD_KIND_DISCOUNT);
  EXPECT_EQ(discount->benefits().discount_bp(), 1000);
  EXPECT_EQ(discount->benefits().accrual_bp(), 0);

  // Bad template ids never reach identity.
  const int identity_calls = directory_.calls();
  auto bad = IssueRpc("not-a-uuid");
  EXPECT_EQ(ViolatedField(bad.status()), "template_id");
  EXPECT_EQ(directory_.calls(), identity_calls);
}

TEST_F(LevelsApiTest, ValidationNamesTheField) {
  v1::CardTemplate card_template;
  card_template.set_name("Bad colours");
  card_template.set_kind(v1::CARD_KIND_BONUS);
  card_template.set_label_color("#12345");
  EXPECT_EQ(ViolatedField(CreateTemplateRpc(card_template).status()), "template.label_color");
  card_template.set_label_color("");
  card_template.mutable_wallet()->set_icon_url("file:///etc/passwd");
  EXPECT_EQ(ViolatedField(CreateTemplateRpc(card_template).status()), "template.wallet.icon_url");

  v1::CreateLevelTypeRequest type;
  type.mutable_level_type()->set_name("No window");
  type.mutable_level_type()->set_metric(v1::LEVEL_METRIC_VISITS);
  auto no_window = Call(*levels_stub_, &v1::LevelsService::Stub::CreateLevelType, type);
  EXPECT_EQ(no_window.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(no_window.status()), "level_type.window.kind");

  auto spend = CreateType("Spend");
  ASSERT_TRUE(spend.ok());
  ASSERT_TRUE(CreateLevelRpc(spend->level_type_id(), "Silver", 1000).ok());
  auto duplicate = CreateLevelRpc(spend->level_type_id(), "Silver 2", 1000);
  EXPECT_EQ(ViolatedField(duplicate.status()), "level.threshold");
  auto negative = CreateLevelRpc(spend->level_type_id(), "Minus", -1);
  EXPECT_EQ(ViolatedField(negative.status()), "level.threshold");

  v1::ListTemplatesRequest list;
  list.set_page_size(501);
  EXPECT_EQ(ViolatedField(
                Call(*templates_stub_, &v1::TemplatesService::Stub::ListTemplates, list).status()),
            "page_size");

  // No program in the metadata: refused before anything else.
  grpc::ClientContext bare;
  v1::LevelType out;
  EXPECT_EQ(levels_stub_->CreateLevelType(&bare, type, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(LevelsApiTest, AnotherProgramSeesNothing) {
  Setup setup = MakeSetup();
  const std::string other = NewUuid();
  v1::GetTemplateRequest get_template;
  get_template.set_template_id(setup.card_template.template_id());
  EXPECT_EQ(Call(*templates_stub_, &v1::TemplatesService::Stub::GetTemplate, get_template, other)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  v1::GetLevelRequest get_level;
  get_level.set_level_type_id(setup.type.level_type_id());
  get_level.set_level_id(setup.gold.level_id());
  EXPECT_EQ(
      Call(*levels_stub_, &v1::LevelsService::Stub::GetLevel, get_level, other).status().code(),
      absl::StatusCode::kNotFound);
  v1::ListLevelTypesRequest list;
  auto types = Call(*levels_stub_, &v1::LevelsService::Stub::ListLevelTypes, list, other);
  ASSERT_TRUE(types.ok());
  EXPECT_EQ(types->level_types_size(), 0);
  auto card = IssueRpc(setup.card_template.template_id());
  ASSERT_TRUE(card.ok());
  v1::SetCardLevelRequest set;
  set.set_card_number(card->number());
  set.set_level_id(setup.gold.level_id());
  set.set_comment("no");
  EXPECT_EQ(Call(*levels_stub_, &v1::LevelsService::Stub::SetCardLevel, set, other).status().code(),
            absl::StatusCode::kNotFound);
  // Issuing with another program's template fails like an unknown one.
  directory_.Add(other, card->client_id());
  v1::IssueCardRequest issue;
  issue.set_client_id(card->client_id());
  issue.set_template_id(setup.card_template.template_id());
  auto foreign = Call(*cards_stub_, &v1::CardsService::Stub::IssueCard, issue, other);
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(foreign.status()), "template_id");
}

TEST_F(LevelsApiTest, UpdatesUseTheMaskAndTheEtag) {
  Setup setup = MakeSetup();
  v1::UpdateTemplateRequest update;
  update.mutable_template_()->set_template_id(setup.card_template.template_id());
  update.mutable_template_()->set_etag(setup.card_template.etag());
  update.mutable_template_()->set_name("Classic");
  update.mutable_template_()->set_background_color("#ffffff");
  update.mutable_update_mask()->add_paths("name");
  auto updated = Call(*templates_stub_, &v1::TemplatesService::Stub::UpdateTemplate, update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->name(), "Classic");
  EXPECT_EQ(updated->background_color(), "#00AA55");  // not in the mask
  EXPECT_EQ(updated->etag(), "2");
  EXPECT_EQ(updated->wallet().logo_text(), "Shop");
  // The same etag again is stale now.
  auto stale = Call(*templates_stub_, &v1::TemplatesService::Stub::UpdateTemplate, update);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ViolatedField(stale.status()), "template.etag");
  update.mutable_update_mask()->set_paths(0, "etag");
  update.mutable_template_()->clear_etag();
  EXPECT_EQ(
      ViolatedField(
          Call(*templates_stub_, &v1::TemplatesService::Stub::UpdateTemplate, update).status()),
      "update_mask");

  v1::UpdateLevelRequest level;
  *level.mutable_level() = setup.gold;
  level.mutable_level()->set_threshold(8000);
  level.mutable_level()->set_name("ignored");
  level.mutable_update_mask()->add_paths("threshold");
  auto moved = Call(*levels_stub_, &v1::LevelsService::Stub::UpdateLevel, level);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->threshold(), 8000);
  EXPECT_EQ(moved->name(), "Gold");
  EXPECT_EQ(moved->etag(), "2");

  v1::ArchiveLevelRequest archive;
  archive.set_level_type_id(setup.type.level_type_id());
  archive.set_level_id(setup.gold.level_id());
  archive.set_etag("1");
  EXPECT_EQ(Call(*levels_stub_, &v1::LevelsService::Stub::ArchiveLevel, archive).status().code(),
            absl::StatusCode::kAborted);
  archive.set_etag("2");
  auto archived = Call(*levels_stub_, &v1::LevelsService::Stub::ArchiveLevel, archive);
  ASSERT_TRUE(archived.ok()) << archived.status();
  EXPECT_EQ(archived->state(), v1::DEFINITION_STATE_ARCHIVED);
  EXPECT_EQ(archived->rank(), 0);
}

TEST_F(LevelsApiTest, OperatorsSetLevelsAndRecalculate) {
  Setup setup = MakeSetup();
  auto card = IssueRpc(setup.card_template.template_id());
  ASSERT_TRUE(card.ok()) << card.status();

  v1::SetCardLevelRequest set;
  set.set_card_number(card->number());
  set.set_level_id(setup.gold.level_id());
  set.set_comment("Compensation for a complaint");
  set.set_grant_bonus(true);
  set.set_request_id("set-1");
  set.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(clock_.Now() + absl::Hours(48)));
  auto on_gold = Call(*levels_stub_, &v1::LevelsService::Stub::SetCardLevel, set);
  ASSERT_TRUE(on_gold.ok()) << on_gold.status();
  EXPECT_EQ(on_gold->level().name(), "Gold");
  EXPECT_EQ(on_gold->level().reason(), v1::LEVEL_CHANGE_REASON_MANUAL);
  EXPECT_EQ(on_gold->level().expire_time().seconds(),
            absl::ToUnixSeconds(clock_.Now() + absl::Hours(48)));
  EXPECT_EQ(on_gold->benefits().discount_bp(), 300);
  EXPECT_EQ(on_gold->balance().available(), 250);  // the bonus, granted at once
  // A retry changes nothing more.
  auto retried = Call(*levels_stub_, &v1::LevelsService::Stub::SetCardLevel, set);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->balance().available(), 250);

  v1::ListCardLevelHistoryRequest history;
  history.set_card_number(card->number());
  auto changes = Call(*levels_stub_, &v1::LevelsService::Stub::ListCardLevelHistory, history);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->changes_size(), 2);
  const v1::LevelChange& manual = changes->changes(0);
  EXPECT_EQ(manual.reason(), v1::LEVEL_CHANGE_REASON_MANUAL);
  EXPECT_EQ(manual.principal_id(), "key-42");
  EXPECT_EQ(manual.comment(), "Compensation for a complaint");
  EXPECT_EQ(manual.bonus_state(), v1::LEVEL_BONUS_STATE_GRANTED);
  EXPECT_EQ(manual.previous_level_id(), setup.base.level_id());
  EXPECT_EQ(changes->changes(1).reason(), v1::LEVEL_CHANGE_REASON_INITIAL);

  clock_.Advance(absl::Hours(49));
  v1::RecalculateLevelsRequest recalculate;
  auto stats = Call(*levels_stub_, &v1::LevelsService::Stub::RecalculateLevels, recalculate);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->cards_examined(), 1);
  EXPECT_EQ(stats->downgraded(), 1);
  v1::GetCardRequest get;
  get.set_number(card->number());
  EXPECT_EQ(Call(*cards_stub_, &v1::CardsService::Stub::GetCard, get)->level().name(), "Base");

  recalculate.set_level_type_id(NewUuid());
  EXPECT_EQ(
      Call(*levels_stub_, &v1::LevelsService::Stub::RecalculateLevels, recalculate).status().code(),
      absl::StatusCode::kNotFound);
}

TEST_F(LevelsApiTest, BackgroundSchedulerRecalculatesAndStops) {
  Setup setup = MakeSetup();
  auto card = IssueRpc(setup.card_template.template_id());
  ASSERT_TRUE(card.ok());
  ASSERT_TRUE(Purchase(Card{.number = card->number()}, 6000).level_changed);
  // The bonus of that move was left pending (no handler ran): the
  // scheduler's round grants it, and moves the card down once the window
  // has passed.
  prometheus::Registry registry;
  LevelMetrics metrics(registry);
  LevelScheduler scheduler(*recalculation_, *bonuses_, clock_, metrics, absl::Hours(1));
  ASSERT_TRUE(scheduler.RunOnce().ok());
  EXPECT_EQ(BalanceOf(Card{.number = card->number()}).available, 250);
  clock_.Advance(absl::Hours(24 * 31));
  ASSERT_TRUE(scheduler.RunOnce().ok());
  EXPECT_EQ(LevelOf(Card{.number = card->number()}), "Base");

  // Run() waits on the stop token, not on a sleep: stopping returns at once.
  std::jthread runner([&](std::stop_token stop) { scheduler.Run(stop); });
  runner.request_stop();
  runner.join();
  LevelScheduler disabled(*recalculation_, *bonuses_, clock_, metrics, absl::ZeroDuration());
  disabled.Run(std::stop_token());  // returns: disabled
}

}  // namespace
}  // namespace loyalty::cards
