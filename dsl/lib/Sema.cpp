//===- Sema.cpp - Variant-level checks ------------------------------------===//
//
// Order matters for readable output: declarations first (names, shadowing),
// then lets in source order (each sees only the lets above it), then hooks,
// then the rules that relate items to each other, then warnings.
//
//===----------------------------------------------------------------------===//
#include "Sema.h"

#include "ConstEval.h"
#include "ExprChecker.h"

#include <map>

namespace attn::dsl {

namespace {

std::string quoted(const std::string &s) { return "`" + s + "`"; }

class VariantChecker {
public:
  VariantChecker(VariantDecl &v, const VariantParseInfo &info, const SourceFile &file,
                 DiagnosticEngine &diags)
      : v_(v), info_(info), file_(file), diags_(diags), names_(v) {}

  void run() {
    unsigned errorsBefore = diags_.errorCount();
    checkRequired();
    checkDeclarations();
    checkLets();
    for (HookDecl &h : v_.hooks)
      checkHook(h);
    checkRelations();
    // After an error a param or let often looks unused only because the
    // expression that read it did not check; stay quiet rather than mislead.
    if (info_.errors == 0 && diags_.errorCount() == errorsBefore)
      warnUnused();
  }

private:
  std::string lineOf(SourceRange r) const {
    return std::to_string(file_.lineCol(r.begin).line);
  }
  bool failed(const char *key) const { return info_.failedKeys.count(key) != 0; }

  void checkRequired() {
    auto require = [&](bool present, const char *key, const char *example) {
      if (!present && !failed(key))
        diags_.error(v_.nameRange,
                     "variant " + quoted(v_.name.empty() ? "<unnamed>" : v_.name) +
                         " is missing " + quoted(key),
                     std::string("add e.g. `") + example + "`");
    };
    require(v_.headDimQK.present, "head_dim", "head_dim = 128;");
    require(v_.numQHeads.present, "heads", "heads = 32 : 8;");
    require(v_.dtype.present, "dtype", "dtype = bf16;");
  }

  /// Params and lets share one namespace, which must not hide a built-in
  /// or a function (a hook could no longer reach it).
  void checkDeclarations() {
    std::map<std::string, SourceRange> seen;
    auto declare = [&](const std::string &kind, const std::string &name, SourceRange where) {
      std::string what;
      if (isReservedName(name, what)) {
        diags_.error(where, kind + " " + quoted(name) + " shadows " + what + " " + quoted(name),
                     "choose another name");
        return;
      }
      auto [it, fresh] = seen.emplace(name, where);
      if (!fresh)
        diags_.error(where, "redefinition of " + quoted(name),
                     "the first definition is on line " + lineOf(it->second));
    };
    for (const auto &p : v_.params)
      declare("param", p->name, p->nameRange);
    for (const auto &l : v_.lets)
      declare("let", l->name, l->nameRange);
  }

  void checkLets() {
    for (size_t i = 0; i < v_.lets.size(); ++i) {
      LetDecl &l = *v_.lets[i];
      ExprContext ctx;
      ctx.names = &names_;
      ctx.let = &l;
      ctx.visibleLets = i;
      ExprChecker checker(v_, info_, file_, diags_, ctx);
      checker.check(l.value);
      l.builtinsUsed = checker.builtinsUsed();
    }
  }

