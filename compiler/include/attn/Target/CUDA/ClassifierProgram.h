//===- ClassifierProgram.h - The tile classifier for the host ---*- C++ -*-===//
//
// The runtime's planner needs the tile classifier on the host to count the
// key tiles a work item really visits. It gets it as data: the manifest's
// optional "tile_classifier" field (docs/codegen.md section 3), a
// straight-line SSA program that attnrt's HostClassifier interprets with the
// device code's exact semantics. scf.if regions are flattened: both branches
// are computed (every op is total) and the results selected; array reads
// keep their path condition as a guard, so an untaken read reads nothing,
// as on the device.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGET_CUDA_CLASSIFIERPROGRAM_H
#define ATTN_TARGET_CUDA_CLASSIFIERPROGRAM_H

#include "attn/Target/CUDA/VariantDesc.h"

#include <string>

namespace attn::target {

/// The version written in the program; attnrt reads versions up to its own.
constexpr int kClassifierProgramVersion = 1;

/// Renders `classifier` as the value of the manifest's "tile_classifier"
/// field: a JSON object, one op per line, each line after the first prefixed
/// by `indent`, no trailing newline. False with a message, never a crash, for
/// an op the format cannot express (e.g. a transcendental float function,
/// whose host and device results may differ in the last bit): the manifest
/// then goes without the field and the runtime treats every tile as partial.
bool encodeClassifierProgram(TileClassifierOp classifier, const VariantDesc &desc,
                             const std::string &indent, std::string &json,
                             std::string &error);

} // namespace attn::target

#endif
