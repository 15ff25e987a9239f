// The second NBD server of the campaign (the NbdkitBlocksize query): nbdkit's nbd
// plugin in front of a live qemu-nbd / qemu-storage-daemon export, behind its blocksize
// filter, observed like the export itself (base:allocation as sent, every byte read back).
#pragma once

#include <filesystem>
#include <string>

#include "model/scenario/observation.hpp"

namespace chaincheck::impl {

// minblock = 4096, or the export's own minimum block size when larger (what
// model::campaign_minblock predicts). Fills obs.nbdkit and obs.nbdkit_content; nbdkit is
// stopped and reaped before it returns, also when it throws.
void observe_through_nbdkit(const std::filesystem::path& socket, const std::string& export_name,
                            const std::filesystem::path& working_dir, model::Observation& obs);

}  // namespace chaincheck::impl
