// The command lines the drivers build, and what they refuse before running anything.
#include <gtest/gtest.h>

#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/qemu_tools/qemu_io.hpp"

namespace chaincheck::impl {
namespace {

using Args = std::vector<std::string>;

TEST(CreateArgv, SeedImages) {
  CreateOptions raw;
  raw.format = "raw";
  raw.size = 262144;
  EXPECT_EQ(QemuImg::create_argv("base.raw", raw), (Args{"qemu-img", "create", "-q", "-f", "raw", "base.raw", "262144"}));
  CreateOptions top;
  top.backing_file = "base.raw";
  top.backing_format = "raw";
  EXPECT_EQ(QemuImg::create_argv("top.qcow2", top),
            (Args{"qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "top.qcow2"}));
}

TEST(CreateArgv, Qcow2OptionsGoIntoOneDashO) {
  CreateOptions o;
  o.size = 1 << 20;
  o.cluster_size = 131072;
  o.extended_l2 = true;
  o.compat = "1.1";
  o.preallocation = "metadata";
  EXPECT_EQ(QemuImg::create_argv("x.qcow2", o),
            (Args{"qemu-img", "create", "-q", "-f", "qcow2", "-o",
                  "cluster_size=131072,extended_l2=on,compat=1.1,preallocation=metadata", "x.qcow2", "1048576"}));
}

TEST(CreateArgv, RefusesInconsistentRequests) {
  CreateOptions no_size;
  EXPECT_THROW(QemuImg::create_argv("a.qcow2", no_size), ToolError);
  CreateOptions raw_backing;
  raw_backing.format = "raw";
  raw_backing.backing_file = "b";
  EXPECT_THROW(QemuImg::create_argv("a.raw", raw_backing), ToolError);
  CreateOptions vmdk;
  vmdk.format = "vmdk";
  vmdk.size = 1;
  EXPECT_THROW(QemuImg::create_argv("a.vmdk", vmdk), ToolError);
  CreateOptions compat;
  compat.size = 1;
  compat.compat = "2";
  EXPECT_THROW(QemuImg::create_argv("a.qcow2", compat), ToolError);
  CreateOptions prealloc;
  prealloc.size = 1;
  prealloc.preallocation = "sparse";
  EXPECT_THROW(QemuImg::create_argv("a.qcow2", prealloc), ToolError);
}

TEST(MapArgv, NamesTheImageEachWay) {
  EXPECT_EQ(QemuImg::map_argv(ImageRef::file("top.qcow2", "qcow2"), {}, false),
            (Args{"qemu-img", "map", "--output=json", "-f", "qcow2", "top.qcow2"}));
  EXPECT_EQ(QemuImg::map_argv(ImageRef::json(R"(json:{"driver":"qcow2"})"), {65536, 100000}, false),
            (Args{"qemu-img", "map", "--output=json", "--start-offset=65536", "--max-length=100000",
                  R"(json:{"driver":"qcow2"})"}));
  EXPECT_EQ(QemuImg::map_argv(ImageRef::image_opts("driver=qcow2,file.filename=t").with_object("throttle-group,id=tg0"),
                              {}, true),
            (Args{"qemu-img", "map", "--output=json", "--object", "throttle-group,id=tg0", "--image-opts", "-U",
                  "driver=qcow2,file.filename=t"}));
}

TEST(ImageRefs, RefuseProbingAndNonObjects) {
  EXPECT_THROW(ImageRef::file("x", ""), ToolError);
  EXPECT_THROW(ImageRef::json("json:[1]"), ToolError);
  EXPECT_THROW(ImageRef::image_opts(""), ToolError);
  EXPECT_EQ(ImageRef::json("{\"a\":1}").positional(), "json:{\"a\":1}");
}

TEST(QemuIoScriptArgv, AllCommandsInOneProcess) {
  QemuIoScript s(ImageRef::file("top.qcow2", "qcow2"));
  s.write(65536, 65536, 69).write_zeroes(131072, 65536).map().alloc(0, 262144);
  EXPECT_EQ(s.argv(), (Args{"qemu-io", "-f", "qcow2", "-c", "write -P 69 65536 65536", "-c", "write -z 131072 65536",
                            "-c", "map", "-c", "alloc 0 262144", "top.qcow2"}));
  QemuIoScript ro(ImageRef::image_opts("driver=raw,file.filename=b"));
  ro.read_only().force_share().read(0, 512, 0);
  EXPECT_EQ(ro.argv(), (Args{"qemu-io", "--image-opts", "-r", "-U", "-c", "read -P 0 0 512", "driver=raw,file.filename=b"}));
}

TEST(QemuIoScriptArgv, CacheModeGoesBeforeTheCommands) {
  QemuIoScript s(ImageRef::file("base.qcow2", "qcow2"));
  s.cache("writeback").write(0, 512, 1);
  EXPECT_EQ(s.argv(), (Args{"qemu-io", "-f", "qcow2", "-t", "writeback", "-c", "write -P 1 0 512", "base.qcow2"}));
}

TEST(QemuIoScriptArgv, RefusesFlagsOnCommandsThatTakeNone) {
  QemuIoScript s(ImageRef::file("a", "raw"));
  QemuIoCommand bad;
  bad.kind = QemuIoCommand::Kind::Discard;
  bad.pattern = 1;
  EXPECT_THROW(s.add(bad), ToolError);
  bad.kind = QemuIoCommand::Kind::Write;
  bad.unmap = true;
  EXPECT_THROW(s.add(bad), ToolError);
  EXPECT_TRUE(s.commands().empty());
}

}  // namespace
}  // namespace chaincheck::impl
