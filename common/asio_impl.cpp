// Asio's non-template code, compiled once for the whole program (BOOST_ASIO_SEPARATE_COMPILATION).
// The static build uses Asio header-only instead, so only what is used gets linked.
#if defined(BOOST_ASIO_SEPARATE_COMPILATION)
#include <boost/asio/impl/src.hpp>
#endif
