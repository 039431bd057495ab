// parse_request(): the bytes of one request as the API's handler receives them — the same
// conversion a connection makes (the fuzz target fuzz_http drives it with arbitrary bytes).
#include <gtest/gtest.h>

#include "fb/api/errors.hpp"
#include "fb/api/http_server.hpp"

namespace fb::api {
namespace {

TEST(HttpRequestParse, PathAndQueryArePercentDecodedAndHeaderNamesLowercased) {
  auto r = parse_request(
      "GET /api/v1/cases/FB%2D1?q=%E5%88%B9%E8%BD%A6+noise&limit=5&limit=7&=x HTTP/1.1\r\n"
      "Host: h\r\nAuthorization: Bearer t\r\n\r\n");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->path, "/api/v1/cases/FB-1");
  EXPECT_EQ(r->query.at("q"), "刹车 noise");
  EXPECT_EQ(r->query.at("limit"), "7");  // a repeated key keeps the last value
  EXPECT_EQ(r->query.count(""), 0U);     // an empty key is dropped
  EXPECT_EQ(r->header("authorization"), "Bearer t");
}

TEST(HttpRequestParse, ABodyByLengthOrInChunksArrivesWhole) {
  auto sized = parse_request("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(sized) << sized.error().what();
  EXPECT_EQ(sized->body, "hello");
  auto chunked = parse_request(
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n");
  ASSERT_TRUE(chunked) << chunked.error().what();
  EXPECT_EQ(chunked->body, "hello");
}

TEST(HttpRequestParse, BadBytesAreABadRequestNamingTheProblem) {
  auto escape = parse_request("GET /a%zz HTTP/1.1\r\n\r\n");
  ASSERT_FALSE(escape);
  EXPECT_EQ(escape.error().code, ApiErrc::bad_request);
  EXPECT_NE(escape.error().detail.find("path"), std::string::npos) << escape.error().detail;
  auto query = parse_request("GET /a?x=%4 HTTP/1.1\r\n\r\n");
  ASSERT_FALSE(query);
  EXPECT_NE(query.error().detail.find("query"), std::string::npos) << query.error().detail;
  // A NUL byte, which PostgreSQL would cut a parameter at (an export of "<VIN>%00x" finding the VIN).
  auto nul_path = parse_request("GET /api/v1/cases/FB-2026-000001%00x HTTP/1.1\r\n\r\n");
  ASSERT_FALSE(nul_path);
  EXPECT_NE(nul_path.error().detail.find("%00"), std::string::npos) << nul_path.error().detail;
  auto nul_query = parse_request("GET /api/v1/privacy/export?vin=LSVAX60E5K2000001%00x HTTP/1.1\r\n\r\n");
  ASSERT_FALSE(nul_query);
  EXPECT_NE(nul_query.error().detail.find("query"), std::string::npos) << nul_query.error().detail;
  // Bytes that are not UTF-8 (PostgreSQL would refuse them as a text parameter: a 500).
  auto latin1_query = parse_request("GET /api/v1/cases?q=%FF HTTP/1.1\r\n\r\n");
  ASSERT_FALSE(latin1_query);
  EXPECT_NE(latin1_query.error().detail.find("query is not UTF-8"), std::string::npos) << latin1_query.error().detail;
  auto cut_path = parse_request("GET /api/v1/cases/%C3%28 HTTP/1.1\r\n\r\n");
  ASSERT_FALSE(cut_path);
  EXPECT_NE(cut_path.error().detail.find("path is not UTF-8"), std::string::npos) << cut_path.error().detail;
  EXPECT_TRUE(parse_request("GET /api/v1/cases?q=%E5%BC%82%E5%93%8D HTTP/1.1\r\n\r\n"));  // 异响
  auto garbage = parse_request("\x01\x02 not http\r\n\r\n");
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().detail.find("malformed HTTP request"), std::string::npos) << garbage.error().detail;
  auto truncated = parse_request("POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_FALSE(truncated);
}

TEST(HttpRequestParse, TheServersLimitsApply) {
  HttpServerOptions limits;
  limits.max_body_bytes = 4;
  auto big = parse_request("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", limits);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().detail.find("body limit"), std::string::npos) << big.error().detail;
  limits.max_header_bytes = 32;
  auto long_header = parse_request("GET /x HTTP/1.1\r\nX-Long: " + std::string(64, 'a') + "\r\n\r\n", limits);
  ASSERT_FALSE(long_header);
}

}  // namespace
}  // namespace fb::api
