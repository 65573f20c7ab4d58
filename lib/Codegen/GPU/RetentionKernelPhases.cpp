//===- RetentionKernelPhases.cpp - Phases of the GPU retention kernels ---===//

#include "RetentionKernelEmitter.h"

#include "retnet/Utils/LinalgBuilders.h"

#include "Retention/IR/RetentionMath.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::retention;
using mlir::retnet::RetentionKernelEmitter;

Value RetentionKernelEmitter::decayPower(OpBuilder &builder, Location loc,
                                         Value exponentIndex) {
  return buildDecayPower(builder, loc, logGamma, exponentIndex, computeType);
}

Value RetentionKernelEmitter::outputScale(OpBuilder &builder, Location loc,
                                          Value position) {
  return buildOutputScale(builder, loc, logGamma, position, computeType);
}

Value RetentionKernelEmitter::load(OpBuilder &builder, Location loc,
                                   Value memref, ValueRange indices) {
  Value value = memref::LoadOp::create(builder, loc, memref, indices);
  if (value.getType() == computeType)
    return value;
  return arith::ExtFOp::create(builder, loc, computeType, value);
}

Value RetentionKernelEmitter::sum(
    OpBuilder &builder, Location loc, Value count,
    function_ref<Value(OpBuilder &, Location, Value)> term) {
  Value zero = floatConstant(builder, loc, computeType, 0.0);
  auto loop = scf::ForOp::create(
      builder, loc, index(builder, loc, 0), count, index(builder, loc, 1),
      ValueRange{zero},
      [&](OpBuilder &inner, Location innerLoc, Value iv, ValueRange acc) {
        Value next = arith::AddFOp::create(inner, innerLoc, acc[0],
                                           term(inner, innerLoc, iv));
        scf::YieldOp::create(inner, innerLoc, next);
      });
  return loop.getResult(0);
}

void RetentionKernelEmitter::forEachElement(Value count, ElementFn body) {
  auto mapping = b.getArrayAttr(
      {gpu::GPUThreadMappingAttr::get(b.getContext(), gpu::MappingId::DimX)});
  auto forall = scf::ForallOp::create(
      b, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(threads)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)}, ValueRange{}, mapping);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getTerminator());
  scf::ForOp::create(
      b, forall.getInductionVar(0), count, index(threads), ValueRange{},
      [&](OpBuilder &builder, Location loc, Value element, ValueRange) {
        body(builder, loc, element);
        scf::YieldOp::create(builder, loc);
      });
}

std::pair<Value, Value> RetentionKernelEmitter::split(OpBuilder &builder,
                                                      Location loc, Value e,
                                                      int64_t columns) {
  Value width = index(builder, loc, columns);
  return {arith::DivUIOp::create(builder, loc, e, width),
          arith::RemUIOp::create(builder, loc, e, width)};
}

Value RetentionKernelEmitter::workgroupBuffer(ArrayRef<int64_t> shape) {
  auto type = MemRefType::get(shape, computeType, MemRefLayoutAttrInterface(),
                              workgroupSpace);
  return memref::AllocaOp::create(b, type);
}

void RetentionKernelEmitter::forEachBlock(ArrayRef<OpFoldResult> sizes,
                                          ArrayRef<gpu::MappingId> dims,
                                          function_ref<void(ValueRange)> body) {
  SmallVector<Attribute> mapping;
  for (gpu::MappingId dim : dims)
    mapping.push_back(gpu::GPUBlockMappingAttr::get(b.getContext(), dim));
  SmallVector<OpFoldResult> zeros(sizes.size(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> ones(sizes.size(), b.getIndexAttr(1));
  auto forall = scf::ForallOp::create(b, zeros, sizes, ones, ValueRange{},
                                      b.getArrayAttr(mapping));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getTerminator());
  body(forall.getInductionVars());
}

void RetentionKernelEmitter::selectHead(Value batch, Value head) {
  batchIndex = batch;
  headIndex = head;
  logGamma = math::LogOp::create(
      b, memref::LoadOp::create(b, gammas, ValueRange{head}));
}

std::pair<Value, Value> RetentionKernelEmitter::tileBounds(Value tileIndex,
                                                           Value tileSize) {
  Value start = arith::MulIOp::create(b, tileIndex, tileSize);
  Value rows = arith::MinUIOp::create(b, tileSize,
                                      arith::SubIOp::create(b, length, start));
  return {start, rows};
}

void RetentionKernelEmitter::forEachTile(
    Value count, Value tileSize, function_ref<void(Value, Value, Value)> body) {
  scf::ForOp::create(
      b, index(0), count, index(1), ValueRange{},
      [&](OpBuilder &builder, Location, Value tileIndex, ValueRange) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(builder.getInsertionBlock(),
                            builder.getInsertionPoint());
        auto [start, rows] = tileBounds(tileIndex, tileSize);
        body(tileIndex, start, rows);
        scf::YieldOp::create(b);
      });
}

