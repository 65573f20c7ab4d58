//===- ModelImport.cpp - Model description -> retnet IR -------------------===//

#include "retnet/Import/ModelImport.h"
#include "retnet/ModelABI.h"

#include "RetNet/IR/RetNetOps.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::retnet;

::retnet_runtime::ModelShape
mlir::retnet::getModelShape(const ModelConfig &config) {
  ::retnet_runtime::ModelShape shape;
  shape.embedDim = config.embedDim;
  shape.valueEmbedDim = config.valueEmbedDim;
  shape.heads = config.heads;
  shape.ffnDim = config.ffnDim;
  shape.layers = config.layers;
  shape.vocabSize = config.vocabSize;
  shape.layerNormEmbedding = config.layerNormEmbedding;
  shape.sharedEmbedding = config.shareInputOutputEmbed;
  shape.postNorm = !config.normalizeBefore;
  shape.languageModelDecays = config.languageModelDecays;
  shape.gatedFeedForward = config.gatedFeedForward;
  shape.feedForwardNorm = config.feedForwardNorm();
  shape.outputLayer = config.outputLayer;
  return shape;
}

namespace {
enum class EntryKind { PrefillAll, PrefillLast, Decode };

/// Builds the body of one entry point.
class EntryBuilder {
public:
  EntryBuilder(ImplicitLocOpBuilder &b, const ModelConfig &config,
               const ::retnet_runtime::WeightLayout &layout)
      : b(b), config(config), layout(layout) {}

  func::FuncOp build(EntryKind kind);

private:
  /// The signature of the entry `kind`: (weights, decays, tokens, states,
  /// positions, logits) buffers.
  FunctionType entryType(EntryKind kind);
  /// The logits of the final activations `hidden` [B, T, d] (of the last
  /// position only, but for PrefillAll), after the final norm; without
  /// output layer the hidden states themselves. [B, T, out] for PrefillAll,
  /// else [B, out].
  Value buildLogits(EntryKind kind, Value hidden, Value batch);
  /// `value` read as a full slice with the sizes of `like`, a tensor of the
  /// same type that is known to have the same shape.
  Value withShapeOf(Value value, Value like);
  /// The layers on the activations `hidden` [B, T, d] and the states of
  /// every layer, as one scf.for: the new activations and states.
  std::pair<Value, Value> buildLayers(Value hidden, Value states,
                                      Value positions, Value batch);
  /// The packed weight `label` as a tensor. With `layer`, `label` names a
  /// weight of layer 0 and the result is that of layer `layer`: layers are
  /// laid out one after another with the same size.
  Value weight(const std::string &label, Value layer = Value());
  /// The weights' byte buffer viewed as elements of `type`.
  Value typedWeights(::retnet_runtime::WeightType type);
  Value rmsNorm(Value input, Value weightValue) {
    return RMSNormOp::create(b, input.getType(), input, weightValue,
                             b.getF64FloatAttr(config.layerNormEps));
  }
  Value residual(Value input, Value update) {
    return ResidualOp::create(b, input.getType(), input, update,
                              b.getF64FloatAttr(config.residualScale()));
  }

  ImplicitLocOpBuilder &b;
  const ModelConfig &config;
  const ::retnet_runtime::WeightLayout &layout;
  /// The packed weights, memref<? x i8>, and its views by element type.
  Value weights;
  Value weightViews[4];
  /// The decay of each head, tensor<H x f64>: the same for every layer.
  Value decays;
  /// Bytes between the same weight of consecutive layers.
  int64_t layerStride = 0;
};
} // namespace

/// The element type of the MLIR tensors of `type`.
static Type elementTypeOf(Builder &b, ::retnet_runtime::WeightType type) {
  switch (type) {
  case ::retnet_runtime::WeightType::BF16:
    return b.getBF16Type();
  case ::retnet_runtime::WeightType::F16:
    return b.getF16Type();
  case ::retnet_runtime::WeightType::Int8:
    return b.getIntegerType(8);
  case ::retnet_runtime::WeightType::F32:
    break;
  }
  return b.getF32Type();
}

Value EntryBuilder::typedWeights(::retnet_runtime::WeightType type) {
  Value &view = weightViews[static_cast<int64_t>(type)];
  if (view)
    return view;
  // The byte buffer as a 1-D buffer of `type` (its size a multiple of
  // kWeightAlignment bytes), built once at the top of the function.
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfterValue(weights);
  int64_t bytes = ::retnet_runtime::elementBytes(type);
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value size = arith::DivUIOp::create(b, memref::DimOp::create(b, weights, 0),
                                      arith::ConstantIndexOp::create(b, bytes));
  view = memref::ViewOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, elementTypeOf(b, type)),
      weights, zero, ValueRange{size});
  return view;
}

