//===- Diagnostics.cpp - clang-style diagnostics for .attn files ----------===//
#include "attn/dsl/Diagnostics.h"

#include <algorithm>

namespace attn::dsl {

void DiagnosticEngine::error(SourceRange range, std::string message, std::string hint) {
  // errors_ counts every error reported, kept or not, so that a caller always
  // sees hasErrors(); only the first kMaxErrors are kept, then one note.
  ++errors_;
  if (errors_ <= kMaxErrors) {
    diags_.push_back({Severity::Error, range, std::move(message), std::move(hint)});
  } else if (errors_ == kMaxErrors + 1) {
    diags_.push_back({Severity::Note, range,
                      "too many errors emitted (" + std::to_string(kMaxErrors) +
                          "), stopping now",
                      {}});
  }
}

void DiagnosticEngine::warning(SourceRange range, std::string message, std::string hint) {
  ++warnings_;
  if (errors_ <= kMaxErrors)
    diags_.push_back({Severity::Warning, range, std::move(message), std::move(hint)});
}

std::string DiagnosticEngine::render() const {
  std::string out;
  for (const Diagnostic &d : diags_)
    out += render(d);
  return out;
}

std::string DiagnosticEngine::render(const Diagnostic &d) const {
  return renderDiagnostic(file_, d.severity, d.range, d.message, d.hint);
}

static const char *severityName(Severity s) {
  switch (s) {
  case Severity::Error: return "error";
  case Severity::Warning: return "warning";
  case Severity::Note: return "note";
  }
  return "error";
}

std::string renderDiagnostic(const SourceFile &file, Severity severity,
                             SourceRange range, const std::string &message,
                             const std::string &hint) {
  LineCol lc = file.lineCol(range.begin);
  std::string out = file.name() + ":" + std::to_string(lc.line) + ":" +
                    std::to_string(lc.col) + ": " + severityName(severity) + ": " +
                    message + "\n";
  std::string_view line = file.lineText(lc.line);
  // A diagnostic at the very end of a file that ends in a newline points past
  // the last line; there is then no source line worth showing.
  if (!(line.empty() && lc.col == 1 && range.begin >= file.text().size())) {
    out.append(line);
    out += "\n";
    // Copy tabs so the caret lines up whatever the tab width.
    std::string caret;
    uint32_t col0 = lc.col - 1;
    for (uint32_t i = 0; i < col0 && i < line.size(); ++i)
      caret += line[i] == '\t' ? '\t' : ' ';
    while (caret.size() < col0)
      caret += ' ';
    caret += '^';
    // Tildes under the rest of the range, clipped to this line.
    uint32_t end = range.end > range.begin ? range.end : range.begin + 1;
    uint32_t lineEnd = static_cast<uint32_t>(range.begin - col0 + line.size());
    end = std::min(end, std::max(lineEnd, range.begin + 1));
    for (uint32_t i = range.begin + 1; i < end; ++i)
      caret += '~';
    out += caret;
    out += "\n";
  }
  if (!hint.empty())
    out += "note: " + hint + "\n";
  return out;
}

unsigned editDistance(std::string_view a, std::string_view b) {
  std::vector<unsigned> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    prev[j] = static_cast<unsigned>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<unsigned>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      unsigned sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closestMatch(std::string_view name, const std::vector<std::string> &candidates) {
  // Allow about one typo per three characters, at least one, as clang does.
  unsigned limit = std::max<unsigned>(1, static_cast<unsigned>(name.size() + 2) / 3);
  std::string best;
  if (name.size() > 64) // no typo of a built-in name is that long
    return best;
  unsigned bestDist = limit + 1;
  for (const std::string &c : candidates) {
    if (c == name)
      continue;
    // Long names would make the table quadratic for nothing.
    if (c.size() > name.size() + limit || name.size() > c.size() + limit)
      continue;
    unsigned d = editDistance(name, c);
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best;
}

} // namespace attn::dsl
