// Compiles a .cu file with NVRTC the way attnc does (only -I<cuda>/include and
// -I kernels-gen/include, no host headers) and prints the ptxas report.
// Usage: nvrtc_check file.cu arch [-D...]...
#include <nvrtc.h>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
int main(int argc, char **argv) {
  if (argc < 3) { std::fprintf(stderr, "usage: %s file.cu sm_XX [opts]\n", argv[0]); return 2; }
  std::ifstream f(argv[1]);
  std::stringstream ss; ss << f.rdbuf();
  std::string src = ss.str();
  nvrtcProgram prog;
  nvrtcCreateProgram(&prog, src.c_str(), argv[1], 0, nullptr, nullptr);
  std::string arch = std::string("--gpu-architecture=") + argv[2];
  std::vector<std::string> opts = {arch, "-std=c++17", "-I/usr/local/cuda/include",
                                   "-I" KERNELS_INCLUDE, "--ptxas-options=-v"};
  for (int i = 3; i < argc; ++i) opts.push_back(argv[i]);
  std::vector<const char *> o; for (auto &s : opts) o.push_back(s.c_str());
  nvrtcResult r = nvrtcCompileProgram(prog, (int)o.size(), o.data());
  size_t n; nvrtcGetProgramLogSize(prog, &n);
  std::string log(n, '\0'); nvrtcGetProgramLog(prog, &log[0]);
  std::printf("%s\n%s\n", nvrtcGetErrorString(r), log.c_str());
  size_t cs = 0; if (r == NVRTC_SUCCESS) nvrtcGetCUBINSize(prog, &cs);
  std::printf("cubin bytes: %zu\n", cs);
  return r == NVRTC_SUCCESS ? 0 : 1;
}
