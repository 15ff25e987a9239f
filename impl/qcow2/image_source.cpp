#include "impl/qcow2/image_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace chaincheck::impl {

std::size_t MemoryImageSource::read_at(std::uint64_t offset, std::span<std::uint8_t> out) const {
  std::size_t present = 0;
  if (offset < bytes_.size())
    present = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), bytes_.size() - offset));
  if (present) std::memcpy(out.data(), bytes_.data() + offset, present);
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(present), out.end(), std::uint8_t{0});
  return present;
}

FileImageSource::FileImageSource(const std::filesystem::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    int err = errno;
    ::close(fd_);
    throw std::system_error(err, std::generic_category(), "fstat " + path.string());
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
}

FileImageSource::~FileImageSource() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t FileImageSource::read_at(std::uint64_t offset, std::span<std::uint8_t> out) const {
  std::size_t done = 0;
  while (done < out.size() && offset < size_ && size_ - offset > done) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(out.size() - done, size_ - offset - done));
    ssize_t n = ::pread(fd_, out.data() + done, want, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "pread " + path_.string());
    }
    if (n == 0) break;  // the file shrank under us: the rest reads as zeroes
    done += static_cast<std::size_t>(n);
  }
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(done), out.end(), std::uint8_t{0});
  return done;
}

}  // namespace chaincheck::impl
