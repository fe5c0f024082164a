"""Peak GPU memory per device, line by line: weights, adapters, gradients, optimizer, activations, logits.

Accounting (bytes; s = sequence length, b = sequences per micro-step, h =
hidden size, L = layers, V = vocabulary, i = MLP width, a = attention heads):

- **Weights**: decoder linear layers at 0.516 B/param in 4-bit (NF4 plus the
  double-quantised block constants axolotl enables, 4.127 bits), 1 B in 8-bit
  and in fp8 (the guide's "about half of bf16"), else the load dtype (axolotl
  loads bf16/fp16 configs in 16-bit, others in fp32); embeddings, LM head and
  norms stay in the load dtype.
- **Trainable state** per trainable parameter (weight, gradient, optimizer):
  a plain full fine-tune keeps all three in the load dtype (torch AdamW keeps
  its moments in the parameter dtype: 2 + 2 + 4 B in bf16); PEFT adapters are
  fp32 (4 + 4 + 8 B); DeepSpeed keeps 16-bit weights and gradients plus an
  fp32 master copy and fp32 moments (2 + 2 + 12 B, the ZeRO paper's 16 bytes).
  8-bit optimizers hold 2 B of state, Lion 1 state, Adafactor and SGD ~0.
- **Sharding** over N GPUs: ZeRO-1 divides optimizer state (with the master
  copy), ZeRO-2 also gradients, ZeRO-3 and FSDP full_shard also weights
  (plus two gathered layers in flight); offload moves them to CPU RAM.
- **Activations** per layer and token, 16-bit, no dropout (the Llama block
  redone in the manner of Korthikanti et al. 2022, "Reducing Activation
  Recomputation in Large Transformer Models", section 4.1, whose GPT block
  gives 34sbh + 5as²b): attention keeps its norm input, the q/k/v input, q, k,
  v and the o_proj input (4h + 4·q_dim + 4·kv_dim); a gated MLP keeps its norm
  input, the gate/up input, gate, up, activation and product (4h + 8i). LoRA
  adds, per adapted module, its dropout output and mask (3·in) when
  lora_dropout > 0. Eager attention also keeps the softmax (2as²b per layer,
  plus a transient fp32 copy of one layer's); sdpa/flash keep O(s).
  Gradient checkpointing keeps each layer's input (2sbh per layer) and
  recomputes one layer at a time.
- **Logits**: b·s·V·10 B (bf16 logits, their fp32 upcast, the fp32
  log-softmax the loss saves); ~0 with a chunked loss (Liger, CCE). For GRPO
  the guide's figure: micro_batch_size x num_generations x s x V x 2 B.
- **Overhead**: CUDA context and allocator reserve: 0.75 GiB, +0.5 GiB NCCL
  buffers on several GPUs, +5 % of the rest for fragmentation.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from assistant.estimate.model import ModelDims
from assistant.estimate.setup import TrainSetup

__all__ = ["Line", "Estimate", "estimate_memory", "GIB", "NF4_BYTES", "grpo_logits_bytes"]

GIB = 1024 ** 3
NF4_BYTES = 4.127 / 8
_CONTEXT = 0.75 * GIB
_NCCL = 0.5 * GIB
_FRAGMENTATION = 0.05
_MLP = ("gate_proj", "up_proj", "down_proj")
_FUSED = {"qkv_proj": ("q_proj", "k_proj", "v_proj"), "gate_up_proj": ("gate_proj", "up_proj")}


@dataclass(frozen=True)
class Line:
    """One component of the peak: what it is, its bytes on one GPU, and how it was counted."""

    name: str
    bytes: float
    note: str = ""


@dataclass
class Estimate:
    dims: ModelDims
    setup: TrainSetup
    gpus: int
    lines: list[Line] = field(default_factory=list)
    trainable_params: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def allocated_bytes(self) -> float:
        """What torch.cuda.max_memory_allocated would show: every line but the overhead."""
        return sum(x.bytes for x in self.lines if x.name != "overhead")

    @property
    def peak_bytes(self) -> float:
        return sum(x.bytes for x in self.lines)

    def line(self, name: str) -> Line | None:
        return next((x for x in self.lines if x.name == name), None)


def grpo_logits_bytes(setup: TrainSetup, vocab: int) -> int:
    """The guide's GRPO logits tensor: micro_batch_size x num_generations x seq_len x vocab x 2 bytes."""
    return setup.micro_batch_size * setup.num_generations * setup.sequence_len * vocab * 2


