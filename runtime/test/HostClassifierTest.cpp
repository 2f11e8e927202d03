//===- HostClassifierTest.cpp - The manifest's classifier program on the host ===//
//
// Hand-written programs (the compiler's own output is checked against the
// emitted device code in test/unit/compiler/ClassifierProgramHostTest.cpp):
// parsing and rejection of malformed programs, the device's integer
// semantics, params, array mirrors (tokens through token offsets), the
// conservative answers, and countNonEmptyTiles against a brute-force walk.
//
//===----------------------------------------------------------------------===//
#include "attnrt/HostClassifier.h"
#include "attnrt/WorkList.h"

#include "TestManifests.h"
#include "attn_kernels/abi.h"

#include <gtest/gtest.h>

#include <climits>
#include <random>

using namespace attnrt;
using namespace attnrt_test;

namespace {

const char *kParams = R"([
  {"name": "window", "type": "i32", "domain": "scalar", "default": 4096, "offset": 8},
  {"name": "cap", "type": "f32", "domain": "scalar", "default": 50.0, "offset": 16},
  {"name": "slopes", "type": "f32", "domain": "heads", "offset": 24},
  {"name": "doc", "type": "i32", "domain": "tokens", "offset": 32},
  {"name": "need", "type": "i32", "domain": "scalar", "offset": 40},
  {"name": "per_req", "type": "i32", "domain": "batch", "offset": 48}])";

// The sample manifest (32 q heads, 8 kv heads) with kParams and `program` as
// its "tile_classifier" (none when empty).
std::string manifestWith(const std::string &program) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto &f : sampleFields()) {
    if (f.first == "abi_version")
      out.emplace_back(f.first, std::to_string(ATTN_ABI_VERSION));
    else if (f.first == "params_bytes")
      out.emplace_back(f.first, "56");
    else if (f.first == "params")
      out.emplace_back(f.first, kParams);
    else
      out.push_back(f);
    if (f.first == "kernels" && !program.empty())
      out.emplace_back("tile_classifier", program);
  }
  return toJson(out);
}

std::string program(const std::string &ops, int result) {
  return R"({"version": 1, "result": )" + std::to_string(result) + R"(, "ops": [)" + ops + "]}";
}

Manifest parseOk(const std::string &prog) {
  Manifest m;
  Status s = parseManifest(manifestWith(prog), &m);
  EXPECT_TRUE(s.ok()) << s.toString();
  return m;
}

void expectInvalid(const std::string &prog, const std::string &needle) {
  Manifest m;
  Status s = parseManifest(manifestWith(prog), &m);
  ASSERT_FALSE(s.ok()) << "accepted: " << prog;
  EXPECT_EQ(s.code(), StatusCode::kInvalidManifest) << s.toString();
  EXPECT_NE(s.message().find(needle), std::string::npos)
      << "message \"" << s.message() << "\" lacks \"" << needle << "\"";
}

// mask = kv_idx <= q_idx: empty when k0 > q1, full when k1 <= q0.
const char *kCausalOps = R"(
  {"op": "arg", "type": "i32", "name": "q0"},
  {"op": "arg", "type": "i32", "name": "q1"},
  {"op": "arg", "type": "i32", "name": "k0"},
  {"op": "arg", "type": "i32", "name": "k1"},
  {"op": "cmpi", "type": "i1", "pred": "sgt", "args": [2, 1]},
  {"op": "cmpi", "type": "i1", "pred": "sle", "args": [3, 0]},
  {"op": "const", "type": "i32", "value": 0},
  {"op": "const", "type": "i32", "value": 1},
  {"op": "const", "type": "i32", "value": 2},
  {"op": "select", "type": "i32", "args": [5, 8, 7]},
  {"op": "select", "type": "i32", "args": [4, 6, 9]})";

