#pragma once
// Precompiled header for the targets that use Boost.Asio: parsing Asio once per target
// keeps incremental builds in seconds.

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
