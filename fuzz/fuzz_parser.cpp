//===- fuzz_parser.cpp - libFuzzer target: lexer + parser + sema ----------===//
//
// parseAndCheck promises to return, whatever the input ("never aborts"), and
// to render every diagnostic it collects. Both are exercised here; the AST
// printer (attnc compile --emit=ast) runs on everything that checks clean.
//
//===----------------------------------------------------------------------===//
#include "attn/dsl/Diagnostics.h"
#include "attn/dsl/Frontend.h"
#include "attn/dsl/SourceFile.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  attn::dsl::SourceFile file("fuzz.attn",
                             std::string(reinterpret_cast<const char *>(data), size));
  attn::dsl::DiagnosticEngine diags(file);
  attn::dsl::Module module = attn::dsl::parseAndCheck(file, diags);
  std::string rendered = diags.render();
  (void)rendered;
  if (!diags.hasErrors()) {
    std::string ast = attn::dsl::printAST(module, file);
    (void)ast;
  }
  return 0;
}