// One batch: requests with these q and kv lengths.
BatchInfo batchOf(std::vector<int32_t> qLens, std::vector<int32_t> kvLens) {
  BatchInfo info;
  info.qLens = qLens;
  info.kvLens = kvLens;
  info.qIndptr = {0};
  info.kvTokenOffsets = {0};
  for (size_t b = 0; b < kvLens.size(); ++b) {
    info.qIndptr.push_back(info.qIndptr.back() + qLens[b]);
    info.kvTokenOffsets.push_back(info.kvTokenOffsets.back() + kvLens[b]);
  }
  info.kvIndptr = info.kvTokenOffsets;
  info.totalQ = info.qIndptr.back();
  info.totalKvTokens = info.kvTokenOffsets.back();
  return info;
}

TEST(HostClassifier, CausalProgram) {
  Manifest m = parseOk(program(kCausalOps, 10));
  ASSERT_TRUE(m.tileClassifier.present());
  EXPECT_EQ(m.tileClassifier.ops.size(), 11u);
  HostClassifier c(m);
  EXPECT_TRUE(c.exact());
  EXPECT_FALSE(c.readsHead());
  // Without bind: no param is read, the defaults are enough.
  EXPECT_EQ(c.classify(10, 20, 30, 40, 0, 0, 0, 50, 50), kTileEmpty);
  EXPECT_EQ(c.classify(30, 40, 0, 29, 0, 0, 0, 50, 50), kTileFull);
  EXPECT_EQ(c.classify(30, 40, 0, 30, 0, 0, 0, 50, 50), kTileFull);
  EXPECT_EQ(c.classify(30, 40, 0, 31, 0, 0, 0, 50, 50), kTilePartial);
  EXPECT_EQ(c.classify(30, 40, 40, 41, 0, 0, 0, 50, 50), kTilePartial);
  EXPECT_EQ(c.classify(30, 40, 41, 41, 0, 0, 0, 50, 50), kTileEmpty);
}

TEST(HostClassifier, AbsentProgramIsAlwaysPartial) {
  Manifest m = parseOk("");
  EXPECT_FALSE(m.tileClassifier.present());
  HostClassifier c(m);
  EXPECT_FALSE(c.exact());
  EXPECT_EQ(c.classify(0, 0, 100, 200, 0, 0, 0, 1, 300), kTilePartial);
  EXPECT_TRUE(c.bind(ParamSet(), HostArrays(), batchOf({1}, {300})).ok());
  EXPECT_EQ(c.classify(0, 0, 100, 200, 0, 0, 0, 1, 300), kTilePartial);
  // Every tile of an item counts.
  EXPECT_EQ(countNonEmptyTiles(c, 0, 0, 0, 1, 0, 300, 16, 64, 4, batchOf({1}, {300})), 5);
}

TEST(HostClassifier, NewerVersionIsIgnored) {
  Manifest m = parseOk(R"({"version": 2, "whatever": [1, 2, 3]})");
  EXPECT_FALSE(m.tileClassifier.present());
  EXPECT_FALSE(HostClassifier(m).exact());
}

