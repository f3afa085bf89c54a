"""`PeftShim`: the HFShim of a peft-wrapped encoder, with its own save and load.

spacy-transformers 1.4.0's `HFShim.from_bytes` rebuilds a plain `AutoModel` and loads the
saved state dict; with PEFT keys (`base_model.model.*`, `lora_A`, `lora_B`) the strict
load fails, it retries with strict=False and only warns, and the pipeline it returns is a
randomly initialised encoder without adapters. This shim writes and reads its own format
(msgpack, `FORMAT`) and never falls back:

- adapter-only (save_base = false, the default): the tokenizer, the adapter weights and a
  reference to the base encoder (its config name, its resolved folder and a SHA-256 of its
  weights). Loading looks for the base where peft/base.py says (a config override,
  $MAIZE_NER_ENCODERS, the recorded folder and name, installed packages), takes the first
  with the recorded hash and fails with every way to provide it otherwise. A few MB
  instead of the whole encoder.
- self-contained (save_base = true): the whole peft-wrapped state dict, loaded strictly.

After a load the adapter weights are compared with the saved ones; any difference raises.
"""
import hashlib
from io import BytesIO
from pathlib import Path
from typing import Any, Dict, Optional

import srsly
import torch
from spacy.util import SimpleFrozenDict
from spacy_transformers.data_classes import HFObjects
from spacy_transformers.layers.hf_shim import HFShim
from spacy_transformers.util import make_tempdir
from thinc.api import get_torch_default_device

from .base import WrongKind, find_base, missing_base_message
from .methods import PeftMethod, peft_config, require_peft
from .module import PeftTransformer, text_budget

FORMAT = "spacy_maize_ner.peft.v1"


def _model_type(location: str) -> Optional[str]:
    """The model_type in a local folder's config.json, or None (a hub id, or no readable config)."""
    path = Path(location) / "config.json"
    if not path.is_file():
        return None
    try:
        return srsly.read_json(path).get("model_type")
    except ValueError:
        return None


class PeftLoadError(RuntimeError):
    """A saved PEFT encoder that cannot be restored exactly (missing or different base, bad adapter)."""


