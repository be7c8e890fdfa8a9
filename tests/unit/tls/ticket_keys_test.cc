// Session resumption with rotating ticket keys: resumed within the acceptance window
// (TLS 1.3 and 1.2), refused after it, kept across a rebuild of the contexts, never
// across sites, and off when session_tickets is false.

#include "tls/ticket_keys.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tls/connection.h"
#include "tls/server_contexts.h"
#include "tls_test_support.h"

namespace rampart::tls {
namespace {

using namespace std::chrono_literals;
using testing::ClientOptions;
using testing::handshake;

struct SessionFree {
  void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
};
using SessionPtr = std::unique_ptr<SSL_SESSION, SessionFree>;

class TicketKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"a", "b"}) {
      PkeyPtr key = testing::make_ec_key();
      X509Ptr cert = testing::make_cert(key.get(), {.common_name = std::string(name) + ".example"});
      dir_.write(std::string(name) + ".pem", testing::to_pem(cert.get()));
      dir_.write(std::string(name) + ".key", testing::to_pem(key.get()));
    }
    keys_ = std::make_shared<TicketKeys>(1h, [this] { return now_; });
  }

  std::shared_ptr<const ServerContexts> build(const std::string& listener_tls = "{}") {
    const std::string d = dir_.path().string() + "/";
    config_ = testing::load_config("listeners: [{address: 127.0.0.1:8443, tls: " + listener_tls +
                                   "}]\n"
                                   "sites:\n"
                                   "  - name: a\n"
                                   "    hosts: [a.example]\n"
                                   "    origin: {endpoints: [127.0.0.1:9000]}\n"
                                   "    tls: {certificates: [{cert: " +
                                   d + "a.pem, key: " + d +
                                   "a.key}]}\n"
                                   "  - name: b\n"
                                   "    hosts: [b.example]\n"
                                   "    origin: {endpoints: [127.0.0.1:9000]}\n"
                                   "    tls: {certificates: [{cert: " +
                                   d + "b.pem, key: " + d + "b.key}]}\n");
    if (!config_) return nullptr;
    std::vector<config::Diagnostic> errors;
    auto contexts = ServerContexts::build(*config_, keys_, testing::lookup_for(*config_), errors);
    for (const auto& e : errors) ADD_FAILURE() << e.to_string();
    return contexts;
  }

  // A full handshake's session, ready to resume.
  SessionPtr first_session(const ServerContexts& contexts, int max_version = 0) {
    auto r = handshake(contexts, 0, ClientOptions{.sni = "a.example", .max_version = max_version});
    EXPECT_TRUE(r.ok) << r.client_error << r.server_error;
    EXPECT_FALSE(r.ok && SSL_session_reused(r.server.get()));
    // A client that closes without close_notify has its session marked not resumable
    // (OpenSSL's guard against truncation attacks); say it closed cleanly.
    if (r.ok) SSL_set_shutdown(r.client.get(), SSL_SENT_SHUTDOWN);
    SessionPtr session(r.ok ? SSL_get1_session(r.client.get()) : nullptr);
    EXPECT_TRUE(session && SSL_SESSION_is_resumable(session.get()));
    return session;
  }

  bool resumes(const ServerContexts& contexts, SSL_SESSION* session, int max_version = 0,
               const std::string& sni = "a.example") {
    auto r = handshake(contexts, 0,
                       ClientOptions{.sni = sni, .session = session, .max_version = max_version});
    EXPECT_TRUE(r.ok) << r.client_error << r.server_error;
    if (r.ok) SSL_set_shutdown(r.client.get(), SSL_SENT_SHUTDOWN);
    return r.ok && SSL_session_reused(r.server.get()) == 1 &&
           facts_after_handshake(r.server.get()).resumed;
  }

  testing::TempDir dir_{"tickets"};
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
  std::shared_ptr<TicketKeys> keys_;
  std::shared_ptr<const config::Config> config_;
};

