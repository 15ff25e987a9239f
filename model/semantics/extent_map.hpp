// ExtentMap: a value for every byte of [0, size), stored as runs. The model is extent-based
// (never an array per cluster) so a 4 TiB sparse image costs memory per extent, not per byte.
#pragma once

#include <cassert>
#include <cstdint>
#include <algorithm>
#include <cstddef>
#include <vector>

namespace chaincheck::model {

using u64 = std::uint64_t;

template <class V>
struct Extent {
  u64 start = 0;
  u64 length = 0;
  V value{};
  u64 end() const { return start + length; }
  bool operator==(const Extent&) const = default;
};

template <class V>
class ExtentMap {
 public:
  ExtentMap() = default;
  ExtentMap(u64 size, const V& fill) : size_(size) {
    // Room for a few runs at once: most maps end with a handful, and growing one run at a
    // time reallocates twice on the way to four (each allocation is costly under ASan).
    runs_.reserve(4);
    if (size_ > 0) runs_.push_back({0, fill});
  }

  // Back to ExtentMap(size, fill), keeping the run storage (no allocation in hot loops).
  void reset(u64 size, const V& fill) {
    size_ = size;
    runs_.clear();
    cursor_ = 0;
    if (size_ > 0) runs_.push_back({0, fill});
  }

  u64 size() const { return size_; }
  std::size_t extent_count() const { return runs_.size(); }

  // The run containing `off` (off < size()).
  // Sequential scans (maps, status walks) hit the cached run or its successor, so a walk
  // over n extents costs O(n), not O(n log n) searches.
  Extent<V> at(u64 off) const {
    assert(off < size_);
    std::size_t i = runs_.size();
    for (std::size_t c = cursor_; c < cursor_ + 2 && c < runs_.size(); ++c) {
      if (runs_[c].start > off) break;
      if (c + 1 == runs_.size() || off < runs_[c + 1].start) {
        i = c;
        break;
      }
    }
    if (i == runs_.size()) i = index_of(off);
    cursor_ = i;
    return extent(i);
  }

  // Set [off, off+len) to v; equal neighbours merge so the map stays canonical.
  // The runs overlapping [off, off+len) are replaced in place by at most three (the kept
  // head of the first, the new run, the kept tail of the last): no rebuild, no allocation
  // unless the map grows past its capacity.
  void assign(u64 off, u64 len, const V& v) {
    assert(off + len <= size_);
    if (len == 0) return;
    u64 end = off + len;
    std::size_t a = index_of(off);
    std::size_t b = end == size_ ? runs_.size() - 1 : index_of(end - 1);
    std::size_t lo = a, hi = b + 1;
    Run rep[3];
    std::size_t k = 0;
    if (runs_[a].start < off) rep[k++] = runs_[a];
    bool merged_left = k ? rep[0].value == v : a > 0 && runs_[a - 1].value == v;
    if (!merged_left) rep[k++] = Run{off, v};
    bool tail = end < size_ && (hi == runs_.size() || runs_[hi].start != end);
    if (tail) {
      if (!(runs_[b].value == v)) rep[k++] = Run{end, runs_[b].value};
    } else if (hi < runs_.size() && runs_[hi].value == v) {
      ++hi;  // the run starting at `end` has the new value: it merges into ours
    }
    std::size_t old = hi - lo;
    if (k > old) runs_.insert(runs_.begin() + static_cast<std::ptrdiff_t>(hi), k - old, Run{});
    else if (k < old)
      runs_.erase(runs_.begin() + static_cast<std::ptrdiff_t>(lo + k),
                  runs_.begin() + static_cast<std::ptrdiff_t>(hi));
    for (std::size_t i = 0; i < k; ++i) runs_[lo + i] = rep[i];
  }

  // Grow (new bytes get `fill`) or shrink.
  void resize(u64 new_size, const V& fill) {
    if (new_size == size_) return;
    if (new_size < size_) {
      runs_.erase(runs_.begin() + static_cast<std::ptrdiff_t>(first_at_or_after(new_size)), runs_.end());
      size_ = new_size;
      return;
    }
    if (runs_.empty() || !(runs_.back().value == fill)) runs_.push_back({size_, fill});
    size_ = new_size;
  }

  // Calls f(Extent<V>) for each run clipped to [off, off+len) ∩ [0, size()).
  template <class F>
  void for_each(u64 off, u64 len, F&& f) const {
    if (off >= size_) return;
    u64 end = len > size_ - off ? size_ : off + len;
    for (std::size_t i = index_of(off); i < runs_.size() && runs_[i].start < end; ++i) {
      u64 run_end = i + 1 == runs_.size() ? size_ : runs_[i + 1].start;
      u64 s = runs_[i].start < off ? off : runs_[i].start;
      u64 e = run_end < end ? run_end : end;
      f(Extent<V>{s, e - s, runs_[i].value});
    }
  }

  std::vector<Extent<V>> extents(u64 off, u64 len) const {
    std::vector<Extent<V>> out;
    if (off < size_ && len > 0) {
      u64 end = len > size_ - off ? size_ : off + len;
      out.reserve(index_of(end - 1) - index_of(off) + 1);
    }
    for_each(off, len, [&](const Extent<V>& e) { out.push_back(e); });
    return out;
  }
  std::vector<Extent<V>> extents() const { return extents(0, size_); }

  bool operator==(const ExtentMap& o) const { return size_ == o.size_ && runs_ == o.runs_; }

 private:
  // Runs sorted by start, the first at 0, each to the next's start (the last to size_);
  // a flat vector: the maps are small and rewritten often, and a tree costs one heap
  // node per run (dominant under ASan in the fuzzers).
  struct Run {
    u64 start = 0;
    V value{};
    bool operator==(const Run&) const = default;
  };

  Extent<V> extent(std::size_t i) const {
    u64 end = i + 1 == runs_.size() ? size_ : runs_[i + 1].start;
    return {runs_[i].start, end - runs_[i].start, runs_[i].value};
  }
  // Index of the first run starting at or after `off`.
  std::size_t first_at_or_after(u64 off) const {
    auto it = std::lower_bound(runs_.begin(), runs_.end(), off,
                               [](const Run& r, u64 o) { return r.start < o; });
    return static_cast<std::size_t>(it - runs_.begin());
  }
  // Index of the run containing `off` (off < size_).
  std::size_t index_of(u64 off) const {
    auto it = std::upper_bound(runs_.begin(), runs_.end(), off,
                               [](u64 o, const Run& r) { return o < r.start; });
    return static_cast<std::size_t>(it - runs_.begin()) - 1;
  }

  u64 size_ = 0;
  std::vector<Run> runs_;
  // A hint only (checked before use), so copies and moves need not reset it.
  // Not thread-safe: one ModelState per thread (campaign workers each own theirs).
  mutable std::size_t cursor_ = 0;
};

}  // namespace chaincheck::model