Value EntryBuilder::weight(const std::string &label, Value layer) {
  const ::retnet_runtime::PackedWeight *packed = layout.find(label);
  assert(packed && "every label of the import is in the layout");
  Type elementType = elementTypeOf(b, packed->type);
  int64_t elementBytes = ::retnet_runtime::elementBytes(packed->type);
  SmallVector<int64_t> shape(packed->shape.begin(), packed->shape.end());
  int64_t panel = packed->panel;
  if (panel)
    shape = {shape[1] / panel, shape[0], panel};
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t dim = static_cast<int64_t>(shape.size()) - 2; dim >= 0; --dim)
    strides[dim] = strides[dim + 1] * shape[dim + 1];
  // Offsets in elements of the weight's type: every offset and the layer
  // stride are multiples of kWeightAlignment bytes.
  int64_t elementOffset = packed->offset / elementBytes;
  OpFoldResult offset = b.getIndexAttr(elementOffset);
  int64_t staticOffset = elementOffset;
  if (layer) {
    AffineExpr l;
    bindSymbols(b.getContext(), l);
    offset = affine::makeComposedFoldedAffineApply(
        b, b.getLoc(), l * (layerStride / elementBytes) + elementOffset,
        {layer});
    staticOffset = ShapedType::kDynamic;
  }
  auto layoutAttr =
      StridedLayoutAttr::get(b.getContext(), staticOffset, strides);
  auto memrefType = MemRefType::get(shape, elementType, layoutAttr);
  SmallVector<OpFoldResult> sizes, strideValues;
  for (auto [size, stride] : llvm::zip(shape, strides)) {
    sizes.push_back(b.getIndexAttr(size));
    strideValues.push_back(b.getIndexAttr(stride));
  }
  Value view = memref::ReinterpretCastOp::create(
      b, memrefType, typedWeights(packed->type), offset, sizes, strideValues);
  auto tensorType = RankedTensorType::get(shape, elementType);
  Value stored = bufferization::ToTensorOp::create(b, tensorType, view,
                                                   /*restrict=*/true,
                                                   /*writable=*/false);
  Value matrix = stored;
  if (panel) {
    // Panels [N/P, K, P] -> the matrix [K, N] that the graph's ops take.
    Value unpacked = tensor::EmptyOp::create(
        b, ArrayRef<int64_t>{packed->shape[0], packed->shape[1]}, elementType);
    matrix = linalg::UnPackOp::create(b, stored, unpacked,
                                      /*innerDimsPos=*/{1},
                                      /*innerTiles=*/{b.getIndexAttr(panel)},
                                      /*outerDimsPerm=*/{1, 0})
                 .getResult();
  }
  if (packed->type != ::retnet_runtime::WeightType::Int8)
    return matrix;
  // An int8 matrix and its scales, one per output channel or per group of
  // a channel's values.
  bool rows = ::retnet_runtime::scalesIndexRows(*packed);
  Value scales = weight(::retnet_runtime::scaleLabel(label), layer);
  int64_t group = 0;
  if (cast<RankedTensorType>(scales.getType()).getRank() == 2)
    group =
        ::retnet_runtime::channelLength(*packed) /
        layout.find(::retnet_runtime::scaleLabel(label))->shape[rows ? 1 : 0];
  auto resultType = RankedTensorType::get({packed->shape[0], packed->shape[1]},
                                          b.getF32Type());
  return DequantizeOp::create(b, resultType, matrix, scales,
                              b.getI64IntegerAttr(rows ? 0 : 1),
                              b.getI64IntegerAttr(group));
}

