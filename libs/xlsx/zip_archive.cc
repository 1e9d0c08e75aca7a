#include "libs/xlsx/zip_archive.h"

#include <zip.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"

namespace loyalty::xlsx {

struct ZipArchive::Handle {
  zip_t* archive = nullptr;
  ~Handle() {
    if (archive != nullptr) zip_discard(archive);  // read-only: nothing to write back
  }
};

struct ZipMemberStream::File {
  zip_file_t* file = nullptr;
  ~File() {
    if (file != nullptr) zip_fclose(file);
  }
};

namespace {

absl::Status OpenError(int code, absl::string_view what) {
  switch (code) {
    case ZIP_ER_NOENT:
      return absl::NotFoundError(absl::StrCat("no file ", what));
    case ZIP_ER_NOZIP:
      return absl::InvalidArgumentError(absl::StrCat(what, " is not a zip archive"));
    case ZIP_ER_INCONS:
    case ZIP_ER_EOF:
    case ZIP_ER_CRC:
      return absl::InvalidArgumentError(
          absl::StrCat(what, " is a damaged or truncated zip archive"));
    case ZIP_ER_MEMORY:
      return absl::ResourceExhaustedError(absl::StrCat("no memory to open ", what));
    default: {
      zip_error_t error;
      zip_error_init_with_code(&error, code);
      absl::Status status =
          absl::InternalError(absl::StrCat("cannot open ", what, ": ", zip_error_strerror(&error)));
      zip_error_fini(&error);
      return status;
    }
  }
}

}  // namespace

ZipMemberStream::ZipMemberStream(std::unique_ptr<File> file, std::string name, uint64_t max_bytes)
    : file_(std::move(file)), name_(std::move(name)), max_bytes_(max_bytes) {}

ZipMemberStream::~ZipMemberStream() = default;

absl::StatusOr<size_t> ZipMemberStream::Read(char* out, size_t capacity) {
  const zip_int64_t got = zip_fread(file_->file, out, capacity);
  if (got < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name_, " is damaged: ", zip_file_strerror(file_->file)));
  }
  read_ += static_cast<uint64_t>(got);
  if (read_ > max_bytes_) {
    return absl::InvalidArgumentError(
        absl::StrCat(name_, " is larger than ", max_bytes_, " bytes uncompressed"));
  }
  return static_cast<size_t>(got);
}

ZipArchive::ZipArchive(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
ZipArchive::~ZipArchive() = default;

absl::StatusOr<std::unique_ptr<ZipArchive>> ZipArchive::OpenFile(const std::string& path) {
  auto handle = std::make_unique<Handle>();
  int code = 0;
  handle->archive = zip_open(path.c_str(), ZIP_RDONLY, &code);
  if (handle->archive == nullptr) {
    if (code == ZIP_ER_OPEN) code = errno == ENOENT ? ZIP_ER_NOENT : code;
    return OpenError(code, "the file");
  }
  return std::unique_ptr<ZipArchive>(new ZipArchive(std::move(handle)));
}

absl::StatusOr<std::unique_ptr<ZipArchive>> ZipArchive::OpenBytes(absl::string_view bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    zip_error_fini(&error);
    return absl::ResourceExhaustedError("no memory to read the bytes");
  }
  auto handle = std::make_unique<Handle>();
  handle->archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (handle->archive == nullptr) {
    const int code = zip_error_code_zip(&error);
    zip_error_fini(&error);
    zip_source_free(source);
    return OpenError(code, "the bytes");
  }
  zip_error_fini(&error);
  return std::unique_ptr<ZipArchive>(new ZipArchive(std::move(handle)));
}

bool ZipArchive::Has(const std::string& name) const {
  return zip_name_locate(handle_->archive, name.c_str(), ZIP_FL_NOCASE) >= 0;
}

absl::StatusOr<std::unique_ptr<ZipMemberStream>> ZipArchive::Open(const std::string& name,
                                                                  uint64_t max_bytes) {
  const zip_int64_t index = zip_name_locate(handle_->archive, name.c_str(), ZIP_FL_NOCASE);
  zip_stat_t stat;
  if (index < 0 || zip_stat_index(handle_->archive, index, 0, &stat) != 0) {
    return absl::NotFoundError(absl::StrCat("no ", name, " in the archive"));
  }
  if ((stat.valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 &&
      stat.encryption_method != ZIP_EM_NONE) {
    return absl::InvalidArgumentError(absl::StrCat(name, " is encrypted"));
  }
  if ((stat.valid & ZIP_STAT_SIZE) != 0 && stat.size > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " is larger than ", max_bytes, " bytes uncompressed"));
  }
  auto file = std::make_unique<ZipMemberStream::File>();
  file->file = zip_fopen_index(handle_->archive, index, 0);
  if (file->file == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " cannot be read: ", zip_error_strerror(zip_get_error(handle_->archive))));
  }
  return std::unique_ptr<ZipMemberStream>(
      new ZipMemberStream(std::move(file), name, max_bytes));
}

absl::StatusOr<std::string> ZipArchive::ReadAll(const std::string& name, uint64_t max_bytes) {
  absl::StatusOr<std::unique_ptr<ZipMemberStream>> stream = Open(name, max_bytes);
  if (!stream.ok()) return stream.status();
  std::string content;
  constexpr size_t kPiece = 64 * 1024;
  while (true) {
    const size_t had = content.size();
    content.resize(had + kPiece);
    absl::StatusOr<size_t> got = (*stream)->Read(content.data() + had, kPiece);
    if (!got.ok()) return got.status();
    content.resize(had + *got);
    if (*got == 0) return content;
  }
}

}  // namespace loyalty::xlsx
