// Fuzz target 4: the transcript parser of chaincheck repro on arbitrary text. It may only
// ever refuse with a TranscriptError naming a line inside the text.
#include <cstdlib>
#include <string>

#include "impl/transcript/transcript.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  int lines = 1;
  for (char c : text) lines += c == '\n';
  try {
    auto cmds = chaincheck::impl::parse_transcript(text);
    for (const auto& c : cmds)
      if (c.line < 1 || c.line > lines || c.argv.empty()) std::abort();
  } catch (const chaincheck::impl::TranscriptError& e) {
    if (e.line() < 1 || e.line() > lines) std::abort();
  }
  return 0;
}
