// Method and event-topic names of the wire protocol (docs/protocol.md is normative).
#pragma once

#include <string_view>

namespace taskd::proto {

// Bumped when a method's params or result change incompatibly (minor: additions only).
inline constexpr std::string_view kProtocolVersion = "1.2";

namespace method {
inline constexpr std::string_view kDaemonVersion = "daemon.version";
inline constexpr std::string_view kDaemonHealth = "daemon.health";
inline constexpr std::string_view kDaemonReload = "daemon.reload";
inline constexpr std::string_view kDaemonShutdown = "daemon.shutdown";
inline constexpr std::string_view kDaemonTail = "daemon.tail";
inline constexpr std::string_view kEventsSubscribe = "events.subscribe";
inline constexpr std::string_view kEventsUnsubscribe = "events.unsubscribe";
inline constexpr std::string_view kProgramsStatus = "programs.status";
inline constexpr std::string_view kProgramsStart = "programs.start";
inline constexpr std::string_view kProgramsStop = "programs.stop";
inline constexpr std::string_view kProgramsRestart = "programs.restart";
inline constexpr std::string_view kProgramsSignal = "programs.signal";
inline constexpr std::string_view kProgramsTail = "programs.tail";
inline constexpr std::string_view kProgramsClear = "programs.clear";
inline constexpr std::string_view kProgramsInput = "programs.input";
inline constexpr std::string_view kExecRun = "exec.run";
inline constexpr std::string_view kTasksCreate = "tasks.create";
inline constexpr std::string_view kTasksGet = "tasks.get";
inline constexpr std::string_view kTasksList = "tasks.list";
inline constexpr std::string_view kTasksDelete = "tasks.delete";
inline constexpr std::string_view kTasksSync = "tasks.sync";
inline constexpr std::string_view kTasksPoll = "tasks.poll";
inline constexpr std::string_view kSessionOpen = "session.open";
inline constexpr std::string_view kSessionSwitch = "session.switch";
inline constexpr std::string_view kSessionPrompt = "session.prompt";
inline constexpr std::string_view kSessionState = "session.state";
inline constexpr std::string_view kSessionStop = "session.stop";
inline constexpr std::string_view kEvent = "event";  // server → client notification
}  // namespace method

namespace topic {
inline constexpr std::string_view kDaemon = "daemon";
inline constexpr std::string_view kProcess = "process";
inline constexpr std::string_view kTask = "task";
inline constexpr std::string_view kOutput = "output";
inline constexpr std::string_view kSession = "session";
inline constexpr std::string_view kAll[] = {kDaemon, kProcess, kTask, kOutput, kSession};
}  // namespace topic

}  // namespace taskd::proto
