//===- SourceDiagnostics.cpp - MLIR diagnostics, rendered like clang ------===//
#include "attn/Frontend/SourceDiagnostics.h"

#include "attn/dsl/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"

using namespace mlir;

namespace {

/// The first file location inside `loc` (through names, fusions and call sites).
std::optional<FileLineColLoc> findFileLoc(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return file;
  if (auto name = dyn_cast<NameLoc>(loc))
    return findFileLoc(name.getChildLoc());
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    return findFileLoc(call.getCallee());
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto found = findFileLoc(inner))
        return found;
  return std::nullopt;
}

/// Turns a line:col into a byte range covering the identifier or number that
/// starts there, so the caret gets tildes under the whole word.
attn::dsl::SourceRange rangeAt(const attn::dsl::SourceFile &file, unsigned line,
                               unsigned col) {
  std::string_view text = file.text();
  std::string_view lineText = file.lineText(line);
  uint32_t lineStart = static_cast<uint32_t>(lineText.data() - text.data());
  uint32_t begin = lineStart + (col > 0 ? col - 1 : 0);
  if (begin > text.size())
    begin = static_cast<uint32_t>(text.size());
  uint32_t end = begin;
  auto isWord = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  };
  while (end < text.size() && isWord(text[end]))
    ++end;
  if (end == begin && end < text.size() && text[end] != '\n')
    ++end;
  return {begin, end};
}

attn::dsl::Severity toSeverity(DiagnosticSeverity s) {
  switch (s) {
  case DiagnosticSeverity::Error: return attn::dsl::Severity::Error;
  case DiagnosticSeverity::Warning: return attn::dsl::Severity::Warning;
  default: return attn::dsl::Severity::Note;
  }
}

} // namespace

attn::SourceDiagnosticHandler::SourceDiagnosticHandler(MLIRContext &context,
                                                       const dsl::SourceFile &file,
                                                       llvm::raw_ostream &out)
    : context_(context), file_(file), out_(out) {
  id_ = context.getDiagEngine().registerHandler([this](Diagnostic &diag) {
    handle(diag);
    return success();
  });
}

attn::SourceDiagnosticHandler::~SourceDiagnosticHandler() {
  context_.getDiagEngine().eraseHandler(id_);
}

void attn::SourceDiagnosticHandler::handle(Diagnostic &diag) {
  if (diag.getSeverity() == DiagnosticSeverity::Error)
    ++errors_;
  else if (diag.getSeverity() == DiagnosticSeverity::Warning)
    ++warnings_;
  auto render = [&](Location loc, DiagnosticSeverity severity, const std::string &msg) {
    std::optional<FileLineColLoc> fileLoc = findFileLoc(loc);
    if (fileLoc && fileLoc->getFilename() == file_.name() && fileLoc->getLine() > 0) {
      dsl::SourceRange range = rangeAt(file_, fileLoc->getLine(), fileLoc->getColumn());
      out_ << dsl::renderDiagnostic(file_, toSeverity(severity), range, msg, "");
      return;
    }
    // No usable location: still say which file, clang style.
    const char *label = severity == DiagnosticSeverity::Error     ? "error"
                        : severity == DiagnosticSeverity::Warning ? "warning"
                                                                  : "note";
    out_ << file_.name() << ": " << label << ": " << msg << "\n";
  };
  render(diag.getLocation(), diag.getSeverity(), diag.str());
  for (Diagnostic &note : diag.getNotes())
    render(note.getLocation(), DiagnosticSeverity::Note, note.str());
}
