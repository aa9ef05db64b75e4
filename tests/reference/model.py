"""Independent PyTorch reference for seek's models: DeepSeek-V2/V3 (MLA + DeepSeekMoE + MTP),
Qwen2 and Llama-3. Written from the equations in ../shared/reference/architecture.md
(section numbers below refer to it), not copied from any implementation.

Everything is computed in float64 so that the result is "the truth" against which seek's f32
code is compared (relative L2 < 1e-5). Module and parameter names are the Hugging Face tensor
names, so `model.named_parameters()` yields e.g. `model.layers.0.self_attn.kv_b_proj.weight`.
`new_model(cfg, dtype)` builds a randomly initialised model in another dtype (float32 for
bench/train_torch.py); the forward pass then stays in that dtype.

Choices the spec leaves open (the C++ side must match them):

* MTP input hidden state (§6, "implementation-defined"): MTP_HIDDEN_AFTER_FINAL_NORM below.
  True = the main model's last hidden state AFTER `model.norm` (what vLLM and SGLang feed
  their DeepSeek MTP module), i.e. h_t = model.norm(h_L)[t]; the MTP module then applies its
  own `hnorm` on top. Position-0 embeddings are NOT zeroed (vLLM zeroes them; we do not).
* MTP definition: for t in 0..T-2, row t of the MTP logits predicts token t+2 from
  h_t and emb(tokens[t+1]):
      x_t      = eh_proj( cat[ enorm(E'[tokens[t+1]]), hnorm(h_t) ] )       (embedding first)
      y        = Block_mtp(x_0..x_{T-2}) with causal attention, rope position of x_t = t
      logits_t = shared_head.head( shared_head.norm(y_t) )
  E' and shared_head.head are the copies stored under model.layers.{L}.* (they have their own
  gradients); make_tiny.py writes them equal to model.embed_tokens / lm_head.
* Routing: scores -> selection without gradient (bias only for selection, group masking with
  -inf) -> gate weights gathered from the un-biased scores -> normalised if norm_topk_prob and
  top_k > 1 -> always multiplied by routed_scaling_factor (same as every released config).
* YaRN: ramp on the rotary frequencies and softmax_scale *= mscale(factor, mscale_all_dim)^2
  whenever rope_scaling is yarn (§2.3, §3); cos/sin are multiplied by
  mscale(factor, mscale)/mscale(factor, mscale_all_dim) (= 1 when the two are equal, as in
  every released config and every tiny variant).
* Losses (training comparison):
      ce      = mean over b, t < T-1 of -log softmax(logits[b,t])[tokens[b,t+1]]
      mtp     = mean over b, t < T-2 of -log softmax(mtp_logits[b,t])[tokens[b,t+2]]
      balance = sum over MoE layers that ran (main layers, plus the MTP block when the MTP
                loss is on) of mean_b sum_i f_i P_i, with
                f_i = N_r/(K_r T) * #{t : i selected for token t}  (no gradient),
                P_i = (1/T) sum_t s_{i,t} / sum_j s_{j,t}           (gradient flows)
      total   = ce + mtp_lambda * mtp + balance_alpha * balance
  e_score_correction_bias is a buffer (no gradient), like DeepSeek's bias-update rule.
"""

import json
import math
import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import safetensors_io

# The one switch for the MTP hidden-state choice described above.
MTP_HIDDEN_AFTER_FINAL_NORM = True

DTYPE = torch.float64


# ============================================================================ config


