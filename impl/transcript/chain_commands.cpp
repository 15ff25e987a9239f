#include "impl/transcript/chain_commands.hpp"

#include <map>

#include "impl/transcript/shell_words.hpp"

namespace chaincheck::impl {

using namespace chaincheck::model;

namespace {

struct Args {
  std::map<std::string, std::string> values;  // last value of each option
  std::vector<std::string> positional;
  bool has(const std::string& k) const { return values.count(k) > 0; }
};

// nullopt on an option outside `with_value` / `flags`.
std::optional<Args> split(const std::vector<std::string>& argv, const std::vector<std::string>& with_value,
                          const std::vector<std::string>& flags, int line, const std::string& prog) {
  Args a;
  auto in = [](const std::vector<std::string>& v, const std::string& k) {
    for (const auto& x : v)
      if (x == k) return true;
    return false;
  };
  for (std::size_t i = 2; i < argv.size(); ++i) {
    const std::string& w = argv[i];
    if (w.size() > 1 && w[0] == '-') {
      if (in(with_value, w)) {
        if (i + 1 >= argv.size()) throw TranscriptError(line, prog + ": option " + w + " needs a value");
        a.values[w] = argv[++i];
      } else if (in(flags, w)) {
        a.values[w] = "";
      } else {
        return std::nullopt;
      }
    } else {
      a.positional.push_back(w);
    }
  }
  return a;
}

std::optional<ImageFormat> format(const std::string& f) {
  if (f == "raw") return ImageFormat::Raw;
  if (f == "qcow2") return ImageFormat::Qcow2;
  return std::nullopt;
}

}  // namespace

std::optional<QemuImgChainOp> parse_chain_op(const std::vector<std::string>& argv, int line) {
  const std::string sub = argv.size() > 1 ? argv[1] : "";
  const std::string prog = "qemu-img " + sub;
  if (sub == "commit") {
    auto a = split(argv, {"-f", "-b"}, {"-q", "-d", "-p"}, line, prog);
    if (!a) return std::nullopt;
    if (a->positional.size() != 1) throw TranscriptError(line, prog + " needs exactly one image");
    CommitOptions o;
    o.top = a->positional[0];
    if (a->has("-b")) o.base = a->values["-b"];
    o.drop = a->has("-d");
    return QemuImgChainOp{sub, CommitStep{o}};
  }
  if (sub == "rebase") {
    auto a = split(argv, {"-f", "-b", "-F"}, {"-q", "-u", "-p"}, line, prog);
    if (!a) return std::nullopt;
    if (a->positional.size() != 1) throw TranscriptError(line, prog + " needs exactly one image");
    if (!a->has("-b")) return std::nullopt;  // qemu-img refuses it; run it for its message
    RebaseOptions o;
    o.image = a->positional[0];
    o.backing = a->values["-b"];
    o.unsafe = a->has("-u");
    if (a->has("-F")) {
      o.backing_format = format(a->values["-F"]);
      if (!o.backing_format) return std::nullopt;
    }
    return QemuImgChainOp{sub, RebaseStep{o}};
  }
  if (sub == "convert") {
    auto a = split(argv, {"-f", "-O", "-B", "-F", "-o"}, {"-q", "-n", "-p", "--target-is-zero", "--bitmaps"}, line, prog);
    if (!a || a->positional.size() != 2) return std::nullopt;  // several sources: not modelled
    ConvertOptions o;
    o.source = a->positional[0];
    o.target = a->positional[1];
    auto f = format(a->has("-O") ? a->values["-O"] : "raw");
    if (!f) return std::nullopt;
    o.target_format = *f;
    if (a->has("-o")) {
      const std::string& opt = a->values["-o"];
      const std::string key = "cluster_size=";
      if (opt.rfind(key, 0) != 0 || opt.find(',') != std::string::npos) return std::nullopt;
      auto n = transcript_size(opt.substr(key.size()));
      bool ok = false;
      for (unsigned b = 9; n && b <= 21; ++b)
        if (*n == (std::uint64_t{1} << b)) o.cluster_bits = b, ok = true;
      if (!ok) return std::nullopt;
    }
    if (a->has("-B")) o.backing = a->values["-B"];
    if (a->has("-F")) {
      o.backing_format = format(a->values["-F"]);
      if (!o.backing_format) return std::nullopt;
    }
    o.existing = a->has("-n");
    o.target_is_zero = a->has("--target-is-zero");
    o.bitmaps = a->has("--bitmaps");
    return QemuImgChainOp{sub, ConvertStep{o}};
  }
  return std::nullopt;
}

}  // namespace chaincheck::impl
