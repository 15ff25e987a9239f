// What chain operations, block jobs and filters do to the persistent dirty bitmaps of each
// layer, beyond "a write into a node marks its enabled bitmaps" (model/semantics/bitmaps.hpp,
// bdrv_co_write_req_finish). Each rule names its QEMU 7.2 source:
//
// - copy-on-read (the filter, and block-stream, which reads through one): the copy is
//   written with bdrv_driver_pwritev / bdrv_co_do_pwrite_zeroes straight from
//   bdrv_co_do_copy_on_readv, never through bdrv_aligned_pwritev, so
//   bdrv_co_write_req_finish never runs and no bitmap is marked (the guest-visible bytes do
//   not change: BDRV_REQ_WRITE_UNCHANGED). -> UnmarkedWrites.
// - qemu-img commit: the mirror job writes, zeroes and discards into the base through its
//   BlockBackend (mirror_co_read/zero/discard -> blk_co_*), marking the base's enabled
//   bitmaps; the top is then emptied by bdrv_make_empty -> qcow2_make_empty, a driver call
//   (qcow2_cluster_discard, full discard) that marks nothing and keeps the top's bitmaps
//   (with bitmaps present make_completely_empty is not used: s->nb_bitmaps).
// - qemu-img rebase (safe): the differing sectors are written with blk_pwrite /
//   blk_pwrite_zeroes into the image (img_rebase): its enabled bitmaps are marked. -u only
//   rewrites the header (bdrv_change_backing_file): nothing marked.
// - qemu-img convert: the target's writes go through blk_co_pwrite / blk_co_pwrite_zeroes
//   (convert_co_write): an existing target's (-n) enabled bitmaps are marked; ranges a
//   zero-initialised target skips mark nothing. Without --bitmaps no bitmap is copied.
//   With --bitmaps, after the copy (img_convert -> convert_copy_bitmaps), every persistent
//   bitmap of the source's top node (FOR_EACH_DIRTY_BITMAP(blk_bs(s.src[0])), not its
//   backing) is added to the target with its granularity and its disabled state, then
//   merged in: the target's bitmap equals the source's. -> copy_bitmaps_for_convert.
// - block-stream: copy-on-read into the top (stream_populate): nothing marked.
// - block-commit: commit_run writes into the base with blk_co_pwrite: the base's enabled
//   bitmaps are marked; bdrv_drop_intermediate rewrites a header only.
#pragma once

#include <optional>
#include <vector>

#include "model/semantics/operations.hpp"

namespace chaincheck::model {

// While alive, writes into image `image` leave its bitmaps as they were (a
// BDRV_REQ_WRITE_UNCHANGED copy that bypasses bdrv_co_write_req_finish).
class UnmarkedWrites {
 public:
  UnmarkedWrites(ModelState& s, int image);
  ~UnmarkedWrites();
  UnmarkedWrites(const UnmarkedWrites&) = delete;
  UnmarkedWrites& operator=(const UnmarkedWrites&) = delete;

 private:
  ModelState& s_;
  int image_;
  std::vector<DirtyBitmap> saved_;
};

// qemu-img convert's checks before anything is created (img_convert ->
// convert_check_bitmaps): the source's top must be able to hold bitmaps (qcow2).
std::optional<OpError> check_convert_bitmaps(const ModelState& s, const std::string& source);
// After the copy: the target must support them (img_convert: "Format driver 'raw' does not
// support bitmaps", checked once the target is open, before copying), then
// convert_copy_bitmaps adds and merges each of the source's bitmaps.
std::optional<OpError> check_convert_target_bitmaps(const ModelState& s, const std::string& target);
std::optional<OpError> copy_bitmaps_for_convert(ModelState& s, const std::string& source, const std::string& target);

}  // namespace chaincheck::model
