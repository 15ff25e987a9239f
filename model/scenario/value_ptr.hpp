// A pointer that owns its object by value: copying the pointer copies the object. Used for
// recursive value types (GraphSpec's child), so that a copy of a scenario is independent of
// the original — the minimiser edits candidates in place, and a shared child once leaked
// an edit back into the scenario a finding was recorded with.
#pragma once

#include <cstddef>
#include <memory>

namespace chaincheck::model {

template <class T>
class ValuePtr {
 public:
  ValuePtr() = default;
  ValuePtr(std::nullptr_t) {}
  // Takes a copy of *p: existing code builds children with std::make_shared.
  ValuePtr(const std::shared_ptr<T>& p) : p_(p ? std::make_unique<T>(*p) : nullptr) {}
  ValuePtr(const ValuePtr& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  ValuePtr(ValuePtr&&) noexcept = default;
  ValuePtr& operator=(const ValuePtr& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  ValuePtr& operator=(ValuePtr&&) noexcept = default;
  ValuePtr& operator=(const std::shared_ptr<T>& p) { return *this = ValuePtr(p); }
  ValuePtr& operator=(std::nullptr_t) {
    p_.reset();
    return *this;
  }
  ~ValuePtr() = default;

  T* get() const { return p_.get(); }
  T& operator*() const { return *p_; }
  T* operator->() const { return p_.get(); }
  explicit operator bool() const { return p_ != nullptr; }
  void reset() { p_.reset(); }

 private:
  std::unique_ptr<T> p_;
};

}  // namespace chaincheck::model
