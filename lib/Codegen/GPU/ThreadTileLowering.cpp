//===- ThreadTileLowering.cpp - One thread's linalg tile as register loops ===//

#include "ThreadTileLowering.h"

#include "LoopSplit.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

#include <map>

using namespace mlir;

namespace {
/// Emits the loops of one linalg op with its outputs carried in registers.
class RegisterLoopEmitter {
public:
  RegisterLoopEmitter(OpBuilder &b, linalg::LinalgOp op)
      : op(op), loc(op.getLoc()) {
    for (Range range : op.createLoopRanges(b, loc))
      sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
    for (auto [dim, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
      (iterator == utils::IteratorType::parallel ? parallelDims : reductionDims)
          .push_back(dim);
    zero = arith::ConstantIndexOp::create(b, loc, 0);
    one = arith::ConstantIndexOp::create(b, loc, 1);
    ivs.assign(sizes.size(), zero);
    for (OpOperand &init : op.getDpsInitsMutable()) {
      AffineMap map = op.getMatchingIndexingMap(&init);
      termOutputs.push_back(llvm::any_of(reductionDims, [&](unsigned dim) {
        return map.isFunctionOfDim(dim);
      }));
    }
  }

  void emit(OpBuilder &b, std::optional<Value> initial) {
    initialOutput = initial;
    emitParallel(b, 0);
  }

  /// Emits the whole tile as one register tile: its parallel dimensions
  /// have at most `bounds` iterations each (static), and every point's
  /// outputs (`initial`, if given, else loaded) ride through one nest of
  /// reduction loops, so that the inputs a point shares with others load
  /// once per reduction step.
  void emitTile(OpBuilder &b, ArrayRef<int64_t> bounds,
                std::optional<Value> initial,
                std::optional<unsigned> vectorLoop) {
    SmallVector<OpOperand *> vectorOperands;
    if (vectorLoop)
      vectorOperands = operandsAlong(*vectorLoop, bounds[*vectorLoop]);
    if (vectorOperands.empty())
      return emitTileBody(b, bounds, initial);
    // Vector loads and stores where every one is aligned, else scalar ones.
    auto aligned = scf::IfOp::create(
        b, loc, alignedAlong(b, vectorOperands, bounds[*vectorLoop]),
        /*withElse=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(aligned.thenBlock());
    vectorDim = *vectorLoop;
    vectorized.insert(vectorOperands.begin(), vectorOperands.end());
    emitTileBody(b, bounds, initial);
    vectorized.clear();
    b.setInsertionPointToStart(aligned.elseBlock());
    emitTileBody(b, bounds, initial);
  }

private:
  /// The tile of emitTile, with the inputs in `vectorized` loaded as vectors
  /// along loop `vectorDim`, and the outputs stored as vectors where all are
  /// in it.
  void emitTileBody(OpBuilder &b, ArrayRef<int64_t> bounds,
                    std::optional<Value> initial) {
    OpBuilder::InsertionGuard insertionGuard(b);
    // Per parallel dimension: each index, clamped into the tile (loads stay
    // in bounds on a partial tile) and whether it lies inside.
    clamped.assign(sizes.size(), {});
    inside.assign(sizes.size(), {});
    Value nonEmpty;
    for (unsigned dim : parallelDims) {
      std::optional<int64_t> size = getConstantIntValue(sizes[dim]);
      Value last;
      if (!size) {
        Value positive = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sgt, sizes[dim], zero);
        nonEmpty = nonEmpty ? arith::AndIOp::create(b, loc, nonEmpty, positive)
                            : positive;
        last = arith::SubIOp::create(b, loc, sizes[dim], one);
      }
      for (int64_t index = 0; index < (size ? *size : bounds[dim]); ++index) {
        Value constant = arith::ConstantIndexOp::create(b, loc, index);
        clamped[dim].push_back(
            size ? constant : arith::MinSIOp::create(b, loc, constant, last));
        inside[dim].push_back(
            size ? Value()
                 : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                         constant, sizes[dim]));
      }
    }
    if (nonEmpty) {
      auto guard = scf::IfOp::create(b, loc, nonEmpty, /*withElse=*/false);
      b.setInsertionPointToStart(guard.thenBlock());
    }
    SmallVector<SmallVector<int64_t>> points = tilePoints(clamped);
    SmallVector<Value> outputs;
    for (ArrayRef<int64_t> point : points) {
      atPoint(point);
      if (initial)
        outputs.append(op.getNumDpsInits(), *initial);
      else
        llvm::append_range(outputs, loadOutputs(b));
    }
    unsigned perPoint = op.getNumDpsInits();
    outputs =
        emitReduction(b, 0, outputs, [&](OpBuilder &inner, ValueRange current) {
          vectorLoads.clear();
          SmallVector<Value> next;
          for (auto [number, point] : llvm::enumerate(points)) {
            atPoint(point);
            llvm::append_range(
                next, computePoint(inner,
                                   current.slice(number * perPoint, perPoint)));
          }
          return next;
        });
    storeTile(b, points, outputs);
  }

  /// Sets the loop indices to those of `point` (an index per parallel
  /// dimension, into `clamped`).
  void atPoint(ArrayRef<int64_t> point) {
    currentPoint = point;
    for (auto [dim, index] : llvm::zip(parallelDims, point))
      ivs[dim] = clamped[dim][index];
  }

  /// Stores `outputs` (those of each of `points` in turn) at the points
  /// inside the tile; as vectors where every output is in `vectorized`.
  void storeTile(OpBuilder &b, ArrayRef<SmallVector<int64_t>> points,
                 ValueRange outputs) {
    unsigned perPoint = op.getNumDpsInits();
    // With vector stores, the points that differ only along vectorDim store
    // together, from the first one's place (laneStride points apart).
    bool vectorStores =
        llvm::all_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
          return vectorized.contains(&init);
        });
    unsigned lanePosition = 0;
    int64_t laneStride = 1;
    if (vectorStores) {
      lanePosition = vectorPosition();
      for (unsigned dim : ArrayRef(parallelDims).drop_front(lanePosition + 1))
        laneStride *= clamped[dim].size();
    }
    for (auto [number, point] : llvm::enumerate(points)) {
      if (vectorStores && point[lanePosition] != 0)
        continue;
      atPoint(point);
      Value pointInside;
      for (auto [dim, index] : llvm::zip(parallelDims, point))
        if (Value in = inside[dim][index])
          pointInside =
              pointInside ? arith::AndIOp::create(b, loc, pointInside, in) : in;
      OpBuilder::InsertionGuard guard(b);
      if (pointInside) {
        auto store = scf::IfOp::create(b, loc, pointInside, /*withElse=*/false);
        b.setInsertionPointToStart(store.thenBlock());
      }
      if (!vectorStores) {
        storeOutputs(b, outputs.slice(number * perPoint, perPoint));
        continue;
      }
      int64_t lanes = clamped[vectorDim].size();
      for (auto [position, init] : llvm::enumerate(op.getDpsInitsMutable())) {
        SmallVector<Value> elements;
        for (int64_t lane = 0; lane < lanes; ++lane)
          elements.push_back(
              outputs[(number + lane * laneStride) * perPoint + position]);
        Value vector = vector::FromElementsOp::create(
            b, loc, VectorType::get({lanes}, elements.front().getType()),
            elements);
        vector::StoreOp::create(b, loc, vector, init.get(), indicesOf(b, init),
                                /*nontemporal=*/false,
                                llvm::MaybeAlign(vectorAlignment(init, lanes)));
      }
    }
  }

