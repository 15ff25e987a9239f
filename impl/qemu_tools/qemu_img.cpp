#include "impl/qemu_tools/qemu_img.hpp"

#include <algorithm>

namespace chaincheck::impl {
namespace {

bool one_of(const std::string& v, std::initializer_list<const char*> allowed) {
  return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return v == a; });
}

void append(std::vector<std::string>& to, const std::vector<std::string>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

void require_format(const std::string& format, const std::string& what) {
  if (!one_of(format, {"raw", "qcow2"}))
    throw ToolError(what + ": format must be raw or qcow2, got '" + format + "'");
}

}  // namespace

QemuImg::QemuImg(std::filesystem::path workdir, std::chrono::milliseconds timeout)
    : workdir_(std::move(workdir)), timeout_(timeout) {}

RunResult QemuImg::run(const std::vector<std::string>& argv) const {
  RunOptions opts;
  opts.cwd = workdir_;
  opts.timeout = timeout_;
  return run_checked(argv, opts);
}

std::vector<std::string> QemuImg::create_argv(const std::string& filename, const CreateOptions& o) {
  const std::string what = "qemu-img create " + filename;
  require_format(o.format, what);
  const bool qcow2 = o.format == "qcow2";
  if (!qcow2 && (o.cluster_size || o.extended_l2 || o.compat || o.backing_file))
    throw ToolError(what + ": cluster_size, extended_l2, compat and backing files need qcow2");
  if (!o.size && !o.backing_file) throw ToolError(what + ": a size is needed when there is no backing file");
  if (o.backing_format && !o.backing_file) throw ToolError(what + ": a backing format without a backing file");
  if (o.compat && !one_of(*o.compat, {"0.10", "1.1"}))
    throw ToolError(what + ": compat must be 0.10 or 1.1, got '" + *o.compat + "'");
  if (o.preallocation && !one_of(*o.preallocation, {"off", "metadata", "falloc", "full"}))
    throw ToolError(what + ": preallocation must be off, metadata, falloc or full");

  std::vector<std::string> argv = {"qemu-img", "create", "-q", "-f", o.format};
  if (o.backing_file) {
    argv.push_back("-b");
    argv.push_back(*o.backing_file);
    if (o.backing_format) {
      argv.push_back("-F");
      argv.push_back(*o.backing_format);
    }
  }
  if (o.unsafe_backing) argv.push_back("-u");
  std::vector<std::string> opts;
  if (o.cluster_size) opts.push_back("cluster_size=" + std::to_string(*o.cluster_size));
  if (o.extended_l2) opts.push_back(std::string("extended_l2=") + (*o.extended_l2 ? "on" : "off"));
  if (o.compat) opts.push_back("compat=" + *o.compat);
  if (o.preallocation) opts.push_back("preallocation=" + *o.preallocation);
  if (!opts.empty()) {
    std::string joined;
    for (const auto& s : opts) joined += (joined.empty() ? "" : ",") + s;
    argv.push_back("-o");
    argv.push_back(joined);
  }
  argv.push_back(filename);
  if (o.size) argv.push_back(std::to_string(*o.size));
  return argv;
}

void QemuImg::create(const std::string& filename, const CreateOptions& options) const {
  run(create_argv(filename, options));
}

std::vector<std::string> QemuImg::map_argv(const ImageRef& image, const MapRange& range, bool force_share) {
  std::vector<std::string> argv = {"qemu-img", "map", "--output=json"};
  append(argv, image.option_args());
  if (range.start_offset) argv.push_back("--start-offset=" + std::to_string(*range.start_offset));
  if (range.max_length) argv.push_back("--max-length=" + std::to_string(*range.max_length));
  if (force_share) argv.push_back("-U");
  argv.push_back(image.positional());
  return argv;
}

std::string QemuImg::map_text(const ImageRef& image, const MapRange& range, bool force_share) const {
  return run(map_argv(image, range, force_share)).out;
}

std::vector<MapEntry> QemuImg::map(const ImageRef& image, const MapRange& range, bool force_share) const {
  return parse_map_json(map_text(image, range, force_share));
}

namespace {
std::vector<std::string> info_argv(const ImageRef& image, bool chain, bool force_share) {
  std::vector<std::string> argv = {"qemu-img", "info", "--output=json"};
  append(argv, image.option_args());
  if (chain) argv.push_back("--backing-chain");
  if (force_share) argv.push_back("-U");
  argv.push_back(image.positional());
  return argv;
}
}  // namespace

ImageInfo QemuImg::info(const ImageRef& image, bool force_share) const {
  return parse_info_json(run(info_argv(image, false, force_share)).out);
}

