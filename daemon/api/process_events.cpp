// Turns supervisor notifications (state changes, orphans) into `process` events.
#include "daemon/api/api.h"

#include "daemon/process/reaper.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/supervisor/supervisor.h"
#include "proto/methods.h"

#include <sys/wait.h>

namespace taskd::api {
namespace json = boost::json;

void forward_process_events(ApiContext& context, process::Reaper& reaper) {
  context.supervisor.on_change([&events = context.events](const supervisor::StateChange& change) {
    json::object fields{{"name", change.name},
                        {"group", change.group},
                        {"from", supervisor::state_name(change.from)},
                        {"to", supervisor::state_name(change.to)},
                        {"pid", change.pid},
                        {"message", change.message}};
    if (change.exit) {
      fields.emplace(change.exit->signaled ? "exit_signal" : "exit_code", change.exit->code);
    }
    events.publish(proto::topic::kProcess, "state", std::move(fields));
  });
  context.supervisor.on_output_loss(
      [&events = context.events](const supervisor::OutputLossChange& change) {
        json::object fields{{"name", change.name},
                            {"group", change.group},
                            {"stream", change.stream},
                            {"path", change.path}};
        if (change.resumed) {
          fields.emplace("dropped_bytes", change.dropped_bytes);
        } else {
          fields.emplace("error", change.error);
        }
        events.publish(proto::topic::kProcess, change.resumed ? "output_resumed" : "output_dropped",
                       std::move(fields));
      });
  reaper.on_orphan([&events = context.events](pid_t pid, int status) {
    json::object fields{{"pid", pid}, {"status", process::describe_wait_status(status)}};
    events.publish(proto::topic::kProcess, "orphan", std::move(fields));
  });
}

}  // namespace taskd::api