  /// Loops over the parallel dimensions from `depth` on; at each point, the
  /// outputs through the reduction loops.
  void emitParallel(OpBuilder &b, unsigned depth) {
    if (depth == parallelDims.size()) {
      // Outputs indexed by a reduction loop (written once per term, such as
      // a recurrent step's state) load and store at each step; the others
      // ride through the reduction loops.
      auto carriedOf = [&](ArrayRef<Value> values) {
        SmallVector<Value> carried;
        for (auto [value, term] : llvm::zip(values, termOutputs))
          if (!term)
            carried.push_back(value);
        return carried;
      };
      // Each output's value: a term output's from `terms`, the others' in
      // order from `carried`.
      auto merge = [&](ArrayRef<Value> terms, ValueRange carried) {
        SmallVector<Value> values;
        auto next = carried.begin();
        for (auto [value, term] : llvm::zip(terms, termOutputs))
          values.push_back(term ? value : *next++);
        return values;
      };
      SmallVector<Value> start = carriedOf(
          initialOutput ? SmallVector<Value>(termOutputs.size(), *initialOutput)
                        : loadOutputs(b, /*terms=*/false));
      SmallVector<Value> carried =
          emitReduction(b, 0, start, [&](OpBuilder &inner, ValueRange current) {
            SmallVector<Value> results = computePoint(
                inner, merge(loadOutputs(inner, /*terms=*/true), current));
            storeOutputs(inner, results, /*terms=*/true);
            return carriedOf(results);
          });
      SmallVector<Value> results =
          merge(SmallVector<Value>(termOutputs.size()), carried);
      storeOutputs(b, results, /*terms=*/false);
      return;
    }
    unsigned dim = parallelDims[depth];
    scf::ForOp::create(b, loc, zero, sizes[dim], one, ValueRange{},
                       [&](OpBuilder &inner, Location, Value iv, ValueRange) {
                         ivs[dim] = iv;
                         emitParallel(inner, depth + 1);
                         scf::YieldOp::create(inner, loc);
                       });
  }

