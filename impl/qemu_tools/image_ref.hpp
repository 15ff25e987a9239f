// How a qemu-img / qemu-io command names its image: a filename with -f FMT, a
// json:{...} pseudo-filename, or an --image-opts key=value string.
#pragma once

#include <string>
#include <vector>

namespace chaincheck::impl {

struct ImageRef {
  enum class Kind { File, Json, ImageOpts };
  Kind kind = Kind::File;
  std::string text;    // filename, JSON object text (with or without "json:"), or key=value,...
  std::string format;  // -f FMT, Kind::File only ("raw", "qcow2")
  std::vector<std::string> objects;  // each becomes --object X (e.g. throttle-group,id=tg0)

  static ImageRef file(std::string filename, std::string format);
  // `json_object` is `{...}` or `json:{...}`.
  static ImageRef json(std::string json_object);
  static ImageRef image_opts(std::string key_values);
  ImageRef& with_object(std::string object);

  // Options naming the image (--object..., -f FMT / --image-opts), to go before any
  // positional argument, and the positional image argument itself.
  std::vector<std::string> option_args() const;
  std::string positional() const;
};

}  // namespace chaincheck::impl