@dataclass
class Config:
    """Architecture hyper-parameters read from config.json (HF field names)."""
    family: str                      # "deepseek" (deepseek_v2 / deepseek_v3), "qwen2", "llama"
    model_type: str
    vocab_size: int
    hidden_size: int                 # d
    num_hidden_layers: int           # L (MTP layers are stored at index L, L+1, ...)
    num_attention_heads: int         # H
    num_key_value_heads: int         # GQA kv heads (== H for DeepSeek)
    intermediate_size: int           # dense SwiGLU width
    rms_norm_eps: float
    rope_theta: float
    rope_scaling: Optional[dict]
    tie_word_embeddings: bool
    # dense attention (Qwen2 / Llama)
    head_dim: int = 0
    attention_bias: bool = False     # Llama: bias on q,k,v,o; Qwen2 always has q,k,v bias
    # MLA (§2)
    q_lora_rank: Optional[int] = None
    kv_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    # DeepSeekMoE (§5)
    n_routed_experts: Optional[int] = None
    n_shared_experts: int = 0
    num_experts_per_tok: int = 0
    moe_intermediate_size: int = 0
    first_k_dense_replace: int = 0
    moe_layer_freq: int = 1
    scoring_func: str = "softmax"
    topk_method: str = "greedy"
    n_group: int = 1
    topk_group: int = 1
    norm_topk_prob: bool = False
    routed_scaling_factor: float = 1.0
    num_nextn_predict_layers: int = 0
    raw: dict = field(default_factory=dict)

    @staticmethod
    def from_dict(c):
        mt = c["model_type"]
        family = {"deepseek_v2": "deepseek", "deepseek_v3": "deepseek",
                  "qwen2": "qwen2", "llama": "llama"}.get(mt)
        if family is None:
            raise ValueError(f"config.json: model_type {mt!r} is not supported")
        H = c["num_attention_heads"]
        cfg = Config(
            family=family, model_type=mt, vocab_size=c["vocab_size"], hidden_size=c["hidden_size"],
            num_hidden_layers=c["num_hidden_layers"], num_attention_heads=H,
            num_key_value_heads=c.get("num_key_value_heads") or H,
            intermediate_size=c["intermediate_size"], rms_norm_eps=c["rms_norm_eps"],
            rope_theta=float(c.get("rope_theta", 10000.0)), rope_scaling=c.get("rope_scaling"),
            tie_word_embeddings=bool(c.get("tie_word_embeddings", False)), raw=c)
        if family == "deepseek":
            cfg.q_lora_rank = c.get("q_lora_rank")
            cfg.kv_lora_rank = c["kv_lora_rank"]
            cfg.qk_nope_head_dim = c["qk_nope_head_dim"]
            cfg.qk_rope_head_dim = c["qk_rope_head_dim"]
            cfg.v_head_dim = c["v_head_dim"]
            cfg.n_routed_experts = c.get("n_routed_experts")
            cfg.n_shared_experts = c.get("n_shared_experts") or 0
            cfg.num_experts_per_tok = c.get("num_experts_per_tok") or 0
            cfg.moe_intermediate_size = c.get("moe_intermediate_size") or 0
            cfg.first_k_dense_replace = c.get("first_k_dense_replace", 0)
            cfg.moe_layer_freq = c.get("moe_layer_freq", 1)
            cfg.scoring_func = c.get("scoring_func", "softmax")
            cfg.topk_method = c.get("topk_method", "greedy")
            cfg.n_group = c.get("n_group") or 1
            cfg.topk_group = c.get("topk_group") or 1
            cfg.norm_topk_prob = bool(c.get("norm_topk_prob", False))
            cfg.routed_scaling_factor = float(c.get("routed_scaling_factor", 1.0))
            cfg.num_nextn_predict_layers = c.get("num_nextn_predict_layers", 0) or 0
            if cfg.tie_word_embeddings:
                raise ValueError("config.json: DeepSeek models have untied embeddings")
            if cfg.scoring_func not in ("softmax", "sigmoid"):
                raise ValueError(f"config.json: scoring_func {cfg.scoring_func!r}")
            if cfg.topk_method not in ("greedy", "group_limited_greedy", "noaux_tc"):
                raise ValueError(f"config.json: topk_method {cfg.topk_method!r}")
            if cfg.n_routed_experts and cfg.n_routed_experts % cfg.n_group:
                raise ValueError("config.json: n_routed_experts not divisible by n_group")
            if cfg.topk_method == "noaux_tc" and cfg.n_group > 1 and cfg.n_routed_experts // cfg.n_group < 2:
                raise ValueError("config.json: noaux_tc group score needs >= 2 experts per group")
        else:
            cfg.head_dim = c.get("head_dim") or cfg.hidden_size // H
            cfg.attention_bias = bool(c.get("attention_bias", False))
            if H % cfg.num_key_value_heads:
                raise ValueError("config.json: num_attention_heads not divisible by num_key_value_heads")
            if family == "qwen2" and c.get("use_sliding_window", False):
                raise ValueError("config.json: use_sliding_window is not supported by the reference")
            if c.get("mlp_bias", False):
                raise ValueError("config.json: mlp_bias is not supported by the reference")
        return cfg

    def is_moe_layer(self, layer_idx):
        """§1: MoE iff n_routed_experts set, idx >= first_k_dense_replace, idx % freq == 0."""
        return (self.family == "deepseek" and bool(self.n_routed_experts)
                and layer_idx >= self.first_k_dense_replace
                and layer_idx % self.moe_layer_freq == 0)


