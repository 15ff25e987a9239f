// ExtentMap: a value for every byte of [0, size), stored as runs. The model is extent-based
// (never an array per cluster) so a 4 TiB sparse image costs memory per extent, not per byte.
#pragma once

#include <cassert>
#include <cstdint>
#include <iterator>
#include <map>
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
    if (size_ > 0) runs_.emplace(0, fill);
  }

  u64 size() const { return size_; }
  std::size_t extent_count() const { return runs_.size(); }

  // The run containing `off` (off < size()).
  // Sequential scans (maps, status walks) hit the cached run or its successor, so a walk
  // over n extents costs O(n), not O(n log n) cache-missing tree searches.
  Extent<V> at(u64 off) const {
    assert(off < size_);
    auto it = runs_.end();
    if (cursor_valid_) {
      auto c = cursor_;
      if (c->first <= off) {
        for (int step = 0; step < 2 && c != runs_.end(); ++step, ++c) {
          auto n = std::next(c);
          if (n == runs_.end() || off < n->first) {
            it = c;
            break;
          }
        }
      }
    }
    if (it == runs_.end()) it = std::prev(runs_.upper_bound(off));
    cursor_ = it;
    cursor_valid_ = true;
    auto next = std::next(it);
    u64 end = next == runs_.end() ? size_ : next->first;
    return {it->first, end - it->first, it->second};
  }

  // Set [off, off+len) to v; equal neighbours merge so the map stays canonical.
  void assign(u64 off, u64 len, const V& v) {
    assert(off + len <= size_);
    cursor_valid_ = false;
    if (len == 0) return;
    u64 end = off + len;
    split_at(off);
    split_at(end);
    auto first = runs_.find(off);
    auto last = end == size_ ? runs_.end() : runs_.find(end);
    runs_.erase(first, last);
    auto it = runs_.emplace(off, v).first;
    coalesce(it);
  }

  // Grow (new bytes get `fill`) or shrink.
  void resize(u64 new_size, const V& fill) {
    if (new_size == size_) return;
    cursor_valid_ = false;
    if (new_size < size_) {
      runs_.erase(runs_.lower_bound(new_size), runs_.end());
      size_ = new_size;
      return;
    }
    u64 old = size_;
    size_ = new_size;
    auto it = runs_.emplace(old, fill).first;
    coalesce(it);
  }

  // Calls f(Extent<V>) for each run clipped to [off, off+len) ∩ [0, size()).
  template <class F>
  void for_each(u64 off, u64 len, F&& f) const {
    if (off >= size_) return;
    u64 end = len > size_ - off ? size_ : off + len;
    auto it = std::prev(runs_.upper_bound(off));
    while (it != runs_.end() && it->first < end) {
      auto next = std::next(it);
      u64 run_end = next == runs_.end() ? size_ : next->first;
      u64 s = it->first < off ? off : it->first;
      u64 e = run_end < end ? run_end : end;
      f(Extent<V>{s, e - s, it->second});
      it = next;
    }
  }

  std::vector<Extent<V>> extents(u64 off, u64 len) const {
    std::vector<Extent<V>> out;
    for_each(off, len, [&](const Extent<V>& e) { out.push_back(e); });
    return out;
  }
  std::vector<Extent<V>> extents() const { return extents(0, size_); }

  bool operator==(const ExtentMap& o) const { return size_ == o.size_ && runs_ == o.runs_; }

  ExtentMap(const ExtentMap& o) : size_(o.size_), runs_(o.runs_) {}
  ExtentMap& operator=(const ExtentMap& o) {
    size_ = o.size_;
    runs_ = o.runs_;
    cursor_valid_ = false;
    return *this;
  }
  ExtentMap(ExtentMap&& o) noexcept : size_(o.size_), runs_(std::move(o.runs_)) { o.cursor_valid_ = false; }
  ExtentMap& operator=(ExtentMap&& o) noexcept {
    size_ = o.size_;
    runs_ = std::move(o.runs_);
    cursor_valid_ = false;
    o.cursor_valid_ = false;
    return *this;
  }

 private:
  // Make a run start exactly at `off` (no-op at 0, at size or on an existing boundary).
  void split_at(u64 off) {
    if (off == 0 || off >= size_) return;
    auto it = std::prev(runs_.upper_bound(off));
    if (it->first == off) return;
    runs_.emplace_hint(std::next(it), off, it->second);
  }

  void coalesce(typename std::map<u64, V>::iterator it) {
    auto next = std::next(it);
    if (next != runs_.end() && next->second == it->second) runs_.erase(next);
    if (it != runs_.begin()) {
      auto prev = std::prev(it);
      if (prev->second == it->second) runs_.erase(it);
    }
  }

  u64 size_ = 0;
  std::map<u64, V> runs_;
  // Not thread-safe: one ModelState per thread (campaign workers each own theirs).
  mutable typename std::map<u64, V>::const_iterator cursor_{};
  mutable bool cursor_valid_ = false;
};

}  // namespace chaincheck::model
