//===- Parser.cpp - Variants, items and constants -------------------------===//
#include "ParserImpl.h"

#include "attn/dsl/Diagnostics.h"

#include <cmath>
#include <cstdio>

namespace attn::dsl {

namespace {

const char *const kConfigKeys[] = {"head_dim", "heads", "dtype", "kv", "scale", "normalize"};
const char *const kHookNames[] = {"logits", "mask", "weights", "query", "key", "output"};

std::optional<HookKind> hookKindOf(std::string_view s) {
  if (s == "logits") return HookKind::Logits;
  if (s == "mask") return HookKind::Mask;
  if (s == "weights") return HookKind::Weights;
  if (s == "query") return HookKind::Query;
  if (s == "key") return HookKind::Key;
  if (s == "output") return HookKind::Output;
  return std::nullopt;
}

bool isConfigKey(std::string_view s) {
  for (const char *k : kConfigKeys)
    if (s == k)
      return true;
  return false;
}

std::string formatNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string lineOf(const SourceFile &file, SourceRange r) {
  return std::to_string(file.lineCol(r.begin).line);
}

std::string didYouMean(std::string_view name, const std::vector<std::string> &candidates) {
  std::string m = closestMatch(name, candidates);
  return m.empty() ? std::string() : "did you mean `" + m + "`?";
}

} // namespace

//===----------------------------------------------------------------------===//
// Errors and recovery
//===----------------------------------------------------------------------===//

void Parser::error(SourceRange r, std::string msg, std::string hint) {
  if (panic_)
    return;
  panic_ = true;
  diags_.error(r, std::move(msg), std::move(hint));
}

void Parser::errorExpected(const std::string &what, std::string hint) {
  if (at(TokenKind::Error)) { // the lexer has already said what is wrong here
    ++lexErrorsHit_;
    panic_ = true;
    return;
  }
  std::string found = at(TokenKind::Eof) ? "end of file"
                      : at(TokenKind::Ident) ? "`" + std::string(tok().text) + "`"
                                             : std::string(tokenKindSpelling(tok().kind));
  if (at(TokenKind::IntLit) || at(TokenKind::FloatLit))
    found = "`" + std::string(tok().text) + "`";
  error(tok().range, "expected " + what + ", found " + found, std::move(hint));
}

bool Parser::expect(TokenKind k, const char *context) {
  if (consume(k))
    return true;
  std::string what = tokenKindSpelling(k);
  if (context)
    what += std::string(" ") + context;
  errorExpected(what);
  return false;
}

bool Parser::onNewLine() const {
  return file_.lineCol(tok().range.begin).line > file_.lineCol(prevEnd()).line;
}

void Parser::recoverItem() {
  int braces = 0;
  while (!at(TokenKind::Eof) && !at(TokenKind::KwVariant)) {
    if (at(TokenKind::LBrace)) {
      ++braces;
    } else if (at(TokenKind::RBrace)) {
      if (braces == 0)
        break; // closes the variant
      --braces;
    } else if (at(TokenKind::Semi) && braces == 0) {
      take();
      break;
    }
    take();
  }
  panic_ = false;
}

/// The `;` that ends an item. A missing one is reported just after the
/// previous token; when the next item starts on a new line nothing is skipped,
/// so a forgotten `;` costs one error, not two items.
bool Parser::expectItemEnd() {
  if (consume(TokenKind::Semi))
    return true;
  if (at(TokenKind::Error)) {
    ++lexErrorsHit_;
    panic_ = true;
    return false;
  }
  uint32_t e = prevEnd();
  if (!panic_)
    diags_.error({e, e + 1 <= file_.text().size() ? e + 1 : e}, "expected `;` after item",
                 at(TokenKind::Assign) ? "did you mean `==`?" : "every item ends with `;`");
  if (onNewLine() || at(TokenKind::RBrace) || at(TokenKind::Eof))
    return true; // keep the item; resume at the next line
  panic_ = true;
  return false;
}

bool Parser::checkDuplicate(SourceRange first, bool present, const Token &key, const char *what) {
  if (!present)
    return true;
  error(key.range, std::string("duplicate ") + what + " `" + std::string(key.text) + "`",
        "the first `" + std::string(key.text) + "` is on line " + lineOf(file_, first));
  return false;
}

//===----------------------------------------------------------------------===//
// File and variants
//===----------------------------------------------------------------------===//

ParseResult Parser::parseFile() {
  ParseResult result;
  while (!at(TokenKind::Eof)) {
    if (at(TokenKind::KwVariant)) {
      VariantParseInfo info;
      result.module.variants.push_back(parseVariant(info));
      result.info.push_back(std::move(info));
      continue;
    }
    if (atIdent("varient") || atIdent("Variant") || atIdent("variants"))
      errorExpected("`variant`", "did you mean `variant`?");
    else
      errorExpected("`variant`", "a file is a list of `variant NAME { ... }` blocks");
    // Skip to the next `variant`, always making progress.
    take();
    while (!at(TokenKind::Eof) && !at(TokenKind::KwVariant))
      take();
    panic_ = false;
  }
  return result;
}

std::unique_ptr<VariantDecl> Parser::parseVariant(VariantParseInfo &info) {
  auto v = std::make_unique<VariantDecl>();
  unsigned errorsBefore = diags_.errorCount() + lexErrorsHit_;
  Token kw = take();
  v->range = kw.range;
  v->nameRange = kw.range;
  if (at(TokenKind::Ident)) {
    Token name = take();
    v->name = std::string(name.text);
    v->nameRange = name.range;
  } else {
    errorExpected("a variant name", "write `variant my_attention { ... }`");
  }
  if (!consume(TokenKind::LBrace)) {
    errorExpected("`{` after the variant name");
    // Resynchronise on the `{` if it is just late, else give up on the body.
    while (!at(TokenKind::Eof) && !at(TokenKind::KwVariant) && !at(TokenKind::LBrace))
      take();
    if (!consume(TokenKind::LBrace)) {
      panic_ = false;
      info.errors = diags_.errorCount() + lexErrorsHit_ - errorsBefore;
      return v;
    }
  }
  panic_ = false; // the header is done; items report their own errors
  while (true) {
    if (at(TokenKind::RBrace)) {
      v->range = SourceRange::merge(v->range, take().range);
      break;
    }
    if (at(TokenKind::Eof) || at(TokenKind::KwVariant)) {
      if (!truncated_)
        diags_.error(v->nameRange, "unterminated variant `" + v->name + "`",
                     at(TokenKind::Eof) ? "add `}` at the end of the variant"
                                        : "add `}` before the next `variant`");
      break;
    }
    size_t before = pos_;
    parseItem(*v, info);
    if (panic_)
      recoverItem();
    if (pos_ == before && !at(TokenKind::RBrace) && !at(TokenKind::Eof) &&
        !at(TokenKind::KwVariant))
      take(); // never loop without consuming
    v->range = SourceRange::merge(v->range, {v->range.begin, prevEnd()});
  }
  info.errors = diags_.errorCount() + lexErrorsHit_ - errorsBefore;
  return v;
}

void Parser::parseItem(VariantDecl &v, VariantParseInfo &info) {
  if (at(TokenKind::KwParam)) {
    parseParam(v, info);
    return;
  }
  if (at(TokenKind::KwLet)) {
    parseLet(v, info);
    return;
  }
  if (at(TokenKind::Semi)) { // a stray `;` is harmless
    take();
    return;
  }
  if (!at(TokenKind::Ident)) {
    errorExpected("an item (a config key, `param`, `let` or a hook)");
    return;
  }
  Token key = take();
  std::string name(key.text);
  std::optional<HookKind> hk = hookKindOf(name);
  if (!hk && !isConfigKey(name)) {
    std::vector<std::string> cands(std::begin(kConfigKeys), std::end(kConfigKeys));
    cands.insert(cands.end(), std::begin(kHookNames), std::end(kHookNames));
    cands.push_back("param");
    cands.push_back("let");
    std::string hint = didYouMean(name, cands);
    if (hint.empty())
      hint = "items are head_dim, heads, dtype, kv, scale, normalize, param, let, "
             "and the hooks logits, mask, weights, query, key, output";
    error(key.range, "unknown item `" + name + "`", hint);
    return;
  }
  if (!at(TokenKind::Assign)) {
    errorExpected("`=` after `" + name + "`");
    info.failedKeys.insert(name);
    return;
  }
  take();
  bool ok = hk ? parseHook(v, *hk, key) : parseConfig(v, key);
  if (!ok)
    info.failedKeys.insert(name);
}

//===----------------------------------------------------------------------===//
// Config items
//===----------------------------------------------------------------------===//

std::optional<ConstValue> Parser::parseConstant(const std::string &what) {
  ExprPtr e = parseExpr();
  if (!e)
    return std::nullopt;
  ConstResult r = evaluateConstant(*e);
  if (!r.value) {
    error(r.culprit, what + " must be a constant", r.why);
    return std::nullopt;
  }
  lastConstRange_ = e->range;
  return r.value;
}

std::optional<int64_t> Parser::parseConstInt(const std::string &what, int64_t min) {
  std::optional<ConstValue> v = parseConstant(what);
  if (!v)
    return std::nullopt;
  if (v->type != Type::I32) {
    error(lastConstRange_, what + " must be an integer",
          v->type == Type::F32 ? "write it without a decimal point" : std::string());
    return std::nullopt;
  }
  if (v->num < static_cast<double>(min)) {
    error(lastConstRange_,
          what + " must be at least " + std::to_string(min) + ", got " + formatNumber(v->num));
    return std::nullopt;
  }
  if (v->num > 2147483647.0) {
    error(lastConstRange_, what + " must fit in i32, got " + formatNumber(v->num));
    return std::nullopt;
  }
  return static_cast<int64_t>(v->num);
}

std::optional<double> Parser::parseConstNumber(const std::string &what) {
  std::optional<ConstValue> v = parseConstant(what);
  if (!v)
    return std::nullopt;
  if (v->type == Type::Bool) {
    error(lastConstRange_, what + " must be a number, not a bool");
    return std::nullopt;
  }
  return v->num;
}

bool Parser::parseConfig(VariantDecl &v, const Token &key) {
  SourceRange start = key.range;
  auto finish = [&](auto &setting) {
    setting.present = true;
    setting.range = SourceRange::merge(start, {start.begin, prevEnd()});
  };
  if (key.text == "head_dim") {
    if (!checkDuplicate(v.headDimQK.range, v.headDimQK.present, key, "setting"))
      return false;
    auto qk = parseConstInt("head_dim", 1);
    if (!qk)
      return false;
    int64_t vo = *qk;
    if (consume(TokenKind::Colon)) {
      auto o = parseConstInt("the value/output head_dim", 1);
      if (!o)
        return false;
      vo = *o;
    }
    if (!expectItemEnd())
      return false;
    v.headDimQK.value = *qk;
    v.headDimVO.value = vo;
    finish(v.headDimQK);
    finish(v.headDimVO);
    return true;
  }
  if (key.text == "heads") {
    if (!checkDuplicate(v.numQHeads.range, v.numQHeads.present, key, "setting"))
      return false;
    auto hq = parseConstInt("the number of query heads", 1);
    if (!hq)
      return false;
    int64_t hkv = *hq;
    if (consume(TokenKind::Colon)) {
      auto k = parseConstInt("the number of KV heads", 1);
      if (!k)
        return false;
      hkv = *k;
    }
    if (!expectItemEnd())
      return false;
    v.numQHeads.value = *hq;
    v.numKVHeads.value = hkv;
    finish(v.numQHeads);
    finish(v.numKVHeads);
    return true;
  }
  if (key.text == "dtype") {
    if (!checkDuplicate(v.dtype.range, v.dtype.present, key, "setting"))
      return false;
    if (!at(TokenKind::Ident)) {
      errorExpected("a dtype (`bf16` or `f16`)");
      return false;
    }
    Token t = take();
    DType d;
    if (t.text == "bf16") {
      d = DType::BF16;
    } else if (t.text == "f16") {
      d = DType::F16;
    } else {
      std::string hint = "dtype is `bf16` or `f16`";
      if (t.text == "fp16" || t.text == "half" || t.text == "float16")
        hint = "did you mean `f16`?";
      else if (t.text == "bfloat16")
        hint = "did you mean `bf16`?";
      error(t.range, "unknown dtype `" + std::string(t.text) + "`", hint);
      return false;
    }
    if (!expectItemEnd())
      return false;
    v.dtype.value = d;
    finish(v.dtype);
    return true;
  }
  if (key.text == "kv") {
    if (!checkDuplicate(v.kv.range, v.kv.present, key, "setting"))
      return false;
    if (!at(TokenKind::Ident)) {
      errorExpected("a KV layout (`contiguous`, `ragged`, `paged(N)` or `block_sparse(BQ, BKV)`)");
      return false;
    }
    Token t = take();
    KVLayout kv;
    if (t.text == "contiguous") {
      kv.kind = KVLayoutKind::Contiguous;
    } else if (t.text == "ragged") {
      kv.kind = KVLayoutKind::Ragged;
    } else if (t.text == "paged") {
      kv.kind = KVLayoutKind::Paged;
      if (!expect(TokenKind::LParen, "after `paged` (write `paged(16)`)"))
        return false;
      auto ps = parseConstInt("the page size", 1);
      if (!ps || !expect(TokenKind::RParen))
        return false;
      kv.pageSize = *ps;
    } else if (t.text == "block_sparse") {
      kv.kind = KVLayoutKind::BlockSparse;
      if (!expect(TokenKind::LParen, "after `block_sparse` (write `block_sparse(64, 64)`)"))
        return false;
      auto bq = parseConstInt("the query block size", 1);
      if (!bq || !expect(TokenKind::Comma))
        return false;
      auto bkv = parseConstInt("the KV block size", 1);
      if (!bkv || !expect(TokenKind::RParen))
        return false;
      kv.blockQ = *bq;
      kv.blockKV = *bkv;
    } else {
      std::string hint =
          didYouMean(t.text, {"contiguous", "ragged", "paged", "block_sparse"});
      if (hint.empty())
        hint = "kv is `contiguous`, `ragged`, `paged(N)` or `block_sparse(BQ, BKV)`";
      error(t.range, "unknown KV layout `" + std::string(t.text) + "`", hint);
      return false;
    }
    if (!expectItemEnd())
      return false;
    v.kv.value = kv;
    finish(v.kv);
    return true;
  }
  if (key.text == "scale") {
    if (!checkDuplicate(v.scale.range, v.scale.present, key, "setting"))
      return false;
    auto s = parseConstNumber("scale");
    if (!s)
      return false;
    if (!std::isfinite(*s) || *s <= 0) {
      error(lastConstRange_, "scale must be positive and finite, got " + formatNumber(*s));
      return false;
    }
    if (!expectItemEnd())
      return false;
    v.scale.value = *s;
    finish(v.scale);
    return true;
  }
  // normalize
  if (!checkDuplicate(v.normalize.range, v.normalize.present, key, "setting"))
    return false;
  if (!at(TokenKind::Ident)) {
    errorExpected("`softmax` or `none`");
    return false;
  }
  Token t = take();
  Normalize n;
  if (t.text == "softmax") {
    n = Normalize::Softmax;
  } else if (t.text == "none") {
    n = Normalize::None;
  } else {
    std::string hint = didYouMean(t.text, {"softmax", "none"});
    error(t.range, "unknown normalization `" + std::string(t.text) + "`",
          hint.empty() ? "normalize is `softmax` or `none`" : hint);
    return false;
  }
  if (!expectItemEnd())
    return false;
  v.normalize.value = n;
  finish(v.normalize);
  return true;
}

//===----------------------------------------------------------------------===//
// Hooks
//===----------------------------------------------------------------------===//

bool Parser::parseHook(VariantDecl &v, HookKind kind, const Token &key) {
  if (const HookDecl *first = v.hook(kind)) {
    // Report at the second; recovery skips it and the first one stays.
    checkDuplicate(first->nameRange, true, key, "hook");
    return true;
  }
  HookDecl h;
  h.kind = kind;
  h.nameRange = key.range;
  hook_ = kind;
  bool ok;
  if ((kind == HookKind::Query || kind == HookKind::Key) && atIdent("rope") &&
      peekTok().is(TokenKind::LParen)) {
    ok = parseRope(h, kind);
    if (ok && !at(TokenKind::Semi) && !at(TokenKind::Error) && !onNewLine()) {
      error(tok().range,
            std::string("`rope(...)` must be the whole value of the `") + hookName(kind) + "` hook",
            "put elementwise work inside it, e.g. `rope(" +
                std::string(kind == HookKind::Query ? "q" : "k") + " * 2.0, theta = 10000.0)`");
      ok = false;
    }
  } else {
    h.body = parseExpr();
    ok = h.body != nullptr;
  }
  hook_.reset();
  if (!ok || !expectItemEnd())
    return false;
  h.range = SourceRange::merge(key.range, {key.range.begin, prevEnd()});
  v.hooks.push_back(std::move(h));
  return true;
}

bool Parser::parseRope(HookDecl &hook, HookKind kind) {
  Token name = take(); // rope
  take();              // (
  RopeSpec spec;
  SourceRange thetaSeen{}, dimsSeen{}, interSeen{};
  bool sawNamed = false, sawTheta = false, sawDims = false, sawInter = false;
  (void)kind;
  if (!at(TokenKind::RParen)) {
    while (true) {
      if (at(TokenKind::Ident) && peekTok().is(TokenKind::Assign)) {
        Token arg = take();
        take(); // =
        sawNamed = true;
        auto dup = [&](bool &seen, SourceRange &where) {
          if (seen) {
            error(arg.range, "duplicate rope argument `" + std::string(arg.text) + "`",
                  "the first is on line " + lineOf(file_, where));
            return false;
          }
          seen = true;
          where = arg.range;
          return true;
        };
        if (arg.text == "theta") {
          if (!dup(sawTheta, thetaSeen))
            return false;
          auto t = parseConstNumber("rope theta");
          if (!t)
            return false;
          if (!std::isfinite(*t) || *t <= 0) {
            error(lastConstRange_, "rope theta must be positive and finite, got " +
                                       formatNumber(*t));
            return false;
          }
          spec.theta = *t;
        } else if (arg.text == "dims") {
          if (!dup(sawDims, dimsSeen))
            return false;
          auto d = parseConstInt("rope dims", 1);
          if (!d)
            return false;
          if (*d % 2 != 0) {
            error(lastConstRange_, "rope dims must be even, got " + std::to_string(*d),
                  "rope rotates pairs of elements");
            return false;
          }
          spec.dims = *d;
        } else if (arg.text == "interleaved") {
          if (!dup(sawInter, interSeen))
            return false;
          auto c = parseConstant("rope interleaved");
          if (!c)
            return false;
          if (c->type != Type::Bool) {
            error(lastConstRange_, "rope interleaved must be `true` or `false`");
            return false;
          }
          spec.interleaved = c->flag;
        } else {
          std::string hint = didYouMean(arg.text, {"theta", "dims", "interleaved"});
          error(arg.range, "unknown rope argument `" + std::string(arg.text) + "`",
                hint.empty() ? "rope takes `theta`, `dims` and `interleaved`" : hint);
          return false;
        }
      } else {
        if (sawNamed || hook.body) {
          error(tok().range, "the elementwise expression must be the first argument of rope",
                "write `rope(expr, theta = ...)`");
          return false;
        }
        hook.body = parseExpr();
        if (!hook.body)
          return false;
      }
      if (consume(TokenKind::Comma))
        continue;
      break;
    }
  }
  if (!expect(TokenKind::RParen, "to close `rope(`"))
    return false;
  spec.range = SourceRange::merge(name.range, {name.range.begin, prevEnd()});
  hook.rope = spec;
  return true;
}

//===----------------------------------------------------------------------===//
// Params and lets
//===----------------------------------------------------------------------===//

bool Parser::parseParam(VariantDecl &v, VariantParseInfo &info) {
  Token kw = take();
  if (!at(TokenKind::Ident)) {
    errorExpected("a param name");
    return false;
  }
  auto p = std::make_unique<ParamDecl>();
  Token name = take();
  p->name = std::string(name.text);
  p->nameRange = name.range;
  auto fail = [&]() {
    info.failedNames.insert(p->name);
    return false;
  };
  if (!expect(TokenKind::Colon, "after the param name (write `param x : f32;`)"))
    return fail();
  if (!at(TokenKind::Ident)) {
    errorExpected("a param type (`f32` or `i32`)");
    return fail();
  }
  Token ty = take();
  if (ty.text == "f32") {
    p->type = Type::F32;
  } else if (ty.text == "i32") {
    p->type = Type::I32;
  } else {
    std::string hint = "params are `f32` or `i32`";
    if (ty.text == "bool")
      hint = "params are `f32` or `i32`; pass a flag as an i32 and compare it with 0";
    else if (ty.text == "float" || ty.text == "f64" || ty.text == "f16" || ty.text == "bf16")
      hint = "did you mean `f32`?";
    else if (ty.text == "int" || ty.text == "i64")
      hint = "did you mean `i32`?";
    error(ty.range, "unknown param type `" + std::string(ty.text) + "`", hint);
    return fail();
  }
  if (consume(TokenKind::LBracket)) {
    if (!at(TokenKind::Ident)) {
      errorExpected("an array domain (`heads`, `kv_heads`, `batch` or `tokens`)");
      return fail();
    }
    Token d = take();
    p->domainRange = d.range;
    if (d.text == "heads") p->domain = ParamDomain::Heads;
    else if (d.text == "kv_heads") p->domain = ParamDomain::KVHeads;
    else if (d.text == "batch") p->domain = ParamDomain::Batch;
    else if (d.text == "tokens") p->domain = ParamDomain::Tokens;
    else {
      std::string hint = didYouMean(d.text, {"heads", "kv_heads", "batch", "tokens"});
      error(d.range, "unknown array domain `" + std::string(d.text) + "`",
            hint.empty() ? "an array is indexed by `heads`, `kv_heads`, `batch` or `tokens`"
                         : hint);
      return fail();
    }
    if (!expect(TokenKind::RBracket))
      return fail();
  }
  if (consume(TokenKind::Assign)) {
    auto value = parseConstNumber("the default of param `" + p->name + "`");
    if (!value)
      return fail();
    p->defaultRange = lastConstRange_;
    if (p->domain != ParamDomain::Scalar) {
      error(lastConstRange_, "array param `" + p->name + "` cannot have a default",
            "arrays are always passed at run time");
      return fail();
    }
    if (p->type == Type::I32) {
      if (std::trunc(*value) != *value) {
        error(lastConstRange_, "the default of i32 param `" + p->name +
                                   "` must be an integer, got " + formatNumber(*value),
              "declare it `f32` or write an integer");
        return fail();
      }
      if (*value > 2147483647.0 || *value < -2147483648.0) {
        error(lastConstRange_, "the default of i32 param `" + p->name + "` does not fit in i32");
        return fail();
      }
    } else if (!std::isfinite(static_cast<float>(*value))) {
      error(lastConstRange_, "the default of param `" + p->name + "` is not a finite f32");
      return fail();
    }
    p->defaultValue = *value;
  }
  if (!expectItemEnd())
    return fail();
  p->range = SourceRange::merge(kw.range, {kw.range.begin, prevEnd()});
  v.params.push_back(std::move(p));
  return true;
}

bool Parser::parseLet(VariantDecl &v, VariantParseInfo &info) {
  Token kw = take();
  if (!at(TokenKind::Ident)) {
    errorExpected("a name after `let`");
    return false;
  }
  auto l = std::make_unique<LetDecl>();
  Token name = take();
  l->name = std::string(name.text);
  l->nameRange = name.range;
  if (!expect(TokenKind::Assign, "after the let name") || !(l->value = parseExpr()) ||
      !expectItemEnd()) {
    info.failedNames.insert(l->name);
    return false;
  }
  l->range = SourceRange::merge(kw.range, {kw.range.begin, prevEnd()});
  v.lets.push_back(std::move(l));
  return true;
}

ParseResult parseTokens(const LexedFile &lexed, const SourceFile &file,
                        DiagnosticEngine &diags) {
  return Parser(lexed, file, diags).parseFile();
}

} // namespace attn::dsl
