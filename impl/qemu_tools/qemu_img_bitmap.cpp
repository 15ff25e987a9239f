#include "impl/qemu_tools/qemu_img_bitmap.hpp"

namespace chaincheck::impl {

std::vector<std::string> qemu_img_bitmap_argv(const std::string& file, const std::string& bitmap,
                                              const ImgBitmapOptions& o) {
  std::vector<std::string> argv = {"qemu-img", "bitmap"};
  for (const ImgBitmapAction& a : o.actions) {
    if (a.action != "add" && a.action != "remove" && a.action != "clear" && a.action != "enable" &&
        a.action != "disable" && a.action != "merge")
      throw ToolError("qemu-img bitmap: unknown action '" + a.action + "'");
    argv.push_back("--" + a.action);
    if (a.action == "merge") argv.push_back(a.source);
  }
  if (o.granularity) {
    argv.push_back("-g");
    argv.push_back(std::to_string(*o.granularity));
  }
  if (o.source_file) {
    argv.push_back("-b");
    argv.push_back(*o.source_file);
    if (o.source_format) {
      argv.push_back("-F");
      argv.push_back(*o.source_format);
    }
  }
  argv.insert(argv.end(), {"-f", o.format, file, bitmap});
  return argv;
}

void qemu_img_bitmap(const std::filesystem::path& workdir, const std::string& file, const std::string& bitmap,
                     const ImgBitmapOptions& options) {
  RunOptions ro = RunOptions::in(workdir);
  ro.timeout = std::chrono::seconds(60);
  run_checked(qemu_img_bitmap_argv(file, bitmap, options), ro);
}

}  // namespace chaincheck::impl