TEST_F(TicketKeysTest, ResumesWithTls13AndTls12) {
  auto contexts = build();
  ASSERT_TRUE(contexts);
  for (int version : {0, TLS1_2_VERSION}) {
    SessionPtr session = first_session(*contexts, version);
    ASSERT_TRUE(session);
    EXPECT_TRUE(resumes(*contexts, session.get(), version)) << version;
  }
}

TEST_F(TicketKeysTest, OldKeyAcceptedForTwoMorePeriodsThenRefused) {
  auto contexts = build("{ticket_key_rotation: 1h}");
  ASSERT_TRUE(contexts);
  SessionPtr session = first_session(*contexts);
  ASSERT_TRUE(session);
  // Into the third period: the key no longer encrypts but still decrypts.
  now_ += 2h + 30min;
  EXPECT_TRUE(resumes(*contexts, session.get()));
  EXPECT_EQ(keys_->accepted_count(), 2u);
  // Past the third period the key is gone: a full handshake.
  now_ += 31min;
  EXPECT_FALSE(resumes(*contexts, session.get()));
}

TEST_F(TicketKeysTest, AnOlderKeysTicketIsReplacedByOneUnderTheCurrentKey) {
  auto contexts = build("{ticket_key_rotation: 1h}");
  ASSERT_TRUE(contexts);
  SessionPtr old_session = first_session(*contexts);
  ASSERT_TRUE(old_session);
  now_ += 1h + 30min;
  auto r = handshake(*contexts, 0, ClientOptions{.sni = "a.example", .session = old_session.get()});
  ASSERT_TRUE(r.ok);
  ASSERT_TRUE(SSL_session_reused(r.server.get()));
  SSL_set_shutdown(r.client.get(), SSL_SENT_SHUTDOWN);
  SessionPtr renewed(SSL_get1_session(r.client.get()));
  // Two more periods on, only the renewed ticket (under the newer key) still works.
  now_ += 2h;
  EXPECT_TRUE(resumes(*contexts, renewed.get()));
  EXPECT_FALSE(resumes(*contexts, old_session.get()));
}

TEST_F(TicketKeysTest, ResumptionSurvivesARebuildWithTheSameKeys) {
  auto before = build();
  ASSERT_TRUE(before);
  SessionPtr session = first_session(*before);
  auto after = build();
  ASSERT_TRUE(after);
  EXPECT_TRUE(resumes(*after, session.get()));
  // Fresh keys (a restart) do not know the ticket.
  keys_ = std::make_shared<TicketKeys>(1h, [this] { return now_; });
  auto restarted = build();
  ASSERT_TRUE(restarted);
  EXPECT_FALSE(resumes(*restarted, session.get()));
}

TEST_F(TicketKeysTest, ASessionDoesNotResumeOnAnotherSite) {
  auto contexts = build();
  ASSERT_TRUE(contexts);
  SessionPtr session = first_session(*contexts);
  ASSERT_TRUE(session);
  EXPECT_FALSE(resumes(*contexts, session.get(), 0, "b.example"));
  EXPECT_FALSE(resumes(*contexts, session.get(), TLS1_2_VERSION, "b.example"));
}

TEST_F(TicketKeysTest, TicketsOff) {
  auto contexts = build("{session_tickets: false}");
  ASSERT_TRUE(contexts);
  for (int version : {0, TLS1_2_VERSION}) {
    auto r = handshake(*contexts, 0, ClientOptions{.sni = "a.example", .max_version = version});
    ASSERT_TRUE(r.ok);
    SSL_set_shutdown(r.client.get(), SSL_SENT_SHUTDOWN);
    SessionPtr session(SSL_get1_session(r.client.get()));
    EXPECT_FALSE(session && resumes(*contexts, session.get(), version)) << version;
  }
}

TEST_F(TicketKeysTest, PeriodFollowsTheListenersRotation) {
  auto contexts = build("{ticket_key_rotation: 30m}");
  ASSERT_TRUE(contexts);
  EXPECT_EQ(keys_->period(), 30min);
}

}  // namespace
}  // namespace rampart::tls