TEST(HostClassifier, MalformedProgramsAreInvalidManifests) {
  const std::string a = R"({"op": "arg", "type": "i32", "name": "q0"})";
  const std::string c1 = R"({"op": "const", "type": "i1", "value": true})";
  expectInvalid("[]", "must be an object");
  expectInvalid(R"({"ops": []})", "version");
  expectInvalid(R"({"version": 0, "ops": [], "result": 0})", "version");
  expectInvalid(R"({"version": 1, "result": 0})", "ops");
  expectInvalid(R"({"version": 1, "ops": {}, "result": 0})", "ops");
  expectInvalid(program(a, 1), "result");
  expectInvalid(program(a, -1), "result");
  expectInvalid(R"({"version": 1, "ops": [)" + a + "]}", "result");
  expectInvalid(program(c1, 0), "must be an i32");
  expectInvalid(program(R"({"op": "frobnicate", "type": "i32"})", 0), "unknown op");
  expectInvalid(program(R"({"type": "i32"})", 0), "\"op\"");
  expectInvalid(program(R"({"op": "arg", "type": "i16", "name": "q0"})", 0), "unknown type");
  expectInvalid(program(R"({"op": "arg", "name": "q0"})", 0), "\"type\"");
  expectInvalid(program(R"({"op": "arg", "type": "i32", "name": "q2"})", 0), "unknown argument");
  expectInvalid(program(R"({"op": "arg", "type": "i64", "name": "q0"})", 0), "do not fit");
  // Operands: earlier values only.
  expectInvalid(program(R"({"op": "addi", "type": "i32", "args": [0, 0]})", 0), "earlier");
  expectInvalid(program(a + R"(, {"op": "addi", "type": "i32", "args": [0, 2]}, )" + a, 1),
                "earlier");
  expectInvalid(program(a + R"(, {"op": "addi", "type": "i32", "args": [0, -1]})", 1), "earlier");
  expectInvalid(program(a + R"(, {"op": "addi", "type": "i32", "args": [0, "x"]})", 1), "earlier");
  expectInvalid(program(a + R"(, {"op": "addi", "type": "i32", "args": [0]})", 1), "operand");
  expectInvalid(program(a + R"(, {"op": "addi", "type": "i32", "args": [0, 0, 0, 0]})", 1),
                "at most 3");
  // Types.
  expectInvalid(program(a + ", " + c1 + R"(, {"op": "addi", "type": "i32", "args": [0, 1]})", 2),
                "do not fit");
  expectInvalid(program(a + R"(, {"op": "addi", "type": "i64", "args": [0, 0]})", 1),
                "do not fit");
  expectInvalid(program(a + R"(, {"op": "select", "type": "i32", "args": [0, 0, 0]})", 1),
                "do not fit");
  expectInvalid(program(a + R"(, {"op": "extsi", "type": "i32", "args": [0]})", 1), "do not fit");
  expectInvalid(program(a + R"(, {"op": "trunci", "type": "i64", "args": [0]})", 1),
                "do not fit");
  expectInvalid(program(a + R"(, {"op": "addf", "type": "f32", "args": [0, 0]})", 1),
                "do not fit");
  expectInvalid(program(a + R"(, {"op": "not", "type": "i32", "args": [0]})", 1), "do not fit");
  expectInvalid(program(a + R"(, {"op": "cmpi", "type": "i1", "pred": "lt", "args": [0, 0]},
                                  {"op": "const", "type": "i32", "value": 0})",
                        2),
                "unknown predicate");
  expectInvalid(program(a + R"(, {"op": "cmpi", "type": "i1", "args": [0, 0]})", 1), "pred");
  expectInvalid(program(a + R"(, {"op": "cmpf", "type": "i1", "pred": "oeq", "args": [0, 0]})",
                        1),
                "do not fit");
  // Constants.
  expectInvalid(program(R"({"op": "const", "type": "i32", "value": 2147483648})", 0), "range");
  expectInvalid(program(R"({"op": "const", "type": "i32", "value": 1.5})", 0), "integer");
  expectInvalid(program(R"({"op": "const", "type": "i32"})", 0), "value");
  expectInvalid(program(R"({"op": "const", "type": "i1", "value": 2})", 0), "true, false");
  expectInvalid(program(R"({"op": "const", "type": "f32", "value": 1.0})", 0), "bits");
  // Params.
  expectInvalid(program(R"({"op": "param", "type": "i32", "name": "nope"})", 0), "not a param");
  expectInvalid(program(R"({"op": "param", "type": "i32"})", 0), "name");
  expectInvalid(program(R"({"op": "param", "type": "f32", "name": "window"})", 0), "do not fit");
  expectInvalid(program(R"({"op": "param", "type": "i32", "name": "doc"})", 0), "an array");
  expectInvalid(program(a + R"(, {"op": "load", "type": "i32", "name": "window", "args": [0]})",
                        1),
                "a scalar");
  expectInvalid(program(a + R"(, {"op": "load", "type": "f32", "name": "doc", "args": [0]})", 1),
                "do not fit");
  expectInvalid(program(a + R"(, {"op": "load", "type": "i32", "name": "doc", "args": [0],
                                  "guard": 0})",
                        1),
                "do not fit");
  expectInvalid(program(a + R"(, {"op": "load", "type": "i32", "name": "doc", "args": [0],
                                  "guard": 1})",
                        1),
                "guard");
  expectInvalid(program(a + R"(, {"op": "load", "type": "i32", "name": "doc"})", 1), "operand");
  // Ops must be objects.
  expectInvalid(program("1", 0), "must be an object");
}

