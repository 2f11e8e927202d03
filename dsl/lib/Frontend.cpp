//===- Frontend.cpp - Lex, parse and check one .attn file -----------------===//
#include "attn/dsl/Frontend.h"

#include "attn/dsl/Lexer.h"
#include "Parser.h"
#include "Sema.h"

namespace attn::dsl {

Module parseAndCheck(const SourceFile &file, DiagnosticEngine &diags) {
  // The front end reports problems as diagnostics; an exception (in practice
  // only std::bad_alloc) must still never escape to the caller.
#if defined(__cpp_exceptions)
  try {
#endif
    LexedFile lexed = lexFile(file, diags);
    ParseResult parsed = parseTokens(lexed, file, diags);
    checkModule(parsed.module, parsed.info, file, diags);
    return std::move(parsed.module);
#if defined(__cpp_exceptions)
  } catch (const std::exception &e) {
    diags.error({0, 0}, std::string("internal error: ") + e.what());
  } catch (...) {
    diags.error({0, 0}, "internal error");
  }
  return Module();
#endif
}

} // namespace attn::dsl
