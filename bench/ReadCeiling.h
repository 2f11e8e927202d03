//===- ReadCeiling.h - What one launch can read, timed like decode -*- C++ -*-===//
//
// A yardstick for the decode bars: the fastest a trivial kernel reads the
// same number of K/V bytes, one launch per call, in the same graph-over-
// copies timing the decode cases and the torch anchors use. Its shortfall
// from the copy rate is what launch, ramp-up and drain cost any kernel of
// that size; attnc's gap to it is what attnc's own structure costs.
// It also times the split-KV skeleton: the chunked read followed by decode's
// tail alone (a 1 KB partial per CTA, one acq_rel count, the last of each 32
// CTAs merging the 32 partials through L2), and the same with thread-block
// clusters merging over distributed shared memory first: what any split-KV
// decode of that size pays before it looks up a page or does any math; and
// with each group's reads claimed 32 KB at a time from a shared cursor
// instead of fixed slices (what dynamic balancing inside a split would buy).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_BENCH_READCEILING_H
#define ATTN_BENCH_READCEILING_H

#include <string>

namespace attn::bench {

/// Times, for `kvBytes` split evenly between a K and a V buffer, a few
/// grid shapes of a streaming-read kernel and an empty kernel, each plain and
/// with programmatic dependent launch, and the split-KV skeletons; prints
/// one BENCH line per shape.
/// `sets` copies rotate through the graph so no call finds its bytes in L2.
/// Returns false (with `error`) when compiling or launching fails.
bool runReadCeiling(const char *caseName, double kvBytes, int sets, int reps,
                    std::string &error);

} // namespace attn::bench

#endif
