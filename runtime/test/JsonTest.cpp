//===- JsonTest.cpp - The manifest JSON reader ----------------------------===//
#include "attnrt/Json.h"

#include <gtest/gtest.h>

using namespace attnrt;

namespace {

JsonValue parseOk(const std::string &text) {
  JsonValue v;
  Status s = parseJson(text, &v);
  EXPECT_TRUE(s.ok()) << text << " -> " << s.toString();
  return v;
}

Status parseErr(const std::string &text) {
  JsonValue v;
  Status s = parseJson(text, &v);
  EXPECT_FALSE(s.ok()) << "accepted: " << text;
  if (!s.ok()) {
    EXPECT_EQ(s.code(), StatusCode::kParseError) << text;
  }
  return s;
}

TEST(Json, Literals) {
  EXPECT_TRUE(parseOk("null").isNull());
  EXPECT_TRUE(parseOk(" true ").asBool());
  EXPECT_FALSE(parseOk("false").asBool());
  EXPECT_TRUE(parseOk("\t\r\n false\n").isBool());
}

TEST(Json, Numbers) {
  JsonValue v = parseOk("4096");
  EXPECT_TRUE(v.isInteger());
  EXPECT_EQ(v.asInt(), 4096);
  EXPECT_EQ(v.asDouble(), 4096.0);
  EXPECT_EQ(parseOk("-17").asInt(), -17);
  EXPECT_EQ(parseOk("0").asInt(), 0);
  EXPECT_TRUE(parseOk("-0").isInteger());
  EXPECT_FALSE(parseOk("50.0").isInteger());
  EXPECT_DOUBLE_EQ(parseOk("50.0").asDouble(), 50.0);
  EXPECT_DOUBLE_EQ(parseOk("0.08838834764831845").asDouble(), 0.08838834764831845);
  EXPECT_DOUBLE_EQ(parseOk("1e3").asDouble(), 1000.0);
  EXPECT_DOUBLE_EQ(parseOk("-2.5E-2").asDouble(), -0.025);
  EXPECT_DOUBLE_EQ(parseOk("1E+2").asDouble(), 100.0);
  EXPECT_EQ(parseOk("9223372036854775807").asInt(), INT64_MAX);
  EXPECT_EQ(parseOk("-9223372036854775808").asInt(), INT64_MIN);
  // Beyond int64: still a number, no longer an exact integer.
  JsonValue big = parseOk("92233720368547758070");
  EXPECT_TRUE(big.isNumber());
  EXPECT_FALSE(big.isInteger());
}

TEST(Json, MalformedNumbers) {
  for (const char *s : {"01", "-", "1.", ".5", "+1", "1e", "1e+", "--1", "0x10", "NaN",
                        "Infinity", "-Infinity", "1e999", "1.5.2"})
    parseErr(s);
}

TEST(Json, Strings) {
  EXPECT_EQ(parseOk(R"("abc")").asString(), "abc");
  EXPECT_EQ(parseOk(R"("")").asString(), "");
  EXPECT_EQ(parseOk(R"("a\"b\\c\/d\b\f\n\r\t")").asString(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parseOk(R"("\u0041\u00e9\u20AC")").asString(), "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(parseOk(R"("\ud83d\ude00")").asString(), "\xF0\x9F\x98\x80"); // surrogate pair
  EXPECT_EQ(parseOk("\"caf\xC3\xA9\"").asString(), "caf\xC3\xA9");          // raw UTF-8
}

TEST(Json, MalformedStrings) {
  for (const char *s : {"\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\ud83d\"",
                        "\"\\ud83d\\u0041\"", "\"\\ude00\"", "'abc'", "\"a\nb\"", "\"\\"})
    parseErr(s);
}

TEST(Json, Nesting) {
  JsonValue v = parseOk(R"({"a": [1, {"b": [true, null, []]}, "x"], "c": {}})");
  ASSERT_TRUE(v.isObject());
  ASSERT_EQ(v.asObject().size(), 2u);
  EXPECT_EQ(v.asObject()[0].first, "a"); // document order
  const JsonValue *a = v.find("a");
  ASSERT_TRUE(a && a->isArray());
  ASSERT_EQ(a->asArray().size(), 3u);
  const JsonValue *b = a->asArray()[1].find("b");
  ASSERT_TRUE(b && b->isArray());
  EXPECT_TRUE(b->asArray()[1].isNull());
  EXPECT_TRUE(b->asArray()[2].isArray());
  EXPECT_TRUE(v.find("c")->isObject());
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(a->find("a"), nullptr); // find on a non-object
}

TEST(Json, DepthLimit) {
  std::string ok(kJsonMaxDepth, '['), okClose(kJsonMaxDepth, ']');
  parseOk(ok + okClose);
  std::string deep(kJsonMaxDepth + 1, '['), deepClose(kJsonMaxDepth + 1, ']');
  EXPECT_NE(parseErr(deep + deepClose).message().find("nesting"), std::string::npos);
  // Hostile input: must fail cleanly, not overflow the stack.
  parseErr(std::string(100000, '['));
  parseErr(std::string(100000, '{'));
}

TEST(Json, MalformedStructure) {
  for (const char *s : {"", "   ", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":1,}", "{a:1}",
                        "{\"a\":1", "[1", "{\"a\":}", "[,]", "{,}", "1 2", "[] []", "nul",
                        "tru", "/* c */ 1", "// c\n1", "{\"a\":1}x", "\x01"})
    parseErr(s);
}

TEST(Json, DuplicateKeysRejected) { parseErr(R"({"a": 1, "a": 2})"); }

TEST(Json, ErrorsHaveLineAndColumn) {
  Status s = parseErr("{\n  \"a\": 1,\n  \"b\": ?\n}");
  EXPECT_NE(s.message().find("line 3, column 8"), std::string::npos) << s.message();
}

TEST(Json, NullOutputIsAnError) {
  EXPECT_EQ(parseJson("1", nullptr).code(), StatusCode::kInvalidArgument);
}

} // namespace
