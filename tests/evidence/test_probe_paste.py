"""Pasted nvidia-smi output and environment listings -> the probe's own fact names."""
from __future__ import annotations

from pathlib import Path

from assistant.evidence import read_attachment
from assistant.probes.packages import PACKAGES
from tests.evidence.conftest import fact, names

# keyu-tian/SparK#8: driver 450, the older layout (cut after GPU 1)
SMI_450 = """+-----------------------------------------------------------------------------+
| NVIDIA-SMI 450.191.01   Driver Version: 450.191.01   CUDA Version: 11.3     |
|-------------------------------+----------------------+----------------------+
| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |
| Fan  Temp  Perf  Pwr:Usage/Cap|         Memory-Usage | GPU-Util  Compute M. |
|                               |                      |               MIG M. |
|===============================+======================+======================|
|   0  A100-SXM-80GB       On   | 00000000:10:00.0 Off |                    0 |
| N/A   61C    P0   175W / 400W |  33717MiB / 81252MiB |     84%      Default |
|                               |                      |             Disabled |
+-------------------------------+----------------------+----------------------+
|   1  A100-SXM-80GB       On   | 00000000:16:00.0 Off |                    0 |
| N/A   52C    P0   174W / 400W |  33695MiB / 81252MiB |     89%      Default |
|                               |                      |             Disabled |
+-------------------------------+----------------------+----------------------+
"""
# karfly/learnable-triangulation-pytorch#80: consumer cards with a fan column, names cut with `...`
SMI_418 = """Tue Jun  2 12:10:01 2020
+-----------------------------------------------------------------------------+
| NVIDIA-SMI 418.87.00    Driver Version: 418.87.00    CUDA Version: 10.1     |
|-------------------------------+----------------------+----------------------+
| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |
| Fan  Temp  Perf  Pwr:Usage/Cap|         Memory-Usage | GPU-Util  Compute M. |
|===============================+======================+======================|
|   0  GeForce RTX 208...  Off  | 00000000:4B:00.0 Off |                  N/A |
| 29%   34C    P2    64W / 250W |   8559MiB / 10989MiB |      0%      Default |
+-------------------------------+----------------------+----------------------+
|   1  GeForce RTX 208...  Off  | 00000000:4C:00.0 Off |                  N/A |
| 32%   49C    P2   111W / 250W |   7384MiB / 10989MiB |    100%      Default |
+-------------------------------+----------------------+----------------------+
"""
# driver 535 layout
SMI_535 = """+---------------------------------------------------------------------------------------+
| NVIDIA-SMI 535.104.05             Driver Version: 535.104.05   CUDA Version: 12.2     |
|-----------------------------------------+----------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id        Disp.A | Volatile Uncorr. ECC |
| Fan  Temp   Perf          Pwr:Usage/Cap |         Memory-Usage | GPU-Util  Compute M. |
|                                         |                      |               MIG M. |
|=========================================+======================+======================|
|   0  NVIDIA H100 80GB HBM3          On  | 00000000:18:00.0 Off |                    0 |
| N/A   35C    P0             118W / 700W |  80987MiB / 81559MiB |     99%      Default |
|                                         |                      |             Disabled |
+-----------------------------------------+----------------------+----------------------+
"""
# huggingface/trl#2946: `trl env`
TRL_ENV = """[2025-02-24 10:22:41,365] [INFO] [real_accelerator.py:222:get_accelerator] Setting ds_accelerator to cuda (auto detect)

Copy-paste the following information when reporting an issue:

- Platform: Linux-5.15.0-1048-aws-x86_64-with-glibc2.31
- Python version: 3.12.2
- TRL version: 0.16.0.dev0+5975879
- PyTorch version: 2.2.2
- CUDA device(s): NVIDIA H100 80GB HBM3
- Transformers version: 4.47.0
- Accelerate version: 1.2.1
- Accelerate config: not found
- Datasets version: 3.2.0
- HF Hub version: 0.25.0
- bitsandbytes version: 0.45.0
- DeepSpeed version: 0.16.3
- Diffusers version: not installed
- Liger-Kernel version: not installed
- LLM-Blender version: not installed
- OpenAI version: not installed
- PEFT version: 0.13.2
- vLLM version: not installed
"""
# `transformers env` (transformers 4.36)
TRANSFORMERS_ENV = """Copy-and-paste the text below in your GitHub issue and FILL OUT the two last points.

- `transformers` version: 4.36.2
- Platform: Linux-5.15.0-91-generic-x86_64-with-glibc2.35
- Python version: 3.10.12
- Huggingface_hub version: 0.20.1
- Safetensors version: 0.4.1
- Accelerate version: 0.25.0
- Accelerate config: 	not found
- PyTorch version (GPU?): 2.1.2+cu121 (True)
- Tensorflow version (GPU?): not installed (NA)
- Flax version (CPU?/GPU?/TPU?): not installed (NA)
- Jax version: not installed
- JaxLib version: not installed
- Using GPU in script?: <fill in>
- Using distributed or parallel set-up in script?: <fill in>
"""
# meta-llama/llama-cookbook#118: torch's collect_env
COLLECT_ENV = """Collecting environment information...
PyTorch version: 2.0.1+cu117
Is debug build: False
CUDA used to build PyTorch: 11.7
ROCM used to build PyTorch: N/A

OS: Ubuntu 20.04.6 LTS (x86_64)
GCC version: (Ubuntu 9.4.0-1ubuntu1~20.04.1) 9.4.0
Clang version: Could not collect
CMake version: version 3.27.1
Libc version: glibc-2.31

Python version: 3.9.17 (main, Jul  5 2023, 20:41:20)  [GCC 11.2.0] (64-bit runtime)
Python platform: Linux-5.4.0-149-generic-x86_64-with-glibc2.31
Is CUDA available: True
CUDA runtime version: 11.8.89
CUDA_MODULE_LOADING set to: LAZY
GPU models and configuration: 
GPU 0: NVIDIA A100-SXM4-80GB
GPU 1: NVIDIA A100-SXM4-80GB
GPU 2: NVIDIA A100-SXM4-80GB
GPU 3: NVIDIA A100-SXM4-80GB

Nvidia driver version: 525.105.17

Versions of relevant libraries:
[pip3] numpy==1.24.4
[pip3] torch==2.0.1
[pip3] triton==2.0.0
[conda] numpy                     1.24.4                   pypi_0    pypi
[conda] torch                     2.0.1                    pypi_0    pypi
"""
# huggingface/trl#2490: `conda list` (abridged)
CONDA = """# packages in environment at /home/user/miniconda3/envs/trl:
#
# Name                    Version                   Build  Channel
_libgcc_mutex             0.1                 conda_forge    conda-forge
accelerate                1.2.0                    pypi_0    pypi
aiohttp                   3.11.10                  pypi_0    pypi
deepspeed                 0.16.1                   pypi_0    pypi
numpy                     1.26.4                   pypi_0    pypi
peft                      0.14.0                   pypi_0    pypi
pytorch                   2.5.1           py3.10_cuda11.8_cudnn9.1.0_0    pytorch
pytorch-cuda              11.8                 h7e8668a_6    pytorch
transformers              4.46.3                   pypi_0    pypi
trl                       0.12.2                   pypi_0    pypi
xformers                  0.0.28.post3             pypi_0    pypi
"""
PIP_FREEZE = """accelerate==1.2.1
aiohttp==3.11.10
bitsandbytes==0.45.0
datasets==3.2.0
deepspeed==0.16.3
flash_attn==2.7.2.post1
numpy==1.26.4
peft==0.13.2
torch @ file:///tmp/wheels/torch-2.5.1%2Bcu124-cp310-cp310-linux_x86_64.whl
transformers==4.47.0
trl==0.13.0
vllm==0.6.6.post1
"""
PIP_LIST = """Package                  Version
------------------------ ------------
accelerate               0.34.2
flash-attn               2.6.3
torch                    2.4.1
transformers             4.45.1
trl                      0.11.1
"""


