#include "daemon/api/api.h"

namespace taskd::api {

void register_all_methods(rpc::Dispatcher& dispatcher, ApiContext& context) {
  register_daemon_methods(dispatcher, context);
  register_events_methods(dispatcher, context);
  register_programs_methods(dispatcher, context);
  register_exec_methods(dispatcher, context);
  register_tasks_methods(dispatcher, context);
  register_sessions_methods(dispatcher, context);
}

}  // namespace taskd::api
