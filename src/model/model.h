// The model: DeepSeek V2/V3 (MLA + DeepSeekMoE + MTP) and the dense Qwen2 / Llama models of the
// R1-Distill family, written once for inference, prefill and (through the same ops) training.
//
//   h0 = Embed[token]
//   for each layer: h += Attention(RMSNorm(h));  h += FFN(RMSNorm(h))     (FFN dense or MoE)
//   logits = LMHead(RMSNorm(h))
//
// Attention is MLA for DeepSeek (naive or absorbed form, same cache of 576 values per token) and GQA
// for Qwen2/Llama. Shapes come only from the validated ModelConfig. Weights view the model file
// (mmap) wherever the kernels can read the stored form; activations and scratch are allocated once
// at load for RunSettings' limits, so forward() allocates nothing.
//
// Thread-safety: one Model runs one forward() at a time (it owns its activations).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/arena.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "formats/model_config.h"
#include "kernels/kernels.h"
#include "model/rope_freqs.h"

namespace seek {

class WeightSource;

enum class MlaForm {
  kNaive,     // materialise per-head K/V from the cached latent (training and prefill form)
  kAbsorbed,  // fold W_UK into the query, attend over the latent itself, apply W_UV after (decode form)
};

// Runtime settings: chosen by the user, never read from the model file.
struct RunSettings {
  int num_threads = 1;              // threads of the model's pool, caller included
  int64_t max_context = 4096;       // positions a KV cache holds (capped at max_position_embeddings)
  int64_t max_batch_tokens = 64;    // tokens one forward() call may take
  MlaForm mla_form = MlaForm::kAbsorbed;
  DType kv_cache_type = DType::kF32;  // f32 or bf16 (half the bytes; attention widens exactly)
  KernelLevel kernel_level = best_kernel_level();
  // Up to this many expert rows (tokens x (top-k + shared experts)) a MoE layer hands its experts'
  // products to the pool as two groups instead of three hand-offs an expert (decode; 0: never).
  int64_t moe_group_rows = 64;
};

// ---- weights (shapes in PyTorch order, d = hidden_size, H = num_attention_heads) ----

struct MlaWeights {
  Tensor wq;       // [H * qk_head_dim, d]            q_lora_rank null
  Tensor wq_a;     // [q_lora_rank, d]                q_lora_rank set
  Tensor q_norm;   // [q_lora_rank] f32
  Tensor wq_b;     // [H * qk_head_dim, q_lora_rank]
  Tensor wkv_a;    // [kv_lora_rank + qk_rope_head_dim, d]
  Tensor kv_norm;  // [kv_lora_rank] f32
  Tensor wkv_b;    // [H * (qk_nope_head_dim + v_head_dim), kv_lora_rank]: per head W_UK rows then W_UV rows
  // The absorbed query's q_lat[h] = W_UK[h]ᵀ q_nope[h] reads one of these two, as the file stores it:
  Tensor w_uk;     // [H, qk_nope_head_dim, kv_lora_rank]: W_UK[h], rows of wkv_b (a view; input-major)
  Tensor w_uk_t;   // [H, kv_lora_rank, qk_nope_head_dim]: W_UK[h]ᵀ, the file's attn_k_b
  Tensor w_uv;     // [H, v_head_dim, kv_lora_rank]: W_UV[h], rows of wkv_b or the file's attn_v_b
  // A GGUF storing kv_b_proj split (attn_k_b/attn_v_b) loaded for the absorbed form keeps the file's
  // blocks in w_uk_t/w_uv and leaves wkv_b and w_uk empty (the naive form then refuses to run).
  Tensor wo;       // [d, H * v_head_dim]
};

struct GqaWeights {
  Tensor wq, wk, wv, wo;  // [H*hd, d], [Hkv*hd, d], [Hkv*hd, d], [d, H*hd]
  Tensor bq, bk, bv;      // [H*hd], [Hkv*hd], [Hkv*hd] f32; undefined without biases
};

struct FfnWeights {
  Tensor gate;  // [inter, d]
  Tensor up;    // [inter, d]
  Tensor down;  // [d, inter]
};

struct MoeWeights {
  Tensor router;                    // [n_routed_experts, d]      mlp.gate.weight
  Tensor score_bias;                // [n_routed_experts] f32     e_score_correction_bias (noaux_tc); else undefined
  std::vector<FfnWeights> experts;  // n_routed_experts SwiGLU experts of width moe_intermediate_size
  FfnWeights shared;                // width n_shared_experts * moe_intermediate_size; undefined if none
};

struct BlockWeights {
  Tensor attn_norm;  // [d] f32
  Tensor ffn_norm;   // [d] f32
  MlaWeights mla;    // DeepSeek
  GqaWeights gqa;    // Qwen2 / Llama
  bool is_moe = false;
  FfnWeights ffn;    // dense layers
  MoeWeights moe;    // MoE layers
};

// DeepSeek-V3's multi-token prediction module (architecture.md 6), stored as layer num_hidden_layers.
struct MtpWeights {
  Tensor embed;      // [vocab, d]   its copy of the embedding
  Tensor enorm;      // [d] f32
  Tensor hnorm;      // [d] f32
  Tensor eh_proj;    // [d, 2d]      input: [enorm(emb(t+1)) ; hnorm(h_t)]
  BlockWeights block;
  Tensor head_norm;  // [d] f32      shared_head.norm
  Tensor head;       // [vocab, d]   shared_head.head
};

struct ModelWeights {
  Tensor embed;       // [vocab, d]
  std::vector<BlockWeights> blocks;
  Tensor final_norm;  // [d] f32
  Tensor lm_head;     // [vocab, d] (the embedding itself when tied)
  std::vector<MtpWeights> mtp;  // num_nextn_predict_layers modules
};

// ---- KV cache: per attention layer (main layers, then MTP layers) ----
// MLA: latent [max_context, 1, kv_lora_rank + qk_rope_head_dim] = normalised c_KV then roped k_pe.
// GQA: k, v [max_context, num_key_value_heads, head_dim]. Entries are f32 or bf16.
class KvCache {
 public:
  KvCache(const ModelConfig& config, int64_t max_context, DType dtype = DType::kF32);
  int64_t length() const { return length_; }     // positions filled
  int64_t capacity() const { return capacity_; }
  void clear() { length_ = 0; }
  void truncate(int64_t length);                 // forget positions >= length
  size_t bytes_per_token() const;                // over all layers
  Tensor& latent(int64_t layer) { return latent_[layer]; }
  Tensor& k(int64_t layer) { return k_[layer]; }
  Tensor& v(int64_t layer) { return v_[layer]; }

