// Turns supervisor notifications (state changes, output loss, orphans) into `process` events:
// domain struct → wire view → proto encoder.
#include "daemon/api/api.h"

#include "daemon/process/reaper.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/supervisor/supervisor.h"
#include "proto/methods.h"
#include "proto/programs_types.h"

namespace taskd::api {

namespace {

proto::ProcessStateEvent view_of(const supervisor::StateChange& change) {
  proto::ProcessStateEvent event;
  event.name = change.name;
  event.group = change.group;
  event.from = std::string(supervisor::state_name(change.from));
  event.to = std::string(supervisor::state_name(change.to));
  event.pid = change.pid;
  event.message = change.message;
  if (change.exit) event.exit = proto::ProgramExit{change.exit->signaled, change.exit->code};
  return event;
}

proto::OutputLossEvent view_of(const supervisor::OutputLossChange& change) {
  return {change.name,    change.group,         change.stream, change.path,
          change.resumed, change.dropped_bytes, change.error};
}

}  // namespace

void forward_process_events(ApiContext& context, process::Reaper& reaper) {
  context.supervisor.on_change([&events = context.events](const supervisor::StateChange& change) {
    events.publish(proto::topic::kProcess, "state",
                   proto::encode_process_state_event(view_of(change)));
  });
  context.supervisor.on_output_loss(
      [&events = context.events](const supervisor::OutputLossChange& change) {
        proto::OutputLossEvent event = view_of(change);
        events.publish(proto::topic::kProcess, proto::output_loss_event_type(event),
                       proto::encode_output_loss_event(event));
      });
  reaper.on_orphan([&events = context.events](pid_t pid, int status) {
    events.publish(proto::topic::kProcess, "orphan",
                   proto::encode_orphan_event(pid, process::describe_wait_status(status)));
  });
}

}  // namespace taskd::api
