#include "model/semantics/block_jobs.hpp"

#include <algorithm>
#include <vector>

#include "model/semantics/chain.hpp"
#include "model/semantics/filter_effects.hpp"

namespace chaincheck::model {
namespace {

constexpr u64 kStreamChunk = 512 * 1024;        // stream.c STREAM_CHUNK
constexpr u64 kCommitBufferSize = 512 * 1024;   // commit.c COMMIT_BUFFER_SIZE

// bdrv_change_backing_file: the header names `base` (its filename, as opened relative to the
// daemon's directory, and its driver's format) or no backing at all.
void set_backing(ModelState& s, int image, const Image* base) {
  Qcow2Image& q = s.image(image).qcow2();
  if (!base) {
    q.backing_file.reset();
    q.backing_format.reset();
    return;
  }
  q.backing_file = base->name;
  q.backing_format = base->format();
}

// bdrv_is_allocated_above(layers[from], layers[last], include_base = true) as the jobs ask
// it (want_zero = false): the first layer of from..last that allocates `off` answers with
// its 1-based depth, 0 when none does. Each consulted layer cuts *pnum: a qcow2 layer at its
// allocation change and its L2 slice end (qcow2_get_host_offset); a raw layer allocates the
// whole request (raw_co_block_status without want_zero: no SEEK_DATA). Past the end of a
// layer below `from` reads as zeroes that layer allocates; past the end of `from`: *pnum 0.
unsigned allocated_above(const ModelState& s, const Graph& g, const std::vector<int>& layers, std::size_t from,
                         std::size_t last, u64 off, u64 bytes, u64* pnum) {
  u64 n = bytes;
  for (std::size_t i = from; i <= last && i < layers.size(); ++i) {
    const Image& img = s.image(g.node(layers[i]).image);
    unsigned depth = static_cast<unsigned>(i - from + 1);
    if (off >= node_length(s, g, layers[i])) {
      *pnum = i == from ? 0 : n;
      return i == from ? 0 : depth;
    }
    if (img.format() == ImageFormat::Raw) {
      *pnum = std::min(n, node_length(s, g, layers[i]) - off);
      return depth;
    }
    LayerAnswer a = layer_status_call(s, g, layers[i], off, n);
    n = a.status.pnum;
    if (a.status.flags & kAllocated) {
      *pnum = n;
      return depth;
    }
  }
  *pnum = n;
  return 0;
}

}  // namespace

int layer_index(const ModelState& s, const Graph& g, const std::vector<int>& layers, const std::string& name,
                std::size_t from) {
  for (std::size_t i = from; i < layers.size(); ++i)
    if (s.image(g.node(layers[i]).image).name == name) return static_cast<int>(i);
  return -1;
}

// ------------------------------------------------------------------ block-stream

std::optional<OpError> stream_image(ModelState& s, const StreamOptions& o) {
  int ti = s.find(o.image);
  if (ti < 0) return OpError{"Cannot find device='" + o.image + "' nor node-name='" + o.image + "'"};
  if (s.image(ti).format() != ImageFormat::Qcow2 || !s.image(ti).qcow2().backing_file)
    return OpError{"block-stream of an image without a backing file is not modelled"};
  Graph g = open_image(s, o.image);
  std::vector<int> layers = cow_layers(g, g.root);
  // qmp_block_stream: base-node must be in the chain below the device (bdrv_chain_contains).
  int b = -1;
  if (o.base) {
    b = layer_index(s, g, layers, *o.base, 1);
    if (b < 0) return OpError{"Node '" + *o.base + "' is not a backing image of '" + o.image + "'"};
  }
  // stream_start: base_overlay = the layer right above the base (the bottom without one).
  const int overlay_index = b >= 0 ? b - 1 : static_cast<int>(layers.size()) - 1;
  const u64 len = node_length(s, g, g.root);
  // stream_run: nothing to stream when the device is the base's overlay.
  if (overlay_index > 0) {
    u64 n = 0;
    for (u64 off = 0; off < len; off += n) {
      n = std::min(kStreamChunk, len - off);
      // Allocated in the top: nothing to copy (bdrv_is_allocated, one call).
      LayerAnswer top = layer_status_call(s, g, g.root, off, n);
      n = top.status.pnum;
      if (top.status.flags & kAllocated) continue;
      // Copy what the backing .. base_overlay allocate (bdrv_is_allocated_above, include_base);
      // past the end of the backing chain: done. The chunk ends where a consulted layer's
      // answer ends: copy-on-read rounds each chunk to the top's clusters and tests each
      // piece for zeroes on its own.
      u64 m = 0;
      bool copy = allocated_above(s, g, layers, 1, overlay_index, off, n, &m) > 0;
      if (m == 0) {
        n = len - off;
        continue;
      }
      n = m;
      // stream_populate: a prefetch read through the copy-on-read filter (bottom =
      // base_overlay) copies the range into the top, rounded to its clusters; all-zero
      // pieces become write-zeroes without unmap (bdrv_co_do_copy_on_readv).
      if (copy) read_copy_on_read(s, g, off, n);
    }
  }
  // stream_prepare: the top's backing becomes the base (none without one), the header says so.
  const Image* base = b >= 0 ? &s.image(g.node(layers[b]).image) : nullptr;
  set_backing(s, ti, base);
  return std::nullopt;
}

// ------------------------------------------------------------------ block-commit

std::optional<OpError> block_commit_image(ModelState& s, const BlockCommitOptions& o) {
  int oi = s.find(o.overlay);
  if (oi < 0) return OpError{"Cannot find device='" + o.overlay + "' nor node-name='" + o.overlay + "'"};
  if (o.top == o.overlay) return active_commit_image(s, o);
  Graph g = open_image(s, o.overlay);
  std::vector<int> layers = cow_layers(g, g.root);
  // qmp_block_commit: top must be in the device's chain, base below top (default: the bottom).
  int t = layer_index(s, g, layers, o.top, 1);
  if (t < 0) return OpError{"Cannot find top image '" + o.top + "'"};
  int b = o.base ? layer_index(s, g, layers, *o.base, t + 1) : static_cast<int>(layers.size()) - 1;
  if (b < 0) return OpError{"'" + *o.base + "' is not in the backing chain below '" + o.top + "'"};
  if (b == t) return OpError{"cannot commit an image into itself"};
  Graph top = g;
  top.root = layers[t];
  const Image& base_img = s.image(g.node(layers[b]).image);
  const std::string base_name = base_img.name;
  const u64 len = node_length(s, g, top.root);
  // commit_run: a shorter base is grown to the top's length (blk_co_truncate, PREALLOC_MODE_OFF).
  if (node_length(s, g, layers[b]) < len) {
    if (base_img.format() != ImageFormat::Raw) return OpError{"block-commit into a shorter qcow2 base is not modelled"};
    if (auto err = truncate_file(s, base_name, len)) return err;
    g = open_image(s, o.overlay);
    top = g;
    top.root = layers[t];
  }
  Graph gb = open_image(s, base_name);
  u64 n = 0;
  for (u64 off = 0; off < len; off += n) {
    // commit_run: copy what top .. base_overlay allocate (bdrv_is_allocated_above,
    // include_base), read through the top's chain and written to the base as plain data
    // (blk_co_pwrite, no zero detection: zero clusters become zero-filled data).
    bool copy = allocated_above(s, g, layers, t, b - 1, off, std::min(kCommitBufferSize, len - off), &n) > 0;
    if (n == 0) break;
    if (copy) {
      for (const auto& r : content(s, top, top.root, off, n))
        if (auto err = apply(s, gb, {OpKind::Write, r.start, r.length, r.value, false})) return err;
    }
  }
  // commit_prepare -> bdrv_drop_intermediate: the parent of top now backs onto the base and
  // its header says so; top and the intermediates stay on disk unchanged.
  int parent = s.find(s.image(g.node(layers[t - 1]).image).name);
  set_backing(s, parent, &s.image(s.find(base_name)));
  return std::nullopt;
}

}  // namespace chaincheck::model
