// Backend answers as a car sees them, for tests that play the backend's part over FakeMqtt.
#pragma once

#include <string>

#include "fake_mqtt.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/topics.hpp"

namespace fb::test {

/// The backend's "accepted" ack for a report the car published (matched by digest and id).
inline wire::Envelope accepted_ack_for(const std::string& published_payload, const std::string& case_number) {
  const auto sent = codec::decode(published_payload);
  auto env = codec::new_envelope(1);
  env.mutable_ack()->set_report_id(sent ? sent->report().report_id() : std::string());
  env.mutable_ack()->set_payload_sha256(codec::sha256(published_payload));
  env.mutable_ack()->mutable_accepted()->set_case_number(case_number);
  return env;
}

/// The backend's AnswerStored for a driver's answer the car published (its message id).
inline wire::Envelope answer_stored_for(const std::string& published_payload, bool refused = false,
                                        std::int64_t sent_at_ms = 1) {
  const auto sent = codec::decode(published_payload);
  auto env = codec::new_envelope(sent_at_ms);
  env.mutable_answer_stored()->set_answer_id(sent ? sent->message_id() : std::string());
  env.mutable_answer_stored()->set_refused(refused);
  if (refused) env.mutable_answer_stored()->set_detail("test: refused");
  return env;
}

/// Hands a message to the client's handler (posted) as if the broker delivered it on the car's inbox.
inline void deliver_to_inbox(FakeMqtt::State& mqtt, const std::string& vin, const wire::Envelope& env) {
  deliver(mqtt, mqtt::Message{topics::inbox(vin), codec::encode(env)});
}

}  // namespace fb::test