TEST(HostClassifier, IntegerSemanticsMatchTheDevice) {
  // result = op(x, y) for x, y given as constants: wrap-around and total
  // division as attn_gen_ops.
  struct Case {
    const char *op;
    const char *type;
    int64_t x, y, want;
  };
  const int64_t kMin = INT32_MIN, kMax = INT32_MAX;
  const Case cases[] = {
      {"addi", "i32", kMax, 1, kMin},
      {"subi", "i32", kMin, 1, kMax},
      {"muli", "i32", 65536, 65536, 0},
      {"divsi", "i32", kMin, -1, kMin},
      {"divsi", "i32", 7, 0, 0},
      {"divsi", "i32", -7, 2, -3},
      {"remsi", "i32", 7, 0, 7},
      {"remsi", "i32", kMin, -1, 0},
      {"remsi", "i32", -7, 2, -1},
      {"divui", "i32", -2, 2, 0x7fffffff},
      {"remui", "i32", -1, 10, 5},
      {"ceildivsi", "i32", 7, 2, 4},
      {"ceildivsi", "i32", -7, 2, -3},
      {"ceildivui", "i32", 7, 2, 4},
      {"floordivsi", "i32", -7, 2, -4},
      {"floordivsi", "i32", 7, -2, -4},
      {"shli", "i32", 1, 31, kMin},
      {"shli", "i32", 1, 32, 0},
      {"shrui", "i32", -1, 28, 15},
      {"shrsi", "i32", -16, 2, -4},
      {"shrsi", "i32", -16, 40, -1},
      {"minsi", "i32", -1, 1, -1},
      {"minui", "i32", -1, 1, 1},
      {"maxui", "i32", -1, 1, -1},
      {"xori", "i32", 6, 3, 5},
  };
  for (const Case &k : cases) {
    std::string ops = std::string(R"({"op": "const", "type": "i32", "value": )") +
                      std::to_string(k.x) + R"(}, {"op": "const", "type": "i32", "value": )" +
                      std::to_string(k.y) + R"(}, {"op": ")" + k.op + R"(", "type": ")" + k.type +
                      R"(", "args": [0, 1]})";
    HostClassifier c(parseOk(program(ops, 2)));
    EXPECT_EQ(c.classify(0, 0, 0, 0, 0, 0, 0, 1, 1), k.want) << k.op << "(" << k.x << ", " << k.y
                                                              << ")";
  }
  // i64 arithmetic narrowed back: trunci keeps the low 32 bits; extui of an
  // i32 zero-extends; extsi of i1 true is -1; fptosi saturates.
  std::string ops = R"(
    {"op": "const", "type": "i64", "value": 4294967297},
    {"op": "trunci", "type": "i32", "args": [0]},
    {"op": "const", "type": "i32", "value": -1},
    {"op": "extui", "type": "i64", "args": [2]},
    {"op": "trunci", "type": "i32", "args": [3]},
    {"op": "const", "type": "i1", "value": true},
    {"op": "extsi", "type": "i32", "args": [5]},
    {"op": "const", "type": "f32", "bits": 1325400064},
    {"op": "fptosi", "type": "i32", "args": [7]},
    {"op": "const", "type": "f32", "bits": 2143289344},
    {"op": "fptosi", "type": "i32", "args": [9]},
    {"op": "extui", "type": "i64", "args": [2]},
    {"op": "const", "type": "i64", "value": 4294967295},
    {"op": "cmpi", "type": "i1", "pred": "eq", "args": [11, 12]},
    {"op": "not", "type": "i1", "args": [5]},
    {"op": "cmpi", "type": "i1", "pred": "slt", "args": [5, 14]},
    {"op": "cmpi", "type": "i1", "pred": "ult", "args": [5, 14]},
    {"op": "cmpi", "type": "i1", "pred": "ult", "args": [2, 1]},
    {"op": "cmpi", "type": "i1", "pred": "slt", "args": [2, 1]})";
  Manifest m = parseOk(program(ops, 1));
  auto resultOf = [&](int index) {
    Manifest mm = m;
    mm.tileClassifier.result = index;
    if (mm.tileClassifier.ops[index].type != ClsType::kI32) {
      // Widen an i1 to look at it.
      ClsInstr ext;
      ext.op = ClsOpcode::kExtUI;
      ext.type = ClsType::kI32;
      ext.aux = static_cast<uint8_t>(ClsType::kI1);
      ext.a = index;
      mm.tileClassifier.ops.push_back(ext);
      mm.tileClassifier.result = static_cast<int32_t>(mm.tileClassifier.ops.size()) - 1;
    }
    return HostClassifier(mm).classify(0, 0, 0, 0, 0, 0, 0, 1, 1);
  };
  EXPECT_EQ(resultOf(1), 1);
  EXPECT_EQ(resultOf(4), -1);
  EXPECT_EQ(resultOf(6), -1);
  EXPECT_EQ(resultOf(8), INT32_MAX); // 2^31 as f32
  EXPECT_EQ(resultOf(10), 0);        // NaN
  EXPECT_EQ(resultOf(13), 1);        // extui(-1) == 2^32 - 1
  EXPECT_EQ(resultOf(14), 0);        // not true
  EXPECT_EQ(resultOf(15), 1);        // signed i1: true (-1) < false (0)
  EXPECT_EQ(resultOf(16), 0);        // unsigned i1: 1 < 0
  EXPECT_EQ(resultOf(17), 0);        // 0xffffffff <u 1
  EXPECT_EQ(resultOf(18), 1);        // -1 <s 1
}

