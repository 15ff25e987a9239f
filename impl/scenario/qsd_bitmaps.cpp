#include "impl/scenario/qsd_bitmaps.hpp"

#include <libnbd.h>

#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/scenario/nbd_observation.hpp"

namespace chaincheck::impl {

namespace {
const char* kNode = "img";
}

QsdBitmapSession::QsdBitmapSession(std::uint64_t size, std::uint64_t cluster_size) {
  CreateOptions c;
  c.format = "qcow2";
  c.size = size;
  c.cluster_size = cluster_size;
  QemuImg(ws_.path()).create("disk.qcow2", c);
  StorageDaemonOptions o;
  o.working_dir = ws_.path();
  qsd_ = std::make_unique<StorageDaemon>(o);
  qsd_->blockdev_add({{"node-name", kNode},
                      {"driver", "qcow2"},
                      {"discard", "unmap"},
                      {"file", {{"driver", "file"}, {"filename", ws_.file("disk.qcow2").string()}}}});
  std::string name = qsd_->block_export_add_nbd(kNode, "rw", true, false);
  writer_ = std::make_unique<NbdClient>();
  writer_->set_export_name(name);
  writer_->connect_unix(qsd_->nbd_socket());
}

void QsdBitmapSession::add(const std::string& name, std::optional<std::uint32_t> granularity, bool disabled) {
  qsd_->block_dirty_bitmap_add(kNode, name, granularity, disabled);
}
void QsdBitmapSession::remove(const std::string& name) { qsd_->block_dirty_bitmap_remove(kNode, name); }
void QsdBitmapSession::clear(const std::string& name) { qsd_->block_dirty_bitmap_clear(kNode, name); }
void QsdBitmapSession::enable(const std::string& name) { qsd_->block_dirty_bitmap_enable(kNode, name); }
void QsdBitmapSession::disable(const std::string& name) { qsd_->block_dirty_bitmap_disable(kNode, name); }
void QsdBitmapSession::merge(const std::string& target, const std::vector<std::string>& sources) {
  qsd_->execute("block-dirty-bitmap-merge", {{"node", kNode}, {"target", target}, {"bitmaps", sources}});
}

void QsdBitmapSession::write(std::uint64_t offset, std::uint64_t length, std::uint8_t pattern) {
  writer_->pwrite(offset, std::vector<std::uint8_t>(length, pattern));
}
void QsdBitmapSession::zero(std::uint64_t offset, std::uint64_t length, bool may_unmap) {
  writer_->zero(offset, length, may_unmap ? 0 : LIBNBD_CMD_FLAG_NO_HOLE);
}
void QsdBitmapSession::trim(std::uint64_t offset, std::uint64_t length) { writer_->trim(offset, length); }

model::NbdObservation QsdBitmapSession::read_bitmaps(const std::vector<std::string>& bitmaps) {
  std::string name = qsd_->block_export_add_nbd(kNode, "bm" + std::to_string(exports_++), true, false, bitmaps);
  model::NbdObservation nbd;
  {
    NbdClient reader;
    reader.set_export_name(name);
    for (const auto& b : bitmaps) reader.request_meta_context("qemu:dirty-bitmap:" + b);
    reader.connect_unix(qsd_->nbd_socket());
    nbd = observe_block_status(reader);
    reader.disconnect();
  }
  qsd_->block_export_del(name);
  return nbd;
}

}  // namespace chaincheck::impl
