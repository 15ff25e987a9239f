// Image creation and guest operations, and what each does to every layer's metadata.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/semantics/graph.hpp"

namespace chaincheck::model {

struct CreateOptions {
  std::string name;
  ImageFormat format = ImageFormat::Qcow2;
  std::optional<u64> size;  // qcow2 with a backing file may omit it
  unsigned cluster_bits = 16;
  bool extended_l2 = false;
  bool v3 = true;
  Preallocation preallocation = Preallocation::Off;
  std::optional<std::string> backing_file;
  std::optional<ImageFormat> backing_format;
};

// A rule of the real tools refused the request: the message says which.
struct OpError {
  std::string message;
};

// qemu-img create. Replaces an image of the same name.
std::optional<OpError> create_image(ModelState& s, const CreateOptions& o);
// truncate -s SIZE FILE: a sparse raw file, created or resized.
std::optional<OpError> truncate_file(ModelState& s, const std::string& name, u64 size);

enum class OpKind { Write, WriteZeroes, Discard, WriteCompressed };
const char* to_string(OpKind k);

struct GuestOp {
  OpKind kind = OpKind::Write;
  u64 offset = 0;
  u64 length = 0;
  std::uint8_t pattern = 0;  // Write, WriteCompressed
  bool may_unmap = false;    // WriteZeroes: qemu-io -u, NBD zero without NO_HOLE
  bool operator==(const GuestOp&) const = default;
};

// How the graph was opened. qemu-io sets BDRV_O_UNMAP; qemu-nbd only with --discard=unmap.
struct OpenOptions {
  bool unmap = true;
};

// Apply a guest operation at the root of `g`.
std::optional<OpError> apply(ModelState& s, const Graph& g, const GuestOp& op,
                             OpenOptions open = {});

}  // namespace chaincheck::model
