// TEMPORARY, delete when the Supervisor's SIGCHLD reaper (which reaps unknown pids as orphans)
// is merged: until then nothing in taskd waits for children, and as PID 1 every orphan of the
// guest becomes ours. Started only in init mode, by GuestServices; remove this file, its .cpp,
// its line in daemon/CMakeLists.txt and its one call in guest_services.cpp.
#pragma once

#include <boost/asio/io_context.hpp>

namespace taskd::init {

// Reaps every exited child on each SIGCHLD (waitpid(-1, WNOHANG)) for as long as `io` runs.
void start_interim_reaper(boost::asio::io_context& io);

}  // namespace taskd::init
