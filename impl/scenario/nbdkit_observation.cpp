#include "impl/scenario/nbdkit_observation.hpp"

#include <algorithm>

#include <libnbd.h>

#include "impl/nbd/nbd_client.hpp"
#include "impl/scenario/nbd_observation.hpp"
#include "impl/servers/nbdkit_server.hpp"

namespace chaincheck::impl {

void observe_through_nbdkit(const std::filesystem::path& socket, const std::string& export_name,
                            const std::filesystem::path& working_dir, model::Observation& obs) {
  // The export's own minimum, as the nbd plugin's libnbd will see it (it asks for block sizes).
  std::uint64_t minblock = 4096;
  {
    NbdClient probe;
    if (!export_name.empty()) probe.set_export_name(export_name);
    probe.set_request_block_size(true);
    probe.connect_unix(socket);
    minblock = std::max<std::uint64_t>(minblock, probe.block_sizes().minimum);
    probe.disconnect();
  }
  NbdkitOptions o = NbdkitOptions::nbd(socket, export_name).filter("blocksize").param("minblock", std::to_string(minblock));
  o.read_only = true;
  o.working_dir = working_dir;
  NbdkitServer nbdkit(o);
  NbdClient client;
  client.request_meta_context("base:allocation");
  client.set_strict_mode(client.strict_mode() & ~static_cast<uint32_t>(LIBNBD_STRICT_ALIGN));
  client.connect_unix(nbdkit.socket());
  model::NbdObservation nbd = observe_block_status(client);
  obs.nbdkit_content = read_runs(client, nbd.export_size);
  obs.nbdkit = std::move(nbd);
  client.disconnect();
  nbdkit.stop();
}

}  // namespace chaincheck::impl
