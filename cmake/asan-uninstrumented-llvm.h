// Force-included (-include) into every C++ file of the sanitizer build
// (ATTN_SANITIZE, top-level CMakeLists.txt).
//
// libMLIR.so is not built with ASan, but LLVM's allocators are header
// templates (BumpPtrAllocator, Recycler) that poison and unpoison their slabs
// by hand when the including file is compiled with ASan. Our instrumented
// copy poisons a fresh slab; libMLIR's uninstrumented copy then hands out
// memory from it without unpoisoning, and the next read of a uniqued
// attribute reports a use-after-poison that is not a bug. Declaring the ASan
// interface first and then turning the two calls into no-ops makes our copies
// behave like libMLIR's. Nothing outside LLVM's headers calls them.
#ifndef ATTN_ASAN_UNINSTRUMENTED_LLVM_H
#define ATTN_ASAN_UNINSTRUMENTED_LLVM_H
#if defined(__has_include)
#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#endif
#endif
#undef __asan_poison_memory_region
#undef __asan_unpoison_memory_region
#define __asan_poison_memory_region(p, size) ((void)(p), (void)(size))
#define __asan_unpoison_memory_region(p, size) ((void)(p), (void)(size))
#endif