def weights_fingerprint(model: torch.nn.Module) -> str:
    """RETURNS (str): the SHA-256 of `model`'s state dict (names, dtypes, shapes, values)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        data = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{data.dtype}|{tuple(data.shape)}".encode())
        digest.update(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"")
    return digest.hexdigest()


def _tensor_bytes(state: Dict[str, torch.Tensor]) -> bytes:
    buffer = BytesIO()
    torch.save({k: v.detach().cpu() for k, v in state.items()}, buffer)
    return buffer.getvalue()


def _load_tensors(data: bytes) -> Dict[str, torch.Tensor]:
    return torch.load(BytesIO(data), map_location=get_torch_default_device(), weights_only=True)


class PeftShim(HFShim):
    """The shim of `spacy_maize_ner.PeftEncoder.v1`.

    model (HFObjects): the (not yet loaded) Hugging Face objects, as for HFShim.
    method (PeftMethod): the PEFT block of the config.
    base_name (str): the encoder as named in the config (hub id or folder).
    save_base (bool): whether to_bytes writes the base encoder's weights too.
    """

    def __init__(self, model: HFObjects, *, method: PeftMethod, base_name: str, save_base: bool = False, **kwargs: Any):
        super().__init__(model, **kwargs)
        self.method = method
        self.base_name = base_name
        self.save_base = save_base
        self.base_path: Optional[str] = None
        self.base_fingerprint: Optional[str] = None
        self.text_budget: Optional[int] = None

    @property
    def peft_model(self):
        """The peft.PeftModel (None before the encoder is loaded)."""
        transformer = self._hfmodel.transformer
        return transformer.peft_model if isinstance(transformer, PeftTransformer) else None

    def attach(self, hf_model: HFObjects, base_path: str) -> None:
        """Wrap the freshly loaded encoder of `hf_model` with the PEFT method and take it over."""
        self.base_path = base_path
        self.base_fingerprint = weights_fingerprint(hf_model.transformer)
        wrapped = self._wrap(hf_model.transformer, tokenizer_path=base_path)
        budget = text_budget(hf_model.transformer.config, hf_model.tokenizer, self.method.num_virtual_tokens)
        self._take(hf_model.tokenizer, wrapped, hf_model.vocab_file_contents, budget)

    def _wrap(self, transformer: torch.nn.Module, tokenizer_path: Optional[str] = None) -> PeftTransformer:
        peft = require_peft()
        method = self.method
        if tokenizer_path is None and method.settings.get("init") == "text":
            # Reloading: the saved prompt replaces the initial one, so no tokenizer is needed.
            method = PeftMethod(method.method, {**method.settings, "init": "random"})
        wrapped = PeftTransformer(peft.get_peft_model(transformer, peft_config(method, tokenizer_path)))
        wrapped.to(get_torch_default_device())
        return wrapped

    def _take(self, tokenizer: Any, wrapped: PeftTransformer, vocab_file_contents: Optional[bytes], budget: int,
              init_configs=None) -> None:
        # The tokenizer cuts wordpieces to the positions the prompt leaves (spacy-transformers
        # truncates every split to tokenizer.model_max_length).
        tokenizer.model_max_length = budget
        self.text_budget = budget
        tok_cfg, trf_cfg = init_configs or (self._hfmodel._init_tokenizer_config, self._hfmodel._init_transformer_config)
        self._hfmodel = HFObjects(tokenizer, wrapped, vocab_file_contents, tok_cfg, trf_cfg)
        self._model = wrapped

    # -- serialization ----------------------------------------------------------------

    def to_bytes(self) -> bytes:
        hf_model = self._hfmodel
        if hf_model.transformer is None:
            return srsly.msgpack_dumps({
                "format": FORMAT, "initialized": False,
                "_init_tokenizer_config": dict(hf_model._init_tokenizer_config),
                "_init_transformer_config": dict(hf_model._init_transformer_config),
            })
        peft = require_peft()
        wrapped: PeftTransformer = hf_model.transformer
        adapter = peft.get_peft_model_state_dict(wrapped.peft_model, save_embedding_layers=False)
        msg = {
            "format": FORMAT,
            "initialized": True,
            "method": self.method.method,
            "settings": self.method.settings,
            "config": wrapped.config.to_dict(),
            "tokenizer": self._tokenizer_files(),
            "base": {"name": self.base_name, "path": self.base_path, "fingerprint": self.base_fingerprint},
            "text_budget": self.text_budget,
            "adapter_state": _tensor_bytes(adapter),
            "full_state": _tensor_bytes(wrapped.state_dict()) if self.save_base else b"",
        }
        return srsly.msgpack_dumps(msg)

    def _tokenizer_files(self) -> Dict[str, Any]:
        hf_model = self._hfmodel
        tokenizer = hf_model.tokenizer
        files: Dict[str, Any] = {"kwargs": {"use_fast": tokenizer.is_fast}}
        with make_tempdir() as temp_dir:
            if hasattr(tokenizer, "vocab_file") and hf_model.vocab_file_contents is not None:
                vocab_path = temp_dir / tokenizer.vocab_files_names["vocab_file"]
                vocab_path.write_bytes(hf_model.vocab_file_contents)
                tokenizer.vocab_file = str(vocab_path.absolute())
            tokenizer.save_pretrained(str(temp_dir.absolute()))
            for path in temp_dir.glob("**/*"):
                if path.is_file():
                    files[path.name] = path.read_bytes()
        return files

    def from_bytes(self, bytes_data: bytes) -> "PeftShim":
        msg = srsly.msgpack_loads(bytes_data)
        if msg.get("format") != FORMAT:
            raise PeftLoadError(
                f"The transformer's weights were not written by PeftShim (format {msg.get('format')!r}, expected {FORMAT!r}). "
                "A pipeline saved with spacy_maize_ner.Encoder.v1 loads with that architecture; a PEFT pipeline "
                "must be loaded with the config it was saved with."
            )
        if not msg["initialized"]:
            self._hfmodel = HFObjects(None, None, None, msg["_init_tokenizer_config"], msg["_init_transformer_config"])
            return self
        if msg["method"] != self.method.method or msg["settings"] != self.method.settings:
            raise PeftLoadError(
                f"The saved PEFT encoder is {msg['method']} {msg['settings']} but the config asks for "
                f"{self.method.method} {self.method.settings}: load it with the config.cfg it was saved with."
            )
        from transformers import AutoConfig, AutoModel, AutoTokenizer  # noqa: F401 (class attrs below)

        with make_tempdir() as temp_dir:
            config_file = temp_dir / "config.json"
            srsly.write_json(config_file, msg["config"])
            config = self.config_cls.from_pretrained(config_file)
            tok_files = dict(msg["tokenizer"])
            tok_kwargs = tok_files.pop("kwargs", {})
            for file_name, data in tok_files.items():
                Path(temp_dir / file_name).write_bytes(data)
            tokenizer = self.tokenizer_cls.from_pretrained(str(temp_dir.absolute()), **tok_kwargs)
            vocab_file_contents = None
            if hasattr(tokenizer, "vocab_file"):
                vocab_path = temp_dir / tokenizer.vocab_files_names["vocab_file"]
                if vocab_path.exists():
                    vocab_file_contents = vocab_path.read_bytes()
        base_info = msg["base"]
        if msg["full_state"]:
            wrapped = self._wrap(self.model_cls.from_config(config))
            state = _load_tensors(msg["full_state"])
            result = wrapped.load_state_dict(state, strict=True)
        else:
            base, path = self._load_base(base_info, config)
            self.base_path = path
            wrapped = self._wrap(base)
            require_peft().set_peft_model_state_dict(wrapped.peft_model, _load_tensors(msg["adapter_state"]))
            result = None
        self.base_fingerprint = base_info.get("fingerprint")
        self.base_name = base_info.get("name", self.base_name)
        self._check_adapter(wrapped, _load_tensors(msg["adapter_state"]), result)
        self._take(tokenizer, wrapped, vocab_file_contents, int(msg["text_budget"]), (SimpleFrozenDict(), SimpleFrozenDict()))
        return self

    def _load_base(self, info: Dict[str, Any], config: Any):
        """Find the base encoder (peft/base.py: config override, $MAIZE_NER_ENCODERS, the recorded
        folder and name, installed packages) whose weights have the recorded SHA-256.
        RETURNS (model, path)."""

        def load(location: str) -> Any:
            found_type = _model_type(location)
            if found_type and found_type != getattr(config, "model_type", found_type):
                # another kind of model in $MAIZE_NER_ENCODERS (a decoder beside the encoder): not loaded at random
                raise WrongKind(f"a {found_type} model, not {config.model_type}")
            return self.model_cls.from_pretrained(location, config=config)

        model, location, tried = find_base(info, self.base_name, load, weights_fingerprint)
        if model is None:
            raise PeftLoadError(missing_base_message(info, tried))
        return model.to(get_torch_default_device()), location

    @staticmethod
    def _check_adapter(wrapped: PeftTransformer, saved: Dict[str, torch.Tensor], result: Any) -> None:
        """Fail unless the loaded adapter weights are bitwise the saved ones."""
        loaded = require_peft().get_peft_model_state_dict(wrapped.peft_model, save_embedding_layers=False)
        if result is not None and (result.missing_keys or result.unexpected_keys):
            raise PeftLoadError(f"Saved PEFT state does not fit the encoder: missing {result.missing_keys[:5]}, "
                                f"unexpected {result.unexpected_keys[:5]}.")
        if set(loaded) != set(saved):
            raise PeftLoadError(
                f"Saved adapter keys do not match the rebuilt adapter: missing {sorted(set(saved) - set(loaded))[:5]}, "
                f"new {sorted(set(loaded) - set(saved))[:5]}."
            )
        for key, value in saved.items():
            if not torch.equal(loaded[key].cpu(), value.cpu()):
                raise PeftLoadError(f"Adapter weight {key} differs after loading: the load fell back to other weights.")
