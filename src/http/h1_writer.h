#pragma once
// Serializes HTTP/1.1 message heads and chunk framing. Everything rampart sends is
// written from parsed, validated parts — never copied raw from what it received.

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace rampart::http {

// "METHOD target HTTP/1.1\r\n" + headers + "\r\n".
void write_request_head(std::string& out, std::string_view method, std::string_view target,
                        const std::vector<Header>& headers);

// "HTTP/1.1 status reason\r\n" + headers + "\r\n".
void write_response_head(std::string& out, int status, const std::vector<Header>& headers);

void write_header(std::string& out, std::string_view name, std::string_view value);

// "1a2b\r\n" for a chunk of `size` bytes.
void write_chunk_size(std::string& out, size_t size);

std::string_view reason_phrase(int status);

}  // namespace rampart::http