void RetentionKernelEmitter::initializeState() {
  forEachElement(
      index(keyDim * valueDim), [&](OpBuilder &builder, Location loc, Value e) {
        auto [rowIndex, columnIndex] = split(builder, loc, e, valueDim);
        Value row = rowIndex, column = columnIndex;
        Value value = initialState
                          ? load(builder, loc, initialState, at(row, column))
                          : floatConstant(builder, loc, computeType, 0.0);
        memref::StoreOp::create(builder, loc, value, state, at(row, column));
      });
}

void RetentionKernelEmitter::computeRowFactors(Value factors, Value rowStart,
                                               Value rows, Value queryDecayBase,
                                               Value keyDecayEnd) {
  // For row i of the block (token rowStart + i), the factors asked for (a
  // null base or end skips them):
  //   xi_i = gamma^(rowStart + i + 1 - queryDecayBase) and s_i, the output
  //   scale of position + rowStart + i (for outputs);
  //   zeta_i = gamma^(keyDecayEnd - 1 - rowStart - i) (for the state).
  forEachElement(rows, [&](OpBuilder &builder, Location loc, Value i) {
    Value token = arith::AddIOp::create(builder, loc, rowStart, i);
    Value one = index(builder, loc, 1);
    auto store = [&](Value value, FactorRow row) {
      memref::StoreOp::create(builder, loc, value, factors,
                              ValueRange{index(builder, loc, row), i});
    };
    if (queryDecayBase) {
      Value queryExponent = arith::SubIOp::create(
          builder, loc, arith::AddIOp::create(builder, loc, token, one),
          queryDecayBase);
      store(decayPower(builder, loc, queryExponent), QueryDecayRow);
      if (scaled)
        store(outputScale(builder, loc,
                          arith::AddIOp::create(builder, loc, position, token)),
              ScaleRow);
    }
    if (keyDecayEnd) {
      Value keyExponent = arith::SubIOp::create(
          builder, loc, arith::SubIOp::create(builder, loc, keyDecayEnd, one),
          token);
      store(decayPower(builder, loc, keyExponent), KeyDecayRow);
    }
  });
}

void RetentionKernelEmitter::computeScores(Value scores, Value qStart,
                                           Value qLength, Value kStart,
                                           Value kLength) {
  // scores[i][j] = (q_i . k_j) gamma^(i - j) for key token <= query token
  // (both inside the tiles), else 0.
  auto type = cast<MemRefType>(scores.getType());
  int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
  Value logGammaCompute = convertFloat(b, b.getLoc(), logGamma, computeType);
  forEachElement(index(rows * columns), [&](OpBuilder &builder, Location loc,
                                            Value e) {
    auto [iIndex, jIndex] = split(builder, loc, e, columns);
    Value i = iIndex, j = jIndex;
    Value query = arith::AddIOp::create(builder, loc, qStart, i);
    Value key = arith::AddIOp::create(builder, loc, kStart, j);
    auto lessThan = [&](Value lhs, Value rhs) {
      return arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::ult, lhs,
                                   rhs);
    };
    // Pairs outside the tiles or above the diagonal are 0 without a dot
    // product.
    Value inside = arith::AndIOp::create(
        builder, loc,
        arith::AndIOp::create(builder, loc, lessThan(i, qLength),
                              lessThan(j, kLength)),
        arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::ule, key,
                              query));
    auto ifOp = scf::IfOp::create(
        builder, loc, inside,
        [&](OpBuilder &then, Location thenLoc) {
          Value dot = sum(then, thenLoc, index(then, thenLoc, keyDim),
                          [&](OpBuilder &inner, Location innerLoc, Value r) {
                            return arith::MulFOp::create(
                                inner, innerLoc,
                                load(inner, innerLoc, queries, at(query, r)),
                                load(inner, innerLoc, keys, at(key, r)));
                          });
          Value decay = buildCausalDecay(then, thenLoc, logGammaCompute, query,
                                         key, computeType);
          scf::YieldOp::create(
              then, thenLoc,
              arith::MulFOp::create(then, thenLoc, dot, decay).getResult());
        },
        [&](OpBuilder &otherwise, Location otherwiseLoc) {
          scf::YieldOp::create(
              otherwise, otherwiseLoc,
              floatConstant(otherwise, otherwiseLoc, computeType, 0.0));
        });
    memref::StoreOp::create(builder, loc, ifOp.getResult(0), scores,
                            ValueRange{i, j});
  });
}

