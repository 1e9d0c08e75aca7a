#include "libs/xlsx/reader.h"

#include <expat.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "libs/common/status_macros.h"
#include "libs/xlsx/cell_text.h"
#include "libs/xlsx/zip_archive.h"

namespace loyalty::xlsx {
namespace {

// How much of a part is inflated and parsed at a time.
constexpr size_t kPieceBytes = 64 * 1024;
// Excel's last row.
constexpr int64_t kMaxRowNumber = 1048576;
// Expat reports a namespaced name as "<uri><separator><local name>".
constexpr char kNamespaceSeparator = ' ';

absl::string_view LocalName(const XML_Char* name) {
  absl::string_view full(name);
  const size_t separator = full.rfind(kNamespaceSeparator);
  return separator == absl::string_view::npos ? full : full.substr(separator + 1);
}

// The value of the attribute whose local name is `local` ("" if none): a
// relationship id is r:id in one namespace in transitional files and
// another in strict ones.
absl::string_view Attribute(const XML_Char** attributes, absl::string_view local) {
  for (int i = 0; attributes[i] != nullptr; i += 2) {
    if (LocalName(attributes[i]) == local) return attributes[i + 1];
  }
  return {};
}

class XmlStream;

// What a part's handler sees of the XML.
class XmlHandler {
 public:
  virtual ~XmlHandler() = default;
  virtual void Start(absl::string_view name, const XML_Char** attributes) = 0;
  virtual void End(absl::string_view name) = 0;
  virtual void Text(absl::string_view /*text*/) {}

 protected:
  // The stream feeding this handler, to pause or fail it.
  XmlStream& stream() { return *stream_; }

 private:
  friend class XmlStream;
  XmlStream* stream_ = nullptr;
};

// Feeds one zip member to expat a piece at a time. A handler may pause the
// parse (Pause, resumed by the next Parse) or stop it with an error (Fail).
class XmlStream final {
 public:
  XmlStream(std::unique_ptr<ZipMemberStream> member, XmlHandler* handler)
      : member_(std::move(member)),
        handler_(handler),
        parser_(XML_ParserCreateNS("UTF-8", kNamespaceSeparator)) {
    handler_->stream_ = this;
    if (parser_ == nullptr) return;  // Parse() says so
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &XmlStream::OnStart, &XmlStream::OnEnd);
    XML_SetCharacterDataHandler(parser_, &XmlStream::OnText);
    // Parts of a workbook have no DTD; one can only be an entity attack.
    XML_SetStartDoctypeDeclHandler(parser_, &XmlStream::OnDoctype);
  }
  ~XmlStream() { XML_ParserFree(parser_); }
  XmlStream(const XmlStream&) = delete;
  XmlStream& operator=(const XmlStream&) = delete;

  // Parses on until a handler pauses (true) or the member ends (false).
  absl::StatusOr<bool> Parse() {
    if (parser_ == nullptr) return absl::ResourceExhaustedError("no memory for an XML parser");
    if (paused_) {
      paused_ = false;
      RETURN_IF_ERROR(Check(XML_ResumeParser(parser_)));
      if (paused_) return true;
    }
    while (!last_piece_fed_) {
      void* buffer = XML_GetBuffer(parser_, kPieceBytes);
      if (buffer == nullptr) return absl::ResourceExhaustedError("no memory for the XML");
      ASSIGN_OR_RETURN(const size_t got, member_->Read(static_cast<char*>(buffer), kPieceBytes));
      last_piece_fed_ = got == 0;
      RETURN_IF_ERROR(Check(XML_ParseBuffer(parser_, static_cast<int>(got), last_piece_fed_)));
      if (paused_) return true;
    }
    return false;
  }

  // Parses the whole member.
  absl::Status ParseAll() {
    while (true) {
      ASSIGN_OR_RETURN(const bool paused, Parse());
      if (!paused) return absl::OkStatus();
    }
  }