TEST(HostClassifier, ScalarParamsBindByNameWithDefaults) {
  // result = window + need (need has no default).
  std::string ops = R"(
    {"op": "param", "type": "i32", "name": "window"},
    {"op": "param", "type": "i32", "name": "need"},
    {"op": "addi", "type": "i32", "args": [0, 1]},
    {"op": "param", "type": "f32", "name": "cap"},
    {"op": "fptosi", "type": "i32", "args": [3]},
    {"op": "addi", "type": "i32", "args": [2, 4]})";
  HostClassifier c(parseOk(program(ops, 5)));
  BatchInfo info = batchOf({1}, {10});
  // Unbound and no default for "need": partial.
  EXPECT_EQ(c.classify(0, 0, 0, 0, 0, 0, 0, 1, 10), kTilePartial);
  Status s = c.bind(ParamSet(), HostArrays(), info);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.toString();
  EXPECT_NE(s.message().find("need"), std::string::npos);
  EXPECT_EQ(c.classify(0, 0, 0, 0, 0, 0, 0, 1, 10), kTilePartial);

  ParamSet p;
  p.setI32("need", 7);
  ASSERT_TRUE(c.bind(p, HostArrays(), info).ok());
  EXPECT_EQ(c.classify(0, 0, 0, 0, 0, 0, 0, 1, 10), 4096 + 7 + 50);
  p.setI32("window", 1);
  p.setF32("cap", -2.5f);
  ASSERT_TRUE(c.bind(p, HostArrays(), info).ok());
  EXPECT_EQ(c.classify(0, 0, 0, 0, 0, 0, 0, 1, 10), 1 + 7 - 2);

  p.setF32("window", 1.0f);
  s = c.bind(p, HostArrays(), info);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.toString();
  p.setArray("window", ParamType::kI32, 0x1000, 4);
  EXPECT_EQ(c.bind(p, HostArrays(), info).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.classify(0, 0, 0, 0, 0, 0, 0, 1, 10), kTilePartial);
}

