//===- attnc.cpp - The attnc command line ---------------------------------===//
//
// Subcommands:
//   check    parse and check .attn files (all errors of each file at once)
//   compile  print a variant at a stage: --emit=ast | mlir | cuda, or
//            compile it with NVRTC: --emit=ptx | cubin | header
//   bench-compile  time a cold and a cached compile
//   tiles    draw the empty / partial / full tile map of a mask
//   ref      run the float64 reference evaluator on random inputs
// Exit codes: 0 ok, 1 user error (bad input, bad flags), 2 internal error.
//
//===----------------------------------------------------------------------===//
#include "Driver.h"

#include "attn/Frontend/MLIRGen.h"
#include "attn/Target/CUDA/Compile.h"
#include "attn/dsl/Frontend.h"

#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <exception>

using namespace attnc;

namespace {

constexpr const char *kVersion = attn::target::kAttncVersion;

struct Options {
  std::vector<std::string> files;
  std::string file;
  std::string emit = "mlir";
  std::string output = "-";
  std::string variant;
  bool noOpt = false;
  bool debugInfo = false;
  // tiles / ref
  int64_t qLen = 0, kvLen = 0, head = 0, printRows = 0;
  std::string tile = "64x64";
  std::vector<std::string> params;
  std::vector<int64_t> qLens, kvLens;
  uint64_t seed = 1;
  bool verify = false;
  // compile (code generation) / bench-compile
  std::vector<std::string> archs;
  bool verbose = false, noCache = false, inlineTemplates = false;
  int runs = 5;
};

/// clang/nvcc spell it `-arch sm_90a`; CLI11 only knows `--arch`.
std::vector<std::string> normalizeArgs(int argc, char **argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef a = argv[i];
    if (a == "-arch")
      args.push_back("--arch");
    else if (a.starts_with("-arch="))
      args.push_back(("--arch=" + a.drop_front(6)).str());
    else
      args.push_back(a.str());
  }
  // CLI11 parses a vector in reverse order.
  std::reverse(args.begin(), args.end());
  return args;
}

/// The requested archs (default sm_90a), or a user error for an unknown one.
bool checkArchs(std::vector<std::string> &archs) {
  if (archs.empty())
    archs = {"sm_90a"};
  for (const std::string &arch : archs)
    if (!attn::target::isSupportedArch(arch)) {
      std::string known;
      for (llvm::StringRef a : attn::target::supportedArchs())
        known += (known.empty() ? "" : ", ") + a.str();
      llvm::errs() << fmt::format("attnc: error: unsupported architecture '{}' (supported: {})\n",
                                  arch, known);
      return false;
    }
  return true;
}

int runCheck(const Options &opts) {
  int worst = kOk;
  for (const std::string &path : opts.files) {
    mlir::MLIRContext context;
    LoadedFile file;
    int rc = loadFile(path, context, Stage::Optimized, file);
    worst = std::max(worst, rc);
  }
  return worst;
}

int writeOutput(const std::string &path, const std::string &text) {
  if (path == "-") {
    llvm::outs() << text;
    return kOk;
  }
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    reportError(path, fmt::format("cannot write output: {}", ec.message()));
    return kUserError;
  }
  os << text;
  return kOk;
}

int runCompile(const Options &opts) {
  mlir::MLIRContext context;
  LoadedFile file;
  if (opts.emit != "ast" && opts.emit != "mlir") {
    attnc::CodegenRequest req;
    req.emit = opts.emit;
    req.archs = opts.archs;
    if (!checkArchs(req.archs))
      return kUserError;
    req.output = opts.output;
    if (req.emit == "cubin" && req.output == "-")
      req.output = ""; // binary: never stdout; named after the variant
    req.verbose = opts.verbose;
    req.noCache = opts.noCache;
    req.inlineTemplates = opts.inlineTemplates;
    int rc = loadFile(opts.file, context, Stage::Optimized, file);
    if (rc != kOk)
      return rc;
    attn::VariantOp v = selectVariant(*file.module, opts.variant, opts.file);
    return v ? runCodegen(v, opts.file, req) : kUserError;
  }
  if (opts.emit == "ast") {
    int rc = loadFile(opts.file, context, Stage::AST, file);
    if (rc != kOk)
      return rc;
    return writeOutput(opts.output, attn::dsl::printAST(file.ast, *file.source));
  }
  int rc = loadFile(opts.file, context, opts.noOpt ? Stage::MLIRGen : Stage::Optimized, file);
  if (rc != kOk)
    return rc;
  std::string text;
  llvm::raw_string_ostream os(text);
  mlir::OpPrintingFlags flags;
  if (opts.debugInfo)
    flags.enableDebugInfo();
  file.module->print(os, flags);
  os.flush();
  return writeOutput(opts.output, text);
}

