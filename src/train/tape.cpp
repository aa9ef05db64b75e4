#include "train/tape.h"

#include <cstring>

#include "core/error.h"

namespace seek::train {

Var Tape::parameter(const Tensor& value, Tensor* grad) {
  SEEK_CHECK(value.dtype() == DType::kF32 && value.is_contiguous(), "tape: values must be contiguous f32 (got "
                                                                         << dtype_name(value.dtype()) << ")");
  if (grad != nullptr)
    SEEK_CHECK(grad->shape() == value.shape() && grad->dtype() == DType::kF32,
               "tape: a parameter's gradient must be f32 " << value.shape_string());
  nodes_.push_back(Node{value, Tensor(), grad, grad != nullptr});
  return Var{static_cast<int32_t>(nodes_.size() - 1)};
}

Var Tape::output(Tensor value, bool needs_grad) {
  SEEK_ASSERT(value.dtype() == DType::kF32 && value.is_contiguous());
  nodes_.push_back(Node{std::move(value), Tensor(), nullptr, needs_grad});
  return Var{static_cast<int32_t>(nodes_.size() - 1)};
}

bool Tape::needs_grad(std::initializer_list<Var> vars) const {
  for (Var v : vars)
    if (v.valid() && node(v).needs_grad) return true;
  return false;
}

const Tape::Node& Tape::node(Var v) const {
  SEEK_ASSERT(v.id >= 0 && static_cast<size_t>(v.id) < nodes_.size());
  return nodes_[static_cast<size_t>(v.id)];
}

Tape::Node& Tape::node(Var v) {
  SEEK_ASSERT(v.id >= 0 && static_cast<size_t>(v.id) < nodes_.size());
  return nodes_[static_cast<size_t>(v.id)];
}

Tensor& Tape::grad(Var v) {
  Node& n = node(v);
  SEEK_ASSERT(n.needs_grad);
  if (n.external_grad != nullptr) {
    if (!n.grad.defined() || n.grad.numel() == 0) n.grad = *n.external_grad;  // same storage
    return n.grad;
  }
  if (!n.grad.defined() || n.grad.numel() == 0) n.grad = Tensor::empty(DType::kF32, n.value.shape());
  return n.grad;
}

void Tape::backward(Var loss, float scale) {
  SEEK_CHECK(value(loss).numel() == 1, "backward: the loss must be one value, got " << value(loss).shape_string());
  if (!needs_grad(loss)) return;
  grad(loss).data_as<float>()[0] += scale;
  for (size_t i = backward_.size(); i-- > 0;) backward_[i]();
}

void Tape::backward(Var out, const Tensor& out_grad) {
  SEEK_CHECK(out_grad.shape() == value(out).shape(), "backward: gradient " << out_grad.shape_string() << " for a value "
                                                                           << value(out).shape_string());
  if (!needs_grad(out)) return;
  Tensor& g = grad(out);
  for (int64_t i = 0; i < g.numel(); ++i) g.data_as<float>()[i] += out_grad.data_as<float>()[i];
  for (size_t i = backward_.size(); i-- > 0;) backward_[i]();
}

void Tape::clear() {
  nodes_.clear();
  backward_.clear();
}

}  // namespace seek::train
