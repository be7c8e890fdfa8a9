#pragma once
// stale-while-revalidate (RFC 5861 §3): the client got the stale copy at once; one
// validation per key runs afterwards as its own task on the worker, owning everything
// it needs (the snapshot, the request bytes, the stale copy), so it outlives the
// request and the connection that started it.

#include <memory>
#include <span>
#include <string_view>

#include "cache/cached_object.h"
#include "http/message.h"
#include "pipeline/request_context.h"
#include "server/snapshot.h"
#include "server/worker_context.h"

namespace rampart::server {

// Starts the validation of `stale` (stored under `key`) unless one for the key is
// already running. `upstream_headers` are the request's fields as sent to origins.
void start_background_revalidation(WorkerContext& worker, std::shared_ptr<const Snapshot> snapshot,
                                   pipeline::RequestContext& ctx, std::string_view key,
                                   std::shared_ptr<const cache::CachedObject> stale,
                                   std::span<const http::Header> upstream_headers);

}  // namespace rampart::server
