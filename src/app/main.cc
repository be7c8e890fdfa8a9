// rampart: the command line. `run` serves, `validate` checks a config, `version` prints.

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

#include "admin/admin_server.h"
#include "app/rules_cmd.h"
#include "config/config.h"
#include "core/log.h"
#include "modules/builtin.h"
#include "server/server.h"
#include "server/snapshot.h"

namespace {

using namespace rampart;

config::LoadResult load(const std::string& path) {
  if (path.empty()) return config::load_string(config::embedded_demo_config(), "<embedded>");
  return config::load_file(path);
}

void print_errors(const std::vector<config::Diagnostic>& errors) {
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
}

int validate(const std::string& path) {
  config::LoadResult loaded = load(path);
  if (!loaded.ok()) {
    print_errors(loaded.errors);
    std::fprintf(stderr, "%zu error(s); config refused\n", loaded.errors.size());
    return 1;
  }
  // Build it as `run` would, so module and endpoint errors show here too.
  pipeline::ModuleRegistry registry;
  modules::register_builtin_modules(registry);
  server::Metrics metrics(1);
  server::BuildResult built = server::build_snapshot(loaded.config, registry, metrics);
  if (!built.snapshot) {
    print_errors(built.errors);
    std::fprintf(stderr, "%zu error(s); config refused\n", built.errors.size());
    return 1;
  }
  std::printf("ok: %s is valid (version %s, %zu sites, %zu listeners)\n",
              loaded.config->source.c_str(), loaded.config->version.c_str(),
              loaded.config->sites.size(), loaded.config->listeners.size());
  return 0;
}

// Every client connection is a descriptor, and a soft limit of 1024 (a common default)
// would turn a few thousand slow clients into refused accepts: take what the hard limit
// allows.
void raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    core::log(core::LogLevel::kInfo, "open file limit raised from {} to {}",
              static_cast<uint64_t>(before), static_cast<uint64_t>(limit.rlim_cur));
  }
}

int run(const std::string& path) {
  config::LoadResult loaded = load(path);
  if (!loaded.ok()) {
    print_errors(loaded.errors);
    std::fprintf(stderr, "%zu error(s); not starting\n", loaded.errors.size());
    return 1;
  }
  core::set_log_level(core::parse_log_level(loaded.config->log_level));
  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();

  pipeline::ModuleRegistry registry;
  modules::register_builtin_modules(registry);
  server::Server server(loaded.config, registry);
  std::vector<std::string> errors;
  if (!server.start(errors)) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
    return 1;
  }

  boost::asio::io_context control;
  admin::AdminServer admin(control, server);
  std::string admin_error;
  if (!admin.start(admin_error)) {
    std::fprintf(stderr, "admin: %s\n", admin_error.c_str());
    server.drain_and_stop();
    return 1;
  }

  int exit_code = 0;
  // Rate-limited log lines held back on the request path are summed up here, off it.
  boost::asio::steady_timer log_flush(control);
  std::function<void(const boost::system::error_code&)> on_flush =
      [&](const boost::system::error_code& ec) {
        if (ec) return;
        core::flush_suppressed_logs();
        log_flush.expires_after(std::chrono::seconds(1));
        log_flush.async_wait(on_flush);
      };
  log_flush.expires_after(std::chrono::seconds(1));
  log_flush.async_wait(on_flush);
  boost::asio::signal_set signals(control, SIGTERM, SIGINT, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (signal == SIGHUP) {
          core::log(core::LogLevel::kInfo, "SIGHUP: reloading config");
          server.reload();
          signals.async_wait(on_signal);
          return;
        }
        core::log(core::LogLevel::kInfo, "signal {}: draining", signal);
        admin.stop();
        bool clean = server.drain_and_stop();
        if (!clean) {
          core::log(core::LogLevel::kWarn, "grace period over; closing remaining connections");
        }
        core::log(core::LogLevel::kInfo, "stopped");
        log_flush.cancel();
        control.stop();
      };
  signals.async_wait(on_signal);
  control.run();
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rampart: a self-hosted edge for websites"};
  app.require_subcommand(0, 1);
  std::string config_path;
  auto* run_cmd = app.add_subcommand("run", "Serve traffic (embedded demo config without -c)");
  run_cmd->add_option("-c,--config", config_path, "YAML config file");
  std::string validate_path;
  auto* validate_cmd = app.add_subcommand("validate", "Check a config file and print every error");
  validate_cmd->add_option("file", validate_path, "YAML config file")->required();
  auto* version_cmd = app.add_subcommand("version", "Print the version");
  auto* rules_cmd = app.add_subcommand("rules", "Work with rules-language expressions");
  rules_cmd->require_subcommand(1);
  app::RulesTestOptions rules_options;
  auto* rules_test_cmd = rules_cmd->add_subcommand(
      "test", "Evaluate an expression against a raw request and show every field it read");
  rules_test_cmd->add_option("-e,--expr", rules_options.expression, "the expression")->required();
  rules_test_cmd
      ->add_option("-r,--request", rules_options.request_file,
                   "raw HTTP request file (- for standard input)")
      ->required();
  rules_test_cmd->add_option("--ip", rules_options.client_ip, "client address (ip.src)");
  rules_test_cmd->add_flag("--tls", rules_options.tls, "the request came over TLS (ssl)");
  rules_test_cmd->add_option("--status", rules_options.response_status,
                             "response status (http.response.code)");
  rules_test_cmd->add_option("-c,--config", rules_options.config_file,
                             "config file whose lists $name refers to");
  CLI11_PARSE(app, argc, argv);

  if (*version_cmd) {
    std::printf("rampart %s\n", RAMPART_VERSION_STRING);
    return 0;
  }
  if (*validate_cmd) return validate(validate_path);
  if (*rules_test_cmd) return app::rules_test(rules_options);
  return run(config_path);
}
