#include "impl/transcript/shell_words.hpp"

#include <cctype>
#include <cstdint>

#include "model/scenario/sizes.hpp"

namespace chaincheck::impl {

Words split_words(const std::string& text, int line) {
  Words out;
  std::string cur;
  bool in_word = false;
  std::size_t i = 0;
  auto flush = [&] {
    if (in_word) out.words.push_back(cur);
    cur.clear();
    in_word = false;
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t') {
      flush();
      ++i;
    } else if (c == '\'') {
      auto end = text.find('\'', i + 1);
      if (end == std::string::npos) throw TranscriptError(line, "unterminated single quote");
      cur += text.substr(i + 1, end - i - 1);
      in_word = true;
      i = end + 1;
    } else if (c == '"') {
      ++i;
      in_word = true;
      bool closed = false;
      while (i < text.size()) {
        char d = text[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < text.size() && std::string("\"\\$`").find(text[i + 1]) != std::string::npos) {
          cur += text[i + 1];
          i += 2;
          continue;
        }
        if (d == '`' || (d == '$' && i + 1 < text.size() && text[i + 1] != '(' ))
          throw TranscriptError(line, "shell expansion inside double quotes is not supported");
        cur += d;
        ++i;
      }
      if (!closed) throw TranscriptError(line, "unterminated double quote");
    } else if (c == '\\') {
      if (i + 1 < text.size()) cur += text[i + 1];
      in_word = true;
      i += 2;
    } else if (c == '&') {
      if (i + 1 < text.size() && text[i + 1] == '&') throw TranscriptError(line, "'&&' is not supported: one command per line");
      flush();
      std::string rest = text.substr(i + 1);
      if (rest.find_first_not_of(" \t") != std::string::npos)
        throw TranscriptError(line, "'&' must end the line");
      out.background = true;
      break;
    } else if (c == '|' || c == ';' || c == '<' || c == '>' || c == '`') {
      throw TranscriptError(line, std::string("shell syntax '") + c + "' is not supported: chaincheck runs no shell");
    } else if (c == '$') {
      if (text.compare(i, 3, "$((") == 0) {
        int depth = 0;
        std::size_t j = i + 1;
        for (; j < text.size(); ++j) {
          if (text[j] == '(') ++depth;
          if (text[j] == ')' && --depth == 0) break;
        }
        if (j >= text.size()) throw TranscriptError(line, "unterminated $((...))");
        cur += text.substr(i, j - i + 1);
        in_word = true;
        i = j + 1;
      } else {
        throw TranscriptError(line, "shell variables are not supported");
      }
    } else {
      cur += c;
      in_word = true;
      ++i;
    }
  }
  flush();
  return out;
}

namespace {

// Integer arithmetic that stops at the first overflow (checked with the compiler builtins).
struct Arith {
  const std::string& s;
  std::size_t i = 0;
  bool ok = true;
  int depth = 0;
  void ws() {
    while (i < s.size() && s[i] == ' ') ++i;
  }
  std::int64_t primary() {
    ws();
    if (!ok || ++depth > 64) {
      ok = false;
      return 0;
    }
    std::int64_t v = 0;
    if (i < s.size() && s[i] == '(') {
      ++i;
      v = expr();
      ws();
      if (i >= s.size() || s[i] != ')') ok = false;
      ++i;
    } else if (i < s.size() && s[i] == '-') {
      ++i;
      std::int64_t x = primary();
      if (__builtin_sub_overflow(std::int64_t{0}, x, &v)) ok = false;
    } else {
      bool any = false;
      while (ok && i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i++] - '0', &v)) ok = false;
        any = true;
      }
      if (!any) ok = false;
    }
    --depth;
    return ok ? v : 0;
  }
  std::int64_t term() {
    std::int64_t v = primary();
    while (ok) {
      ws();
      if (i >= s.size() || (s[i] != '*' && s[i] != '/' && s[i] != '%')) return v;
      char op = s[i++];
      std::int64_t r = primary();
      if (!ok) return 0;
      if (op == '*') {
        if (__builtin_mul_overflow(v, r, &v)) ok = false;
      } else if (r == 0 || (r == -1 && v == INT64_MIN)) {
        ok = false;
      } else {
        v = op == '/' ? v / r : v % r;
      }
    }
    return 0;
  }
  std::int64_t expr() {
    std::int64_t v = term();
    while (ok) {
      ws();
      if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return v;
      char op = s[i++];
      std::int64_t r = term();
      if (!ok) return 0;
      if (op == '+' ? __builtin_add_overflow(v, r, &v) : __builtin_sub_overflow(v, r, &v)) ok = false;
    }
    return 0;
  }
};

}  // namespace

std::optional<std::uint64_t> shell_arithmetic(const std::string& word) {
  if (word.size() < 5 || word.compare(0, 3, "$((") != 0 || word.compare(word.size() - 2, 2, "))") != 0)
    return std::nullopt;
  std::string inner = word.substr(3, word.size() - 5);
  Arith a{inner};
  std::int64_t v = a.expr();
  a.ws();
  if (!a.ok || a.i != inner.size() || v < 0) return std::nullopt;
  return static_cast<std::uint64_t>(v);
}

std::optional<std::uint64_t> transcript_size(const std::string& word) {
  if (auto v = shell_arithmetic(word)) return v;
  return model::parse_size(word);
}

std::vector<std::string> split_option_list(const std::string& text) {
  std::vector<std::string> parts;
  std::string cur;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ',' && i + 1 < text.size() && text[i + 1] == ',') {
      cur += ',';
      ++i;
    } else if (text[i] == ',') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += text[i];
    }
  }
  parts.push_back(cur);
  return parts;
}

}  // namespace chaincheck::impl
