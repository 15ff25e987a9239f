// What each filter node changes and what it leaves transparent, beyond block status (which
// every filter passes through: model/semantics/chain.cpp, QEMU's BDRV_BLOCK_RAW / is_filter):
//
// | filter       | over a node (GraphSpec filter)           | over a file node (file_filters)      |
// |--------------|------------------------------------------|--------------------------------------|
// | blkdebug     | request alignment `align`: extents and   | the file node's alignment only: a    |
// |              | reads rounded (seed 002, KF-001)         | format node does not inherit request_alignment (bdrv_merge_limits) |
// | raw window   | shifts offsets, clips the length         | (not modelled: images inside a file) |
// | copy-on-read | a read copies what its image child does  | (nothing to copy)                    |
// |              | not allocate into it (below)             |                                      |
// | throttle     | transparent                              | transparent                          |
// | preallocate  | transparent for guest-visible status     | transparent (preallocate_getlength = data end) |
// | compress     | writes compressed; alignment = cluster   | (refused: needs a format child)      |
//
// Copy-on-read changes allocation: reading through it allocates in the overlay. Status
// queries asked before a read see the old state; what is on disk afterwards (the layout
// the inspector reads) is the state after the reads. read_through() replays a guest read.
#pragma once

#include "model/semantics/graph.hpp"

namespace chaincheck::model {

bool has_copy_on_read(const Graph& g);

// A guest read of [offset, offset+length) at the root of `g`, as QEMU issues it down the
// graph: raw windows shift it, blkdebug pads it to its alignment, a copy-on-read node
// (no `bottom`) flags it BDRV_REQ_COPY_ON_READ for its child (cor_co_preadv_part), and the
// image node it reaches copies every piece it does not allocate itself
// (bdrv_co_do_copy_on_readv): rounded to its clusters, piece by piece as bdrv_is_allocated
// reports them; an all-zero piece is written as write-zeroes without unmap, any other as
// data (BDRV_REQ_WRITE_UNCHANGED). Reads of unallocated pieces go on into the backing.
void read_through(ModelState& s, const Graph& g, u64 offset, u64 length);
// The same read flagged BDRV_REQ_COPY_ON_READ from the root down (what block-stream's
// copy-on-read filter passes to the top image for a range it must populate).
void read_copy_on_read(ModelState& s, const Graph& g, u64 offset, u64 length);

// The NBD client reads the whole export in `chunk`-sized requests (impl read_runs: 1 MiB).
// With structured replies QEMU's server reads only what the export's block status does not
// call ZERO, piece by piece (nbd_co_send_sparse_read); ZERO pieces go out as holes unread,
// so copy-on-read never copies them.
void read_export(ModelState& s, const Graph& g, u64 chunk = u64{1} << 20);

}  // namespace chaincheck::model