bool parseTile(const std::string &text, int64_t &q, int64_t &kv) {
  size_t x = text.find('x');
  if (x == std::string::npos)
    return false;
  try {
    size_t used = 0;
    q = std::stoll(text.substr(0, x), &used);
    if (used != x)
      return false;
    kv = std::stoll(text.substr(x + 1), &used);
    return used == text.size() - x - 1;
  } catch (const std::exception &) {
    return false;
  }
}

/// Loads opts.file through the whole pipeline and runs `body` on the chosen
/// variant; the context and module live for the duration of the call.
template <typename Body>
int withVariant(const Options &opts, Body body) {
  mlir::MLIRContext context;
  LoadedFile file;
  int rc = loadFile(opts.file, context, Stage::Optimized, file);
  if (rc != kOk)
    return rc;
  attn::VariantOp v = selectVariant(*file.module, opts.variant, opts.file);
  return v ? body(v) : kUserError;
}

int runTilesCommand(const Options &opts) {
  int64_t tq, tkv;
  if (!parseTile(opts.tile, tq, tkv)) {
    reportError(opts.file, fmt::format("--tile expects QxKV (e.g. 64x64), got '{}'", opts.tile));
    return kUserError;
  }
  return withVariant(opts, [&](attn::VariantOp v) {
    return runTiles(v, opts.file, opts.qLen, opts.kvLen, tq, tkv, opts.head, opts.params,
                    opts.verify);
  });
}

int runRefCommand(const Options &opts) {
  return withVariant(opts, [&](attn::VariantOp v) {
    return runReference(v, opts.file, opts.qLens, opts.kvLens, opts.seed, opts.params,
                        opts.printRows);
  });
}

