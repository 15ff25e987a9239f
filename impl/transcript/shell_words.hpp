// Shell-style word splitting for bug-report transcripts (no expansion except $((...))):
// single and double quotes, backslash escapes, a trailing '&'.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chaincheck::impl {

class TranscriptError : public std::invalid_argument {
 public:
  TranscriptError(int line, const std::string& what)
      : std::invalid_argument("line " + std::to_string(line) + ": " + what), line_(line) {}
  int line() const { return line_; }

 private:
  int line_;
};

struct Words {
  std::vector<std::string> words;
  bool background = false;  // ended with '&'
};

// Split one command line. Throws TranscriptError on an unterminated quote or shell syntax
// chaincheck does not run (pipes, redirections, ';', '&&', backquotes, $VAR).
Words split_words(const std::string& text, int line);

// $((expr)) with + - * / % and parentheses over integers; nullopt if not arithmetic.
std::optional<std::uint64_t> shell_arithmetic(const std::string& word);

// QEMU's option list (keyval.c, QemuOpts): comma-separated, ",," a literal comma.
std::vector<std::string> split_option_list(const std::string& text);

// A size as written in a transcript: 65536, 64k, 1M, $((4*64*1024)).
std::optional<std::uint64_t> transcript_size(const std::string& word);

}  // namespace chaincheck::impl
