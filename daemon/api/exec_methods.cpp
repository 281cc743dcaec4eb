// exec.run: run one command to completion and return its exit status and output, optionally
// streaming the output as `output` events to the calling connection first.
#include "daemon/api/api.h"

#include "daemon/exec/exec_manager.h"
#include "daemon/rpc/dispatcher.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/rpc_connection.h"
#include "proto/exec_types.h"
#include "proto/methods.h"

namespace taskd::api {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

proto::ExecOutput output_of(const exec::OutputCapture& capture) {
  return proto::ExecOutput{capture.bytes(), capture.total()};
}

json::object encode_result(const exec::Exec& exec, std::uint64_t id, bool reused) {
  const exec::ExecResult& r = exec.result();
  return proto::encode_exec_result(
      {"e-" + std::to_string(id), std::string(exec::reason_name(r.reason)), r.exit_code, r.signal,
       r.timed_out, r.duration_ms, r.pid, output_of(exec.stdout_capture()),
       output_of(exec.stderr_capture()), r.error, reused});
}

// Sends output chunks as `output` events to the calling connection while it is open.
class OutputStreamer {
 public:
  OutputStreamer(rpc::EventBus& events, std::weak_ptr<rpc::RpcConnection> connection,
                 std::string exec_id)
      : events_(events), connection_(std::move(connection)), exec_id_(std::move(exec_id)) {}

  void chunk(std::string_view stream, std::uint64_t offset, std::string_view data) {
    send(stream, (stream == "stdout" ? out_ : err_).take(offset, data));
  }

  // The output ended inside a character: send what was held back as it is.
  void flush() {
    send("stdout", out_.rest());
    send("stderr", err_.rest());
  }

 private:
  void send(std::string_view stream, const proto::OutputChunker::Chunk& chunk) {
    auto connection = connection_.lock();
    if (chunk.bytes.empty() || !connection || !connection->is_open()) return;
    events_.send_to(*connection, proto::topic::kOutput, "chunk",
                    proto::encode_output_chunk(exec_id_, stream, chunk.offset, chunk.bytes));
  }

  rpc::EventBus& events_;
  std::weak_ptr<rpc::RpcConnection> connection_;
  std::string exec_id_;
  proto::OutputChunker out_;
  proto::OutputChunker err_;
};

exec::ExecRequest to_request(proto::ExecParams& p) {
  exec::ExecRequest request;
  request.command = std::move(p.command);
  request.stdin_data = std::move(p.stdin_data);
  request.timeout_ms = p.timeout_ms;
  request.kill_grace_ms = p.kill_grace_ms;
  request.stop_signal = p.stop_signal;
  request.max_output_bytes = p.max_output_bytes;
  return request;
}

asio::awaitable<rpc::MethodResult> run_exec(ApiContext& context, json::value params,
                                            std::shared_ptr<rpc::RpcConnection> connection) {
  auto decoded = proto::decode_exec_params(params);
  if (!decoded) co_return decoded.error();
  bool stream = decoded->stream;
  std::string key = decoded->request_key;
  // The exec id is only known once started; the streamer learns it through this holder.
  auto streamer = std::make_shared<std::unique_ptr<OutputStreamer>>();
  exec::Exec::OnOutput on_output;
  if (stream) {
    on_output = [streamer](std::string_view s, std::uint64_t offset, std::string_view data) {
      if (*streamer) (*streamer)->chunk(s, offset, data);
    };
  }
  std::uint64_t owner = connection->id();
  if (!connection->is_open()) {
    co_return make_error(ErrorCode::kCancelled, "the client went away before the exec started");
  }
  auto started = context.execs.start(to_request(*decoded), std::move(on_output), owner, key,
                                     key.empty() ? std::string() : proto::exec_fingerprint(params));
  if (!started) co_return started.error();
  if (stream) {
    *streamer = std::make_unique<OutputStreamer>(context.events, connection,
                                                 "e-" + std::to_string(started->id));
  }
  if (context.execs.adopt_owner(owner)) {
    connection->on_close([&execs = context.execs, owner] { execs.release_owner(owner); });
  }
  std::shared_ptr<exec::Exec> exec = started->exec;
  co_await exec->wait();
  if (*streamer) (*streamer)->flush();
  co_return encode_result(*exec, started->id, started->reused);
}

}  // namespace

void register_exec_methods(rpc::Dispatcher& dispatcher, ApiContext& context) {
  dispatcher.add_async(
      proto::method::kExecRun,
      [&context](const json::value& params, const rpc::CallContext& call) {
        return run_exec(context, params, call.connection);
      },
      proto::exec_reply_estimate);
}

}  // namespace taskd::api