  void Pause() {
    paused_ = true;
    XML_StopParser(parser_, XML_TRUE);
  }

  void Fail(absl::Status status) {
    if (failure_.ok()) failure_ = std::move(status);
    XML_StopParser(parser_, XML_FALSE);
  }

  const std::string& name() const { return member_->name(); }

 private:
  absl::Status Check(XML_Status status) {
    if (status != XML_STATUS_ERROR) return absl::OkStatus();
    if (!failure_.ok()) return failure_;
    return absl::InvalidArgumentError(absl::StrCat(
        name(), " is not well-formed XML: line ", XML_GetCurrentLineNumber(parser_), ": ",
        XML_ErrorString(XML_GetErrorCode(parser_))));
  }

  static void OnStart(void* data, const XML_Char* name, const XML_Char** attributes) {
    static_cast<XmlStream*>(data)->handler_->Start(LocalName(name), attributes);
  }
  static void OnEnd(void* data, const XML_Char* name) {
    static_cast<XmlStream*>(data)->handler_->End(LocalName(name));
  }
  static void OnText(void* data, const XML_Char* text, int length) {
    static_cast<XmlStream*>(data)->handler_->Text(
        absl::string_view(text, static_cast<size_t>(length)));
  }
  static void OnDoctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    auto* stream = static_cast<XmlStream*>(data);
    stream->Fail(absl::InvalidArgumentError(absl::StrCat(stream->name(), " has a DTD")));
  }

  std::unique_ptr<ZipMemberStream> member_;
  XmlHandler* handler_;
  XML_Parser parser_;
  bool paused_ = false;
  bool last_piece_fed_ = false;
  absl::Status failure_;
};

absl::Status ParsePart(ZipArchive& archive, const std::string& name, uint64_t max_bytes,
                       XmlHandler& handler) {
  ASSIGN_OR_RETURN(std::unique_ptr<ZipMemberStream> member, archive.Open(name, max_bytes));
  XmlStream stream(std::move(member), &handler);
  return stream.ParseAll();
}