Value EntryBuilder::withShapeOf(Value value, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  SmallVector<OpFoldResult> zeros(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> ones(type.getRank(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(
      b, type, value, zeros, tensor::getMixedSizes(b, b.getLoc(), like), ones);
}

std::pair<Value, Value> EntryBuilder::buildLayers(Value hidden, Value states,
                                                  Value positions,
                                                  Value batch) {
  int64_t dynamic = ShapedType::kDynamic;
  Type f32 = b.getF32Type();
  auto activationType = cast<RankedTensorType>(hidden.getType());
  auto layerStateType = RankedTensorType::get(
      {dynamic, config.heads, config.keyDim(), config.valueDim()}, f32);
  Activation activation =
      config.activation == ModelConfig::Activation::Gelu    ? Activation::gelu
      : config.activation == ModelConfig::Activation::Swish ? Activation::swish
                                                            : Activation::relu;
  auto activationAttr = ActivationAttr::get(b.getContext(), activation);
  // The layers: one scf.for, so that code size and compile time do not
  // grow with the depth. It carries the activations and the states.
  if (config.layers > 1)
    layerStride =
        layout.find(::retnet_runtime::layerLabel(1, "retention_norm"))->offset -
        layout.find(::retnet_runtime::layerLabel(0, "retention_norm"))->offset;
  auto layerWeight = [&](const char *name, Value layer) {
    return weight(::retnet_runtime::layerLabel(0, name), layer);
  };
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  Value layerCount = arith::ConstantIndexOp::create(b, config.layers);
  auto layers =
      scf::ForOp::create(b, zero, layerCount, one, ValueRange{hidden, states});
  {
    OpBuilder::InsertionGuard loopGuard(b);
    b.setInsertionPointToStart(layers.getBody());
    Value layer = layers.getInductionVar();
    // Every layer keeps the activations' shape [B, T, d]. They are read with
    // the sizes of those before the loop, so that each size in a layer is a
    // function of the entry's arguments: shape reasoning (one-shot
    // bufferization's analysis of slices, in particular) then never follows
    // a size back through the loop's iterations.
    Value layerHidden = withShapeOf(layers.getRegionIterArgs()[0], hidden);
    Value layerStates = layers.getRegionIterArgs()[1];
    SmallVector<OpFoldResult> stateOffsets = {
        layer, b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0),
        b.getIndexAttr(0)};
    SmallVector<OpFoldResult> stateSizes = {
        b.getIndexAttr(1), batch, b.getIndexAttr(config.heads),
        b.getIndexAttr(config.keyDim()), b.getIndexAttr(config.valueDim())};
    SmallVector<OpFoldResult> unitStrides(5, b.getIndexAttr(1));
    Value layerState = tensor::ExtractSliceOp::create(
        b, layerStateType, layerStates, stateOffsets, stateSizes, unitStrides);

    // Pre-norm: h + f(norm(h)); post-norm: norm(h + f(h)) (torchscale's
    // decoder_normalize_before).
    bool preNorm = config.normalizeBefore;
    Value retentionNorm = layerWeight("retention_norm", layer);
    Value ffnNorm = layerWeight("ffn_norm", layer);
    Value normed = preNorm ? rmsNorm(layerHidden, retentionNorm) : layerHidden;
    auto retention = MultiScaleRetentionOp::create(
        b, activationType, layerStateType, normed,
        layerWeight("in_proj", layer), layerWeight("out_proj", layer), decays,
        layerState, /*offset=*/Value(), positions,
        b.getF64FloatAttr(config.layerNormEps));
    Value newStates =
        tensor::InsertSliceOp::create(b, retention.getFinalState(), layerStates,
                                      stateOffsets, stateSizes, unitStrides);
    Value afterRetention = residual(layerHidden, retention.getOutput());
    if (!preNorm)
      afterRetention = rmsNorm(afterRetention, retentionNorm);

    Value ffnInput =
        preNorm ? rmsNorm(afterRetention, ffnNorm) : afterRetention;
    Value ffn;
    if (config.gatedFeedForward) {
      ffn = GLUOp::create(b, activationType, ffnInput,
                          layerWeight("up_proj", layer),
                          layerWeight("down_proj", layer), activationAttr);
    } else {
      bool norm = config.feedForwardNorm();
      ffn = FeedForwardOp::create(
          b, activationType, ffnInput, layerWeight("up_proj", layer),
          layerWeight("up_bias", layer), layerWeight("down_proj", layer),
          layerWeight("down_bias", layer),
          norm ? layerWeight("ffn_inner_norm", layer) : Value(),
          norm ? layerWeight("ffn_inner_norm_bias", layer) : Value(),
          activationAttr,
          norm ? b.getF64FloatAttr(config.layerNormEps) : FloatAttr());
    }
    Value afterFfn = residual(afterRetention, ffn);
    if (!preNorm)
      afterFfn = rmsNorm(afterFfn, ffnNorm);
    scf::YieldOp::create(b, ValueRange{afterFfn, newStates});
  }
  return {withShapeOf(layers.getResult(0), hidden), layers.getResult(1)};
}

FunctionType EntryBuilder::entryType(EntryKind kind) {
  int64_t dynamic = ShapedType::kDynamic;
  Type f32 = b.getF32Type();
  int64_t length = kind == EntryKind::Decode ? 1 : dynamic;
  auto weightsType = MemRefType::get({dynamic}, b.getI8Type());
  auto decaysType = MemRefType::get({config.heads}, b.getF64Type());
  auto tokensType = MemRefType::get({dynamic, length}, b.getI32Type());
  // The states of some rows of a state buffer [L, rows, H, dk, dv]: a
  // strided view (dynamic strides and offset), so that the runtime passes
  // one row (a slot's prefill) or the first rows (the active slots) of a
  // larger buffer without copying them.
  int64_t stridedDims[] = {dynamic, dynamic, dynamic, dynamic, 1};
  auto stateType = MemRefType::get(
      {config.layers, dynamic, config.heads, config.keyDim(),
       config.valueDim()},
      f32, StridedLayoutAttr::get(b.getContext(), dynamic, stridedDims));
  SmallVector<int64_t> logitsShape = {dynamic, config.outputWidth()};
  if (kind == EntryKind::PrefillAll)
    logitsShape = {dynamic, dynamic, config.outputWidth()};
  auto logitsType = MemRefType::get(logitsShape, f32);
  auto positionsType = MemRefType::get({dynamic}, b.getI64Type());
  return b.getFunctionType({weightsType, decaysType, tokensType, stateType,
                            positionsType, logitsType},
                           {});
}

Value EntryBuilder::buildLogits(EntryKind kind, Value hidden, Value batch) {
  int64_t dynamic = ShapedType::kDynamic;
  int64_t d = config.embedDim, outputWidth = config.outputWidth();
  Type f32 = b.getF32Type();
  Value one = arith::ConstantIndexOp::create(b, 1);
  if (kind == EntryKind::PrefillLast) {
    Value last =
        arith::SubIOp::create(b, tensor::DimOp::create(b, hidden, 1), one);
    hidden = tensor::ExtractSliceOp::create(
        b, RankedTensorType::get({dynamic, 1, d}, f32), hidden,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), last, b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{batch, b.getIndexAttr(1), b.getIndexAttr(d)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1),
                               b.getIndexAttr(1)});
  }
  if (config.normalizeBefore)
    hidden = rmsNorm(hidden, weight("norm"));
  // The logits, or without output layer the hidden states themselves.
  Value logits = hidden;
  if (config.outputLayer) {
    auto hiddenType = cast<RankedTensorType>(hidden.getType());
    logits = LinearOp::create(
        b,
        RankedTensorType::get(
            {hiddenType.getDimSize(0), hiddenType.getDimSize(1), outputWidth},
            f32),
        hidden, weight("lm_head"));
  }
  if (kind != EntryKind::PrefillAll)
    logits = tensor::CollapseShapeOp::create(
        b, logits, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  return logits;
}

func::FuncOp EntryBuilder::build(EntryKind kind) {
  int64_t dynamic = ShapedType::kDynamic;
  Type f32 = b.getF32Type();
  int64_t length = kind == EntryKind::Decode ? 1 : dynamic;
  StringRef name = kind == EntryKind::PrefillAll ? retnet_abi::kPrefillAllEntry
                   : kind == EntryKind::PrefillLast
                       ? retnet_abi::kPrefillLastEntry
                       : retnet_abi::kDecodeEntry;
  auto function = func::FuncOp::create(b, name, entryType(kind));
  function->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    b.getUnitAttr());
  Block *entry = function.addEntryBlock();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(entry);
  weights = entry->getArgument(0);
  for (Value &view : weightViews)
    view = Value();
  Value decaysMemref = entry->getArgument(1),
        tokensMemref = entry->getArgument(2),
        stateMemref = entry->getArgument(3),
        positionsMemref = entry->getArgument(4),
        logitsMemref = entry->getArgument(5);
  auto tensorOf = [](Value memref, Type elementType) {
    return RankedTensorType::get(cast<MemRefType>(memref.getType()).getShape(),
                                 elementType);
  };
  decays = bufferization::ToTensorOp::create(
      b, tensorOf(decaysMemref, b.getF64Type()), decaysMemref,
      /*restrict=*/true, /*writable=*/false);

  Value tokens = bufferization::ToTensorOp::create(
      b, tensorOf(tokensMemref, b.getI32Type()), tokensMemref,
      /*restrict=*/true, /*writable=*/false);
  Value states = bufferization::ToTensorOp::create(
      b, tensorOf(stateMemref, f32), stateMemref, /*restrict=*/true,
      /*writable=*/true);

  auto activationType =
      RankedTensorType::get({dynamic, length, config.embedDim}, f32);
  Value hidden = EmbeddingOp::create(b, activationType, tokens, weight("embed"),
                                     b.getF64FloatAttr(config.embedScale()));
  if (config.layerNormEmbedding)
    hidden = rmsNorm(hidden, weight("layernorm_embedding"));

  Value batch = tensor::DimOp::create(b, tokens, 0);
  // Each row's position: [B].
  Value positions = bufferization::ToTensorOp::create(
      b, RankedTensorType::get({dynamic}, b.getI64Type()), positionsMemref,
      /*restrict=*/true, /*writable=*/false);
  auto [finalHidden, updatedStates] =
      buildLayers(hidden, states, positions, batch);
  Value logits = buildLogits(kind, finalHidden, batch);

  // The logits buffer is written only (restrict: no to_tensor reads it), so
  // empty-tensor elimination computes the output layer into it directly.
  auto storeLogits = bufferization::MaterializeInDestinationOp::create(
      b, logits, logitsMemref);
  storeLogits.setWritable(true);
  storeLogits.setRestrict(true);
  bufferization::MaterializeInDestinationOp::create(b, updatedStates,
                                                    stateMemref)
      .setWritable(true);
  func::ReturnOp::create(b);
  return function;
}

