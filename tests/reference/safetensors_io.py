"""safetensors reader/writer and the number formats the reference needs (numpy only).

Written from architecture.md §8.1/§8.3 because the `safetensors` Python package is not
available here. Conventions:

* File = u64 little-endian header length N, N bytes of UTF-8 JSON, raw little-endian data.
  The JSON maps name -> {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative
  to the end of the header) plus "__metadata__" (string -> string). The writer pads the
  header with spaces to a multiple of 8 bytes and writes {"format": "pt"} as metadata.
* BF16 is the top half of an IEEE f32; encoding rounds to nearest even.
* F8_E4M3 is e4m3fn: 1 sign, 4 exponent (bias 7), 3 mantissa bits, no infinities,
  max +-448, 0x7F/0xFF = NaN. Encoding rounds to nearest even and saturates to +-448.
* FP8 checkpoints: W = decode(Wq) * weight_scale_inv[i // 128, j // 128]; the last block in
  each direction may be ragged (smaller than 128).
"""

import json
import os
import struct

import numpy as np

# safetensors dtype string -> numpy storage dtype (the raw bytes, before decoding).
STORAGE_DTYPES = {
    "BOOL": np.dtype("bool"),
    "U8": np.dtype("<u1"),
    "I8": np.dtype("<i1"),
    "I16": np.dtype("<i2"),
    "U16": np.dtype("<u2"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # decoded by bf16_to_f32
    "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "U64": np.dtype("<u8"),
    "F8_E4M3": np.dtype("<u1"),  # decoded by fp8_e4m3_to_f32
    "F8_E5M2": np.dtype("<u1"),  # not decoded (unused by DeepSeek)
}

FP8_BLOCK = 128  # weight_block_size [128, 128] of the V3/R1 quantization_config
FP8_E4M3_MAX = 448.0


# ----------------------------------------------------------------------------- bf16 / fp8


def bf16_to_f32(bits):
    """uint16 array of bf16 bit patterns -> float32 array (exact)."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(x):
    """float array -> uint16 bf16 bit patterns, round to nearest even, NaN kept quiet."""
    f = np.ascontiguousarray(x, dtype=np.float32)
    u = f.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(f)
    rounded[nan] = 0x7FC0
    return rounded


def _fp8_e4m3_table():
    """float64 value of each of the 256 e4m3fn codes (NaN for 0x7F and 0xFF)."""
    codes = np.arange(256)
    sign = np.where(codes & 0x80, -1.0, 1.0)
    exp = (codes >> 3) & 0xF
    man = codes & 0x7
    normal = (1.0 + man / 8.0) * np.exp2(exp - 7.0)
    subnormal = (man / 8.0) * np.exp2(-6.0)
    vals = sign * np.where(exp == 0, subnormal, normal)
    vals[(exp == 15) & (man == 7)] = np.nan
    return vals


FP8_E4M3_VALUES = _fp8_e4m3_table()
_FP8_POS = FP8_E4M3_VALUES[:127]  # codes 0x00..0x7E: the non-negative finite values, ascending


def fp8_e4m3_to_f32(codes):
    """uint8 array of e4m3fn codes -> float32 array (exact)."""
    return FP8_E4M3_VALUES[codes].astype(np.float32)


def f64_to_fp8_e4m3(x):
    """float array -> uint8 e4m3fn codes; round to nearest, ties to even; saturate at 448."""
    x = np.asarray(x, dtype=np.float64)
    a = np.minimum(np.abs(x), FP8_E4M3_MAX)
    hi = np.clip(np.searchsorted(_FP8_POS, a, side="left"), 0, 126)  # first value >= a
    lo = np.maximum(hi - 1, 0)
    d_lo = a - _FP8_POS[lo]
    d_hi = _FP8_POS[hi] - a
    # Codes are consecutive integers, so "even mantissa" == "even code".
    pick_hi = (d_hi < d_lo) | ((d_hi == d_lo) & (hi % 2 == 0))
    code = np.where(pick_hi, hi, lo).astype(np.uint8)
    code = code | np.where(np.signbit(x), 0x80, 0).astype(np.uint8)
    code[np.isnan(x)] = 0x7F
    return code


def fp8_block_quantize(w):
    """Block-quantise a 2-D weight like DeepSeek's FP8 checkpoints.

    Returns (codes uint8 [out, in], scale_inv float32 [ceil(out/128), ceil(in/128)]) with
    w ~= decode(codes) * scale_inv[i // 128, j // 128]. The scale of a block is amax/448
    over the block's real elements (a ragged edge block is conceptually zero-padded, which
    does not change its amax).
    """
    w = np.asarray(w, dtype=np.float64)
    rows, cols = w.shape
    nbr, nbc = -(-rows // FP8_BLOCK), -(-cols // FP8_BLOCK)
    codes = np.zeros((rows, cols), dtype=np.uint8)
    scale_inv = np.zeros((nbr, nbc), dtype=np.float32)
    for br in range(nbr):
        for bc in range(nbc):
            rs = slice(br * FP8_BLOCK, min((br + 1) * FP8_BLOCK, rows))
            cs = slice(bc * FP8_BLOCK, min((bc + 1) * FP8_BLOCK, cols))
            block = w[rs, cs]
            amax = float(np.max(np.abs(block)))
            scale = np.float32(amax / FP8_E4M3_MAX if amax > 0 else 1.0)
            scale_inv[br, bc] = scale
            codes[rs, cs] = f64_to_fp8_e4m3(block / np.float64(scale))
    return codes, scale_inv


def fp8_block_dequantize(codes, scale_inv):
    """decode(codes) * scale_inv broadcast over 128x128 blocks (ragged edges allowed), f64."""
    rows, cols = codes.shape
    nbr, nbc = -(-rows // FP8_BLOCK), -(-cols // FP8_BLOCK)
    if tuple(scale_inv.shape) != (nbr, nbc):
        raise ValueError(f"weight_scale_inv shape {tuple(scale_inv.shape)} does not match "
                         f"weight {codes.shape} (expected {(nbr, nbc)})")
    scale = np.repeat(np.repeat(scale_inv.astype(np.float64), FP8_BLOCK, 0), FP8_BLOCK, 1)
    return FP8_E4M3_VALUES[codes] * scale[:rows, :cols]


# ----------------------------------------------------------------------------- files


def read_header(path):
    """(header dict without __metadata__, metadata dict, data start offset)."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ValueError(f"{path}: too short for a safetensors file")
        (n,) = struct.unpack("<Q", raw)
        header = json.loads(f.read(n).decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    return header, meta, 8 + n


def read_raw(path):
    """name -> (dtype string, numpy array of the stored representation, in file order)."""
    header, _, start = read_header(path)
    buf = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, info in header.items():
        dt = STORAGE_DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape)) if shape else 1
        if e - b != count * dt.itemsize:
            raise ValueError(f"{path}: {name}: byte range {b}..{e} does not hold {shape} {info['dtype']}")
        arr = np.frombuffer(buf[start + b:start + e].tobytes(), dtype=dt).reshape(shape)
        out[name] = (info["dtype"], arr)
    return out