def read(tmp_path: Path, text: str, name: str = "log.txt"):
    path = tmp_path / name
    path.write_text(text)
    reading, = read_attachment(path)
    return reading


def test_nvidia_smi_old_layout(tmp_path: Path) -> None:
    r = read(tmp_path, SMI_450)
    assert r.kind == "probe_report"
    assert fact(r, "probe.gpu.count") == 2 and fact(r, "probe.gpu.names") == ("A100-SXM-80GB", "A100-SXM-80GB")
    assert fact(r, "probe.gpu.memory_total_gib") == 79.35
    assert fact(r, "probe.gpu.memory_free_gib") == round((81252 - 33717) / 1024, 2)
    assert fact(r, "probe.driver.version") == "450.191.01" and fact(r, "probe.cuda.version") == "11.3"
    assert fact(r, "probe.gpu.temperature_c") == 61 and fact(r, "probe.gpu.utilization") == 89
    device = fact(r, "probe.gpu.devices")[0]
    assert device["memory_used_gib"] == 32.93 and device["index"] == 0
    assert fact(r, "probe.gpu.source") == "nvidia-smi"


def test_nvidia_smi_consumer_cards_and_new_layout(tmp_path: Path) -> None:
    r = read(tmp_path, SMI_418, "config.yaml")  # the name does not matter
    assert fact(r, "probe.gpu.count") == 2 and fact(r, "probe.gpu.names")[0] == "GeForce RTX 208..."
    assert fact(r, "probe.gpu.memory_total_gib") == 10.73
    new = read(tmp_path, SMI_535)
    assert fact(new, "probe.gpu.count") == 1 and fact(new, "probe.gpu.names") == ("NVIDIA H100 80GB HBM3",)
    assert fact(new, "probe.gpu.memory_free_gib") == 0.56 and fact(new, "probe.cuda.version") == "12.2"