 private:
  friend class Model;
  int64_t length_ = 0;
  int64_t capacity_ = 0;
  std::vector<Tensor> latent_, k_, v_;
};

// What one token costs, for rooflines (seek bench). Derived from the loaded weights.
struct ModelCost {
  double decode_weight_bytes = 0;  // weight bytes one decoded token reads: every dense tensor, one
                                   // embedding row, the router and shared experts, and top_k of the
                                   // routed experts (their average size)
  double active_params = 0;        // weights one token multiplies with (FLOPs = 2 x this + attention)
  double total_weight_bytes = 0;   // all weights as loaded
  double attention_flops_per_position = 0;  // per token, per position attended to (all layers)
  DType dominant_weight_type = DType::kF32;  // the type holding most weight bytes
};

class Model {
 public:
  static std::unique_ptr<Model> load(const std::string& path, const RunSettings& settings);
  Model(std::unique_ptr<WeightSource> source, const RunSettings& settings);
  ~Model();

  const ModelConfig& config() const { return config_; }
  const RunSettings& settings() const { return settings_; }
  void set_mla_form(MlaForm form) { settings_.mla_form = form; }
  KvCache new_cache() const { return KvCache(config_, settings_.max_context, settings_.kv_cache_type); }

  // One sequence's share of a forward pass: its new tokens go at positions cache->length() .. + n - 1.
  struct SequenceInput {
    const int32_t* tokens = nullptr;
    int64_t n = 0;
    KvCache* cache = nullptr;
    float* logits = nullptr;  // [n, vocab] when all_logits, else [1, vocab] for the last token; null: none
    bool all_logits = false;
  };
  // Runs several sequences in one pass (total tokens <= max_batch_tokens): every projection, FFN and
  // expert runs once over all rows; only attention is per sequence, over that sequence's cache.
  // Appends each sequence's tokens to its cache. After the call, final_hidden() holds the normalised
  // last hidden states of all rows in order [rows, d].
  void forward_batch(std::span<const SequenceInput> seqs);
  // forward_batch with one sequence.
  void forward(const int32_t* tokens, int64_t n, KvCache& cache, float* logits, bool all_logits);

  // MTP module `depth` (0-based): for rows i of the last forward() of a single sequence (n rows),
  // predicts the token two ahead from final_hidden()[i] and next_tokens[i] (the token after row i).
  // logits: [n, vocab] when all_logits, else [1, vocab] for row n - 1.
  void forward_mtp(int depth, const int32_t* next_tokens, int64_t n, KvCache& cache, float* logits,
                   bool all_logits = true);
  bool has_mtp() const { return !weights_.mtp.empty(); }

