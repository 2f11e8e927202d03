//===- Driver.h - What every attnc subcommand shares ------------*- C++ -*-===//
//
// One function takes a path to a checked, lowered, optimized module; each
// subcommand (check, compile, tiles, ref) is a thin layer on top. All output
// goes through llvm::raw_ostream (results to outs(), diagnostics to errs()).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_DRIVER_H
#define ATTNC_DRIVER_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Reference/HookInterpreter.h"
#include "attn/dsl/AST.h"
#include "attn/dsl/SourceFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <string>
#include <vector>

namespace attnc {

/// Exit codes: the contract with scripts and build systems.
enum ExitCode : int { kOk = 0, kUserError = 1, kInternalError = 2 };

enum class Stage { AST, MLIRGen, Optimized };

struct LoadedFile {
  std::unique_ptr<attn::dsl::SourceFile> source;
  attn::dsl::Module ast;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

/// Reads, parses and checks `path`, then (unless `until` is AST) lowers it
/// and (if `until` is Optimized) runs the pipeline. Diagnostics go to errs().
/// Returns an ExitCode.
int loadFile(const std::string &path, mlir::MLIRContext &context, Stage until,
             LoadedFile &out);

/// The variant named `name`, or the only one when `name` is empty. Reports a
/// user error (and returns null) otherwise.
attn::VariantOp selectVariant(mlir::ModuleOp module, const std::string &name,
                              const std::string &path);

/// Applies `--param name=value[,value...]` settings over `params`. Returns
/// false with a message for unknown names, bad numbers or a wrong length.
bool applyParamOverrides(attn::VariantOp variant,
                         const std::vector<std::string> &settings,
                         attn::ref::ParamValues &params, std::string &error);

/// Prints `path: error: message` to errs() (for errors with no source range).
void reportError(const std::string &path, const std::string &message);

int runTiles(attn::VariantOp variant, const std::string &path, int64_t qLen,
             int64_t kvLen, int64_t tileQ, int64_t tileKV, int64_t head,
             const std::vector<std::string> &params, bool verify);

int runReference(attn::VariantOp variant, const std::string &path,
                 const std::vector<int64_t> &qLens,
                 const std::vector<int64_t> &kvLens, uint64_t seed,
                 const std::vector<std::string> &params, int64_t printRows);

/// What `attnc compile --emit=cuda|ptx|cubin|header` was asked for.
struct CodegenRequest {
  std::string emit;                 ///< cuda, ptx, cubin or header
  std::vector<std::string> archs;   ///< validated, at least one
  std::string output = "-";         ///< "-" = stdout (cubin: a default name)
  bool verbose = false;             ///< print the ptxas resource report
  bool noCache = false;
  bool inlineTemplates = false;     ///< cuda: inline the kernel templates
};

/// Emits (and for ptx/cubin/header compiles) `variant`; writes the result.
int runCodegen(attn::VariantOp variant, const std::string &path, const CodegenRequest &req);

/// `attnc bench-compile`: prints cold and cached compile times.
int runBenchCompile(const std::string &path, const std::string &variant,
                    const std::vector<std::string> &archs, int runs);

} // namespace attnc

#endif
