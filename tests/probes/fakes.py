"""Fakes at the library boundary: an NVML module, a torch module, canned nvidia-smi output.

Each fake answers the way the real library does on the hardware it describes,
including its failures (NVMLError_NotSupported on consumer GPUs, an init that
never returns), so the probes are exercised exactly where they touch the world.
"""
from __future__ import annotations

import threading
import types
from dataclasses import dataclass, field
from typing import Any


class NVMLError(Exception):
    """pynvml's base error; str() is NVML's message."""


class NVMLError_NotSupported(NVMLError):  # noqa: N801 (pynvml's spelling)
    pass


class NVMLError_LibraryNotFound(NVMLError):  # noqa: N801
    pass


@dataclass
class FakeGpu:
    name: str = "NVIDIA A100-SXM4-80GB"
    cc: tuple[int, int] = (8, 0)
    total: int = 80 * 1024 ** 3
    free: int = 79 * 1024 ** 3
    util: int = 0
    temp: int = 35
    ecc: int | None = 0                    # None: ECC not supported (consumer card)
    retired: tuple[int, int] | None = (0, 0)  # (single-bit pages, double-bit pages); None: not supported
    remapped_unc: int | None = None        # uncorrectable remapped rows (Ampere+); None: not supported
    reasons: int = 0x1


@dataclass
class _Rates:
    gpu: int
    memory: int = 0


@dataclass
class _Memory:
    total: int
    free: int
    used: int = 0


def fake_pynvml(gpus: list[FakeGpu], *, driver: str = "550.54.15", cuda: int = 12040,
                init_error: Exception | None = None, hang: threading.Event | None = None) -> types.ModuleType:
    """A module with pynvml's API over ``gpus``; ``hang`` makes nvmlInit wait until it is set."""
    m = types.ModuleType("pynvml")
    m.NVMLError = NVMLError
    state: dict[str, Any] = {"init": 0, "shutdown": 0}
    m.state = state

    def init() -> None:
        if hang is not None:
            hang.wait(30)
        if init_error is not None:
            raise init_error
        state["init"] += 1

    def dev(h: int) -> FakeGpu:
        return gpus[h]

    def ecc(h: int, error_type: int, counter: int) -> int:
        assert (error_type, counter) == (1, 0), "asks for uncorrected volatile errors"
        if dev(h).ecc is None:
            raise NVMLError_NotSupported("Not Supported")
        return dev(h).ecc

    def retired(h: int, cause: int) -> list[int]:
        pages = dev(h).retired
        if pages is None:
            raise NVMLError_NotSupported("Not Supported")
        return list(range(pages[cause]))

    def remapped(h: int) -> tuple[int, int, int, int]:
        if dev(h).remapped_unc is None:
            raise NVMLError_NotSupported("Not Supported")
        return (0, dev(h).remapped_unc, 0, 0)

    m.nvmlInit = init
    m.nvmlShutdown = lambda: state.__setitem__("shutdown", state["shutdown"] + 1)
    m.nvmlSystemGetDriverVersion = lambda: driver
    m.nvmlSystemGetCudaDriverVersion = lambda: cuda
    m.nvmlDeviceGetCount = lambda: len(gpus)
    m.nvmlDeviceGetHandleByIndex = lambda i: i
    m.nvmlDeviceGetName = lambda h: dev(h).name.encode()  # older pynvml returns bytes
    m.nvmlDeviceGetCudaComputeCapability = lambda h: dev(h).cc
    m.nvmlDeviceGetMemoryInfo = lambda h: _Memory(dev(h).total, dev(h).free)
    m.nvmlDeviceGetUtilizationRates = lambda h: _Rates(dev(h).util)
    m.nvmlDeviceGetTemperature = lambda h, sensor: dev(h).temp
    m.nvmlDeviceGetTotalEccErrors = ecc
    m.nvmlDeviceGetRetiredPages = retired
    m.nvmlDeviceGetRemappedRows = remapped
    m.nvmlDeviceGetCurrentClocksEventReasons = lambda h: dev(h).reasons
    return m


def two_gpus() -> list[FakeGpu]:
    """An A100 and an H100: the H100 has uncorrected ECC errors, a retired page and is thermally throttled."""
    return [
        FakeGpu(util=12, temp=41, reasons=0x1),
        FakeGpu(name="NVIDIA H100 80GB HBM3", cc=(9, 0), free=70 * 1024 ** 3, util=97, temp=83, ecc=3,
                retired=(0, 1), reasons=0x4 | 0x20),
    ]


@dataclass
class FakeProps:
    name: str
    total_memory: int
    major: int = 8
    minor: int = 0


@dataclass
class FakeTorchGpu:
    name: str
    cc: tuple[int, int]
    total: int = 24 * 1024 ** 3


@dataclass
class FakeTorchSpec:
    version: str = "2.5.1+cu124"
    cuda: str | None = "12.4"
    gpus: list[FakeTorchGpu] = field(default_factory=list)
    nccl: tuple[int, int, int] | None = (2, 21, 5)


def fake_torch(spec: FakeTorchSpec) -> types.ModuleType:
    """A module with the slice of torch's API the probe reads."""
    torch = types.ModuleType("torch")
    torch.__version__ = spec.version
    torch.version = types.SimpleNamespace(cuda=spec.cuda, hip=None)
    cuda = types.SimpleNamespace()
    cuda.is_available = lambda: bool(spec.gpus)
    cuda.device_count = lambda: len(spec.gpus)
    cuda.get_device_capability = lambda i: spec.gpus[i].cc
    cuda.get_device_properties = lambda i: FakeProps(spec.gpus[i].name, spec.gpus[i].total, *spec.gpus[i].cc)
    cuda.is_bf16_supported = lambda: all(g.cc >= (8, 0) for g in spec.gpus)

    def nccl_version() -> tuple[int, int, int]:
        if spec.nccl is None:
            raise RuntimeError("NCCL not available")
        return spec.nccl

    cuda.nccl = types.SimpleNamespace(version=nccl_version)
    torch.cuda = cuda
    return torch


# `nvidia-smi --query-gpu=<FULL_FIELDS> --format=csv,noheader,nounits` on two GPUs, the second with faults.
SMI_FULL = (
    "0, NVIDIA A100-SXM4-80GB, 8.0, 81920, 80000, 3, 40, 535.104.05, 0, 0, 0, 0x0000000000000001\n"
    "1, NVIDIA A100-SXM4-80GB, 8.0, 81920, 12000, 100, 88, 535.104.05, 2, 1, 3, 0x0000000000000060\n"
)
# A consumer card: no ECC, no page retirement.
SMI_CONSUMER = "0, NVIDIA GeForce RTX 4090, 8.9, 24564, 23000, 0, 30, 550.54.15, [N/A], [N/A], [N/A], 0x0000000000000000\n"
# The basic query an old driver still answers.
SMI_BASIC = "0, Tesla V100-SXM2-32GB, 32768, 32000, 470.57.02\n"