// The part a relationship's target names, relative to the part that has
// it ("xl/workbook.xml" + "worksheets/sheet1.xml"), or absolute ("/xl/...").
std::string ResolveTarget(absl::string_view source_part, absl::string_view target) {
  std::vector<std::string> segments;
  if (!absl::StartsWith(target, "/")) {
    const size_t slash = source_part.rfind('/');
    if (slash != absl::string_view::npos) {
      for (absl::string_view dir : absl::StrSplit(source_part.substr(0, slash), '/')) {
        segments.emplace_back(dir);
      }
    }
  }
  for (absl::string_view segment : absl::StrSplit(target, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else {
      segments.emplace_back(segment);
    }
  }
  return absl::StrJoin(segments, "/");
}

// The relationships part of `part` ("xl/workbook.xml" ->
// "xl/_rels/workbook.xml.rels").
std::string RelationshipsOf(absl::string_view part) {
  const size_t slash = part.rfind('/');
  if (slash == absl::string_view::npos) return absl::StrCat("_rels/", part, ".rels");
  return absl::StrCat(part.substr(0, slash), "/_rels/", part.substr(slash + 1), ".rels");
}

struct Relationship {
  std::string type;    // e.g. ".../relationships/worksheet"
  std::string target;  // resolved part name
};

class RelationshipsHandler final : public XmlHandler {
 public:
  explicit RelationshipsHandler(std::string source_part) : source_part_(std::move(source_part)) {}

  void Start(absl::string_view name, const XML_Char** attributes) override {
    if (name != "Relationship" || Attribute(attributes, "TargetMode") == "External") return;
    relationships_[std::string(Attribute(attributes, "Id"))] = Relationship{
        std::string(Attribute(attributes, "Type")),
        ResolveTarget(source_part_, Attribute(attributes, "Target"))};
  }
  void End(absl::string_view) override {}

  // The first relationship whose type ends with "/<kind>".
  const Relationship* OfKind(absl::string_view kind) const {
    for (const auto& [id, relationship] : relationships_) {
      if (IsKind(relationship, kind)) return &relationship;
    }
    return nullptr;
  }
  const Relationship* WithId(const std::string& id) const {
    auto it = relationships_.find(id);
    return it == relationships_.end() ? nullptr : &it->second;
  }
  static bool IsKind(const Relationship& relationship, absl::string_view kind) {
    return absl::EndsWith(relationship.type, absl::StrCat("/", kind));
  }

 private:
  std::string source_part_;
  std::map<std::string, Relationship> relationships_;  // ordered: a stable choice
};

class WorkbookHandler final : public XmlHandler {
 public:
  void Start(absl::string_view name, const XML_Char** attributes) override {
    if (name == "workbookPr") {
      const absl::string_view date1904 = Attribute(attributes, "date1904");
      date1904_ = date1904 == "1" || date1904 == "true";
    } else if (name == "sheet") {
      sheet_ids_.emplace_back(Attribute(attributes, "id"));
    }
  }
  void End(absl::string_view) override {}

  bool date1904() const { return date1904_; }
  // The sheets' relationship ids in the workbook's (tab) order.
  const std::vector<std::string>& sheet_ids() const { return sheet_ids_; }

 private:
  bool date1904_ = false;
  std::vector<std::string> sheet_ids_;
};

// Which cell formats (xl/styles.xml cellXfs, by index = a cell's s) show
// a date.
class StylesHandler final : public XmlHandler {
 public:
  void Start(absl::string_view name, const XML_Char** attributes) override {
    if (name == "numFmt") {
      int id = 0;
      if (absl::SimpleAtoi(Attribute(attributes, "numFmtId"), &id)) {
        custom_formats_[id] = std::string(Attribute(attributes, "formatCode"));
      }
    } else if (name == "cellXfs") {
      in_cell_formats_ = true;
    } else if (name == "xf" && in_cell_formats_) {
      int id = 0;
      (void)absl::SimpleAtoi(Attribute(attributes, "numFmtId"), &id);
      format_ids_.push_back(id);
    }
  }
  void End(absl::string_view name) override {
    if (name == "cellXfs") in_cell_formats_ = false;
  }

  std::vector<bool> DateStyles() const {
    std::vector<bool> dates;
    dates.reserve(format_ids_.size());
    for (int id : format_ids_) {
      auto custom = custom_formats_.find(id);
      dates.push_back(IsDateFormat(id, custom == custom_formats_.end() ? "" : custom->second));
    }
    return dates;
  }

 private:
  absl::flat_hash_map<int, std::string> custom_formats_;
  std::vector<int> format_ids_;
  bool in_cell_formats_ = false;
};

// Text collected from <t> elements of a string item (<si> or <is>): runs of
// rich text are concatenated, phonetic hints (<rPh>) left out.
class StringItem {
 public:
  void Start(absl::string_view name) {
    if (name == "rPh") ++in_phonetic_;
    if (name == "t" && in_phonetic_ == 0) in_text_ = true;
  }
  void End(absl::string_view name) {
    if (name == "rPh") --in_phonetic_;
    if (name == "t") in_text_ = false;
  }
  bool collecting() const { return in_text_; }
  std::string* text() { return &text_; }
  std::string Take() {
    std::string value = UnescapeOoxml(text_);
    text_.clear();
    in_text_ = false;
    in_phonetic_ = 0;
    return value;
  }

 private:
  std::string text_;
  bool in_text_ = false;
  int in_phonetic_ = 0;
};

class SharedStringsHandler final : public XmlHandler {
 public:
  explicit SharedStringsHandler(uint64_t max_item_bytes) : max_item_bytes_(max_item_bytes) {}

  void Start(absl::string_view name, const XML_Char**) override {
    if (name == "si") in_item_ = true;
    if (in_item_) item_.Start(name);
  }
  void End(absl::string_view name) override {
    if (!in_item_) return;
    item_.End(name);
    if (name == "si") {
      strings_.push_back(item_.Take());
      in_item_ = false;
    }
  }
  void Text(absl::string_view text) override {
    if (!in_item_ || !item_.collecting()) return;
    if (item_.text()->size() + text.size() > max_item_bytes_) {
      stream().Fail(absl::InvalidArgumentError(absl::StrCat(
          "shared string ", strings_.size(), " is longer than ", max_item_bytes_, " bytes")));
      return;
    }
    item_.text()->append(text.data(), text.size());
  }

  std::vector<std::string> Take() { return std::move(strings_); }

 private:
  uint64_t max_item_bytes_;
  std::vector<std::string> strings_;
  StringItem item_;
  bool in_item_ = false;
};

// The sheet's rows, one per Parse() of its stream.
class SheetHandler final : public XmlHandler {
 public:
  SheetHandler(std::vector<std::string> shared_strings, std::vector<bool> date_styles,
               bool date1904, uint64_t max_cell_bytes)
      : shared_strings_(std::move(shared_strings)),
        date_styles_(std::move(date_styles)),
        date1904_(date1904),
        max_cell_bytes_(max_cell_bytes) {}

  // Where the row being read goes; set before each Parse().
  void set_row(Row* row) { row_ = row; }
  bool TakeRowDone() { return std::exchange(row_done_, false); }

  void Start(absl::string_view name, const XML_Char** attributes) override {
    if (name == "sheetData") {
      in_sheet_data_ = true;
    } else if (!in_sheet_data_) {
      return;
    } else if (name == "row") {
      StartRow(attributes);
    } else if (name == "c" && in_row_) {
      StartCell(attributes);
    } else if (in_cell_) {
      if (name == "v") in_value_ = true;
      if (name == "is") in_inline_ = true;
      if (in_inline_) inline_.Start(name);
    }
  }

  void End(absl::string_view name) override {
    if (name == "sheetData") {
      in_sheet_data_ = false;
    } else if (!in_sheet_data_) {
      return;
    } else if (name == "row" && in_row_) {
      in_row_ = false;
      row_done_ = true;
      stream().Pause();
    } else if (name == "c" && in_cell_) {
      EndCell();
    } else if (in_cell_) {
      if (name == "v") in_value_ = false;
      if (in_inline_) inline_.End(name);
      if (name == "is") in_inline_ = false;
    }
  }

  void Text(absl::string_view text) override {
    std::string* into = nullptr;
    if (in_value_) {
      into = &value_;
    } else if (in_inline_ && inline_.collecting()) {
      into = inline_.text();
    } else {
      return;
    }
    if (into->size() + text.size() > max_cell_bytes_) {
      Fail(absl::StrCat("cell ", CellName(), " is longer than ", max_cell_bytes_, " bytes"));
      return;
    }
    into->append(text.data(), text.size());
  }

 private:
  void StartRow(const XML_Char** attributes) {
    int64_t number = row_number_ + 1;
    const absl::string_view r = Attribute(attributes, "r");
    if (!r.empty() && !absl::SimpleAtoi(r, &number)) {
      return Fail(absl::StrCat("row after row ", row_number_, " has the number \"", r, "\""));
    }
    if (number < 1 || number > kMaxRowNumber) {
      return Fail(absl::StrCat("row number ", number, " is outside 1..", kMaxRowNumber));
    }
    row_number_ = number;
    in_row_ = true;
    next_column_ = 0;
    row_->number = number;
    row_->cells.clear();
  }

  void StartCell(const XML_Char** attributes) {
    column_ = next_column_;
    const absl::string_view r = Attribute(attributes, "r");
    if (!r.empty()) {
      absl::optional<int> column = ColumnOfReference(r);
      if (!column.has_value()) {
        return Fail(absl::StrCat("cell \"", r, "\" of row ", row_number_,
                                 " is not a reference within A..XFD (at most ", kMaxColumns,
                                 " columns)"));
      }
      column_ = *column;
    }
    if (column_ >= kMaxColumns) {
      return Fail(absl::StrCat("row ", row_number_, " has more than ", kMaxColumns, " columns"));
    }
    type_ = std::string(Attribute(attributes, "t"));
    style_ = 0;
    (void)absl::SimpleAtoi(Attribute(attributes, "s"), &style_);
    value_.clear();
    in_cell_ = true;
  }

  void EndCell() {
    in_cell_ = in_value_ = in_inline_ = false;
    next_column_ = column_ + 1;
    absl::StatusOr<std::string> text = CellText();
    if (!text.ok()) return Fail(std::string(text.status().message()));
    if (text->empty()) return;
    if (row_->cells.size() <= static_cast<size_t>(column_)) row_->cells.resize(column_ + 1);
    row_->cells[column_] = *std::move(text);
  }

  absl::StatusOr<std::string> CellText() {
    if (type_ == "inlineStr") return inline_.Take();
    inline_.Take();  // a stray <is> of a cell of another type
    if (type_ == "s") {
      size_t index = 0;
      if (!absl::SimpleAtoi(value_, &index) || index >= shared_strings_.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("cell ", CellName(), " refers to shared string \"", value_,
                         "\" but the workbook has ", shared_strings_.size()));
      }
      return shared_strings_[index];
    }
    if (type_ == "str") return UnescapeOoxml(value_);
    if (type_ == "b") {
      if (value_ == "1") return std::string("true");
      if (value_ == "0") return std::string("false");
      return value_;
    }
    if (!type_.empty() && type_ != "n") return value_;  // "e" (#N/A...), "d" (ISO text)
    if (value_.empty()) return value_;
    if (style_ >= 0 && static_cast<size_t>(style_) < date_styles_.size() &&
        date_styles_[style_]) {
      if (absl::optional<std::string> date = DateText(value_, date1904_)) return *date;
    }
    return NumberText(value_);
  }

  std::string CellName() const {
    std::string letters;
    for (int column = column_ + 1; column > 0; column = (column - 1) / 26) {
      letters.insert(letters.begin(), static_cast<char>('A' + (column - 1) % 26));
    }
    return absl::StrCat(letters, row_number_);
  }

  void Fail(std::string message) {
    stream().Fail(absl::InvalidArgumentError(std::move(message)));
  }

  const std::vector<std::string> shared_strings_;
  const std::vector<bool> date_styles_;
  const bool date1904_;
  const uint64_t max_cell_bytes_;
  Row* row_ = nullptr;
  bool row_done_ = false;

  bool in_sheet_data_ = false;
  bool in_row_ = false;
  bool in_cell_ = false;
  bool in_value_ = false;
  bool in_inline_ = false;
  int64_t row_number_ = 0;
  int next_column_ = 0;
  int column_ = 0;
  std::string type_;
  int style_ = 0;
  std::string value_;
  StringItem inline_;
};