def test_nvidia_smi_query_csv(tmp_path: Path) -> None:
    r = read(tmp_path, "index, name, compute_cap, memory.total [MiB], memory.used [MiB], driver_version\n"
                       "0, NVIDIA A100-SXM4-40GB, 8.0, 40960 MiB, 39000 MiB, 535.104.05\n"
                       "1, NVIDIA A100-SXM4-40GB, 8.0, 40960 MiB, 12 MiB, 535.104.05\n", "gpus.csv")
    assert fact(r, "probe.gpu.count") == 2 and fact(r, "probe.gpu.compute_capability") == 8.0
    assert fact(r, "probe.gpu.memory_total_gib") == 40.0 and fact(r, "probe.gpu.memory_free_gib") == 1.91
    assert fact(r, "probe.driver.version") == "535.104.05"


def test_trl_env(tmp_path: Path) -> None:
    r = read(tmp_path, TRL_ENV)
    assert r.kind == "probe_report"
    assert fact(r, "probe.packages.trl") == "0.16.0.dev0+5975879" and fact(r, "probe.torch.version") == "2.2.2"
    assert fact(r, "probe.packages.transformers") == "4.47.0" and fact(r, "probe.packages.deepspeed") == "0.16.3"
    assert fact(r, "probe.packages.peft") == "0.13.2" and fact(r, "probe.packages.vllm") == "missing"
    assert fact(r, "probe.packages.bitsandbytes") == "0.45.0" and fact(r, "probe.packages.accelerate") == "1.2.1"
    assert fact(r, "probe.gpu.names") == ("NVIDIA H100 80GB HBM3",) and fact(r, "probe.gpu.count") == 1
    assert "probe.packages.flash_attn" not in names(r)  # not listed is not missing
    assert {f.source for f in r.facts if f.name == "probe.packages.trl"} == {"log.txt:7"}


def test_transformers_env(tmp_path: Path) -> None:
    r = read(tmp_path, TRANSFORMERS_ENV)
    assert fact(r, "probe.packages.transformers") == "4.36.2" and fact(r, "probe.packages.accelerate") == "0.25.0"
    assert fact(r, "probe.torch.version") == "2.1.2+cu121" and fact(r, "probe.torch.cuda_available") is True


def test_collect_env(tmp_path: Path) -> None:
    r = read(tmp_path, COLLECT_ENV)
    assert fact(r, "probe.torch.version") == "2.0.1+cu117" and fact(r, "probe.cuda.runtime") == "11.7"
    assert fact(r, "probe.driver.version") == "525.105.17" and fact(r, "probe.torch.cuda_available") is True
    assert fact(r, "probe.gpu.count") == 4 and fact(r, "probe.gpu.names")[3] == "NVIDIA A100-SXM4-80GB"
    assert fact(r, "probe.packages.triton") == "2.0.0"


def test_conda_pip_freeze_pip_list(tmp_path: Path) -> None:
    conda = read(tmp_path, CONDA)
    assert fact(conda, "probe.torch.version") == "2.5.1" and fact(conda, "probe.packages.deepspeed") == "0.16.1"
    assert fact(conda, "probe.packages.xformers") == "0.0.28.post3" and fact(conda, "probe.packages.trl") == "0.12.2"
    assert fact(conda, "probe.packages.vllm") == "missing"  # a full listing without it
    freeze = read(tmp_path, PIP_FREEZE, "requirements.txt")
    assert fact(freeze, "probe.torch.version") == "2.5.1+cu124"  # from the wheel's name
    assert fact(freeze, "probe.packages.flash_attn") == "2.7.2.post1" and fact(freeze, "probe.packages.vllm") == "0.6.6.post1"
    assert {n for n in names(freeze) if n.startswith("probe.packages.")} == {f"probe.packages.{k}" for k in PACKAGES}
    short = read(tmp_path, PIP_LIST)
    assert fact(short, "probe.packages.flash_attn") == "2.6.3" and "probe.packages.vllm" not in names(short)


def test_not_every_table_is_a_package_list(tmp_path: Path) -> None:
    log = read(tmp_path, "epoch 1 loss 2.3\nepoch 2 loss 2.1\nepoch 3 loss 1.9\nepoch 4 loss 1.8\n")
    assert log.kind == "stdout_log"
    mixed = read(tmp_path, TRL_ENV + "Traceback (most recent call last):\n  File \"t.py\", line 3, in <module>\n"
                                     "torch.OutOfMemoryError: CUDA out of memory.\n")
    assert mixed.kind == "traceback" and "error.cuda_oom" in names(mixed)
