#include "impl/qemu_tools/image_ref.hpp"

#include "impl/process/process.hpp"

namespace chaincheck::impl {

ImageRef ImageRef::file(std::string filename, std::string format) {
  if (format.empty()) throw ToolError("image " + filename + ": a format is required (-f): never probe");
  ImageRef r;
  r.kind = Kind::File;
  r.text = std::move(filename);
  r.format = std::move(format);
  return r;
}

ImageRef ImageRef::json(std::string json_object) {
  if (json_object.rfind("json:", 0) == 0) json_object.erase(0, 5);
  if (json_object.empty() || json_object.front() != '{')
    throw ToolError("json: image must be a JSON object, got: " + json_object);
  ImageRef r;
  r.kind = Kind::Json;
  r.text = std::move(json_object);
  return r;
}

ImageRef ImageRef::image_opts(std::string key_values) {
  if (key_values.empty()) throw ToolError("--image-opts needs driver=... options");
  ImageRef r;
  r.kind = Kind::ImageOpts;
  r.text = std::move(key_values);
  return r;
}

ImageRef& ImageRef::with_object(std::string object) {
  objects.push_back(std::move(object));
  return *this;
}

std::vector<std::string> ImageRef::option_args() const {
  std::vector<std::string> args;
  for (const auto& o : objects) {
    args.push_back("--object");
    args.push_back(o);
  }
  if (kind == Kind::File && !format.empty()) {  // no format: QEMU probes it
    args.push_back("-f");
    args.push_back(format);
  } else if (kind == Kind::ImageOpts) {
    args.push_back("--image-opts");
  }
  return args;
}

std::string ImageRef::positional() const { return kind == Kind::Json ? "json:" + text : text; }

}  // namespace chaincheck::impl
