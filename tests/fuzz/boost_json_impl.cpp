// Boost.JSON compiled into the fuzz build (instead of linking the uninstrumented libboost_json),
// so coverage guides the fuzzer through the JSON parser as well.
#include <boost/json/src.hpp>