// mask = doc[q_idx] == doc[kv_idx] for single-position tiles, as the
// compiler's classifier reads arrays: guarded by "q0 == q1 && 0 <= q0 < kv_len".
const char *kDocOps = R"(
  {"op": "arg", "type": "i32", "name": "q0"},
  {"op": "arg", "type": "i32", "name": "q1"},
  {"op": "arg", "type": "i32", "name": "k0"},
  {"op": "arg", "type": "i32", "name": "k1"},
  {"op": "arg", "type": "i32", "name": "kv_len"},
  {"op": "cmpi", "type": "i1", "pred": "eq", "args": [0, 1]},
  {"op": "cmpi", "type": "i1", "pred": "eq", "args": [2, 3]},
  {"op": "andi", "type": "i1", "args": [5, 6]},
  {"op": "load", "type": "i32", "name": "doc", "args": [0], "guard": 7},
  {"op": "load", "type": "i32", "name": "doc", "args": [2], "guard": 7},
  {"op": "cmpi", "type": "i1", "pred": "eq", "args": [8, 9]},
  {"op": "const", "type": "i32", "value": 0},
  {"op": "const", "type": "i32", "value": 1},
  {"op": "const", "type": "i32", "value": 2},
  {"op": "select", "type": "i32", "args": [10, 13, 11]},
  {"op": "select", "type": "i32", "args": [7, 14, 12]})";

TEST(HostClassifier, TokenArraysReadThroughTokenOffsets) {
  HostClassifier c(parseOk(program(kDocOps, 15)));
  BatchInfo info = batchOf({2, 3}, {4, 5});
  // Request 0: docs 1 1 2 2; request 1: docs 7 7 7 8 8.
  std::vector<int32_t> doc = {1, 1, 2, 2, 7, 7, 7, 8, 8};
  HostArrays arrays;
  arrays.setI32("doc", doc.data(), static_cast<int64_t>(doc.size()));
  ASSERT_TRUE(c.bind(ParamSet(), arrays, info).ok());
  EXPECT_EQ(c.classify(1, 1, 0, 0, 0, 0, 0, 2, 4), kTileFull);
  EXPECT_EQ(c.classify(2, 2, 1, 1, 0, 0, 0, 2, 4), kTileEmpty);
  EXPECT_EQ(c.classify(2, 2, 3, 3, 0, 0, 0, 2, 4), kTileFull);
  EXPECT_EQ(c.classify(4, 4, 3, 3, 0, 0, 1, 3, 5), kTileFull);
  EXPECT_EQ(c.classify(4, 4, 2, 2, 0, 0, 1, 3, 5), kTileEmpty);
  EXPECT_EQ(c.classify(0, 0, 2, 2, 0, 0, 1, 3, 5), kTileFull);
  // Guard false: nothing read, the "partial" branch of the program.
  EXPECT_EQ(c.classify(0, 1, 2, 2, 0, 0, 1, 3, 5), kTilePartial);
  // An index outside the mirror (a call outside the device's contract):
  // partial, never a read out of bounds.
  EXPECT_EQ(c.classify(9, 9, 2, 2, 0, 0, 1, 3, 5), kTilePartial);
  EXPECT_EQ(c.classify(2, 2, 2, 2, 0, 0, 7, 3, 5), kTilePartial);
  EXPECT_EQ(c.classify(-6, -6, -6, -6, 0, 0, 1, 3, 5), kTilePartial);

  // A mirror shorter than the tokens domain is an error.
  HostArrays shorter;
  shorter.setI32("doc", doc.data(), 8);
  Status s = c.bind(ParamSet(), shorter, info);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.toString();
  // ... as are a wrong type and an unknown name.
  std::vector<float> f(9);
  HostArrays wrongType;
  wrongType.setF32("doc", f.data(), 9);
  EXPECT_EQ(c.bind(ParamSet(), wrongType, info).code(), StatusCode::kInvalidArgument);
  HostArrays unknown;
  unknown.setI32("docs", doc.data(), 9);
  EXPECT_EQ(c.bind(ParamSet(), unknown, info).code(), StatusCode::kInvalidArgument);
  HostArrays scalar;
  scalar.setI32("window", doc.data(), 9);
  EXPECT_EQ(c.bind(ParamSet(), scalar, info).code(), StatusCode::kInvalidArgument);
}