def decode(dtype, arr):
    """Stored representation -> float64 values (FP8 codes decode without their block scale)."""
    if dtype == "BF16":
        return bf16_to_f32(arr).astype(np.float64)
    if dtype == "F8_E4M3":
        return FP8_E4M3_VALUES[arr]
    if dtype in ("F16", "F32", "F64"):
        return arr.astype(np.float64)
    raise ValueError(f"unsupported dtype for a weight: {dtype}")


def encode(dtype, values):
    """float values -> stored representation for `dtype` (F32/F64/F16/BF16/F8_E4M3 codes)."""
    if dtype == "F32":
        return np.asarray(values, dtype=np.float32)
    if dtype == "F64":
        return np.asarray(values, dtype=np.float64)
    if dtype == "F16":
        return np.asarray(values, dtype=np.float16)
    if dtype == "BF16":
        return f32_to_bf16(values)
    if dtype == "F8_E4M3":
        return f64_to_fp8_e4m3(values)
    raise ValueError(f"unsupported dtype: {dtype}")


def write_file(path, tensors, metadata=None):
    """tensors: name -> (dtype string, numpy array already in stored representation).

    Tensors are laid out in the given order. Written atomically (tmp file + rename).
    """
    header = {"__metadata__": dict(metadata or {"format": "pt"})}
    offset = 0
    blobs = []
    for name, (dtype, arr) in tensors.items():
        arr = np.asarray(arr, dtype=STORAGE_DTYPES[dtype])  # keeps 0-d (ascontiguousarray would not)
        data = arr.tobytes(order="C")
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    hjson = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    tmp = path + ".tmp.write"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for data in blobs:
            f.write(data)
    os.replace(tmp, path)


def checkpoint_files(model_dir):
    """The *.safetensors files of a HF model directory (via the index when there is one)."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
        return sorted(set(weight_map.values())), weight_map
    single = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(single):
        return ["model.safetensors"], None
    files = sorted(p for p in os.listdir(model_dir) if p.endswith(".safetensors"))
    if not files:
        raise FileNotFoundError(f"{model_dir}: no .safetensors files")
    return files, None


def load_checkpoint(model_dir):
    """All tensors of a HF directory as float64 numpy arrays, FP8 weights dequantised.

    Returns (tensors, dtypes): `dtypes` keeps each tensor's on-disk dtype string. The
    `*.weight_scale_inv` tensors are consumed by dequantisation and not returned.
    """
    files, weight_map = checkpoint_files(model_dir)
    raw = {}
    for fname in files:
        for name, v in read_raw(os.path.join(model_dir, fname)).items():
            if name in raw:
                raise ValueError(f"tensor {name} appears in two shards")
            if weight_map is not None and weight_map.get(name) != fname:
                raise ValueError(f"{fname}: tensor {name} not mapped to this file by the index")
            raw[name] = v
    if weight_map is not None:
        missing = set(weight_map) - set(raw)
        if missing:
            raise ValueError(f"index lists tensors absent from the shards: {sorted(missing)[:5]}")
    tensors, dtypes = {}, {}
    for name, (dtype, arr) in raw.items():
        if name.endswith(".weight_scale_inv"):
            continue
        dtypes[name] = dtype
        if dtype == "F8_E4M3":
            sname = name[:-len("weight")] + "weight_scale_inv"
            if not name.endswith(".weight") or sname not in raw:
                raise ValueError(f"FP8 tensor {name} has no {sname}")
            tensors[name] = fp8_block_dequantize(arr, decode(raw[sname][0], raw[sname][1]))
        else:
            tensors[name] = decode(dtype, arr)
    for name in raw:
        if name.endswith(".weight_scale_inv"):
            wname = name[:-len("_scale_inv")]
            if dtypes.get(wname) != "F8_E4M3":
                raise ValueError(f"{name} belongs to no FP8 weight")
    return tensors, dtypes
