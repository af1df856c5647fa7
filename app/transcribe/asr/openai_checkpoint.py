"""Convert a CTranslate2 Whisper model into an openai-whisper checkpoint.

No package ships openai-whisper `.pt` files, but the CTranslate2 models we bake hold the
same weights: CTranslate2 only renames them and fuses some projections. This reads the
documented `model.bin` layout (CTranslate2's ModelSpec serialisation, binary version 6)
and writes `{"dims", "model_state_dict", "alignment_heads"}`, which the openai-whisper
engine loads like an official checkpoint.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..storage import write_atomically

# Order of CTranslate2's DataType enum (include/ctranslate2/types.h).
_CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
_SUPPORTED_BINARY_VERSIONS = (5, 6)


class CheckpointConversionError(ValueError):
    pass


def read_ct2_variables(model_bin: Path) -> tuple[str, dict[str, np.ndarray]]:
    """The spec name and every named array of a CTranslate2 model.bin (aliases resolved)."""
    with open(model_bin, "rb") as handle:
        version = _read(handle, "I")
        if version not in _SUPPORTED_BINARY_VERSIONS:
            raise CheckpointConversionError(f"unsupported CTranslate2 binary version {version}")
        spec_name = _read_string(handle)
        _read(handle, "I")  # spec revision
        variables: dict[str, np.ndarray] = {}
        for _ in range(_read(handle, "I")):
            name = _read_string(handle)
            shape = [_read(handle, "I") for _ in range(_read(handle, "B"))]
            type_id = _read(handle, "B")
            num_bytes = _read(handle, "I")
            if type_id not in _CT2_DTYPES:
                raise CheckpointConversionError(
                    f"{name}: data type {type_id} not supported (quantized model?)"
                )
            buffer = handle.read(num_bytes)
            variables[name] = np.frombuffer(buffer, dtype=_CT2_DTYPES[type_id]).reshape(shape)
        for _ in range(_read(handle, "I")):
            alias, target = _read_string(handle), _read_string(handle)
            variables[alias] = variables[target]
    return spec_name, variables


def convert(ct2_dir: Path, output: Path) -> Path:
    """Write an openai-whisper checkpoint for the CTranslate2 model in `ct2_dir`."""
    import torch

    spec_name, v = read_ct2_variables(Path(ct2_dir) / "model.bin")
    if spec_name != "WhisperSpec":
        raise CheckpointConversionError(f"not a Whisper model: {spec_name}")
    config = json.loads((Path(ct2_dir) / "config.json").read_text(encoding="utf-8"))

    n_audio_layer = _count_layers(v, "encoder")
    n_text_layer = _count_layers(v, "decoder")
    dims = {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(v["encoder/conv1/weight"].shape[0]),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(v["decoder/embeddings/weight"].shape[1]),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_text_layer,
    }

    state: dict[str, np.ndarray] = {}

    def copy(target: str, source: str) -> None:
        state[target] = v[source]

    def layer_norm(target: str, source: str) -> None:
        copy(f"{target}.weight", f"{source}/gamma")
        copy(f"{target}.bias", f"{source}/beta")

    def linear(target: str, source: str) -> None:
        copy(f"{target}.weight", f"{source}/weight")
        copy(f"{target}.bias", f"{source}/bias")

    def split_qkv(target: str, source: str, parts: tuple[str, ...]) -> None:
        # CTranslate2 fuses projections row-wise; openai-whisper's key has no bias.
        weights = np.split(v[f"{source}/weight"], len(parts))
        biases = np.split(v[f"{source}/bias"], len(parts))
        for part, weight, bias in zip(parts, weights, biases, strict=True):
            state[f"{target}.{part}.weight"] = weight
            if part != "key":
                state[f"{target}.{part}.bias"] = bias

    def block(target: str, source: str, cross_attention: bool = False) -> None:
        """One transformer layer: self-attention, the decoder's cross-attention, the MLP."""
        split_qkv(f"{target}.attn", f"{source}/self_attention/linear_0",
                  ("query", "key", "value"))
        linear(f"{target}.attn.out", f"{source}/self_attention/linear_1")
        layer_norm(f"{target}.attn_ln", f"{source}/self_attention/layer_norm")
        if cross_attention:
            linear(f"{target}.cross_attn.query", f"{source}/attention/linear_0")
            split_qkv(f"{target}.cross_attn", f"{source}/attention/linear_1", ("key", "value"))
            linear(f"{target}.cross_attn.out", f"{source}/attention/linear_2")
            layer_norm(f"{target}.cross_attn_ln", f"{source}/attention/layer_norm")
        linear(f"{target}.mlp.0", f"{source}/ffn/linear_0")
        linear(f"{target}.mlp.2", f"{source}/ffn/linear_1")
        layer_norm(f"{target}.mlp_ln", f"{source}/ffn/layer_norm")

    for conv in ("conv1", "conv2"):
        linear(f"encoder.{conv}", f"encoder/{conv}")
    copy("encoder.positional_embedding", "encoder/position_encodings/encodings")
    for i in range(n_audio_layer):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}")
    layer_norm("encoder.ln_post", "encoder/layer_norm")

    copy("decoder.token_embedding.weight", "decoder/embeddings/weight")
    copy("decoder.positional_embedding", "decoder/position_encodings/encodings")
    for i in range(n_text_layer):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross_attention=True)
    layer_norm("decoder.ln", "decoder/layer_norm")

    checkpoint = {
        "dims": dims,
        "model_state_dict": {k: torch.from_numpy(np.array(a)) for k, a in state.items()},
        "alignment_heads": [[int(layer), int(head)] for layer, head in
                            config.get("alignment_heads", [])],
    }
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(output, lambda temporary: torch.save(checkpoint, temporary))


def _count_layers(variables: dict[str, np.ndarray], side: str) -> int:
    return len({name.split("/")[1] for name in variables
                if name.startswith(f"{side}/layer_") and name.split("/")[1][6:].isdigit()})


def _read(handle: BinaryIO, fmt: str) -> int:
    size = struct.calcsize(fmt)
    data = handle.read(size)
    if len(data) != size:
        raise CheckpointConversionError("model.bin is truncated")
    return struct.unpack(fmt, data)[0]


def _read_string(handle: BinaryIO) -> str:
    length = _read(handle, "H")
    return handle.read(length)[:-1].decode("utf-8")