def estimate_memory(dims: ModelDims, setup: TrainSetup, gpus: int = 1) -> Estimate:
    """The per-GPU breakdown of one training step's peak."""
    n = max(1, gpus)
    est = Estimate(dims, setup, n)
    lora, saved = _adapter_params(dims, setup, est.notes)
    trainable = dims.params if setup.adapter is None else lora + saved
    est.trainable_params = trainable
    w_bytes, g_bytes, state_bytes, master_bytes = _trainable_dtypes(setup)
    weight_shard = n if setup.zero_stage >= 3 or setup.fsdp == "full_shard" else 1
    grad_shard = n if setup.zero_stage >= 2 or setup.fsdp else 1
    opt_shard = n if setup.zero_stage >= 1 or setup.fsdp else 1
    params_offloaded = (setup.zero_stage >= 3 and setup.offload_param) or setup.fsdp_offload
    opt_offloaded = setup.offload_optimizer or setup.fsdp_offload

    frozen = _base_weight_bytes(dims, setup)
    est.lines.append(Line("weights", 0.0 if params_offloaded else frozen / weight_shard,
                          _weights_note(setup, dims, weight_shard, params_offloaded)))
    if weight_shard > 1 or params_offloaded:
        est.lines.append(Line("gathered layers", 2 * (dims.params / dims.layers) * setup.dtype_bytes,
                              "the layer computing and the one prefetched, unsharded"))
    if setup.ref_model:
        est.lines.append(Line("reference model", 0.0 if params_offloaded else frozen / weight_shard,
                              "frozen copy for the KL/preference term"))
    if setup.adapter is not None:
        adapters = lora * w_bytes + saved * setup.dtype_bytes
        est.lines.append(Line("adapters", adapters, f"{_count(lora)} LoRA params (r={setup.lora_r})"
                              + (f" + {_count(saved)} in modules_to_save" if saved else "")))
    grads = 0.0 if setup.fsdp_offload else trainable * g_bytes / grad_shard
    est.lines.append(Line("gradients", grads, f"{_count(trainable)} trainable params"
                          + (f", sharded over {grad_shard}" if grad_shard > 1 else "")))
    opt_per_param = _optimizer_bytes(setup.optimizer, state_bytes) + master_bytes
    est.lines.append(Line("optimizer", 0.0 if opt_offloaded else trainable * opt_per_param / opt_shard,
                          _optimizer_note(setup, opt_per_param, opt_shard, opt_offloaded)))
    est.lines.extend(_activation_lines(dims, setup))
    est.lines.append(Line("overhead", _CONTEXT + (_NCCL if n > 1 else 0.0) + _FRAGMENTATION * est.allocated_bytes,
                          "CUDA context, allocator reserve" + (", NCCL buffers" if n > 1 else "")))
    return est


def _count(n: float) -> str:
    return f"{n / 1e9:.2f}B" if n >= 1e9 else f"{n / 1e6:.1f}M"


def _trainable_dtypes(setup: TrainSetup) -> tuple[int, int, int, int]:
    """Bytes of (weight, gradient, one optimizer moment, master copy) per trainable parameter."""
    if setup.zero_stage > 0:
        return (setup.dtype_bytes, setup.dtype_bytes, 4, 4 if setup.dtype_bytes == 2 else 0)
    if setup.adapter is not None:
        return (4, 4, 4, 0)  # PEFT keeps adapters in fp32 under 16-bit base weights
    return (setup.dtype_bytes,) * 3 + (0,)


def _optimizer_bytes(name: str, moment_bytes: int) -> float:
    if "8bit" in name or "8_bit" in name:
        return 2.0
    if "lion" in name:
        return float(moment_bytes)
    if "adafactor" in name or name == "sgd":
        return 0.0
    return 2.0 * moment_bytes  # AdamW and its variants: two moments


def _optimizer_note(setup: TrainSetup, per_param: float, shard: int, offloaded: bool) -> str:
    note = f"{setup.optimizer}, {per_param:g} B/param"
    if "paged" in setup.optimizer:
        note += ", paged (can spill to CPU RAM)"
    if offloaded:
        return note + ", offloaded to CPU"
    return note + (f", sharded over {shard}" if shard > 1 else "")


def _base_weight_bytes(dims: ModelDims, setup: TrainSetup) -> float:
    per_linear = {"4bit": NF4_BYTES, "8bit": 1.0, "fp8": 1.0}.get(setup.quant or "", float(setup.dtype_bytes))
    return dims.linear_params * per_linear + dims.other_params * setup.dtype_bytes


