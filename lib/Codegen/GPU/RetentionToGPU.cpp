//===- RetentionToGPU.cpp - Retention forms as GPU block/thread loop nests
//-===//

#include "retnet/Codegen/GPU/Passes.h"
#include "retnet/Utils/LinalgBuilders.h"

#include "Retention/IR/RetentionOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_CONVERTRETENTIONTOGPU
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;
using namespace mlir::retention;

namespace {
/// Shorthand for the body of a per-element loop: (builder, location, element
/// index).
using ElementFn = function_ref<void(OpBuilder &, Location, Value)>;

/// Where a block keeps its per-row decay factors (workgroup memory, `[3, L]`).
enum FactorRow : int64_t { QueryDecayRow = 0, KeyDecayRow = 1, ScaleRow = 2 };

/// The static workgroup memory of a block that CUDA grants without opting
/// in (48 KiB).
constexpr int64_t kWorkgroupBytes = 48 * 1024;

/// Bytes of the workgroup tiles of a block with tiles of `tile` tokens.
int64_t tileBytes(int64_t tile, Type computeType) {
  return (tile * tile + 3 * tile) * computeType.getIntOrFloatBitWidth() / 8;
}

/// Emits the GPU form of one retention op on buffers: `scf.forall` loops over
/// blocks (batch x heads, and query tiles for the parallel form) whose bodies
/// are sequences of *phases*, each an `scf.forall` over the threads of the
/// block in which every thread handles the elements `e = t, t + N, ...` of
/// the phase. A phase only reads what earlier phases wrote, so the end of
/// each thread loop is the only synchronisation needed (a barrier on the GPU,
/// nothing when the loops run on a CPU).
class GPURetentionEmitter {
public:
  GPURetentionEmitter(ImplicitLocOpBuilder &b, RetentionOpInterface op,
                      int64_t threads, int64_t parallelTile,
                      Attribute workgroupSpace)
      : b(b), op(op), threads(threads), parallelTile(parallelTile),
        workgroupSpace(workgroupSpace), keyDim(op.getKeyDim()),
        valueDim(op.getValueDim()),
        computeType(getStateElementType(op.getElementType())),
        elementType(op.getElementType()),
        scaled(op.getScalingKind() == Scaling::decay_sqrt_sum) {}

  SmallVector<Value> emit();

private:
  Value index(OpBuilder &builder, Location loc, int64_t value) {
    return arith::ConstantIndexOp::create(builder, loc, value);
  }
  Value index(int64_t value) { return index(b, b.getLoc(), value); }
  Value floatConstant(OpBuilder &builder, Location loc, Type type,
                      double value) {
    return arith::ConstantOp::create(builder, loc,
                                     builder.getFloatAttr(type, value));
  }
  /// `exp(exponent * lnGamma)` in f64, converted to the compute type.
  Value decayPower(OpBuilder &builder, Location loc, Value exponentIndex);
  /// The output scale of absolute position `position`.
  Value outputScale(OpBuilder &builder, Location loc, Value position);
  /// Loads `memref[indices]` and converts it to the compute type.
  Value load(OpBuilder &builder, Location loc, Value memref,
             ValueRange indices);
  /// Head-local indices [batch, head, row, column].
  SmallVector<Value> at(Value row, Value column) {
    return {batchIndex, headIndex, row, column};
  }
  /// A `dk x dv` state of the current batch row: `buffer[batch, slot]`
  /// (slot: the head, or a (head, chunk) pair for chunk states).
  struct StateRef {
    Value buffer, slot;
    explicit operator bool() const { return static_cast<bool>(buffer); }
  };
  StateRef headState(Value buffer) { return {buffer, headIndex}; }
  SmallVector<Value> at(const StateRef &ref, Value row, Value column) {
    return {batchIndex, ref.slot, row, column};
  }
  /// `sum_{i < count} term(i)` in the compute type.
  Value sum(OpBuilder &builder, Location loc, Value count,
            function_ref<Value(OpBuilder &, Location, Value)> term);

  /// Runs `body` for every element index in [0, count) over the block's
  /// threads.
  void forEachElement(Value count, ElementFn body);
  /// Splits element `e` of a `rows x columns` phase into (row, column).
  std::pair<Value, Value> split(OpBuilder &builder, Location loc, Value e,
                                int64_t columns);
  Value workgroupBuffer(ArrayRef<int64_t> shape);