def load_config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        return Config.from_dict(json.load(f))


# ============================================================================ RoPE (§2.4, §3)


def yarn_get_mscale(scale, mscale):
    """0.1 * mscale * ln(scale) + 1, or 1 when not extending (§2.3)."""
    return 1.0 if scale <= 1.0 else 0.1 * mscale * math.log(scale) + 1.0


def _scaling_type(rs):
    return None if not rs else rs.get("type", rs.get("rope_type"))


def rope_frequencies(cfg):
    """(omega [rotary_dim/2] float64, cos/sin multiplier) for the model's rotary part."""
    dim = cfg.qk_rope_head_dim if cfg.family == "deepseek" else cfg.head_dim
    base = cfg.rope_theta
    i = np.arange(dim // 2, dtype=np.float64)
    omega = base ** (-2.0 * i / dim)
    rs = cfg.rope_scaling
    kind = _scaling_type(rs)
    attn_factor = 1.0
    if kind is None or kind == "default":
        pass
    elif kind == "yarn":
        # §3: keep high frequencies, divide low ones by `factor`, blend linearly between.
        s = float(rs["factor"])
        l0 = float(rs["original_max_position_embeddings"])
        beta_fast, beta_slow = float(rs.get("beta_fast", 32)), float(rs.get("beta_slow", 1))

        def corr(r):
            return dim * math.log(l0 / (2 * math.pi * r)) / (2 * math.log(base))

        low = max(math.floor(corr(beta_fast)), 0)
        high = min(math.ceil(corr(beta_slow)), dim - 1)
        if low == high:
            high += 0.001
        ramp = np.clip((i - low) / (high - low), 0.0, 1.0)
        keep = 1.0 - ramp
        omega = omega / s * (1.0 - keep) + omega * keep
        attn_factor = (yarn_get_mscale(s, float(rs.get("mscale", 1.0)))
                       / yarn_get_mscale(s, float(rs.get("mscale_all_dim", 0.0))))
    elif kind == "llama3":
        # Llama 3.1: long wavelengths divided by factor, short kept, smooth blend between.
        factor = float(rs["factor"])
        lo_f, hi_f = float(rs["low_freq_factor"]), float(rs["high_freq_factor"])
        old_len = float(rs["original_max_position_embeddings"])
        low_wavelen, high_wavelen = old_len / lo_f, old_len / hi_f
        wavelen = 2 * math.pi / omega
        smooth = (old_len / wavelen - lo_f) / (hi_f - lo_f)
        blended = (1 - smooth) * omega / factor + smooth * omega
        omega = np.where(wavelen > low_wavelen, omega / factor,
                         np.where(wavelen < high_wavelen, omega, blended))
    else:
        raise ValueError(f"config.json: rope_scaling type {kind!r} is not supported")
    return omega, attn_factor


class Rope:
    """cos/sin tables [T, rotary_dim/2] for absolute positions 0..T-1."""

    def __init__(self, cfg, num_positions):
        omega, attn_factor = rope_frequencies(cfg)
        pos = np.arange(num_positions, dtype=np.float64)[:, None]
        angle = torch.tensor(pos * omega[None, :], dtype=DTYPE)
        self.cos = torch.cos(angle) * attn_factor
        self.sin = torch.sin(angle) * attn_factor
        self.interleaved = cfg.family == "deepseek"

    def apply(self, x):
        """Rotate x [B, T, ..., rotary_dim] at positions 0..T-1.

        DeepSeek: adjacent pairs (x[2k], x[2k+1]) rotate by pos*omega_k (§2.4, official layout).
        Qwen2/Llama: NeoX rotate-half, pairs (x[k], x[k + D/2]).
        """
        T = x.shape[1]
        shape = [1, T] + [1] * (x.dim() - 3) + [-1]
        cos, sin = self.cos[:T].view(shape).to(x.dtype), self.sin[:T].view(shape).to(x.dtype)
        if self.interleaved:
            x0, x1 = x[..., 0::2], x[..., 1::2]
            y0 = x0 * cos - x1 * sin
            y1 = x0 * sin + x1 * cos
            return torch.stack([y0, y1], dim=-1).flatten(-2)
        half = x.shape[-1] // 2
        x0, x1 = x[..., :half], x[..., half:]
        return torch.cat([x0 * cos - x1 * sin, x1 * cos + x0 * sin], dim=-1)


def mla_softmax_scale(cfg):
    """§2.3: (nope+rope)^-0.5, times mscale(factor, mscale_all_dim)^2 under YaRN."""
    scale = (cfg.qk_nope_head_dim + cfg.qk_rope_head_dim) ** -0.5
    rs = cfg.rope_scaling
    if _scaling_type(rs) == "yarn" and float(rs.get("mscale_all_dim", 0.0)):
        m = yarn_get_mscale(float(rs["factor"]), float(rs["mscale_all_dim"]))
        scale *= m * m
    return scale


def causal_softmax(scores):
    """scores [B, H, S, T] -> probabilities with the upper triangle masked to -inf."""
    S, T = scores.shape[-2:]
    mask = torch.ones(S, T, dtype=torch.bool).tril()
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)


