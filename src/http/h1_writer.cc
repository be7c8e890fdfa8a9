#include "http/h1_writer.h"

#include <charconv>

namespace rampart::http {

void write_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

void write_request_head(std::string& out, std::string_view method, std::string_view target,
                        const std::vector<Header>& headers) {
  out.append(method);
  out.push_back(' ');
  out.append(target);
  out.append(" HTTP/1.1\r\n");
  for (const Header& h : headers) write_header(out, h.name, h.value);
  out.append("\r\n");
}

void write_response_head(std::string& out, int status, const std::vector<Header>& headers) {
  char code[4];
  code[0] = static_cast<char>('0' + (status / 100) % 10);
  code[1] = static_cast<char>('0' + (status / 10) % 10);
  code[2] = static_cast<char>('0' + status % 10);
  code[3] = ' ';
  out.append("HTTP/1.1 ");
  out.append(code, 4);
  out.append(reason_phrase(status));
  out.append("\r\n");
  for (const Header& h : headers) write_header(out, h.name, h.value);
  out.append("\r\n");
}

void write_chunk_size(std::string& out, size_t size) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), size, 16);
  out.append(buf, end);
  out.append("\r\n");
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace rampart::http