  /// An `scf.forall` over blocks with the given mapping; `body` gets the
  /// block indices.
  void forEachBlock(ArrayRef<OpFoldResult> sizes, ArrayRef<gpu::MappingId> dims,
                    function_ref<void(ValueRange)> body);
  void selectHead(Value batch, Value head);
  /// Start and length of tile `tileIndex` of `tileSize` tokens of the
  /// sequence (the last tile may be shorter).
  std::pair<Value, Value> tileBounds(Value tileIndex, Value tileSize);
  /// A loop, uniform across the block, over tiles [0, count) of `tileSize`
  /// tokens; `body` gets the tile's index, start and length.
  void forEachTile(Value count, Value tileSize,
                   function_ref<void(Value, Value, Value)> body);

  /// The chunk size the kernels use for `requested`: itself if its tiles fit
  /// a block's workgroup memory, else the largest power of two that does
  /// (the chunkwise formula gives the same result for any chunk size, up to
  /// rounding).
  int64_t fittingChunkSize(int64_t requested) const;

  // Phases; see emitSequential, emitChunkParallel and emitParallel.
  void initializeState();
  void computeRowFactors(Value factors, Value rowStart, Value rows,
                         Value queryDecayBase, Value keyDecayEnd);
  void computeScores(Value scores, Value qStart, Value qLength, Value kStart,
                     Value kLength);
  void computeOutputs(Value scores, Value factors, Value qStart, Value qLength,
                      Value kStart, Value kLength, Value accumulate,
                      bool finish, StateRef stateBefore);
  void updateState(Value factors, Value kStart, Value kLength,
                   Value stateFactor, StateRef target);

  void emitSequential(int64_t chunkSize);
  void emitChunkParallel(int64_t chunkSize);
  void emitParallel();

  ImplicitLocOpBuilder &b;
  RetentionOpInterface op;
  int64_t threads, parallelTile;
  Attribute workgroupSpace;
  int64_t keyDim, valueDim;
  Type computeType, elementType;
  bool scaled;

  // Buffers: inputs in the element type, the state in the compute type.
  Value queries, keys, values, gammas, initialState, output, state, accumulator;
  Value length, batch, position;
  // The head being emitted: its block indices and ln(gamma) in f64.
  Value batchIndex, headIndex, logGamma;
};
} // namespace

Value GPURetentionEmitter::decayPower(OpBuilder &builder, Location loc,
                                      Value exponentIndex) {
  Type f64 = builder.getF64Type();
  Value exponent = retnet::buildIndexToFloat(builder, loc, exponentIndex, f64);
  Value power = math::ExpOp::create(
      builder, loc, arith::MulFOp::create(builder, loc, exponent, logGamma));
  if (computeType == f64)
    return power;
  return arith::TruncFOp::create(builder, loc, computeType, power);
}

Value GPURetentionEmitter::outputScale(OpBuilder &builder, Location loc,
                                       Value position) {
  // s = sqrt(expm1(ln g) / expm1((p + 1) ln g)), as in the linalg lowering.
  Type f64 = builder.getF64Type();
  Value count =
      arith::AddIOp::create(builder, loc, position, index(builder, loc, 1));
  Value exponent = arith::MulFOp::create(
      builder, loc, retnet::buildIndexToFloat(builder, loc, count, f64),
      logGamma);
  Value ratio = arith::DivFOp::create(
      builder, loc, math::ExpM1Op::create(builder, loc, logGamma),
      math::ExpM1Op::create(builder, loc, exponent));
  Value scale = math::SqrtOp::create(builder, loc, ratio);
  if (computeType == f64)
    return scale;
  return arith::TruncFOp::create(builder, loc, computeType, scale);
}

Value GPURetentionEmitter::load(OpBuilder &builder, Location loc, Value memref,
                                ValueRange indices) {
  Value value = memref::LoadOp::create(builder, loc, memref, indices);
  if (value.getType() == computeType)
    return value;
  return arith::ExtFOp::create(builder, loc, computeType, value);
}

