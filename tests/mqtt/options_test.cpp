#include "fb/mqtt/options.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "process.hpp"

namespace fb::mqtt {
namespace {

TEST(MqttOptions, ServerUrisGiveHostPortAndTls) {
  auto ssl = parse_server_uri("ssl://broker.example:8883");
  ASSERT_TRUE(ssl) << ssl.error().what();
  EXPECT_EQ(ssl->host, "broker.example");
  EXPECT_EQ(ssl->port, 8883);
  EXPECT_TRUE(ssl->tls);
  auto tcp = parse_server_uri("tcp://127.0.0.1:1883");
  ASSERT_TRUE(tcp);
  EXPECT_FALSE(tcp->tls);
  EXPECT_TRUE(parse_server_uri("mqtts://h:1")->tls);
  EXPECT_FALSE(parse_server_uri("mqtt://h:65535")->tls);
}

TEST(MqttOptions, MalformedServerUrisAreInvalidArguments) {
  for (const char* uri : {"", "broker:1883", "http://h:80", "ssl://h", "ssl://:8883", "ssl://h:0", "ssl://h:65536",
                          "ssl://h:88x3", "ssl://h:"}) {
    auto r = parse_server_uri(uri);
    ASSERT_FALSE(r) << uri;
    EXPECT_EQ(r.error().code, make_error_code(MqttErrc::invalid_argument)) << uri;
  }
}

ClientOptions tcp_options() {
  ClientOptions o;
  o.server_uri = "tcp://127.0.0.1:1883";
  o.client_id = "car-1";
  return o;
}

TEST(MqttOptions, AnEmptyClientIdOrZeroBoundsAreRefused) {
  auto o = tcp_options();
  o.client_id.clear();
  EXPECT_EQ(check_options(o).error().code, make_error_code(MqttErrc::invalid_argument));
  o = tcp_options();
  o.max_inflight = 0;
  EXPECT_FALSE(check_options(o));
  o = tcp_options();
  o.reconnect_min = std::chrono::milliseconds(0);
  EXPECT_FALSE(check_options(o));
  o = tcp_options();
  o.reconnect_max = o.reconnect_min / 2;
  EXPECT_FALSE(check_options(o));
  EXPECT_TRUE(check_options(tcp_options()));
}

TEST(MqttOptions, AWillNeedsATopicWithoutWildcardsAndReachesTheConnect) {
  auto o = tcp_options();
  o.will = Will{"", "offline"};
  EXPECT_EQ(check_options(o).error().code, make_error_code(MqttErrc::invalid_argument));
  o.will->topic = "vehicles/+/status";
  EXPECT_FALSE(check_options(o));
  o.will->topic = "vehicles/#";
  EXPECT_FALSE(check_options(o));
  o.will->topic = "vehicles/car-1/status";
  EXPECT_TRUE(check_options(o));
  const auto p = connect_params(o);
  ASSERT_TRUE(p.will);
  EXPECT_EQ(p.will->payload, "offline");
  EXPECT_FALSE(connect_params(tcp_options()).will);
}

TEST(MqttOptions, TlsNeedsEveryFileReadableAndNamesTheOneMissing) {
  test::TempDir dir("fbmqttopt");
  for (const char* f : {"ca.crt", "client.crt"}) std::ofstream(dir / f) << "x";
  auto o = tcp_options();
  o.server_uri = "ssl://127.0.0.1:8883";
  o.tls = tls_files_in(dir.path());
  auto r = check_options(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(MqttErrc::tls_setup));
  EXPECT_NE(r.error().detail.find("client.key"), std::string::npos) << r.error().detail;

  std::ofstream(dir / "client.key") << "x";
  EXPECT_TRUE(check_options(o));
  // Plain TCP never looks at the files.
  o.server_uri = "tcp://127.0.0.1:1883";
  o.tls = {};
  EXPECT_TRUE(check_options(o));
}

TEST(MqttOptions, ConnectParamsFollowTheProtocolVersion) {
  auto o = tcp_options();
  o.clean_session = false;
  o.session_expiry = std::chrono::hours(1);
  o.keep_alive = std::chrono::seconds(15);
  auto v3 = connect_params(o);
  EXPECT_EQ(v3.version, ProtocolVersion::v3_1_1);
  EXPECT_FALSE(v3.clean_start);
  EXPECT_EQ(v3.session_expiry, std::chrono::seconds(0));  // v3.1.1 has no session expiry
  EXPECT_EQ(v3.keep_alive, std::chrono::seconds(15));

  o.version = ProtocolVersion::v5;
  o.clean_session = true;
  auto v5 = connect_params(o);
  EXPECT_EQ(v5.version, ProtocolVersion::v5);
  EXPECT_TRUE(v5.clean_start);
  EXPECT_EQ(v5.session_expiry, std::chrono::seconds(3600));
}

}  // namespace
}  // namespace fb::mqtt