OwningOpRef<ModuleOp>
mlir::retnet::importModel(MLIRContext *context, const ModelConfig &config,
                          retnet_abi::BufferKind buffers, int64_t weightPanel,
                          retnet_runtime::WeightType weightType,
                          int64_t weightGroup) {
  context->loadDialect<
      affine::AffineDialect, arith::ArithDialect,
      bufferization::BufferizationDialect, linalg::LinalgDialect,
      scf::SCFDialect, func::FuncDialect, LLVM::LLVMDialect,
      memref::MemRefDialect, RetNetDialect, tensor::TensorDialect>();
  Location loc = FileLineColLoc::get(context, "model", 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  ImplicitLocOpBuilder b(loc, context);
  b.setInsertionPointToEnd(module->getBody());

  ::retnet_runtime::ModelShape shape = getModelShape(config);
  shape.weightPanel = weightPanel;
  shape.weightType = weightType;
  shape.weightGroup =
      weightType == ::retnet_runtime::WeightType::Int8 ? weightGroup : 0;
  ::retnet_runtime::WeightLayout layout =
      ::retnet_runtime::computeWeightLayout(shape);
  EntryBuilder entries(b, config, layout);
  for (EntryKind kind :
       {EntryKind::PrefillAll, EntryKind::PrefillLast, EntryKind::Decode})
    entries.build(kind);

  // What the runtime reads: the shape of the packed layout and the
  // description itself.
  int64_t encoded[::retnet_runtime::kEncodedShapeSize];
  ::retnet_runtime::encodeModelShape(shape, encoded);
  auto shapeType = LLVM::LLVMArrayType::get(
      b.getI64Type(), ::retnet_runtime::kEncodedShapeSize);
  LLVM::GlobalOp::create(
      b, shapeType, /*isConstant=*/true, LLVM::Linkage::External,
      retnet_abi::kModelShapeGlobal,
      DenseElementsAttr::get(
          RankedTensorType::get({::retnet_runtime::kEncodedShapeSize},
                                b.getI64Type()),
          ArrayRef<int64_t>(encoded)));
  std::string json = printModelConfig(config);
  json.push_back('\0');
  LLVM::GlobalOp::create(b,
                         LLVM::LLVMArrayType::get(b.getI8Type(), json.size()),
                         /*isConstant=*/true, LLVM::Linkage::External,
                         retnet_abi::kConfigJsonGlobal, b.getStringAttr(json));
  LLVM::GlobalOp::create(b, b.getI32Type(), /*isConstant=*/true,
                         LLVM::Linkage::External, retnet_abi::kBuffersGlobal,
                         b.getI32IntegerAttr(static_cast<int32_t>(buffers)));
  return module;
}