  void checkHook(HookDecl &h) {
    if (h.body) {
      ExprContext ctx;
      ctx.names = &names_;
      ctx.hook = h.kind;
      ExprChecker checker(v_, info_, file_, diags_, ctx);
      Type t = checker.check(h.body);
      Type want = hookResultType(h.kind);
      std::string name = quoted(hookName(h.kind));
      if (t != Type::Error && t != want) {
        if (want == Type::F32 && t == Type::I32) {
          promoteToF32(h.body);
        } else if (want == Type::Bool) {
          diags_.error(h.body->range,
                       "the " + name + " hook must produce a bool, got " + typeName(t),
                       "a mask keeps a key where it is true; compare, e.g. `kv_idx <= q_idx`");
        } else {
          diags_.error(h.body->range,
                       "the " + name + " hook must produce an f32, got " + typeName(t),
                       "a bool is never converted to a number; use `select(c, a, b)` or "
                       "`if c { a } else { b }`");
        }
      }
    }
    if (h.rope && v_.headDimQK.present) {
      int64_t d = v_.headDimQK.value;
      if (h.rope->dims > d)
        diags_.error(h.rope->range,
                     "rope dims (" + std::to_string(h.rope->dims) +
                         ") exceed head_dim (" + std::to_string(d) + ")",
                     "rope rotates the leading `dims` elements of each row");
      else if (h.rope->dims == 0 && d % 2 != 0)
        diags_.error(h.rope->range,
                     "rope over the whole head needs an even head_dim, got " + std::to_string(d),
                     "set `dims = ...` to an even number");
    }
  }

  void checkRelations() {
    if (v_.numQHeads.present && v_.numKVHeads.value > 0 &&
        v_.numQHeads.value % v_.numKVHeads.value != 0)
      diags_.error(v_.numQHeads.range,
                   "query heads (" + std::to_string(v_.numQHeads.value) +
                       ") must be a multiple of KV heads (" +
                       std::to_string(v_.numKVHeads.value) + ")",
                   "each KV head serves Hq / Hkv query heads");
    const HookDecl *weights = v_.hook(HookKind::Weights);
    bool none = v_.normalize.present && v_.normalize.value == Normalize::None;
    if (none && !weights && !failed("weights"))
      diags_.error(v_.normalize.range, "`normalize = none` needs a `weights` hook",
                   "add e.g. `weights = sigmoid(score);`");
    if (weights && !none && !failed("normalize"))
      diags_.error(weights->nameRange, "the `weights` hook needs `normalize = none`",
                   "with softmax the weights are exp(logit - max) / sum; add "
                   "`normalize = none;` to supply your own");
  }

  void warnUnused() {
    for (const auto &p : v_.params)
      if (!p->used)
        diags_.warning(p->nameRange, "param " + quoted(p->name) + " is never used",
                       "remove it, or read it in a hook");
    for (const auto &l : v_.lets)
      if (!l->used)
        diags_.warning(l->nameRange, "let " + quoted(l->name) + " is never used",
                       "remove it, or read it in a hook");
    const HookDecl *mask = v_.hook(HookKind::Mask);
    if (mask && mask->body && mask->body->type == Type::Bool) {
      ConstResult r = evaluateConstant(*mask->body);
      if (r.value && r.value->type == Type::Bool) {
        if (!r.value->flag)
          diags_.warning(mask->body->range, "the mask is always false: every key is masked out",
                         "every row then yields o = 0 and lse = -inf");
        else
          diags_.warning(mask->body->range, "the mask is always true; it has no effect",
                         "remove the `mask` hook");
      }
    }
  }

  VariantDecl &v_;
  const VariantParseInfo &info_;
  const SourceFile &file_;
  DiagnosticEngine &diags_;
  NameIndex names_;
};

} // namespace

void checkModule(Module &module, const std::vector<VariantParseInfo> &info,
                 const SourceFile &file, DiagnosticEngine &diags) {
  std::map<std::string, SourceRange> names;
  VariantParseInfo none;
  for (size_t i = 0; i < module.variants.size(); ++i) {
    VariantDecl &v = *module.variants[i];
    if (!v.name.empty()) {
      auto [it, fresh] = names.emplace(v.name, v.nameRange);
      if (!fresh)
        diags.error(v.nameRange, "duplicate variant " + quoted(v.name),
                    "the first is on line " +
                        std::to_string(file.lineCol(it->second.begin).line));
    }
    VariantChecker(v, i < info.size() ? info[i] : none, file, diags).run();
  }
}

} // namespace attn::dsl