int run(int argc, char **argv) {
  Options opts;
  CLI::App app{"attnc: the compiler for attention variants.\n\n"
               "Reads .attn files (one attention layer each: logits transform, mask, "
               "query/key/output\ntransforms, normalization, head shapes, KV layout), "
               "checks them, lowers them to the\nattn MLIR dialect, derives the tile "
               "classifier of the mask, and evaluates them on the\nCPU as a reference.",
               "attnc"};
  app.set_version_flag("--version", fmt::format("attnc {}", kVersion));
  app.require_subcommand(1);
  app.footer("Examples:\n"
             "  attnc check examples/*.attn\n"
             "  attnc compile examples/gemma2_softcap_window.attn --emit=mlir\n"
             "  attnc compile examples/causal.attn --emit=cubin -arch sm_80 -arch sm_90a "
             "-o causal.cubin\n"
             "  attnc compile examples/causal.attn --emit=header -o causal_attn.h\n"
             "  attnc tiles examples/sliding_window.attn --q-len 1024 --kv-len 1024 "
             "--tile 64x64 --param window=256\n"
             "  attnc ref examples/alibi.attn --q-len 17,1 --kv-len 300,64 --seed 7\n\n"
             "Exit status: 0 success, 1 error in the input or the command line, "
             "2 internal error.\nDocumentation: docs/language.md");

  auto *check = app.add_subcommand("check", "Parse and check .attn files; report every error");
  check->add_option("files", opts.files, "The .attn files")->required();

  auto *compile = app.add_subcommand("compile", "Lower a .attn file and print it at a stage");
  compile->add_option("file", opts.file, "The .attn file")->required();
  compile->add_option("--emit", opts.emit,
                      "What to produce: ast, mlir, cuda (the generated translation unit), "
                      "ptx (newest arch), cubin (one per arch, each with a .manifest.json), "
                      "header (one self-contained .h: CUDA source, cubins, PTX, manifests)")
      ->check(CLI::IsMember({"ast", "mlir", "cuda", "ptx", "cubin", "header"}))
      ->capture_default_str();
  compile->add_option("-o,--output", opts.output,
                      "Output file ('-' for stdout). cubin: <out> and <out>.manifest.json; "
                      "with several archs <stem>.<arch>.cubin each (default stem: the "
                      "variant's name)")
      ->capture_default_str();
  compile->add_option("--arch", opts.archs,
                      "Target architecture, repeatable (also -arch): sm_80, sm_86, sm_89, "
                      "sm_90, sm_90a; default sm_90a")
      ->allow_extra_args(false);
  compile->add_option("--variant", opts.variant, "Variant to compile when the file has several");
  compile->add_flag("--verbose", opts.verbose,
                    "Print the ptxas resource report (registers, shared memory, spills)");
  compile->add_flag("--no-cache", opts.noCache,
                    "Do not read or write the compile cache ($ATTNC_CACHE_DIR or ~/.cache/attnc)");
  compile->add_flag("--inline-templates", opts.inlineTemplates,
                    "cuda: inline the kernel template headers, so the output compiles alone");
  compile->add_flag("--no-opt", opts.noOpt,
                    "Print the MLIR straight from MLIRGen, before any pass");
  compile->add_flag("--debug-locs", opts.debugInfo, "Print source locations in the MLIR");

  auto *tiles = app.add_subcommand("tiles", "Draw the tile map (empty / partial / full) of the mask");
  tiles->add_option("file", opts.file, "The .attn file")->required();
  tiles->add_option("--q-len", opts.qLen, "Query rows")->required();
  tiles->add_option("--kv-len", opts.kvLen, "Keys (>= q-len; queries align to the end)")->required();
  tiles->add_option("--tile", opts.tile, "Tile size QxKV")->capture_default_str();
  tiles->add_option("--head", opts.head, "Query head to draw")->capture_default_str();
  tiles->add_option("--variant", opts.variant, "Variant to use when the file has several");
  tiles->add_option("--param", opts.params, "Set a param: name=value (repeatable)");
  tiles->add_flag("--verify", opts.verify,
                  "Also evaluate the mask on every pair and compare with the classifier");

  auto *refCmd = app.add_subcommand("ref", "Run the float64 reference evaluator on random inputs");
  refCmd->add_option("file", opts.file, "The .attn file")->required();
  refCmd->add_option("--q-len", opts.qLens, "Query rows per request (comma-separated)")
      ->required()->delimiter(',');
  refCmd->add_option("--kv-len", opts.kvLens, "Keys per request (comma-separated)")
      ->required()->delimiter(',');
  refCmd->add_option("--seed", opts.seed, "Random seed")->capture_default_str();
  refCmd->add_option("--variant", opts.variant, "Variant to use when the file has several");
  refCmd->add_option("--param", opts.params,
                     "Set a param: name=value or name=v0,v1,... (repeatable)");
  refCmd->add_option("--print-rows", opts.printRows, "Print the first N output rows (head 0)");

  auto *bench = app.add_subcommand(
      "bench-compile", "Time a cold compile (NVRTC, no cache) and a cached one (end to end)");
  bench->add_option("file", opts.file, "The .attn file")->required();
  bench->add_option("--arch", opts.archs, "Target architecture, repeatable (also -arch)")
      ->allow_extra_args(false);
  bench->add_option("--variant", opts.variant, "Variant to compile when the file has several");
  bench->add_option("--runs", opts.runs, "Cached compiles to take the median of")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();

  try {
    std::vector<std::string> args = normalizeArgs(argc, argv);
    app.parse(args);
  } catch (const CLI::CallForHelp &e) {
    llvm::outs() << app.help();
    return kOk;
  } catch (const CLI::CallForAllHelp &e) {
    llvm::outs() << app.help("", CLI::AppFormatMode::All);
    return kOk;
  } catch (const CLI::Success &e) {
    // --version
    llvm::outs() << fmt::format("attnc {}\n", kVersion);
    return kOk;
  } catch (const CLI::ParseError &e) {
    llvm::errs() << fmt::format("attnc: error: {}\n", e.what());
    llvm::errs() << "Run 'attnc --help' for usage.\n";
    return kUserError;
  }

  if (check->parsed())
    return runCheck(opts);
  if (compile->parsed())
    return runCompile(opts);
  if (tiles->parsed())
    return runTilesCommand(opts);
  if (refCmd->parsed())
    return runRefCommand(opts);
  if (bench->parsed()) {
    if (!checkArchs(opts.archs))
      return kUserError;
    return runBenchCompile(opts.file, opts.variant, opts.archs, opts.runs);
  }
  return kUserError;
}

} // namespace

int main(int argc, char **argv) {
  try {
    int rc = run(argc, argv);
    llvm::outs().flush();
    return rc;
  } catch (const std::exception &e) {
    llvm::errs() << fmt::format("attnc: internal error: {}\n", e.what());
    return kInternalError;
  }
}
