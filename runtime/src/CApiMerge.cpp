//===- CApiMerge.cpp - attn_merge_states ----------------------------------===//
//
// Its own file so that only programs calling attn_merge_states link the
// merge path (CApiDriverMerge.cpp -> attnrt::mergeStates).
//
//===----------------------------------------------------------------------===//
#include "attn.h"

#include "CApiDriver.h"
#include "CApiHandles.h"

using namespace attnrt;
using namespace attnrt::capi;

extern "C" attn_status attn_merge_states(attn_module module, const attn_merge_states_args *args,
                                         void *stream) {
  return entry("attn_merge_states", [&]() -> Status {
    std::shared_ptr<ModuleObject> m;
    ATTNRT_RETURN_IF_ERROR(
        lookup(reinterpret_cast<uintptr_t>(module), HandleKind::kModule, &m));
    if (!args)
      return invalidArgument("args is NULL");
    MergeStatesArgs a;
    a.rows = args->rows;
    a.oA = args->o_a;
    a.lseA = args->lse_a;
    a.oB = args->o_b;
    a.lseB = args->lse_b;
    a.oOut = args->o_out;
    a.lseOut = args->lse_out;
    a.oStrideRow = args->o_stride_row;
    a.oStrideHead = args->o_stride_head;
    return driverMergeStates(m->driver, a, stream);
  });
}
