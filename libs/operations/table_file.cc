#include "libs/operations/table_file.h"

#include <utility>

#include "libs/common/status_macros.h"
#include "libs/csv/csv.h"
#include "libs/xlsx/xlsx.h"

namespace loyalty::operations {
namespace {

class CsvTable final : public TableFile {
 public:
  explicit CsvTable(FileWriter& file) : file_(file) {}

  absl::Status Start() { return file_.Append(csv::kUtf8Bom); }

  absl::Status Row(std::span<const TableCell> cells) override {
    csv::Row row;
    for (const TableCell& cell : cells) {
      switch (cell.kind) {
        case TableCell::Kind::kText:
          row.Text(cell.text);
          break;
        case TableCell::Kind::kInteger:
          row.Integer(cell.integer);
          break;
        case TableCell::Kind::kDate:
          row.Text(absl::FormatCivilTime(cell.day));
          break;
        case TableCell::Kind::kTime:
          row.Text(absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", cell.time, absl::UTCTimeZone()));
          break;
      }
    }
    return file_.Append(row.Finish());
  }

  absl::Status Finish() override { return file_.Finish().status(); }

 private:
  FileWriter& file_;
};

class XlsxTable final : public TableFile {
 public:
  XlsxTable(FileWriter& file, std::unique_ptr<xlsx::SheetWriter> sheet)
      : file_(file), sheet_(std::move(sheet)) {}

  absl::Status Row(std::span<const TableCell> cells) override {
    for (const TableCell& cell : cells) {
      switch (cell.kind) {
        case TableCell::Kind::kText:
          if (cell.text.empty()) {
            sheet_->Blank();
          } else {
            sheet_->Text(cell.text);
          }
          break;
        case TableCell::Kind::kInteger:
          sheet_->Integer(cell.integer);
          break;
        case TableCell::Kind::kDate:
          sheet_->Date(cell.day);
          break;
        case TableCell::Kind::kTime:
          sheet_->Time(cell.time);
          break;
      }
    }
    return sheet_->EndRow();
  }

  absl::Status Finish() override {
    RETURN_IF_ERROR(sheet_->Finish([&](absl::string_view piece) { return file_.Append(piece); },
                                   kFileChunkBytes));
    return file_.Finish().status();
  }

 private:
  FileWriter& file_;
  std::unique_ptr<xlsx::SheetWriter> sheet_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TableFile>> StartTableFile(TableFormat format, FileWriter& file,
                                                          absl::string_view sheet_name,
                                                          const std::string& temp_dir) {
  if (format == TableFormat::kXlsx) {
    ASSIGN_OR_RETURN(std::unique_ptr<xlsx::SheetWriter> sheet,
                     xlsx::SheetWriter::Create(sheet_name, temp_dir));
    return std::unique_ptr<TableFile>(std::make_unique<XlsxTable>(file, std::move(sheet)));
  }
  auto table = std::make_unique<CsvTable>(file);
  RETURN_IF_ERROR(table->Start());
  return std::unique_ptr<TableFile>(std::move(table));
}

absl::string_view TableContentType(TableFormat format) {
  return format == TableFormat::kXlsx ? xlsx::kContentType : "text/csv; charset=utf-8";
}

absl::string_view TableFileExtension(TableFormat format) {
  return format == TableFormat::kXlsx ? "xlsx" : "csv";
}

}  // namespace loyalty::operations
