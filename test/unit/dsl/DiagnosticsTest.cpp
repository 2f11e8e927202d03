//===- DiagnosticsTest.cpp - Rendering, line tables, typo hints -----------===//
#include "attn/dsl/Diagnostics.h"
#include "attn/dsl/Frontend.h"

#include <gtest/gtest.h>

namespace {

using attn::dsl::DiagnosticEngine;
using attn::dsl::Severity;
using attn::dsl::SourceFile;

TEST(SourceFile, LineCol) {
  SourceFile f("f.attn", "ab\ncd\n\nxyz");
  EXPECT_EQ(f.lineCol(0).line, 1u);
  EXPECT_EQ(f.lineCol(0).col, 1u);
  EXPECT_EQ(f.lineCol(1).col, 2u);
  EXPECT_EQ(f.lineCol(3).line, 2u);
  EXPECT_EQ(f.lineCol(3).col, 1u);
  EXPECT_EQ(f.lineCol(6).line, 3u);
  EXPECT_EQ(f.lineCol(9).line, 4u);
  EXPECT_EQ(f.lineCol(9).col, 3u);
  EXPECT_EQ(f.lineCol(1000).line, 4u); // clamped, never out of bounds
  EXPECT_EQ(f.lineText(2), "cd");
  EXPECT_EQ(f.lineText(3), "");
  EXPECT_EQ(f.lineText(4), "xyz");
  EXPECT_EQ(f.lineText(99), "");
}

TEST(SourceFile, CRLFLinesDropTheCR) {
  SourceFile f("f.attn", "ab\r\ncd\r\n");
  EXPECT_EQ(f.lineText(1), "ab");
  EXPECT_EQ(f.lineCol(4).line, 2u);
}

TEST(SourceFile, LoadMissingFile) {
  SourceFile f("", "");
  std::string err;
  EXPECT_FALSE(SourceFile::load("/nonexistent/dir/x.attn", f, err));
  EXPECT_NE(err.find("cannot open"), std::string::npos);
}

TEST(Diagnostics, RenderClangStyle) {
  SourceFile f("f.attn", "variant v {\n  head_dim = 0;\n}\n");
  DiagnosticEngine d(f);
  d.error({25, 26}, "head_dim must be at least 1, got 0", "a hint");
  EXPECT_EQ(d.render(), "f.attn:2:14: error: head_dim must be at least 1, got 0\n"
                        "  head_dim = 0;\n"
                        "             ^\n"
                        "note: a hint\n");
}

TEST(Diagnostics, TildesCoverTheRangeOnItsLine) {
  SourceFile f("f.attn", "mask = kv_idxx <= q_idx;\n");
  DiagnosticEngine d(f);
  d.warning({7, 14}, "w"); // `kv_idxx`: 7 bytes, a caret and 6 tildes
  EXPECT_EQ(d.render(), "f.attn:1:8: warning: w\n"
                        "mask = kv_idxx <= q_idx;\n"
                        "       ^" + std::string(6, '~') + "\n");
  EXPECT_EQ(d.warningCount(), 1u);
  EXPECT_FALSE(d.hasErrors());
}

TEST(Diagnostics, RangeSpanningLinesIsClipped) {
  SourceFile f("f.attn", "ab\ncdef\n");
  DiagnosticEngine d(f);
  d.error({1, 6}, "e");
  EXPECT_EQ(d.render(), "f.attn:1:2: error: e\nab\n ^\n");
}

TEST(Diagnostics, TabsKeepTheCaretAligned) {
  SourceFile f("f.attn", "\tx = $;\n");
  DiagnosticEngine d(f);
  d.error({5, 6}, "e");
  EXPECT_EQ(d.render(), "f.attn:1:6: error: e\n\tx = $;\n\t    ^\n");
}

TEST(Diagnostics, AtEndOfFile) {
  SourceFile f("f.attn", "variant v {\n");
  DiagnosticEngine d(f);
  d.error({12, 12}, "eof");
  EXPECT_EQ(d.render(), "f.attn:2:1: error: eof\n");
}

TEST(Diagnostics, ErrorCapAddsOneNote) {
  SourceFile f("f.attn", "x\n");
  DiagnosticEngine d(f);
  for (unsigned i = 0; i < DiagnosticEngine::kMaxErrors + 10; ++i)
    d.error({0, 1}, "e" + std::to_string(i));
  ASSERT_EQ(d.diagnostics().size(), DiagnosticEngine::kMaxErrors + 1);
  EXPECT_EQ(d.diagnostics().back().severity, Severity::Note);
  EXPECT_NE(d.diagnostics().back().message.find("too many errors"), std::string::npos);
  EXPECT_TRUE(d.hasErrors());
}

TEST(Diagnostics, EditDistanceAndClosestMatch) {
  EXPECT_EQ(attn::dsl::editDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(attn::dsl::editDistance("", "abc"), 3u);
  EXPECT_EQ(attn::dsl::editDistance("same", "same"), 0u);
  std::vector<std::string> c = {"q_idx", "kv_idx", "head", "kv_head"};
  EXPECT_EQ(attn::dsl::closestMatch("kv_idxx", c), "kv_idx");
  EXPECT_EQ(attn::dsl::closestMatch("kvhead", c), "kv_head");
  EXPECT_EQ(attn::dsl::closestMatch("temperature", c), "");
  EXPECT_EQ(attn::dsl::closestMatch(std::string(1000, 'a'), c), "");
}

TEST(Diagnostics, EndToEndLineAndColumn) {
  SourceFile f("e.attn", "variant v {\n  head_dim = 128;\n  heads = 8;\n  dtype = bf16;\n"
                         "  mask = score > 0.0;\n}\n");
  DiagnosticEngine d(f);
  attn::dsl::parseAndCheck(f, d);
  ASSERT_EQ(d.errorCount(), 1u);
  std::string r = d.render();
  EXPECT_EQ(r.rfind("e.attn:5:10: error: `score` is not available in the `mask` hook\n", 0), 0u)
      << r;
  EXPECT_NE(r.find("\n         ^~~~~\n"), std::string::npos) << r;
  EXPECT_NE(r.find("note: the `mask` hook can read: q_idx, kv_idx"), std::string::npos);
}

} // namespace
