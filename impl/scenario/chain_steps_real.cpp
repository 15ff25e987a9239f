#include "impl/scenario/chain_steps_real.hpp"

namespace chaincheck::impl {

using namespace chaincheck::model;

namespace {

std::string format_of(const ImageFormats& formats, const std::string& name) {
  auto it = formats.find(name);
  return to_string(it == formats.end() ? ImageFormat::Raw : it->second);
}

}  // namespace

bool realize_chain_step(const Step& step, const QemuImg& img, ImageFormats& formats) {
  if (auto* c = std::get_if<CommitStep>(&step)) {
    impl::CommitOptions o;
    o.format = format_of(formats, c->options.top);
    o.base = c->options.base;
    o.drop = c->options.drop;
    img.commit(c->options.top, o);
    return true;
  }
  if (auto* r = std::get_if<RebaseStep>(&step)) {
    impl::RebaseOptions o;
    o.format = format_of(formats, r->options.image);
    o.backing_file = r->options.backing;
    if (r->options.backing_format) o.backing_format = to_string(*r->options.backing_format);
    o.unsafe = r->options.unsafe;
    img.rebase(r->options.image, o);
    return true;
  }
  if (auto* v = std::get_if<ConvertStep>(&step)) {
    const model::ConvertOptions& m = v->options;
    impl::ConvertOptions o;
    o.source_format = format_of(formats, m.source);
    o.target_format = to_string(m.target_format);
    o.backing_file = m.backing;
    if (m.backing_format) o.backing_format = to_string(*m.backing_format);
    o.existing_target = m.existing;
    o.target_is_zero = m.target_is_zero;
    o.bitmaps = m.bitmaps;
    if (m.target_format == ImageFormat::Qcow2 && !m.existing) o.cluster_size = std::uint64_t{1} << m.cluster_bits;
    img.convert(ImageRef::file(m.source, o.source_format), m.target, o);
    if (!m.existing) formats[m.target] = m.target_format;
    return true;
  }
  return false;
}

}  // namespace chaincheck::impl