# ============================================================================ layers


def linear(d_in, d_out, bias=False):
    return nn.Linear(d_in, d_out, bias=bias, dtype=DTYPE)


class RMSNorm(nn.Module):
    """§4: y = w * x / sqrt(mean(x^2) + eps)."""

    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim, dtype=DTYPE))
        self.eps = eps

    def forward(self, x):
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


class SwiGLU(nn.Module):
    """§4: down( silu(gate(x)) * up(x) ); dense FFN, routed expert and shared-expert block."""

    def __init__(self, d, width):
        super().__init__()
        self.gate_proj = linear(d, width)
        self.up_proj = linear(d, width)
        self.down_proj = linear(width, d)

    def forward(self, x, trace=None):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class MLA(nn.Module):
    """Multi-head Latent Attention (§2), naive (§2.2) and absorbed (§2.5) forms."""

    def __init__(self, cfg):
        super().__init__()
        d, H = cfg.hidden_size, cfg.num_attention_heads
        self.H, self.nope, self.rope_dim = H, cfg.qk_nope_head_dim, cfg.qk_rope_head_dim
        self.v_dim, self.rank = cfg.v_head_dim, cfg.kv_lora_rank
        qk = self.nope + self.rope_dim
        if cfg.q_lora_rank is None:
            self.q_proj = linear(d, H * qk)                              # [H*qk, d]
        else:
            self.q_a_proj = linear(d, cfg.q_lora_rank)                   # [q_lora, d]
            self.q_a_layernorm = RMSNorm(cfg.q_lora_rank, cfg.rms_norm_eps)
            self.q_b_proj = linear(cfg.q_lora_rank, H * qk)              # [H*qk, q_lora]
        self.kv_a_proj_with_mqa = linear(d, self.rank + self.rope_dim)   # [rank+rope, d]
        self.kv_a_layernorm = RMSNorm(self.rank, cfg.rms_norm_eps)
        self.kv_b_proj = linear(self.rank, H * (self.nope + self.v_dim))  # [H*(nope+v), rank]
        self.o_proj = linear(H * self.v_dim, d)                          # [d, H*v]
        self.softmax_scale = mla_softmax_scale(cfg)
        self.has_q_lora = cfg.q_lora_rank is not None

    def forward(self, x, rope, form="naive"):
        B, T, _ = x.shape
        H, nope, rdim = self.H, self.nope, self.rope_dim
        # 1. queries: head-major blocks of [nope | rope] rows.
        q = self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x))) if self.has_q_lora else self.q_proj(x)
        q_nope, q_pe = q.view(B, T, H, nope + rdim).split([nope, rdim], dim=-1)
        q_pe = rope.apply(q_pe)
        # 2. compressed latent (normalised before any cache) and the shared rope key (no norm).
        c_raw, k_pe = self.kv_a_proj_with_mqa(x).split([self.rank, rdim], dim=-1)
        c = self.kv_a_layernorm(c_raw)                                    # [B, T, rank]
        k_pe = rope.apply(k_pe)                                           # [B, T, rope]
        score_pe = torch.einsum("bshr,btr->bhst", q_pe, k_pe)
        if form == "naive":
            # 3-6. materialise per-head keys and values.
            k_nope, v = self.kv_b_proj(c).view(B, T, H, nope + self.v_dim).split([nope, self.v_dim], -1)
            scores = torch.einsum("bshd,bthd->bhst", q_nope, k_nope) + score_pe
            p = causal_softmax(scores * self.softmax_scale)
            o = torch.einsum("bhst,bthd->bshd", p, v)
        elif form == "absorbed":
            # W_UK folded into the query, attention over the latent, W_UV applied after.
            w = self.kv_b_proj.weight.view(H, nope + self.v_dim, self.rank)
            w_uk, w_uv = w[:, :nope, :], w[:, nope:, :]
            q_lat = torch.einsum("bshd,hdc->bshc", q_nope, w_uk)
            scores = torch.einsum("bshc,btc->bhst", q_lat, c) + score_pe
            p = causal_softmax(scores * self.softmax_scale)
            u = torch.einsum("bhst,btc->bshc", p, c)
            o = torch.einsum("bshc,hdc->bshd", u, w_uv)
        else:
            raise ValueError(f"unknown MLA form {form!r}")
        return self.o_proj(o.reshape(B, T, H * self.v_dim))


