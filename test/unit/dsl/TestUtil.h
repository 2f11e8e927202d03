//===- TestUtil.h - Shared helpers for the front-end unit tests -*- C++ -*-===//
#ifndef ATTN_TEST_UNIT_DSL_TESTUTIL_H
#define ATTN_TEST_UNIT_DSL_TESTUTIL_H

#include "attn/dsl/Frontend.h"

#include <memory>
#include <string>

namespace attn::dsl::test {

/// One parsed-and-checked file; keeps the SourceFile alive for the AST's ranges.
struct Checked {
  std::unique_ptr<SourceFile> file;
  std::unique_ptr<DiagnosticEngine> diags;
  Module module;

  explicit Checked(const std::string &text)
      : file(std::make_unique<SourceFile>("t.attn", text)),
        diags(std::make_unique<DiagnosticEngine>(*file)),
        module(parseAndCheck(*file, *diags)) {}

  const VariantDecl &variant(size_t i = 0) const { return *module.variants.at(i); }
  std::string rendered() const { return diags->render(); }
  bool hasError(const std::string &needle) const {
    for (const Diagnostic &d : diags->diagnostics())
      if (d.severity == Severity::Error && d.message.find(needle) != std::string::npos)
        return true;
    return false;
  }
  bool hasWarning(const std::string &needle) const {
    for (const Diagnostic &d : diags->diagnostics())
      if (d.severity == Severity::Warning && d.message.find(needle) != std::string::npos)
        return true;
    return false;
  }
};

/// A variant with the three required settings and `items` after them.
inline std::string variantWith(const std::string &items) {
  return "variant v {\n  head_dim = 128;\n  heads = 8;\n  dtype = bf16;\n" + items + "}\n";
}

} // namespace attn::dsl::test

#endif
