#include "libs/xlsx/xlsx.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"

namespace loyalty::xlsx {

struct SheetWriter::Workbook {
  std::string path;
  std::string temp_dir;
  lxw_workbook* workbook = nullptr;
  lxw_worksheet* sheet = nullptr;
  lxw_format* date = nullptr;
  lxw_format* time = nullptr;

  ~Workbook() {
    // workbook_close() writes the file we are about to delete, but it is
    // also the only way to free the workbook.
    if (workbook != nullptr) workbook_close(workbook);
    if (!path.empty()) unlink(path.c_str());
  }
};

absl::StatusOr<std::unique_ptr<SheetWriter>> SheetWriter::Create(absl::string_view sheet_name,
                                                                 std::string temp_dir) {
  auto workbook = std::make_unique<Workbook>();
  if (temp_dir.empty()) {
    const char* env = std::getenv("TMPDIR");
    temp_dir = env != nullptr && *env != '\0' ? env : "/tmp";
  }
  workbook->temp_dir = temp_dir;
  // mkstemp reserves a fresh name; libxlsxwriter writes the zip there.
  std::string path = absl::StrCat(temp_dir, "/loyalty-xlsx-XXXXXX");
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot create a temporary file in ", temp_dir));
  }
  close(fd);
  workbook->path = path;
  lxw_workbook_options options{};
  options.constant_memory = LXW_TRUE;
  options.tmpdir = workbook->temp_dir.data();
  options.use_zip64 = LXW_TRUE;
  workbook->workbook = workbook_new_opt(workbook->path.c_str(), &options);
  if (workbook->workbook == nullptr) {
    return absl::UnavailableError("cannot start an XLSX workbook");
  }
  const std::string name(sheet_name);
  workbook->sheet = workbook_add_worksheet(workbook->workbook, name.c_str());
  if (workbook->sheet == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("not a sheet name: ", sheet_name));
  }
  workbook->date = workbook_add_format(workbook->workbook);
  format_set_num_format(workbook->date, "yyyy-mm-dd");
  workbook->time = workbook_add_format(workbook->workbook);
  format_set_num_format(workbook->time, "yyyy-mm-dd hh:mm:ss");
  return std::unique_ptr<SheetWriter>(new SheetWriter(std::move(workbook)));
}

SheetWriter::SheetWriter(std::unique_ptr<Workbook> workbook) : workbook_(std::move(workbook)) {}

SheetWriter::~SheetWriter() = default;

void SheetWriter::Check(int error) {
  ++column_;
  if (error == LXW_NO_ERROR || !status_.ok()) return;
  status_ = absl::InternalError(
      absl::StrCat("XLSX row ", row_ + 1, ": ", lxw_strerror(static_cast<lxw_error>(error))));
}

SheetWriter& SheetWriter::Text(absl::string_view text) {
  // A string cell whatever the text: the formula guard (see the header).
  const std::string value(text);
  Check(worksheet_write_string(workbook_->sheet, static_cast<lxw_row_t>(row_),
                               static_cast<lxw_col_t>(column_), value.c_str(), nullptr));
  return *this;
}

SheetWriter& SheetWriter::Integer(int64_t value) {
  Check(worksheet_write_number(workbook_->sheet, static_cast<lxw_row_t>(row_),
                               static_cast<lxw_col_t>(column_), static_cast<double>(value),
                               nullptr));
  return *this;
}

SheetWriter& SheetWriter::Date(absl::CivilDay day) {
  lxw_datetime value{static_cast<int>(day.year()), day.month(), day.day(), 0, 0, 0};
  Check(worksheet_write_datetime(workbook_->sheet, static_cast<lxw_row_t>(row_),
                                 static_cast<lxw_col_t>(column_), &value, workbook_->date));
  return *this;
}

SheetWriter& SheetWriter::Time(absl::Time time) {
  const absl::CivilSecond utc = absl::ToCivilSecond(time, absl::UTCTimeZone());
  lxw_datetime value{static_cast<int>(utc.year()), utc.month(), utc.day(),
                     utc.hour(), utc.minute(), static_cast<double>(utc.second())};
  Check(worksheet_write_datetime(workbook_->sheet, static_cast<lxw_row_t>(row_),
                                 static_cast<lxw_col_t>(column_), &value, workbook_->time));
  return *this;
}

SheetWriter& SheetWriter::Blank() {
  // Nothing to store: a cell never written is empty.
  ++column_;
  return *this;
}

absl::Status SheetWriter::EndRow() {
  ++row_;
  column_ = 0;
  if (row_ > kMaxRows && status_.ok()) {
    status_ = absl::ResourceExhaustedError(
        absl::StrCat("an XLSX sheet holds at most ", kMaxRows, " rows"));
  }
  return status_;
}

absl::Status SheetWriter::Finish(absl::FunctionRef<absl::Status(absl::string_view)> sink,
                                 size_t piece_bytes) {
  if (workbook_ == nullptr) return absl::FailedPreconditionError("the workbook is finished");
  const std::unique_ptr<Workbook> workbook = std::move(workbook_);
  const lxw_error closed = workbook_close(workbook->workbook);
  workbook->workbook = nullptr;
  if (!status_.ok()) return status_;
  if (closed != LXW_NO_ERROR) {
    return absl::InternalError(absl::StrCat("cannot write the XLSX file: ", lxw_strerror(closed)));
  }
  std::FILE* file = std::fopen(workbook->path.c_str(), "rb");
  if (file == nullptr) return absl::InternalError("cannot read the XLSX file back");
  std::vector<char> piece(piece_bytes);
  absl::Status status;
  while (status.ok()) {
    const size_t read = std::fread(piece.data(), 1, piece.size(), file);
    if (read > 0) status = sink(absl::string_view(piece.data(), read));
    if (read < piece.size()) {
      if (std::ferror(file) != 0) status = absl::InternalError("cannot read the XLSX file back");
      break;
    }
  }
  std::fclose(file);
  return status;
}

}  // namespace loyalty::xlsx
