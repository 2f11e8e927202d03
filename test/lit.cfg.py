# -*- Python -*-
import os

import lit.formats
import lit.util
from lit.llvm import llvm_config

config.name = "attnc"
# The external shell (bash) so tests may check exit codes with `$?`.
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".attn", ".test"]
config.excludes = ["CMakeLists.txt", "unit", "specs", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "README.md"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")

config.environment["FILECHECK_OPTS"] = "--enable-var-scope --dump-input=fail"

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["attnc", "attn-opt"], [config.attn_tools_dir])
config.substitutions.append(("%examples", os.path.join(config.attn_src_root, "examples")))

# NVRTC-dependent tests (cubin, ptx, header, the all-examples compile) need the
# CUDA toolkit found at configure time; no GPU is needed.
if lit.util.pythonize_bool(config.attn_have_nvrtc):
    config.available_features.add("nvrtc")
# Compiles under test use their own cache, never the user's ~/.cache/attnc.
config.environment["ATTNC_CACHE_DIR"] = os.path.join(config.test_exec_root, "attnc-cache")
config.substitutions.append(("%host_cxx", config.host_cxx))