void RetentionKernelEmitter::computeOutputs(Value scores, Value factors,
                                            Value qStart, Value qLength,
                                            Value kStart, Value kLength,
                                            Value accumulate, bool finish,
                                            StateRef stateBefore) {
  // o[i][c] = (prior + sum_j scores[i][j] v_j[c] + xi_i (q_i . S[:, c])) s_i
  // with `prior` the partial sum of earlier key tiles (parallel form), and S
  // `stateBefore`, the state before the query tile (if any); the state term
  // and the scale are applied with the last key tile.
  int64_t rows = cast<MemRefType>(scores.getType()).getDimSize(0);
  forEachElement(index(rows * valueDim), [&](OpBuilder &builder, Location loc,
                                             Value e) {
    auto [iIndex, columnIndex] = split(builder, loc, e, valueDim);
    Value i = iIndex, column = columnIndex;
    Value inside = arith::CmpIOp::create(builder, loc,
                                         arith::CmpIPredicate::ult, i, qLength);
    auto ifOp = scf::IfOp::create(builder, loc, inside, /*withElse=*/false);
    OpBuilder then = ifOp.getThenBodyBuilder();
    Value query = arith::AddIOp::create(then, loc, qStart, i);
    Value result = sum(
        then, loc, kLength, [&](OpBuilder &inner, Location innerLoc, Value j) {
          Value score =
              memref::LoadOp::create(inner, innerLoc, scores, ValueRange{i, j});
          Value key = arith::AddIOp::create(inner, innerLoc, kStart, j);
          return arith::MulFOp::create(
              inner, innerLoc, score,
              load(inner, innerLoc, values, at(key, column)));
        });
    if (accumulate) {
      Value prior = load(then, loc, accumulator, at(query, column));
      Value zero = floatConstant(then, loc, computeType, 0.0);
      result = arith::AddFOp::create(
          then, loc, result,
          arith::SelectOp::create(then, loc, accumulate, prior, zero));
    }
    if (!finish) {
      memref::StoreOp::create(then, loc, result, accumulator,
                              at(query, column));
      return;
    }
    auto factor = [&](FactorRow row) {
      return memref::LoadOp::create(then, loc, factors,
                                    ValueRange{index(then, loc, row), i})
          .getResult();
    };
    if (stateBefore) {
      Value fromState = sum(then, loc, index(then, loc, keyDim),
                            [&](OpBuilder &inner, Location innerLoc, Value r) {
                              return arith::MulFOp::create(
                                  inner, innerLoc,
                                  load(inner, innerLoc, queries, at(query, r)),
                                  load(inner, innerLoc, stateBefore.buffer,
                                       at(stateBefore, r, column)));
                            });
      result = arith::AddFOp::create(
          then, loc, result,
          arith::MulFOp::create(then, loc, fromState, factor(QueryDecayRow)));
    }
    if (scaled)
      result = arith::MulFOp::create(then, loc, result, factor(ScaleRow));
    if (elementType != computeType)
      result = arith::TruncFOp::create(then, loc, elementType, result);
    memref::StoreOp::create(then, loc, result, output, at(query, column));
  });
}

void RetentionKernelEmitter::updateState(Value factors, Value kStart,
                                         Value kLength, Value stateFactor,
                                         StateRef target) {
  // S[r][c] = stateFactor S[r][c] + sum_j zeta_j k_j[r] v_j[c], or without
  // the first term when `stateFactor` is null.
  forEachElement(index(keyDim * valueDim), [&](OpBuilder &builder, Location loc,
                                               Value e) {
    auto [rowIndex, columnIndex] = split(builder, loc, e, valueDim);
    Value row = rowIndex, column = columnIndex;
    Value update = sum(
        builder, loc, kLength,
        [&](OpBuilder &inner, Location innerLoc, Value j) {
          Value key = arith::AddIOp::create(inner, innerLoc, kStart, j);
          Value zeta = memref::LoadOp::create(
              inner, innerLoc, factors,
              ValueRange{index(inner, innerLoc, KeyDecayRow), j});
          Value decayedKey = arith::MulFOp::create(
              inner, innerLoc, load(inner, innerLoc, keys, at(key, row)), zeta);
          return arith::MulFOp::create(
              inner, innerLoc, decayedKey,
              load(inner, innerLoc, values, at(key, column)));
        });
    if (stateFactor) {
      Value previous = arith::MulFOp::create(
          builder, loc,
          load(builder, loc, target.buffer, at(target, row, column)),
          stateFactor);
      update = arith::AddFOp::create(builder, loc, previous, update);
    }
    memref::StoreOp::create(builder, loc, update, target.buffer,
                            at(target, row, column));
  });
}

int64_t RetentionKernelEmitter::fittingChunkSize(int64_t requested,
                                                 Type computeType) {
  int64_t chunkSize = requested;
  while (chunkSize > 1 && tileBytes(chunkSize, computeType) > kWorkgroupBytes)
    chunkSize = llvm::PowerOf2Ceil(chunkSize) / 2;
  return chunkSize;
}