TEST(HostClassifier, MissingMirrorIsPartialOnlyWhenRead) {
  HostClassifier c(parseOk(program(kDocOps, 15)));
  ASSERT_TRUE(c.bind(ParamSet(), HostArrays(), batchOf({2}, {4})).ok());
  EXPECT_EQ(c.classify(1, 1, 0, 0, 0, 0, 0, 2, 4), kTilePartial); // reads doc
  EXPECT_EQ(c.classify(0, 1, 0, 0, 0, 0, 0, 2, 4), kTilePartial); // guard false
  // A program whose unguarded read decides "empty" shows the difference:
  // without the mirror it cannot say empty.
  std::string ops = R"(
    {"op": "const", "type": "i32", "value": 0},
    {"op": "load", "type": "i32", "name": "per_req", "args": [0]})";
  HostClassifier d(parseOk(program(ops, 1)));
  BatchInfo info = batchOf({1, 1}, {3, 3});
  ASSERT_TRUE(d.bind(ParamSet(), HostArrays(), info).ok());
  EXPECT_EQ(d.classify(0, 0, 0, 0, 0, 0, 0, 1, 3), kTilePartial);
  std::vector<int32_t> perReq = {0, 5};
  HostArrays arrays;
  arrays.setI32("per_req", perReq.data(), 2);
  ASSERT_TRUE(d.bind(ParamSet(), arrays, info).ok());
  EXPECT_EQ(d.classify(0, 0, 0, 0, 0, 0, 0, 1, 3), kTileEmpty);
  EXPECT_EQ(countNonEmptyTiles(d, 0, 0, 0, 1, 0, 3, 16, 1, 4, info), 0);
}

// Brute force: the tiles the kernel visits, per tile_schedule.cuh.
int64_t bruteCount(const HostClassifier &c, int request, int kvHead, int qBegin, int qEnd,
                   int kvBegin, int kvEnd, int blockM, int blockN, int group,
                   const BatchInfo &info) {
  int rows = std::max(1, blockM / group);
  int qLen = info.qLens[request], kvLen = info.kvLens[request];
  int64_t n = 0;
  for (int r0 = qBegin; r0 < qEnd; r0 += rows) {
    int r1 = std::min(qEnd, r0 + rows);
    for (int k0 = kvBegin; k0 < kvEnd; k0 += blockN) {
      int k1 = std::min(kvEnd, k0 + blockN);
      bool any = false;
      for (int g = 0; g < group; ++g)
        any |= c.classify(kvLen - qLen + r0, kvLen - qLen + r1 - 1, k0, k1 - 1,
                          kvHead * group + g, kvHead, request, qLen, kvLen) != 0;
      n += any;
    }
  }
  return n;
}

TEST(HostClassifier, CountsCausalTiles) {
  HostClassifier c(parseOk(program(kCausalOps, 10)));
  BatchInfo info = batchOf({100, 1, 37}, {300, 1000, 37});
  ASSERT_TRUE(c.bind(ParamSet(), HostArrays(), info).ok());
  // Request 0: rows 0..99 at positions 200..299; one item of 16 rows
  // (blockM 64 / group 4) at rows [32, 48) = positions [232, 247]: keys
  // [0, 300) in tiles of 64: [0,64) ... [192,256) visible, [256,300) not.
  EXPECT_EQ(countNonEmptyTiles(c, 0, 0, 32, 48, 0, 300, 64, 64, 4, info), 4);
  // Decode: one row at position 999 sees every tile.
  EXPECT_EQ(countNonEmptyTiles(c, 1, 3, 0, 1, 0, 1000, 16, 64, 4, info), 16);
  // A split item: keys [512, 1000) only.
  EXPECT_EQ(countNonEmptyTiles(c, 1, 3, 0, 1, 512, 1000, 16, 64, 4, info), 8);
  // Out of range: nothing.
  EXPECT_EQ(countNonEmptyTiles(c, 3, 0, 0, 1, 0, 10, 16, 64, 4, info), 0);
  EXPECT_EQ(countNonEmptyTiles(c, 0, 0, 5, 5, 0, 10, 16, 64, 4, info), 0);

  std::mt19937 rng(3);
  for (int n = 0; n < 500; ++n) {
    int b = static_cast<int>(rng() % 3);
    int qLen = info.qLens[b], kvLen = info.kvLens[b];
    int qBegin = static_cast<int>(rng() % qLen);
    int qEnd = qBegin + 1 + static_cast<int>(rng() % (qLen - qBegin));
    int kvBegin = static_cast<int>(rng() % kvLen);
    int kvEnd = kvBegin + 1 + static_cast<int>(rng() % (kvLen - kvBegin));
    int blockM = 16 << (rng() % 3), blockN = 16 << (rng() % 3);
    EXPECT_EQ(countNonEmptyTiles(c, b, 1, qBegin, qEnd, kvBegin, kvEnd, blockM, blockN, 4, info),
              bruteCount(c, b, 1, qBegin, qEnd, kvBegin, kvEnd, blockM, blockN, 4, info));
  }
}

