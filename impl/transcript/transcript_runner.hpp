// Runs a transcript's commands for real, in a private workspace, without a shell.
// qemu-nbd always listens on a unix socket in that workspace: -k is rewritten into it, a
// server without -k gets one, and nbd://localhost or nbd+unix URIs map to that server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "impl/transcript/transcript.hpp"
#include "model/scenario/observation.hpp"

namespace chaincheck::impl {

struct IoCommandOutcome {
  std::string error;  // empty when it succeeded
  std::optional<std::vector<model::IoMapLine>> map;
  std::optional<model::IoAlloc> alloc;
};

struct CommandOutcome {
  int line = 0;
  std::string error;                 // the command failed (its message)
  std::vector<std::string> output;   // what the real tool printed (noise filtered)
  std::optional<std::vector<model::MapEntry>> img_map;   // qemu-img map (always JSON-parsed)
  std::vector<IoCommandOutcome> io;                      // qemu-io, one per -c
  std::optional<model::NbdObservation> nbd;              // nbdinfo --map: raw replies
  std::optional<std::vector<model::Extent<std::uint8_t>>> content;  // nbdinfo: the export read back
  int server = -1;                   // nbdinfo: index of the qemu-nbd command it talked to
  std::string server_crash;          // nbdinfo or QMP: the server died during this command (its last words)
};

struct TranscriptRun {
  std::vector<CommandOutcome> outcomes;  // one per command
  std::map<std::string, std::string> versions;
};

// Throws TranscriptError for a URI that names no server started before it (the line is
// named), ToolError when a server fails to start.
TranscriptRun run_transcript(const std::vector<TranscriptCommand>& commands);

}  // namespace chaincheck::impl