class GQA(nn.Module):
    """Grouped-query attention of Qwen2 (q/k/v biases) and Llama; rotate-half RoPE."""

    def __init__(self, cfg):
        super().__init__()
        d, H, KV, hd = cfg.hidden_size, cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        qkv_bias = cfg.family == "qwen2" or cfg.attention_bias
        self.q_proj = linear(d, H * hd, qkv_bias)      # [H*hd, d]
        self.k_proj = linear(d, KV * hd, qkv_bias)     # [KV*hd, d]
        self.v_proj = linear(d, KV * hd, qkv_bias)     # [KV*hd, d]
        self.o_proj = linear(H * hd, d, cfg.family == "llama" and cfg.attention_bias)
        self.H, self.KV, self.hd = H, KV, hd

    def forward(self, x, rope, form="naive"):
        B, T, _ = x.shape
        q = rope.apply(self.q_proj(x).view(B, T, self.H, self.hd))
        k = rope.apply(self.k_proj(x).view(B, T, self.KV, self.hd))
        v = self.v_proj(x).view(B, T, self.KV, self.hd)
        # query head h reads kv head h // (H/KV)
        k = k.repeat_interleave(self.H // self.KV, dim=2)
        v = v.repeat_interleave(self.H // self.KV, dim=2)
        p = causal_softmax(torch.einsum("bshd,bthd->bhst", q, k) * self.hd ** -0.5)
        o = torch.einsum("bhst,bthd->bshd", p, v)
        return self.o_proj(o.reshape(B, T, self.H * self.hd))


class MoEGate(nn.Module):
    """Router (§5.2, §5.3). Selection carries no gradient; gate weights do."""

    def __init__(self, cfg):
        super().__init__()
        n = cfg.n_routed_experts
        self.weight = nn.Parameter(torch.zeros(n, cfg.hidden_size, dtype=DTYPE))  # [n_routed, d]
        if cfg.topk_method == "noaux_tc":
            self.register_buffer("e_score_correction_bias", torch.zeros(n, dtype=DTYPE))  # [n_routed]
        self.cfg = cfg

    def forward(self, x):
        """x [N, d] -> (idx [N, K] long, weights [N, K], scores [N, n_routed], margin [N]).

        margin = smallest gap that decided the selection (k-th vs (k+1)-th candidate score,
        and kept vs dropped group score); a tiny margin means f32 code may legitimately
        choose differently."""
        cfg = self.cfg
        K = cfg.num_experts_per_tok
        logits = F.linear(x, self.weight)
        scores = torch.softmax(logits, -1) if cfg.scoring_func == "softmax" else torch.sigmoid(logits)
        with torch.no_grad():
            sel = scores.detach().clone()
            if cfg.topk_method == "noaux_tc":
                sel = sel + self.e_score_correction_bias       # bias only chooses experts
            margin = torch.full((sel.shape[0],), float("inf"), dtype=sel.dtype)
            if cfg.topk_method in ("group_limited_greedy", "noaux_tc") and cfg.n_group > 1:
                N = sel.shape[0]
                groups = sel.view(N, cfg.n_group, -1)
                if cfg.topk_method == "noaux_tc":
                    group_score = groups.topk(2, dim=-1).values.sum(-1)   # sum of the top-2
                else:
                    group_score = groups.max(dim=-1).values               # group max
                keep = group_score.topk(cfg.topk_group, dim=-1).indices
                group_mask = torch.zeros(N, cfg.n_group, dtype=torch.bool)
                group_mask.scatter_(1, keep, True)
                expert_mask = group_mask.repeat_interleave(cfg.n_routed_experts // cfg.n_group, dim=1)
                sel = sel.masked_fill(~expert_mask, float("-inf"))
                if cfg.topk_group < cfg.n_group:
                    gs = group_score.sort(-1, descending=True).values
                    margin = gs[:, cfg.topk_group - 1] - gs[:, cfg.topk_group]
            idx = sel.topk(K, dim=-1).indices
            if K < cfg.n_routed_experts:
                ss = sel.sort(-1, descending=True).values
                margin = torch.minimum(margin, ss[:, K - 1] - ss[:, K])
        weights = scores.gather(1, idx)
        if K > 1 and cfg.norm_topk_prob:
            weights = weights / weights.sum(-1, keepdim=True)
        return idx, weights * cfg.routed_scaling_factor, scores, margin


class MoE(nn.Module):
    """§5.1: sum_k g_k Expert_{idx_k}(x) + Shared(x)."""

    def __init__(self, cfg):
        super().__init__()
        self.gate = MoEGate(cfg)
        self.experts = nn.ModuleList(SwiGLU(cfg.hidden_size, cfg.moe_intermediate_size)
                                     for _ in range(cfg.n_routed_experts))
        if cfg.n_shared_experts:
            self.shared_experts = SwiGLU(cfg.hidden_size, cfg.n_shared_experts * cfg.moe_intermediate_size)
        self.has_shared = bool(cfg.n_shared_experts)

    def forward(self, x, trace=None):
        B, T, d = x.shape
        xf = x.reshape(B * T, d)
        idx, w, scores, margin = self.gate(xf)
        y = torch.zeros_like(xf)
        for e, expert in enumerate(self.experts):
            tok, slot = (idx == e).nonzero(as_tuple=True)
            if tok.numel():
                y = y.index_add(0, tok, expert(xf[tok]) * w[tok, slot].unsqueeze(-1))
        if self.has_shared:
            y = y + self.shared_experts(xf)
        if trace is not None:
            trace["routing"].append({"idx": idx.view(B, T, -1), "scores": scores.view(B, T, -1),
                                     "weights": w.view(B, T, -1), "margin": margin.view(B, T)})
        return y.view(B, T, d)


class DecoderLayer(nn.Module):
    """§1: h += Attn(RMSNorm(h)); h += FFN(RMSNorm(h))."""

    def __init__(self, cfg, layer_idx):
        super().__init__()
        d, eps = cfg.hidden_size, cfg.rms_norm_eps
        self.input_layernorm = RMSNorm(d, eps)
        self.self_attn = MLA(cfg) if cfg.family == "deepseek" else GQA(cfg)
        self.post_attention_layernorm = RMSNorm(d, eps)
        self.mlp = MoE(cfg) if cfg.is_moe_layer(layer_idx) else SwiGLU(d, cfg.intermediate_size)

    def forward(self, h, rope, form="naive", trace=None):
        h = h + self.self_attn(self.input_layernorm(h), rope, form)
        return h + self.mlp(self.post_attention_layernorm(h), trace)


class SharedHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.head = linear(cfg.hidden_size, cfg.vocab_size)      # [vocab, d]


class MTPLayer(DecoderLayer):
    """§6: stored as model.layers.{num_hidden_layers}; a full (MoE) block plus the MTP extras."""

    def __init__(self, cfg, layer_idx):
        super().__init__(cfg, layer_idx)
        d = cfg.hidden_size
        self.enorm = RMSNorm(d, cfg.rms_norm_eps)
        self.hnorm = RMSNorm(d, cfg.rms_norm_eps)
        self.eh_proj = linear(2 * d, d)                          # [d, 2d]: input = [emb ; hidden]
        self.embed_tokens = nn.Embedding(cfg.vocab_size, d, dtype=DTYPE)
        self.shared_head = SharedHead(cfg)

    def predict(self, h_main, next_tokens, rope, form="naive", trace=None):
        """h_main [B, T', d] (h_0..h_{T-2}), next_tokens [B, T'] (tokens 1..T-1) -> logits."""
        x = self.eh_proj(torch.cat([self.enorm(self.embed_tokens(next_tokens)), self.hnorm(h_main)], -1))
        y = self.forward(x, rope, form, trace)
        return self.shared_head.head(self.shared_head.norm(y))


class Backbone(nn.Module):
    """The `model.` prefix: embeddings, decoder layers (+ MTP layers), final norm."""

    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size, dtype=DTYPE)  # [vocab, d]
        layers = [DecoderLayer(cfg, i) for i in range(cfg.num_hidden_layers)]
        layers += [MTPLayer(cfg, cfg.num_hidden_layers + k) for k in range(cfg.num_nextn_predict_layers)]
        self.layers = nn.ModuleList(layers)
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class CausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = Backbone(cfg)
        if not cfg.tie_word_embeddings:
            self.lm_head = linear(cfg.hidden_size, cfg.vocab_size)   # [vocab, d]

    def head_weight(self):
        return self.model.embed_tokens.weight if self.cfg.tie_word_embeddings else self.lm_head.weight

    def forward(self, tokens, form="naive", with_mtp=True, trace=None):
        """tokens [B, T] long -> dict with logits [B,T,V], hidden (post-norm), hidden_prenorm,
        and mtp_logits [B, T-1, V] for models with an MTP layer (row t predicts token t+2)."""
        cfg = self.cfg
        B, T = tokens.shape
        rope = Rope(cfg, T)
        h = self.model.embed_tokens(tokens)
        for i in range(cfg.num_hidden_layers):
            h = self.model.layers[i](h, rope, form, trace)
            if trace is not None:
                trace["hidden"].append(h)
        hn = self.model.norm(h)
        out = {"logits": F.linear(hn, self.head_weight()), "hidden": hn, "hidden_prenorm": h}
        if with_mtp and cfg.num_nextn_predict_layers and T >= 2:
            # Depth 1 only (every released config): module k would take module k-1's output.
            mtp = self.model.layers[cfg.num_hidden_layers]
            h_in = hn if MTP_HIDDEN_AFTER_FINAL_NORM else h
            out["mtp_logits"] = mtp.predict(h_in[:, :-1], tokens[:, 1:], Rope(cfg, T - 1), form, trace)
        return out


# ============================================================================ loading


def new_model(cfg, dtype=DTYPE, seed=0, std=0.02):
    """A randomly initialised model in `dtype`: matrices ~ N(0, std^2) (router gates included, so
    routing spreads), RMSNorm weights 1, biases and e_score_correction_bias 0. For benchmarks;
    tests use make_tiny's checkpoints."""
    gen = torch.Generator().manual_seed(seed)
    model = CausalLM(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=gen, dtype=DTYPE) * std)
            elif name.endswith(".bias"):
                p.zero_()
    return model.to(dtype)


def expected_tensor_names(model):
    """HF tensor names the checkpoint must hold (parameters and persistent buffers)."""
    names = [n for n, _ in model.named_parameters()]
    names += [n for n, _ in model.named_buffers()]
    return names


def load_model(model_dir):
    """Build the float64 reference model from a HF directory; strict about tensor names."""
    cfg = load_config(model_dir)
    model = CausalLM(cfg)
    tensors, _ = safetensors_io.load_checkpoint(model_dir)
    state = dict(model.named_parameters())
    state.update(dict(model.named_buffers()))
    missing = [n for n in state if n not in tensors]
    unexpected = [n for n in tensors if n not in state]
    if missing or unexpected:
        raise ValueError(f"{model_dir}: missing tensors {missing[:8]}, unexpected tensors {unexpected[:8]}")
    with torch.no_grad():
        for name, p in state.items():
            t = tensors[name]
            if tuple(t.shape) != tuple(p.shape):
                raise ValueError(f"{name}: shape {tuple(t.shape)} in file, model expects {tuple(p.shape)}")
            p.copy_(torch.from_numpy(np.ascontiguousarray(t)))
    return model


# ============================================================================ losses / grads


def new_trace():
    return {"routing": [], "hidden": []}


def balance_loss(routing, n_routed, top_k):
    """Sequence-wise balance loss (§5.5), summed over the given MoE layers, mean over batch."""
    total = 0.0
    for r in routing:
        idx, scores = r["idx"], r["scores"]                 # [B, T, K], [B, T, N]
        B, T, K = idx.shape
        counts = torch.zeros(B, n_routed, dtype=scores.dtype).scatter_add_(
            1, idx.reshape(B, T * K), torch.ones(B, T * K, dtype=scores.dtype))
        f = counts * (n_routed / (K * T))
        P = (scores / scores.sum(-1, keepdim=True)).mean(1)
        total = total + (f * P).sum(-1).mean()
    return total


def training_loss(model, tokens, mtp_lambda=0.0, balance_alpha=0.0, form="naive"):
    """Returns dict of scalar tensors: total, ce, mtp, balance (see module docstring)."""
    cfg = model.cfg
    trace = new_trace()
    use_mtp = mtp_lambda != 0.0 and cfg.num_nextn_predict_layers > 0
    out = model(tokens, form=form, with_mtp=use_mtp, trace=trace)
    V = cfg.vocab_size
    ce = F.cross_entropy(out["logits"][:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1))
    zero = torch.zeros((), dtype=out["logits"].dtype)
    mtp = zero
    if use_mtp:
        if tokens.shape[1] < 3:
            raise ValueError("MTP loss needs at least 3 tokens")
        mtp = F.cross_entropy(out["mtp_logits"][:, :-1].reshape(-1, V), tokens[:, 2:].reshape(-1))
    bal = zero
    if cfg.n_routed_experts and trace["routing"]:
        bal = balance_loss(trace["routing"], cfg.n_routed_experts, cfg.num_experts_per_tok)
    total = ce + mtp_lambda * mtp + balance_alpha * bal
    return {"total": total, "ce": ce, "mtp": mtp, "balance": bal}


def compute_grads(model, tokens, mtp_lambda=0.0, balance_alpha=0.0, form="naive"):
    """(losses as floats, name -> float64 numpy gradient for every parameter; zeros where the
    loss does not depend on a parameter)."""
    model.zero_grad(set_to_none=True)
    losses = training_loss(model, tokens, mtp_lambda, balance_alpha, form)
    losses["total"].backward()
    grads = {}
    for name, p in model.named_parameters():
        g = p.grad if p.grad is not None else torch.zeros_like(p)
        grads[name] = g.detach().numpy().copy()
    return {k: float(v) for k, v in losses.items()}, grads


def rel_l2(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))