Value GPURetentionEmitter::sum(
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

void GPURetentionEmitter::forEachElement(Value count, ElementFn body) {
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

std::pair<Value, Value> GPURetentionEmitter::split(OpBuilder &builder,
                                                   Location loc, Value e,
                                                   int64_t columns) {
  Value width = index(builder, loc, columns);
  return {arith::DivUIOp::create(builder, loc, e, width),
          arith::RemUIOp::create(builder, loc, e, width)};
}

Value GPURetentionEmitter::workgroupBuffer(ArrayRef<int64_t> shape) {
  auto type = MemRefType::get(shape, computeType, MemRefLayoutAttrInterface(),
                              workgroupSpace);
  return memref::AllocaOp::create(b, type);
}

void GPURetentionEmitter::forEachBlock(ArrayRef<OpFoldResult> sizes,
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

void GPURetentionEmitter::selectHead(Value batch, Value head) {
  batchIndex = batch;
  headIndex = head;
  logGamma = math::LogOp::create(
      b, memref::LoadOp::create(b, gammas, ValueRange{head}));
}

std::pair<Value, Value> GPURetentionEmitter::tileBounds(Value tileIndex,
                                                        Value tileSize) {
  Value start = arith::MulIOp::create(b, tileIndex, tileSize);
  Value rows = arith::MinUIOp::create(b, tileSize,
                                      arith::SubIOp::create(b, length, start));
  return {start, rows};
}

void GPURetentionEmitter::forEachTile(
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

void GPURetentionEmitter::initializeState() {
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

void GPURetentionEmitter::computeRowFactors(Value factors, Value rowStart,
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

void GPURetentionEmitter::computeScores(Value scores, Value qStart,
                                        Value qLength, Value kStart,
                                        Value kLength) {
  // scores[i][j] = (q_i . k_j) gamma^(i - j) for key token <= query token
  // (both inside the tiles), else 0.
  auto type = cast<MemRefType>(scores.getType());
  int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
  Value logGammaCompute =
      computeType == b.getF64Type()
          ? logGamma
          : arith::TruncFOp::create(b, computeType, logGamma).getResult();
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
          Value distance = arith::SubIOp::create(then, thenLoc, query, key);
          Value decay = math::ExpOp::create(
              then, thenLoc,
              arith::MulFOp::create(then, thenLoc,
                                    retnet::buildIndexToFloat(
                                        then, thenLoc, distance, computeType),
                                    logGammaCompute));
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

void GPURetentionEmitter::computeOutputs(Value scores, Value factors,
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

void GPURetentionEmitter::updateState(Value factors, Value kStart,
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

int64_t GPURetentionEmitter::fittingChunkSize(int64_t requested) const {
  int64_t chunkSize = requested;
  while (chunkSize > 1 && tileBytes(chunkSize, computeType) > kWorkgroupBytes)
    chunkSize = llvm::PowerOf2Ceil(chunkSize) / 2;
  return chunkSize;
}

void GPURetentionEmitter::emitSequential(int64_t chunkSize) {
  // One block per (batch, head); chunks run in order, carrying the state in
  // `state` (global memory). Used for the recurrent form (chunks of one
  // token): a decoding step is one small kernel.
  OpFoldResult heads = b.getIndexAttr(op.getNumHeads());
  forEachBlock(
      {batch, heads}, {gpu::MappingId::DimY, gpu::MappingId::DimX},
      [&](ValueRange blocks) {
        selectHead(blocks[0], blocks[1]);
        Value scores = workgroupBuffer({chunkSize, chunkSize});
        Value factors = workgroupBuffer({3, chunkSize});
        initializeState();
        Value chunk = index(chunkSize);
        Value chunks = arith::CeilDivUIOp::create(b, length, chunk);
        forEachTile(chunks, chunk, [&](Value, Value start, Value rows) {
          computeRowFactors(
              factors, start, rows, /*queryDecayBase=*/start,
              /*keyDecayEnd=*/arith::AddIOp::create(b, start, rows));
          computeScores(scores, start, rows, start, rows);
          computeOutputs(scores, factors, start, rows, start, rows,
                         /*accumulate=*/Value(), /*finish=*/true,
                         /*stateBefore=*/headState(state));
          updateState(factors, start, rows, decayPower(b, b.getLoc(), rows),
                      headState(state));
        });
      });
}

void GPURetentionEmitter::emitChunkParallel(int64_t chunkSize) {
  // Three loop nests, each parallel over chunks or state elements rather
  // than only over (batch, head):
  //  1. per (batch, head, chunk): the chunk's contribution to the state,
  //     dS_c = (K_c * zeta)^T V_c, into `chunkStates`;
  //  2. per (batch, head, state element): the scan over chunks,
  //     S_(c+1) = gamma^(L_c) S_c + dS_c from the initial state, leaving in
  //     `chunkStates` the state at the start of each chunk, and the final
  //     state;
  //  3. per (batch, head, chunk): the outputs from the chunk's scores and
  //     its starting state.
  OpFoldResult heads = b.getIndexAttr(op.getNumHeads());
  Value chunk = index(chunkSize);
  Value chunks = arith::CeilDivUIOp::create(b, length, chunk);
  auto stateType = MemRefType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic, keyDim, valueDim},
      computeType);
  Value headChunks = arith::MulIOp::create(b, index(op.getNumHeads()), chunks);
  Value chunkStates =
      memref::AllocOp::create(b, stateType, ValueRange{batch, headChunks});
  auto chunkState = [&](Value chunkIndex) {
    Value slot = arith::AddIOp::create(
        b, arith::MulIOp::create(b, headIndex, chunks), chunkIndex);
    return StateRef{chunkStates, slot};
  };
  SmallVector<gpu::MappingId> byChunk = {
      gpu::MappingId::DimZ, gpu::MappingId::DimY, gpu::MappingId::DimX};

  forEachBlock({batch, heads, chunks}, byChunk, [&](ValueRange blocks) {
    selectHead(blocks[0], blocks[1]);
    Value factors = workgroupBuffer({3, chunkSize});
    auto [start, rows] = tileBounds(blocks[2], chunk);
    computeRowFactors(factors, start, rows, /*queryDecayBase=*/Value(),
                      /*keyDecayEnd=*/arith::AddIOp::create(b, start, rows));
    updateState(factors, start, rows, /*stateFactor=*/Value(),
                chunkState(blocks[2]));
  });

  int64_t elements = keyDim * valueDim;
  Value groups = index(llvm::divideCeil(elements, threads));
  forEachBlock({batch, heads, groups}, byChunk, [&](ValueRange blocks) {
    selectHead(blocks[0], blocks[1]);
    // gamma^C for full chunks, gamma^(rest) for a shorter last one.
    Value lastChunk = arith::SubIOp::create(b, chunks, index(1));
    Value lastRows = tileBounds(lastChunk, chunk).second;
    Value fullDecay = decayPower(b, b.getLoc(), chunk);
    Value lastDecay = decayPower(b, b.getLoc(), lastRows);
    Value base = arith::MulIOp::create(b, blocks[2], index(threads));
    forEachElement(index(threads), [&](OpBuilder &builder, Location loc,
                                       Value thread) {
      Value e = arith::AddIOp::create(builder, loc, base, thread);
      Value inside =
          arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::ult, e,
                                index(builder, loc, elements));
      auto guard = scf::IfOp::create(builder, loc, inside,
                                     /*withElseRegion=*/false);
      OpBuilder then = guard.getThenBodyBuilder();
      auto [rowIndex, columnIndex] = split(then, loc, e, valueDim);
      Value row = rowIndex, column = columnIndex;
      Value initial = initialState
                          ? load(then, loc, initialState, at(row, column))
                          : floatConstant(then, loc, computeType, 0.0);
      auto scan = scf::ForOp::create(
          then, loc, index(then, loc, 0), chunks, index(then, loc, 1),
          ValueRange{initial},
          [&](OpBuilder &inner, Location innerLoc, Value c,
              ValueRange carried) {
            Value slot = arith::AddIOp::create(
                inner, innerLoc,
                arith::MulIOp::create(inner, innerLoc, headIndex, chunks), c);
            SmallVector<Value> indices = {batchIndex, slot, row, column};
            Value contribution =
                memref::LoadOp::create(inner, innerLoc, chunkStates, indices);
            memref::StoreOp::create(inner, innerLoc, carried[0], chunkStates,
                                    indices);
            Value isLast = arith::CmpIOp::create(
                inner, innerLoc, arith::CmpIPredicate::eq, c, lastChunk);
            Value decay = arith::SelectOp::create(inner, innerLoc, isLast,
                                                  lastDecay, fullDecay);
            Value next = arith::AddFOp::create(
                inner, innerLoc,
                arith::MulFOp::create(inner, innerLoc, carried[0], decay),
                contribution);
            scf::YieldOp::create(inner, innerLoc, next);
          });
      if (state)
        memref::StoreOp::create(then, loc, scan.getResult(0), state,
                                at(row, column));
    });
  });

  forEachBlock({batch, heads, chunks}, byChunk, [&](ValueRange blocks) {
    selectHead(blocks[0], blocks[1]);
    Value scores = workgroupBuffer({chunkSize, chunkSize});
    Value factors = workgroupBuffer({3, chunkSize});
    auto [start, rows] = tileBounds(blocks[2], chunk);
    computeRowFactors(factors, start, rows, /*queryDecayBase=*/start,
                      /*keyDecayEnd=*/Value());
    computeScores(scores, start, rows, start, rows);
    computeOutputs(scores, factors, start, rows, start, rows,
                   /*accumulate=*/Value(), /*finish=*/true,
                   chunkState(blocks[2]));
  });
}

void GPURetentionEmitter::emitParallel() {
  // Outputs: one block per (batch, head, query tile); key tiles up to the
  // diagonal accumulate in `accumulator` (compute type); the last adds the
  // initial state's contribution and the scale.
  OpFoldResult heads = b.getIndexAttr(op.getNumHeads());
  Value tile = index(parallelTile);
  Value tiles = arith::CeilDivUIOp::create(b, length, tile);
  forEachBlock(
      {batch, heads, tiles},
      {gpu::MappingId::DimZ, gpu::MappingId::DimY, gpu::MappingId::DimX},
      [&](ValueRange blocks) {
        selectHead(blocks[0], blocks[1]);
        Value scores = workgroupBuffer({parallelTile, parallelTile});
        Value factors = workgroupBuffer({3, parallelTile});
        Value qStart, qLength;
        std::tie(qStart, qLength) = tileBounds(blocks[2], tile);
        computeRowFactors(factors, qStart, qLength, /*queryDecayBase=*/index(0),
                          /*keyDecayEnd=*/Value());
        auto keyTile = [&](Value kt, Value kStart, Value kLength, bool last) {
          Value accumulate =
              arith::CmpIOp::create(b, arith::CmpIPredicate::ne, kt, index(0));
          computeScores(scores, qStart, qLength, kStart, kLength);
          computeOutputs(scores, factors, qStart, qLength, kStart, kLength,
                         accumulate, /*finish=*/last,
                         /*stateBefore=*/StateRef{initialState, headIndex});
        };
        forEachTile(blocks[2], tile,
                    [&](Value kt, Value kStart, Value kLength) {
                      keyTile(kt, kStart, kLength, /*last=*/false);
                    });
        // The diagonal tile.
        keyTile(blocks[2], qStart, qLength, /*last=*/true);
      });
  if (!state)
    return;

  // Final state: one block per (batch, head), over key tiles.
  forEachBlock(
      {batch, heads}, {gpu::MappingId::DimY, gpu::MappingId::DimX},
      [&](ValueRange blocks) {
        selectHead(blocks[0], blocks[1]);
        Value factors = workgroupBuffer({3, parallelTile});
        initializeState();
        Value one = floatConstant(b, b.getLoc(), computeType, 1.0);
        Value sequenceDecay = decayPower(b, b.getLoc(), length);
        forEachTile(tiles, tile, [&](Value kt, Value kStart, Value kLength) {
          computeRowFactors(factors, kStart, kLength,
                            /*queryDecayBase=*/Value(),
                            /*keyDecayEnd=*/length);
          Value first =
              arith::CmpIOp::create(b, arith::CmpIPredicate::eq, kt, index(0));
          updateState(factors, kStart, kLength,
                      arith::SelectOp::create(b, first, sequenceDecay, one),
                      headState(state));
        });
      });
}

SmallVector<Value> GPURetentionEmitter::emit() {
  auto toBuffer = [&](Value tensor) -> Value {
    if (!tensor)
      return Value();
    auto type = cast<RankedTensorType>(tensor.getType());
    auto memrefType = MemRefType::get(
        type.getShape(), type.getElementType(),
        StridedLayoutAttr::get(
            b.getContext(), ShapedType::kDynamic,
            SmallVector<int64_t>(type.getRank(), ShapedType::kDynamic)));
    return bufferization::ToBufferOp::create(b, memrefType, tensor,
                                             /*read_only=*/true);
  };
  queries = toBuffer(op.getQueries());
  keys = toBuffer(op.getKeys());
  values = toBuffer(op.getValues());
  gammas = toBuffer(op.getGammaValue());
  initialState = toBuffer(op.getInitialStateValue());
  position = op.getOffsetValue();
  if (!position)
    position = index(0);
  batch = memref::DimOp::create(b, queries, 0);
  length = memref::DimOp::create(b, queries, 2);
  int64_t heads = op.getNumHeads();

  auto allocate = [&](int64_t rows, int64_t columns, Type type) -> Value {
    auto memrefType =
        MemRefType::get({ShapedType::kDynamic, heads, rows, columns}, type);
    SmallVector<Value> sizes = {batch};
    if (rows == ShapedType::kDynamic)
      sizes.push_back(length);
    return memref::AllocOp::create(b, memrefType, sizes);
  };
  output = allocate(ShapedType::kDynamic, valueDim, elementType);
  bool needState = static_cast<bool>(op.getFinalStateValue());
  // Blocks of the whole sequence (parallel), of single tokens (recurrent)
  // or of chunks (chunkwise).
  std::optional<int64_t> blockLength = op.getBlockLength();
  bool sequential = blockLength == 1;
  // The final state; the token-by-token strategy also carries its state
  // there.
  if (needState || sequential)
    state = allocate(keyDim, valueDim, computeType);
  if (!blockLength) {
    accumulator = allocate(ShapedType::kDynamic, valueDim, computeType);
    emitParallel();
  } else if (sequential) {
    emitSequential(/*chunkSize=*/1);
  } else {
    emitChunkParallel(fittingChunkSize(*blockLength));
  }

  SmallVector<Value> results;
  auto toTensor = [&](Value buffer, Type type) {
    Value tensor = bufferization::ToTensorOp::create(
        b, memref::getTensorTypeFromMemRefType(buffer.getType()), buffer,
        /*restrict=*/true, /*writable=*/true);
    if (tensor.getType() != type)
      tensor = tensor::CastOp::create(b, type, tensor);
    return tensor;
  };
  results.push_back(toTensor(output, op->getResult(0).getType()));
  if (needState)
    results.push_back(toTensor(state, op.getFinalStateValue().getType()));
  return results;
}

namespace {
struct LowerRetentionToGPUPattern
    : public OpInterfaceRewritePattern<RetentionOpInterface> {
  LowerRetentionToGPUPattern(MLIRContext *context, int64_t threads,
                             int64_t parallelTile, Attribute workgroupSpace)
      : OpInterfaceRewritePattern(context), threads(threads),
        parallelTile(parallelTile), workgroupSpace(workgroupSpace) {}

  LogicalResult matchAndRewrite(RetentionOpInterface op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder builder(op.getLoc(), rewriter);
    SmallVector<Value> results =
        GPURetentionEmitter(builder, op, threads, parallelTile, workgroupSpace)
            .emit();
    rewriter.replaceOp(op, results);
    return success();
  }

  int64_t threads, parallelTile;
  Attribute workgroupSpace;
};

struct ConvertRetentionToGPUPass
    : public retnet::impl::ConvertRetentionToGPUBase<
          ConvertRetentionToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    if (threads <= 0 || threads > 1024 || parallelTile <= 0) {
      getOperation()->emitError(
          "convert-retention-to-gpu: threads must be in [1, 1024] and "
          "parallel-tile positive");
      return signalPassFailure();
    }
    // The parallel form's tiles in f64 (the widest compute type) must fit a
    // block's workgroup memory.
    if (tileBytes(parallelTile, Float64Type::get(&getContext())) >
        kWorkgroupBytes) {
      getOperation()->emitError()
          << "convert-retention-to-gpu: parallel-tile "
          << static_cast<int64_t>(parallelTile) << " needs more than the "
          << kWorkgroupBytes
          << " bytes of workgroup memory of a block (at most 64)";
      return signalPassFailure();
    }
    Attribute workgroupSpace;
    if (workgroupMemory)
      workgroupSpace = gpu::AddressSpaceAttr::get(
          &getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerRetentionToGPUPattern>(&getContext(), threads,
                                             parallelTile, workgroupSpace);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
