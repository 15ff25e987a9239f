// The command lines the servers are started with (no program is run here).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "impl/servers/nbdkit_server.hpp"
#include "impl/servers/qemu_nbd_server.hpp"

namespace chaincheck::impl {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

TEST(QemuNbdCommandLine, PersistentUnixSocketAndEveryOption) {
  QemuNbdOptions o;
  o.read_only = true;
  o.allocation_depth = true;
  o.bitmaps = {"b0", "b1"};
  o.discard = "unmap";
  o.detect_zeroes = "on";
  o.snapshot = true;
  o.cache = "none";
  o.export_name = "e";
  o.objects = {"throttle-group,id=tg0"};
  auto argv = QemuNbdServer::command_line(QemuNbdImage::file("-odd name", "qcow2"), o, "/w/s.sock");
  EXPECT_THAT(
      argv, ElementsAre("qemu-nbd", "-t", "-k", "/w/s.sock", "-e", "16", "--object", "throttle-group,id=tg0",
                        "-r", "-A", "-B", "b0", "-B", "b1", "--discard=unmap", "--detect-zeroes=on", "-s",
                        "--cache=none", "-x", "e", "-f", "qcow2", "--", "-odd name"));
}

TEST(QemuNbdCommandLine, ImageOptsAndJsonForms) {
  auto opts = QemuNbdServer::command_line(QemuNbdImage::image_opts("driver=raw,file.filename=x"), {}, "/s");
  EXPECT_THAT(opts, Contains("--image-opts"));
  EXPECT_EQ(opts.back(), "driver=raw,file.filename=x");
  auto json = QemuNbdServer::command_line(QemuNbdImage::json({{"driver", "raw"}}), {}, "/s");
  EXPECT_EQ(json.back(), R"(json:{"driver":"raw"})");
  EXPECT_THAT(json, Not(Contains("-f")));
  EXPECT_THAT(json, Not(Contains("-r")));
}

TEST(NbdkitCommandLine, UnixOnlyFiltersBeforePluginParamsAfter) {
  auto o = NbdkitOptions::nbd("/q/nbd.sock", "e0").filter("blocksize").param("minblock", "4096");
  auto argv = NbdkitServer::command_line(o, "/w/k.sock");
  EXPECT_THAT(argv,
              ElementsAre("nbdkit", "--foreground", "--exit-with-parent", "-U", "/w/k.sock",
                          "--filter=blocksize", "nbd", "socket=/q/nbd.sock", "export=e0", "minblock=4096"));
  EXPECT_THROW(NbdkitServer::command_line(NbdkitOptions{}, "/s"), ToolError);
}

}  // namespace
}  // namespace chaincheck::impl
