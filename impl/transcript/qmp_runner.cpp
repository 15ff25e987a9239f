#include "impl/transcript/qmp_runner.hpp"

#include <thread>

namespace chaincheck::impl {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// JSON as QEMU's QMP clients print it (Python's json.dumps separators: ", " and ": ").
std::string dump(const json& j) {
  if (j.is_object()) {
    std::string s = "{";
    for (auto it = j.begin(); it != j.end(); ++it)
      s += (it == j.begin() ? "" : ", ") + json(it.key()).dump() + ": " + dump(it.value());
    return s + "}";
  }
  if (j.is_array()) {
    std::string s = "[";
    for (std::size_t i = 0; i < j.size(); ++i) s += (i ? ", " : "") + dump(j[i]);
    return s + "]";
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// An event as the reporter would paste it, without its (ever-changing) timestamp.
std::string event_line(const json& ev) {
  std::string s = "{\"event\": " + json(ev.value("event", "")).dump();
  if (ev.contains("data")) s += ", \"data\": " + dump(ev["data"]);
  return s + "}";
}

bool is_job(const std::string& execute) {
  return execute == "block-stream" || execute == "block-commit" || execute == "drive-mirror" ||
         execute == "blockdev-mirror" || execute == "drive-backup" || execute == "blockdev-backup";
}

// The job's life after QEMU accepted it, as block_jobs_real.cpp drives it: READY (a mirror,
// an active commit) is completed, PENDING without auto-finalize is finalized, CONCLUDED
// without auto-dismiss is dismissed, and NULL ends it. The completion event says whether
// it failed.
void follow_job(QmpClient& qmp, const std::string& id, const json& args, std::chrono::milliseconds timeout,
                QmpOutcome& out) {
  const auto deadline = Clock::now() + timeout;
  auto left = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  };
  for (;;) {
    auto ev = qmp.wait_event("JOB_STATUS_CHANGE", left());
    if (!ev) {
      out.error = "the job " + id + " did not end within " +
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s";
      return;
    }
    const json& data = (*ev)["data"];
    if (data.value("id", "") != id) continue;
    std::string status = data.value("status", "");
    if (status == "ready") qmp.execute("job-complete", {{"id", id}});
    if (status == "pending" && !args.value("auto-finalize", true)) qmp.execute("job-finalize", {{"id", id}});
    if (status == "concluded" && !args.value("auto-dismiss", true)) qmp.execute("job-dismiss", {{"id", id}});
    if (status == "null") break;
  }
  for (const char* name : {"BLOCK_JOB_COMPLETED", "BLOCK_JOB_CANCELLED"}) {
    while (auto ev = qmp.wait_event(name, std::chrono::milliseconds(0))) {
      if ((*ev)["data"].value("device", "") != id) continue;
      out.output.push_back(event_line(*ev));
      if ((*ev)["data"].contains("error")) out.error = "the job " + id + " failed: " + (*ev)["data"]["error"].get<std::string>();
      if (std::string(name) == "BLOCK_JOB_CANCELLED") out.error = "the job " + id + " was cancelled";
    }
  }
}

void wait_for_exit(BackgroundProcess& p, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (p.running() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace

std::shared_ptr<QmpSession> open_qmp_session(std::shared_ptr<BackgroundProcess> daemon,
                                             const std::filesystem::path& socket) {
  auto s = std::make_shared<QmpSession>();
  s->daemon = std::move(daemon);
  try {
    s->client = std::make_unique<QmpClient>(socket);
  } catch (const ToolError& e) {
    s->unavailable = std::string("no QMP session: ") + e.what();
  }
  return s;
}

QmpOutcome run_qmp_command(QmpSession& session, const QmpCommand& c, std::chrono::milliseconds job_timeout) {
  QmpOutcome out;
  if (session.quit) {
    out.error = "qemu-storage-daemon (line " + std::to_string(c.daemon_line) + ") has quit";
    return out;
  }
  if (!session.client) {
    out.error = session.unavailable;
    return out;
  }
  if (!session.daemon->running()) {
    out.error = "qemu-storage-daemon (line " + std::to_string(c.daemon_line) + ") is no longer running: " +
                session.daemon->last_words_if_dead(std::chrono::milliseconds(0));
    return out;
  }
  json args = json::parse(c.arguments);
  QmpClient& qmp = *session.client;
  // chaincheck negotiated capabilities when it connected: QEMU would refuse a second one.
  if (c.execute == "qmp_capabilities") {
    out.output.push_back(R"({"return": {}})");
    return out;
  }
  try {
    if (c.execute == "quit") {
      try {
        qmp.execute("quit", args);
      } catch (const QmpError&) {
        throw;
      } catch (const ToolError&) {
        // The connection may close before the reply.
      }
      out.output.push_back(R"({"return": {}})");
      session.quit = true;
      session.client.reset();
      wait_for_exit(*session.daemon, std::chrono::seconds(10));
      if (session.daemon->running()) {
        out.error = "qemu-storage-daemon did not exit within 10 s of quit";
        session.daemon->kill();
      }
      return out;
    }
    json ret = qmp.execute(c.execute, args, QmpClient::kDefaultTimeout);
    out.output.push_back(dump(json{{"return", ret}}));
    if (is_job(c.execute)) {
      std::string id = args.value("job-id", args.value("device", std::string()));
      follow_job(qmp, id, args, job_timeout, out);
    }
  } catch (const QmpError& e) {
    out.output.push_back(dump(json{{"error", {{"class", e.error_class()}, {"desc", e.desc()}}}}));
    out.error = e.error_class() + ": " + e.desc();
  } catch (const ToolError& e) {
    // The connection broke: a daemon that died (an assertion, KF-035) says why in its log.
    // A closed connection may come just before the process ends: give it a moment. How the
    // socket broke (closed or reset) varies from run to run: a dead daemon's words say it all.
    out.server_crash = session.daemon->last_words_if_dead(std::chrono::seconds(2));
    out.error = out.server_crash.empty() ? std::string(e.what()) : "qemu-storage-daemon died: " + out.server_crash;
    if (!out.server_crash.empty()) {
      session.client.reset();
      session.unavailable = "qemu-storage-daemon (line " + std::to_string(c.daemon_line) +
                            ") died at an earlier line: " + out.server_crash;
    }
  }
  return out;
}

}  // namespace chaincheck::impl
