//===- Diagnostics.h - clang-style diagnostics for .attn files --*- C++ -*-===//
//
// Diagnostics are collected, not thrown: the parser and sema keep going after
// an error so that one run reports every problem in a file. Rendering follows
// clang: `file:line:col: error: message`, the source line, a caret with tildes
// under the range, then an optional `note:` hint.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DSL_DIAGNOSTICS_H
#define ATTN_DSL_DIAGNOSTICS_H

#include "attn/dsl/SourceFile.h"

#include <string>
#include <vector>

namespace attn::dsl {

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceRange range;
  std::string message;
  std::string hint; ///< Printed as a note under the caret; empty for none.
};

class DiagnosticEngine {
public:
  explicit DiagnosticEngine(const SourceFile &file) : file_(file) {}

  void error(SourceRange range, std::string message, std::string hint = {});
  void warning(SourceRange range, std::string message, std::string hint = {});

  const std::vector<Diagnostic> &diagnostics() const { return diags_; }
  unsigned errorCount() const { return errors_; }
  unsigned warningCount() const { return warnings_; }
  bool hasErrors() const { return errors_ != 0; }
  const SourceFile &file() const { return file_; }

  /// Renders every diagnostic, clang style, in the order reported.
  std::string render() const;
  /// Renders one diagnostic.
  std::string render(const Diagnostic &d) const;

  /// The most errors collected before the rest are dropped (a note says so).
  static constexpr unsigned kMaxErrors = 50;

private:
  const SourceFile &file_;
  std::vector<Diagnostic> diags_;
  unsigned errors_ = 0;
  unsigned warnings_ = 0;
};

/// Renders one clang-style diagnostic for any source location; shared by the
/// front end and by the compiler's MLIR diagnostic handler.
std::string renderDiagnostic(const SourceFile &file, Severity severity,
                             SourceRange range, const std::string &message,
                             const std::string &hint);

/// Edit distance, for "did you mean" hints.
unsigned editDistance(std::string_view a, std::string_view b);

/// The candidate closest to `name` if it is close enough to be a plausible
/// typo, else an empty string.
std::string closestMatch(std::string_view name,
                         const std::vector<std::string> &candidates);

} // namespace attn::dsl

#endif