  const Tensor& final_hidden() const { return act_.hidden_out; }
  ModelCost cost() const;

  // What routing did since the last reset: MoE layer passes, and the routed experts they ran (an
  // expert chosen by several rows of a pass counts once: its weights are read once). `seek bench`
  // divides them to size a batched pass by the experts it reached, not by a uniform-routing guess.
  struct RoutingCounts {
    int64_t layer_passes = 0;
    int64_t experts_run = 0;
  };
  const RoutingCounts& routing_counts() const { return routing_; }
  void reset_routing_counts() { routing_ = {}; }

 private:
  // One expert of moe_experts_grouped: its weights, x rows, and its rows of the gate, up and output buffers.
  struct GroupedExpert {
    const FfnWeights* w = nullptr;
    Tensor x, gate, up, y;
  };
  struct ActivationBuffers {
    Tensor x, xn, hidden_out;                 // [B, d]
    Tensor positions;                         // [B] i32
    Tensor q, q_a, kv_a;                      // MLA projections
    Tensor q_abs, attn_latent;                // absorbed MLA: [B, H, rank + rope], [B, H, rank]
    Tensor kv_full, k_full;                   // naive MLA: [T, H, nope + v], [T, H, qk_head_dim]
    Tensor latent_f32;                        // naive MLA over a bf16 cache: [T, rank + rope] widened
    Tensor attn_out;                          // [B, H * v_head_dim]
    Tensor k_new, v_new;                      // GQA projections [B, Hkv * hd]
    Tensor ffn_gate, ffn_up;                  // [B, max inter]
    Tensor ffn_out;                           // [B, d]
    Tensor router_logits;                     // [B, n_routed]
    Tensor expert_x, expert_y;                // [B, d]: one expert's gathered rows; its output
    Tensor mtp_in;                            // [B, 2d]
    Tensor head_in, logits;                   // [B, d], [B, vocab]: rows that want logits, gathered
    std::vector<int32_t> route_idx;           // [B * top_k]
    std::vector<float> route_w;               // [B * top_k]
    std::vector<int32_t> expert_rows;         // tokens grouped by expert
    std::vector<int32_t> expert_offsets;      // [n_routed + 1]
    std::vector<float> router_scratch;        // per-token routing work
    // The grouped experts of a few tokens (moe_experts_grouped), sized at load.
    std::vector<GroupedExpert> grouped_experts;
    std::vector<kernels::MatmulTerm> expert_terms;
  };

  void load_weights();
  void load_block(int64_t layer_idx, BlockWeights& b);
  void allocate_activations();

  // The rows of the current pass, by sequence: rows [row0, row0 + n) sit at positions pos0 .. in cache.
  struct BatchSequence {
    int64_t row0 = 0, n = 0, pos0 = 0;
    KvCache* cache = nullptr;
  };
  void block_forward(const BlockWeights& b, int64_t layer_idx, Tensor& x, int64_t rows);
  void mla_forward(const MlaWeights& w, int64_t layer_idx, const Tensor& xn, int64_t rows, Tensor& out);
  void gqa_forward(const GqaWeights& w, int64_t layer_idx, const Tensor& xn, int64_t rows, Tensor& out);
  void ffn_forward(const FfnWeights& w, const Tensor& xn, Tensor& out);
  void moe_forward(const MoeWeights& w, const Tensor& xn, int64_t n, Tensor& out);
  void route(const MoeWeights& w, int64_t n);
  bool moe_grouped(int64_t n) const;
  void moe_experts_grouped(const MoeWeights& w, const Tensor& xn, int64_t n, Tensor& out);
  void lm_head_forward(const Tensor& hidden, const Tensor& head, int64_t rows, float* logits);

  kernels::KernelContext kctx() { return kernels::KernelContext{pool_.get(), scratch_.get(), settings_.kernel_level}; }

  std::unique_ptr<WeightSource> source_;
  ModelConfig config_;
  RunSettings settings_;
  ModelWeights weights_;
  RopeTables rope_;
  Tensor rope_freqs_;       // rope_.freqs as a tensor
  float attn_scale_ = 1.0f;
  kernels::RopeStyle rope_style_ = kernels::RopeStyle::kInterleaved;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<Arena> scratch_;
  ActivationBuffers act_;
  std::vector<BatchSequence> batch_;  // the current pass (capacity max_batch_tokens, set at load)
  int64_t last_pos0_ = -1;  // first position and rows of the last single-sequence forward (MTP's rows)
  int64_t last_n_ = 0;
  const KvCache* last_cache_ = nullptr;
  RoutingCounts routing_;
};

}  // namespace seek