def _weights_note(setup: TrainSetup, dims: ModelDims, shard: int, offloaded: bool) -> str:
    kind = {"4bit": "4-bit NF4", "8bit": "8-bit", "fp8": "fp8"}.get(setup.quant or "", f"{8 * setup.dtype_bytes}-bit")
    note = f"{_count(dims.params)} params, {kind}"
    if offloaded:
        return note + ", offloaded to CPU"
    return note + (f", sharded over {shard}" if shard > 1 else "")


def _adapter_params(dims: ModelDims, setup: TrainSetup, notes: list[str]) -> tuple[float, float]:
    """(LoRA parameters, parameters of modules_to_save) for an adapter run; (0, 0) otherwise."""
    if setup.adapter is None:
        return 0.0, 0.0
    lora = sum(setup.lora_r * (i + o) * (dims.experts if name in _MLP else 1)
               for name, (i, o) in _targets(dims, setup, notes).items())
    saved = sum(dims.vocab * dims.hidden for m in setup.lora_modules_to_save if m in ("embed_tokens", "lm_head"))
    return float(lora * dims.layers), float(saved)


def _targets(dims: ModelDims, setup: TrainSetup, notes: list[str]) -> dict[str, tuple[int, int]]:
    """The linear layers LoRA adapts: all with lora_target_linear, the named ones, else PEFT's q_proj, v_proj."""
    shapes = dims.linear_shapes()
    if setup.lora_target_linear:
        return shapes
    names = setup.lora_targets or ("q_proj", "v_proj")
    chosen: dict[str, tuple[int, int]] = {}
    for name in names:
        if name in shapes:
            chosen[name] = shapes[name]
        elif name in _FUSED:
            parts = [shapes[p] for p in _FUSED[name] if p in shapes]
            chosen[name] = (parts[0][0], sum(o for _, o in parts))
        else:
            notes.append(f"lora_target_modules: {name!r} is not a linear layer this estimate knows; not counted")
    return chosen


def _activation_lines(dims: ModelDims, setup: TrainSetup) -> list[Line]:
    b, s, h, L = setup.sequences_per_step, setup.sequence_len, dims.hidden, dims.layers
    tokens = b * s
    scale = setup.dtype_bytes // 2  # fp32 activations when the model is loaded in fp32 (no autocast)
    mlp = 4 * h + (8 if dims.gated else 4) * dims.intermediate
    per_token = (4 * h + 4 * dims.q_dim + 4 * dims.kv_dim + mlp) * scale + 4 * dims.heads  # + flash/sdpa logsumexp
    if setup.adapter is not None:
        targets = _targets(dims, setup, [])
        per_token += 2 * setup.lora_r * len(targets)  # each adapter's rank-r intermediate
        if setup.lora_dropout > 0:
            per_token += sum(3 * i for i, _ in targets.values())
    scores = 2 * dims.heads * s * s * b * scale if setup.quadratic_attention else 0.0
    lines = []
    if setup.gradient_checkpointing:
        kept = 0.0 if setup.activation_offloading else L * tokens * 2 * h * scale
        lines.append(Line("activations", kept + tokens * per_token,
                          f"checkpointed: {L} layer inputs{' on CPU' if setup.activation_offloading else ''}"
                          f" + 1 layer recomputed, {b} x {s} tokens"))
        attention = 3 * scores  # one layer's scores, kept and a transient fp32 softmax
    else:
        lines.append(Line("activations", L * tokens * per_token, f"all {L} layers kept, {b} x {s} tokens"))
        attention = L * scores + 2 * scores
    lines.append(Line("attention scores", attention,
                      f"{setup.attention}: O(n^2) in sequence length" if setup.quadratic_attention
                      else f"{setup.attention}: O(n), no score matrix kept"))
    if setup.rl == "grpo":
        n = grpo_logits_bytes(setup, dims.vocab)
        lines.append(Line("grpo logits", float(n), f"{setup.micro_batch_size} x {setup.num_generations} x {s} x "
                                                   f"{dims.vocab} x 2 B (the guide's formula)"))
    elif setup.chunked_loss:
        lines.append(Line("logits", 0.0, "chunked loss: logits never materialised in full"))
    else:
        lines.append(Line("logits", tokens * dims.vocab * 10.0, "bf16 logits + fp32 upcast + fp32 log-softmax"))
    return lines