std::vector<ImageInfo> QemuImg::info_chain(const ImageRef& image, bool force_share) const {
  return parse_info_chain_json(run(info_argv(image, true, force_share)).out);
}

CheckResult QemuImg::check(const ImageRef& image, bool force_share) const {
  std::vector<std::string> argv = {"qemu-img", "check", "--output=json"};
  append(argv, image.option_args());
  if (force_share) argv.push_back("-U");
  argv.push_back(image.positional());
  RunOptions opts;
  opts.cwd = workdir_;
  opts.timeout = timeout_;
  RunResult r = run_program(argv, opts);
  if (r.timed_out || r.term_signal != 0 || (r.exit_code != 0 && r.exit_code != 2 && r.exit_code != 3))
    throw ToolError(r.describe());
  return {r.exit_code, r.out};
}

void QemuImg::commit(const std::string& filename, const CommitOptions& o) const {
  require_format(o.format, "qemu-img commit " + filename);
  std::vector<std::string> argv = {"qemu-img", "commit", "-q", "-f", o.format};
  if (o.base) {
    argv.push_back("-b");
    argv.push_back(*o.base);
  }
  if (o.drop) argv.push_back("-d");
  argv.push_back(filename);
  run(argv);
}

void QemuImg::rebase(const std::string& filename, const RebaseOptions& o) const {
  require_format(o.format, "qemu-img rebase " + filename);
  std::vector<std::string> argv = {"qemu-img", "rebase", "-q", "-f", o.format};
  if (o.unsafe) argv.push_back("-u");
  argv.push_back("-b");
  argv.push_back(o.backing_file);
  if (o.backing_format) {
    argv.push_back("-F");
    argv.push_back(*o.backing_format);
  }
  argv.push_back(filename);
  run(argv);
}

void QemuImg::convert(const ImageRef& source, const std::string& target, const ConvertOptions& o) const {
  const std::string what = "qemu-img convert to " + target;
  require_format(o.target_format, what);
  if (o.target_is_zero && !o.existing_target) throw ToolError(what + ": --target-is-zero needs -n");
  if (o.backing_format && !o.backing_file) throw ToolError(what + ": -F needs -B");
  ImageRef src = source;
  if (src.kind == ImageRef::Kind::File && !o.source_format.empty()) src.format = o.source_format;
  std::vector<std::string> argv = {"qemu-img", "convert", "-q"};
  append(argv, src.option_args());
  argv.push_back("-O");
  argv.push_back(o.target_format);
  if (o.backing_file) {
    argv.push_back("-B");
    argv.push_back(*o.backing_file);
    if (o.backing_format) {
      argv.push_back("-F");
      argv.push_back(*o.backing_format);
    }
  }
  if (o.cluster_size) {
    argv.push_back("-o");
    argv.push_back("cluster_size=" + std::to_string(*o.cluster_size));
  }
  if (o.existing_target) argv.push_back("-n");
  if (o.target_is_zero) argv.push_back("--target-is-zero");
  if (o.bitmaps) argv.push_back("--bitmaps");
  argv.push_back(src.positional());
  argv.push_back(target);
  run(argv);
}

CompareResult QemuImg::compare(const ImageRef& first, const ImageRef& second) const {
  using Kind = ImageRef::Kind;
  const bool opts1 = first.kind == Kind::ImageOpts, opts2 = second.kind == Kind::ImageOpts;
  if (opts1 != opts2) throw ToolError("qemu-img compare: --image-opts applies to both images or neither");
  std::vector<std::string> argv = {"qemu-img", "compare"};
  std::vector<std::string> objects;  // once each: a repeated id is an error
  for (const auto* img : {&first, &second})
    for (const auto& o : img->objects)
      if (std::find(objects.begin(), objects.end(), o) == objects.end()) objects.push_back(o);
  for (const auto& o : objects) {
    argv.push_back("--object");
    argv.push_back(o);
  }
  if (opts1) argv.push_back("--image-opts");
  if (first.kind == Kind::File) {
    argv.push_back("-f");
    argv.push_back(first.format);
  }
  if (second.kind == Kind::File) {
    argv.push_back("-F");
    argv.push_back(second.format);
  }
  argv.push_back(first.positional());
  argv.push_back(second.positional());

  RunOptions opts;
  opts.cwd = workdir_;
  opts.timeout = timeout_;
  RunResult r = run_program(argv, opts);
  if (r.timed_out || r.term_signal != 0 || (r.exit_code != 0 && r.exit_code != 1)) throw ToolError(r.describe());
  CompareResult c;
  c.identical = r.exit_code == 0;
  c.message = r.out.substr(0, r.out.find('\n'));
  return c;
}

}  // namespace chaincheck::impl