// Office writes a password-protected workbook as an OLE compound file (as
// old .xls files are), not a zip: say so rather than "not a zip".
absl::Status CheckNotCompoundFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  unsigned char magic[8] = {};
  const size_t got = std::fread(magic, 1, sizeof magic, file);
  std::fclose(file);
  constexpr unsigned char kCompoundFile[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
  if (got == sizeof magic && std::equal(magic, magic + sizeof magic, kCompoundFile)) {
    return absl::InvalidArgumentError(
        "the file is encrypted (password-protected) or an old .xls workbook, not an XLSX file");
  }
  return absl::OkStatus();
}

absl::Status NotXlsx(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("the file is not an XLSX workbook: ", why));
}

}  // namespace

struct SheetReader::State {
  std::unique_ptr<ZipArchive> archive;
  std::unique_ptr<SheetHandler> handler;
  std::unique_ptr<XmlStream> stream;
  absl::Status failure;
  bool done = false;
};

SheetReader::SheetReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
SheetReader::~SheetReader() = default;

absl::StatusOr<std::unique_ptr<SheetReader>> SheetReader::Open(const std::string& path,
                                                               const ReaderLimits& limits) {
  RETURN_IF_ERROR(CheckNotCompoundFile(path));
  absl::StatusOr<std::unique_ptr<ZipArchive>> opened = ZipArchive::OpenFile(path);
  if (!opened.ok()) {
    if (opened.status().code() != absl::StatusCode::kInvalidArgument) return opened.status();
    return NotXlsx(opened.status().message());
  }
  auto state = std::make_unique<State>();
  state->archive = *std::move(opened);
  ZipArchive& archive = *state->archive;

  // The package's relationships name the workbook part; files that lack
  // them still put it where every writer does.
  std::string workbook_part = "xl/workbook.xml";
  if (archive.Has("_rels/.rels")) {
    RelationshipsHandler package("");
    RETURN_IF_ERROR(ParsePart(archive, "_rels/.rels", limits.max_part_bytes, package));
    if (const Relationship* document = package.OfKind("officeDocument")) {
      workbook_part = document->target;
    }
  }
  if (!archive.Has(workbook_part)) return NotXlsx(absl::StrCat("no ", workbook_part));
  WorkbookHandler workbook;
  RETURN_IF_ERROR(ParsePart(archive, workbook_part, limits.max_part_bytes, workbook));
  RelationshipsHandler parts(workbook_part);
  const std::string parts_name = RelationshipsOf(workbook_part);
  if (archive.Has(parts_name)) {
    RETURN_IF_ERROR(ParsePart(archive, parts_name, limits.max_part_bytes, parts));
  }

  const Relationship* sheet = nullptr;
  for (const std::string& id : workbook.sheet_ids()) {
    const Relationship* candidate = parts.WithId(id);
    // Chart sheets and dialog sheets have no cells.
    if (candidate != nullptr && RelationshipsHandler::IsKind(*candidate, "worksheet")) {
      sheet = candidate;
      break;
    }
  }
  if (sheet == nullptr) return absl::InvalidArgumentError("the workbook has no worksheet");
  if (!archive.Has(sheet->target)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the workbook's first worksheet ", sheet->target, " is missing"));
  }

  std::vector<bool> date_styles;
  if (const Relationship* styles = parts.OfKind("styles");
      styles != nullptr && archive.Has(styles->target)) {
    StylesHandler handler;
    RETURN_IF_ERROR(ParsePart(archive, styles->target, limits.max_part_bytes, handler));
    date_styles = handler.DateStyles();
  }
  std::vector<std::string> shared_strings;
  if (const Relationship* strings = parts.OfKind("sharedStrings");
      strings != nullptr && archive.Has(strings->target)) {
    SharedStringsHandler handler(limits.max_cell_bytes);
    RETURN_IF_ERROR(
        ParsePart(archive, strings->target, limits.max_shared_strings_bytes, handler));
    shared_strings = handler.Take();
  }

  ASSIGN_OR_RETURN(std::unique_ptr<ZipMemberStream> member,
                   archive.Open(sheet->target, limits.max_sheet_bytes));
  state->handler = std::make_unique<SheetHandler>(
      std::move(shared_strings), std::move(date_styles), workbook.date1904(),
      limits.max_cell_bytes);
  state->stream = std::make_unique<XmlStream>(std::move(member), state->handler.get());
  return std::unique_ptr<SheetReader>(new SheetReader(std::move(state)));
}

absl::StatusOr<bool> SheetReader::Next(Row* row) {
  State& state = *state_;
  if (!state.failure.ok()) return state.failure;
  if (state.done) return false;
  state.handler->set_row(row);
  absl::StatusOr<bool> paused = state.stream->Parse();
  if (!paused.ok()) {
    state.failure = paused.status();
    return state.failure;
  }
  if (state.handler->TakeRowDone()) return true;
  // The sheet ended (a pause is always a row's end).
  state.done = true;
  return false;
}

}  // namespace loyalty::xlsx