  using StepFn =
      function_ref<SmallVector<Value>(OpBuilder &, ValueRange current)>;

  /// Loops over the reduction dimensions from `depth` on, carrying
  /// `current`, which `step` updates at each innermost iteration; returns
  /// the final values.
  SmallVector<Value> emitReduction(OpBuilder &b, unsigned depth,
                                   ValueRange current, StepFn step) {
    if (depth == reductionDims.size())
      return step(b, current);
    unsigned dim = reductionDims[depth];
    auto loop = scf::ForOp::create(
        b, loc, zero, sizes[dim], one, current,
        [&](OpBuilder &inner, Location, Value iv, ValueRange carried) {
          ivs[dim] = iv;
          scf::YieldOp::create(inner, loc,
                               emitReduction(inner, depth + 1, carried, step));
        });
    return SmallVector<Value>(loop.getResults());
  }

  /// The points of a tile with `indices[dim].size()` iterations along each
  /// parallel dimension (index numbers per parallel dimension, the last
  /// fastest).
  SmallVector<SmallVector<int64_t>>
  tilePoints(ArrayRef<SmallVector<Value>> indices) {
    SmallVector<SmallVector<int64_t>> points = {{}};
    for (unsigned dim : parallelDims) {
      SmallVector<SmallVector<int64_t>> longer;
      for (ArrayRef<int64_t> point : points)
        for (int64_t index = 0, e = indices[dim].size(); index < e; ++index) {
          longer.emplace_back(point);
          longer.back().push_back(index);
        }
      points = std::move(longer);
    }
    return points;
  }

