//===- Driver.cpp - Load, check, lower, optimize one .attn file -----------===//
#include "Driver.h"

#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Frontend/MLIRGen.h"
#include "attn/Frontend/SourceDiagnostics.h"
#include "attn/dsl/Diagnostics.h"
#include "attn/dsl/Frontend.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>

using namespace mlir;

namespace attnc {

void reportError(const std::string &path, const std::string &message) {
  llvm::errs() << fmt::format("{}: error: {}\n", path, message);
}

int loadFile(const std::string &path, MLIRContext &context, Stage until,
             LoadedFile &out) {
  out.source = std::make_unique<attn::dsl::SourceFile>(path, "");
  std::string error;
  if (!attn::dsl::SourceFile::load(path, *out.source, error)) {
    reportError(path, error);
    return kUserError;
  }
  attn::dsl::DiagnosticEngine diags(*out.source);
  out.ast = attn::dsl::parseAndCheck(*out.source, diags);
  llvm::errs() << diags.render();
  if (diags.hasErrors())
    return kUserError;
  if (until == Stage::AST)
    return kOk;

  attn::SourceDiagnosticHandler handler(context, *out.source, llvm::errs());
  out.module = attn::mlirGen(context, out.ast, *out.source);
  if (!out.module)
    return kInternalError;
  if (until == Stage::MLIRGen)
    return kOk;

  // Configuration errors are the user's; a failure in the optimization
  // pipeline that follows is ours.
  PassManager verify(&context);
  verify.nest<attn::VariantOp>().addPass(attn::createAttnVerifyConfig());
  if (failed(verify.run(*out.module)))
    return kUserError;
  PassManager pm(&context);
  attn::buildAttnPipeline(pm);
  if (failed(pm.run(*out.module))) {
    reportError(path, "internal error: the attn pass pipeline failed");
    return kInternalError;
  }
  return kOk;
}

attn::VariantOp selectVariant(ModuleOp module, const std::string &name,
                              const std::string &path) {
  std::vector<attn::VariantOp> all;
  for (auto v : module.getOps<attn::VariantOp>())
    all.push_back(v);
  if (name.empty()) {
    if (all.size() == 1)
      return all.front();
    if (all.empty()) {
      reportError(path, "the file defines no variant");
      return nullptr;
    }
    std::string names;
    for (auto v : all)
      names += (names.empty() ? "" : ", ") + v.getSymName().str();
    reportError(path, fmt::format("the file defines {} variants ({}); choose one "
                                  "with --variant",
                                  all.size(), names));
    return nullptr;
  }
  for (auto v : all)
    if (v.getSymName() == name)
      return v;
  reportError(path, fmt::format("no variant named '{}' in this file", name));
  return nullptr;
}

static bool parseNumber(const std::string &text, double &value) {
  if (text.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  value = std::strtod(text.c_str(), &end);
  return errno == 0 && end == text.c_str() + text.size();
}

bool applyParamOverrides(attn::VariantOp variant,
                         const std::vector<std::string> &settings,
                         attn::ref::ParamValues &params, std::string &error) {
  for (const std::string &setting : settings) {
    size_t eq = setting.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = fmt::format("--param expects name=value, got '{}'", setting);
      return false;
    }
    std::string name = setting.substr(0, eq);
    attn::ParamOp param = variant.getParam(name);
    if (!param) {
      error = fmt::format("variant '{}' has no param '{}'",
                          variant.getSymName().str(), name);
      return false;
    }
    std::vector<double> values;
    std::string rest = setting.substr(eq + 1);
    size_t start = 0;
    while (true) {
      size_t comma = rest.find(',', start);
      std::string item = rest.substr(start, comma == std::string::npos
                                                ? std::string::npos
                                                : comma - start);
      double v;
      if (!parseNumber(item, v)) {
        error = fmt::format("param '{}': '{}' is not a number", name, item);
        return false;
      }
      if (param.getType().isInteger(32) && v != static_cast<double>(static_cast<int32_t>(v))) {
        error = fmt::format("param '{}' is i32; '{}' is not an i32 value", name, item);
        return false;
      }
      values.push_back(v);
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
    attn::ParamDomain domain = param.getDomain();
    if (domain == attn::ParamDomain::scalar) {
      if (values.size() != 1) {
        error = fmt::format("param '{}' is a scalar; give one value", name);
        return false;
      }
      params.scalars[name] = values[0];
    } else if (domain == attn::ParamDomain::tokens) {
      error = fmt::format("param '{}' is indexed by tokens; it cannot be set from "
                          "the command line (it is generated per request)",
                          name);
      return false;
    } else {
      // The length is checked against the batch when the params are bound.
      params.arrays[name] = values;
    }
  }
  return true;
}

} // namespace attnc
