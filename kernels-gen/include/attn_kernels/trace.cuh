//===- trace.cuh - Per-CTA timeline for kernel tuning (developer only) ----===//
//
// Compiled in only with -DATTN_TRACE (attn-bench --trace passes it through
// CompileOptions::defines); otherwise every macro here is empty. Thread 0 of
// each CTA stores %globaltimer (ns) at a few points of its life into
// attn_trace[cta * kTracePoints + point], which the host reads back with
// cuModuleGetGlobal. It shows where a launch's time goes (late starts, slow
// first tiles, stragglers, the merge tail) without hardware counters.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNELS_TRACE_CUH
#define ATTN_KERNELS_TRACE_CUH

#ifdef ATTN_TRACE
namespace attn_kernels {
// Points: 0 CTA start, 1 first key tile landed, 2 math of its last item
// done, 3 exit, 4 found it finished a group's last item (it merges next),
// 5 its first work item arrived, 6 its first key tile's copies issued (the
// page lookups returned), 7 its merge's stores issued; in the merge, thread
// 0's row: 8 a round's LSEs reduced (the last round's time stays), 9 the
// first round of slots accumulated, 10 a later round (attn-bench prints 9 /
// 10 as merge_b1 / merge_b2). A point that must wait for loaded data sits
// behind a branch on that data (the timer read alone would not wait for the
// load). With fp32 partials these points showed the merge of 32 slots as
// three dependent L2 round trips (third session of 2026-11-26); with DType
// partials it is one round (fifth session; bench/RESULTS.md).
// In the first item's prologue: 11 its Q copies issued, 12 its first key
// tile chosen (range and class), 13 its Q tile landed.
// %globaltimer ticks in steps of 256 ns on the H100; with ATTN_TRACE_CLOCK
// (attn-bench --trace-clock) the points store the SM's clock64 instead,
// exact but comparable only within one CTA (SM clocks are not in sync).
constexpr int kTracePoints = 14;
constexpr int kTraceMaxCtas = 8192;
} // namespace attn_kernels
extern "C" __device__ unsigned long long
    attn_trace[attn_kernels::kTraceMaxCtas * attn_kernels::kTracePoints] = {};
#ifdef ATTN_TRACE_CLOCK
#define ATTN_TRACE_READ_TIMER(t) asm volatile("mov.u64 %0, %%clock64;" : "=l"(t))
#else
#define ATTN_TRACE_READ_TIMER(t) asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t))
#endif
#define ATTN_TRACE_POINT(point)                                                                \
  do {                                                                                         \
    if (threadIdx.x == 0 && blockIdx.x < attn_kernels::kTraceMaxCtas) {                        \
      unsigned long long t_;                                                                   \
      ATTN_TRACE_READ_TIMER(t_);                                                               \
      attn_trace[blockIdx.x * attn_kernels::kTracePoints + (point)] = t_;                      \
    }                                                                                          \
  } while (0)
// The point only when `cond` holds; `cond` is not evaluated without
// ATTN_TRACE (it may be a branch on loaded data, to make the point wait).
#define ATTN_TRACE_POINT_IF(cond, point)                                                       \
  do {                                                                                         \
    if (cond)                                                                                  \
      ATTN_TRACE_POINT(point);                                                                 \
  } while (0)
#else
#define ATTN_TRACE_POINT(point) ((void)0)
#define ATTN_TRACE_POINT_IF(cond, point) ((void)0)
#endif

#endif