  /// Indices of `operand` at the current loop indices.
  SmallVector<Value> indicesOf(OpBuilder &b, OpOperand &operand) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    SmallVector<OpFoldResult> dims(ivs.begin(), ivs.end());
    SmallVector<Value> indices;
    for (unsigned result = 0; result < map.getNumResults(); ++result)
      indices.push_back(
          affine::makeComposedAffineApply(b, loc, map.getSubMap({result}), dims)
              .getResult());
    return indices;
  }

  /// The outputs at the current point (a zero where the payload does not
  /// read them); with `terms`, only those that are (or are not) indexed by
  /// a reduction loop, null for the others.
  SmallVector<Value> loadOutputs(OpBuilder &b,
                                 std::optional<bool> terms = std::nullopt) {
    SmallVector<Value> values;
    for (auto [init, term] : llvm::zip(op.getDpsInitsMutable(), termOutputs)) {
      BlockArgument argument = op.getMatchingBlockArgument(&init);
      if (terms && term != *terms)
        values.push_back(Value());
      else if (argument.use_empty())
        values.push_back(arith::ConstantOp::create(
            b, loc, b.getZeroAttr(argument.getType())));
      else
        values.push_back(
            memref::LoadOp::create(b, loc, init.get(), indicesOf(b, init)));
    }
    return values;
  }

  void storeOutputs(OpBuilder &b, ValueRange values) {
    for (auto [init, value] : llvm::zip(op.getDpsInitsMutable(), values))
      memref::StoreOp::create(b, loc, value, init.get(), indicesOf(b, init));
  }

  /// Stores the outputs that are (`terms`) or are not indexed by a
  /// reduction loop, from `values` (one per output).
  void storeOutputs(OpBuilder &b, ArrayRef<Value> values, bool terms) {
    for (auto [init, value, term] :
         llvm::zip(op.getDpsInitsMutable(), values, termOutputs))
      if (term == terms)
        memref::StoreOp::create(b, loc, value, init.get(), indicesOf(b, init));
  }

  /// The payload at the current loop indices on output values `current`.
  SmallVector<Value> computePoint(OpBuilder &b, ValueRange current) {
    IRMapping mapping;
    for (OpOperand *input : op.getDpsInputOperands()) {
      Value value = input->get();
      if (vectorized.contains(input))
        value = loadFromVector(b, *input);
      else if (isa<MemRefType>(value.getType()))
        value = memref::LoadOp::create(b, loc, value, indicesOf(b, *input));
      mapping.map(op.getMatchingBlockArgument(input), value);
    }
    for (auto [init, value] : llvm::zip(op.getDpsInitsMutable(), current))
      mapping.map(op.getMatchingBlockArgument(&init), value);
    Block *payload = op.getBlock();
    for (Operation &payloadOp : payload->without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(payloadOp)) {
        mapping.map(index.getResult(), ivs[index.getDim()]);
        continue;
      }
      b.clone(payloadOp, mapping);
    }
    SmallVector<Value> results;
    for (Value yielded : payload->getTerminator()->getOperands())
      results.push_back(mapping.lookupOrDefault(yielded));
    return results;
  }

  /// The operands that can load (or store) `width` neighbouring points
  /// along loop `dim` as one vector (isContiguousAlong).
  SmallVector<OpOperand *> operandsAlong(unsigned dim, int64_t width) {
    SmallVector<OpOperand *> operands;
    std::optional<int64_t> size = getConstantIntValue(sizes[dim]);
    if (width < 2 || size != width || !llvm::is_contained(parallelDims, dim))
      return operands;
    for (OpOperand &operand : op->getOpOperands())
      if (retnet::isContiguousAlong(op, operand, dim))
        operands.push_back(&operand);
    return operands;
  }

  /// The byte alignment of a `width`-element vector load or store of
  /// `operand`: the vector's size, at most 16 (the widest access of a GPU
  /// thread).
  static int64_t vectorAlignment(OpOperand &operand, int64_t width) {
    auto type = cast<MemRefType>(operand.get().getType());
    return std::min<int64_t>(width * type.getElementTypeBitWidth() / 8, 16);
  }

  /// Whether every vector access of `operands` (operandsAlong) is aligned: the
  /// address of each view's first element and its outer strides in bytes are
  /// multiples of the alignment (vectors start at index 0 of the last
  /// dimension).
  Value alignedAlong(OpBuilder &b, ArrayRef<OpOperand *> operands,
                     int64_t width) {
    Value all = arith::ConstantIntOp::create(b, loc, 1, 1);
    auto divides = [&](Value bytes, int64_t alignment) {
      Value remainder = arith::RemUIOp::create(
          b, loc, bytes, arith::ConstantIndexOp::create(b, loc, alignment));
      Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                           remainder, zero);
      all = arith::AndIOp::create(b, loc, all, isZero);
    };
    for (OpOperand *operand : operands) {
      int64_t alignment = vectorAlignment(*operand, width);
      auto type = cast<MemRefType>(operand->get().getType());
      Value elementBytes = arith::ConstantIndexOp::create(
          b, loc, type.getElementTypeBitWidth() / 8);
      auto metadata =
          memref::ExtractStridedMetadataOp::create(b, loc, operand->get());
      Value pointer = memref::ExtractAlignedPointerAsIndexOp::create(
          b, loc, operand->get());
      divides(arith::AddIOp::create(b, loc, pointer,
                                    arith::MulIOp::create(b, loc,
                                                          metadata.getOffset(),
                                                          elementBytes)),
              alignment);
      for (Value stride : metadata.getStrides().drop_back())
        divides(arith::MulIOp::create(b, loc, stride, elementBytes), alignment);
    }
    return all;
  }

  /// The position of loop vectorDim among the parallel dimensions (in a
  /// point's indices).
  unsigned vectorPosition() const {
    return llvm::find(parallelDims, vectorDim) - parallelDims.begin();
  }

  /// The value of `input` (vectorized) at the current point: an element of
  /// the vector that the step loads once for the points that differ only
  /// along loop vectorDim.
  Value loadFromVector(OpBuilder &b, OpOperand &input) {
    unsigned position = vectorPosition();
    std::vector<int64_t> key(currentPoint.begin(), currentPoint.end());
    int64_t lane = key[position];
    key[position] = 0;
    key.push_back(input.getOperandNumber());
    Value &vector = vectorLoads[key];
    if (!vector) {
      auto type = cast<MemRefType>(input.get().getType());
      int64_t width = getConstantIntValue(sizes[vectorDim]).value();
      Value laneIndex = ivs[vectorDim];
      ivs[vectorDim] = zero;
      vector = vector::LoadOp::create(
          b, loc, VectorType::get({width}, type.getElementType()), input.get(),
          indicesOf(b, input), /*nontemporal=*/false,
          llvm::MaybeAlign(vectorAlignment(input, width)));
      ivs[vectorDim] = laneIndex;
    }
    return vector::ExtractOp::create(b, loc, vector, lane);
  }

  linalg::LinalgOp op;
  Location loc;
  SmallVector<Value> sizes;
  SmallVector<unsigned> parallelDims, reductionDims;
  /// Per output: whether a reduction loop indexes it (emitParallel).
  SmallVector<bool> termOutputs;
  /// The value the outputs start from instead of a load (emit's `initial`).
  std::optional<Value> initialOutput;
  Value zero, one;
  SmallVector<Value> ivs;
  /// Per loop, the indices of a register tile's points (clamped into a
  /// partial tile) and whether each lies inside (null where the loop is
  /// static), and the point (an index into them per parallel dimension)
  /// that the tile computes.
  SmallVector<SmallVector<Value>> clamped, inside;
  ArrayRef<int64_t> currentPoint;
  /// The operands accessed as vectors along loop vectorDim, and the vectors
  /// that the current reduction step has loaded, by point (its index along
  /// vectorDim zero) and operand number.
  DenseSet<OpOperand *> vectorized;
  unsigned vectorDim = 0;
  std::map<std::vector<int64_t>, Value> vectorLoads;
};
} // namespace

void mlir::retnet::lowerToRegisterLoops(RewriterBase &rewriter,
                                        linalg::LinalgOp op,
                                        std::optional<Value> initial) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  RegisterLoopEmitter(rewriter, op).emit(rewriter, initial);
  rewriter.eraseOp(op);
}

void mlir::retnet::lowerToRegisterTile(RewriterBase &rewriter,
                                       linalg::LinalgOp op,
                                       ArrayRef<int64_t> bounds,
                                       std::optional<Value> initial,
                                       std::optional<unsigned> vectorLoop) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  RegisterLoopEmitter(rewriter, op)
      .emitTile(rewriter, bounds, initial, vectorLoop);
  rewriter.eraseOp(op);
}
