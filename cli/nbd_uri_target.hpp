// nbd-check's export over libnbd (impl/nbd NbdClient): any URI libnbd accepts.
#pragma once

#include <string>

#include "oracle/conformance/export_target.hpp"

namespace chaincheck::cli {

class NbdUriTarget : public oracle::conformance::ExportTarget {
 public:
  explicit NbdUriTarget(std::string uri) : uri_(std::move(uri)) {}
  // Listing and the session share one connection (opt mode): nbd-server -d serves one
  // session only. Throws impl::ToolError (a runtime_error) when it cannot connect.
  oracle::conformance::OpenedSession open(const oracle::conformance::SessionRequest& request) override;

 private:
  std::string uri_;
};

}  // namespace chaincheck::cli
