//===- Sema.h - Name resolution, typing and checks --------------*- C++ -*-===//
//
// Runs after the parser on the (possibly partial) module: resolves names,
// types every expression and inserts i32 -> f32 ConvertExprs, checks hook
// availability of built-ins and the cross-item rules (heads divisibility,
// normalize/weights, rope dims), and warns about unused params and lets and
// about constant masks.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DSL_LIB_SEMA_H
#define ATTN_DSL_LIB_SEMA_H

#include "Parser.h"

namespace attn::dsl {

void checkModule(Module &module, const std::vector<VariantParseInfo> &info,
                 const SourceFile &file, DiagnosticEngine &diags);

} // namespace attn::dsl

#endif
