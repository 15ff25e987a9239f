// Where the inspector reads image bytes from: memory (fuzzing, hand-built test images)
// or a file read lazily with pread, so multi-GB sparse images cost only what is visited.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

namespace chaincheck::impl {

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual std::uint64_t size() const = 0;
  // Fills `out` with the bytes at `offset`; whatever lies past the end of the image is
  // zero-filled (as QEMU's file driver does for short reads). Returns how many bytes
  // really existed.
  virtual std::size_t read_at(std::uint64_t offset, std::span<std::uint8_t> out) const = 0;
};

class MemoryImageSource final : public ImageSource {
 public:
  explicit MemoryImageSource(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}
  std::uint64_t size() const override { return bytes_.size(); }
  std::size_t read_at(std::uint64_t offset, std::span<std::uint8_t> out) const override;

 private:
  std::vector<std::uint8_t> bytes_;
};

// Read-only file; the size is taken once at open. Failures are std::system_error.
class FileImageSource final : public ImageSource {
 public:
  explicit FileImageSource(const std::filesystem::path& path);
  ~FileImageSource() override;
  FileImageSource(const FileImageSource&) = delete;
  FileImageSource& operator=(const FileImageSource&) = delete;

  std::uint64_t size() const override { return size_; }
  std::size_t read_at(std::uint64_t offset, std::span<std::uint8_t> out) const override;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace chaincheck::impl
