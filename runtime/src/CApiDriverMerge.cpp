//===- CApiDriverMerge.cpp - The merge half of the driver seam ------------===//
//
// Separate from CApiDriver.cpp so that the merge path is linked only into
// programs that call attn_merge_states.
//
//===----------------------------------------------------------------------===//
#include "CApiDriverTypes.h"

#include "attnrt/MergeStates.h"
#include "attnrt/Module.h"

namespace attnrt::capi {

Status driverMergeStates(DriverModule *module, const MergeStatesArgs &args, void *stream) {
  return mergeStates(module->module, args, static_cast<CUstream>(stream));
}

} // namespace attnrt::capi