TEST(HostClassifier, ReadsHeadCombinesTheGroup) {
  // Empty for odd heads, full for even ones.
  std::string ops = R"(
    {"op": "arg", "type": "i32", "name": "head"},
    {"op": "const", "type": "i32", "value": 1},
    {"op": "andi", "type": "i32", "args": [0, 1]},
    {"op": "const", "type": "i32", "value": 0},
    {"op": "cmpi", "type": "i1", "pred": "eq", "args": [2, 3]},
    {"op": "const", "type": "i32", "value": 2},
    {"op": "select", "type": "i32", "args": [4, 5, 3]})";
  HostClassifier c(parseOk(program(ops, 6)));
  EXPECT_TRUE(c.readsHead());
  BatchInfo info = batchOf({1}, {256});
  ASSERT_TRUE(c.bind(ParamSet(), HostArrays(), info).ok());
  EXPECT_EQ(c.classify(255, 255, 0, 63, 1, 0, 0, 1, 256), kTileEmpty);
  // The group of kv head 2 (heads 8..11) has even heads: every tile counts.
  EXPECT_EQ(countNonEmptyTiles(c, 0, 2, 0, 1, 0, 256, 16, 64, 4, info), 4);
  // Group size 1: head = kv head, kv head 1 -> odd -> nothing.
  EXPECT_EQ(countNonEmptyTiles(c, 0, 1, 0, 1, 0, 256, 16, 64, 1, info), 0);
  // An unused head argument does not make it read the head.
  std::string unused = std::string(kCausalOps) + R"(, {"op": "arg", "type": "i32", "name": "head"})";
  EXPECT_FALSE(HostClassifier(parseOk(program(unused, 10))).readsHead());
}

} // namespace

namespace {
// The planner's counter halves only the ranges that classify as partial; on
// a precise classifier (causal) it must agree with the tile-by-tile walk.
TEST(HostClassifier, PlannerCounterMatchesTheTileWalk) {
  Manifest m = parseOk(program(kCausalOps, 10));
  HostClassifier c(m);
  BatchInfo info = batchOf({100, 1, 37, 4096}, {300, 1000, 37, 4096});
  ASSERT_TRUE(c.bind(ParamSet(), HostArrays(), info).ok());
  ClassifierTileCounter counter(c);
  std::mt19937 rng(5);
  for (int n = 0; n < 2000; ++n) {
    const int b = static_cast<int>(rng() % 4);
    const int qLen = info.qLens[b], kvLen = info.kvLens[b];
    const int blockN = 16 << (rng() % 3);
    const int rows = 1 + static_cast<int>(rng() % 32);
    AttnWorkItem it{};
    it.request = b;
    it.kv_head = static_cast<int>(rng() % 8);
    it.q_begin = static_cast<int>(rng() % qLen);
    it.q_end = std::min(qLen, it.q_begin + rows);
    it.kv_begin = static_cast<int>(rng() % kvLen) / blockN * blockN;
    it.kv_end = it.kv_begin + 1 + static_cast<int>(rng() % (kvLen - it.kv_begin));
    const int blockM = (it.q_end - it.q_begin) * 4; // the item is one tile of rows
    EXPECT_EQ(counter.countTiles(it, info, blockM, blockN),
              bruteCount(c, b, it.kv_head, it.q_begin, it.q_end, it.kv_begin, it.kv_end,
                         blockM, blockN, 4, info))
        << "request " << b << " rows [" << it.q_begin << ", " << it.q_end << ") keys ["
        << it.kv_begin << ", " << it.kv_end << ") block_n " << blockN;
  }
}
} // namespace
