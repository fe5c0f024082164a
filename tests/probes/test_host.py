"""Host, disk, env, packages and Triton cache probes on fake filesystem trees."""
from __future__ import annotations

import os
from pathlib import Path

from assistant.probes import host
from assistant.probes.env import env_section
from assistant.probes.packages import installed_versions, nccl_from_wheels, package_section
from assistant.probes.triton_cache import cache_dir, triton_section


def test_host_section_from_proc(gpu_root: Path) -> None:
    got = host.host_section(gpu_root, environ={})
    assert got["ram_total_gib"] == 62.5 and got["ram_available_gib"] == 31.25
    assert isinstance(got["cpu_count"], int) and got["cpu_count"] >= 1
    assert isinstance(got["shm_bytes"], int) and got["shm_bytes"] > 0
    assert got["container"] is False and "memory_limit_gib" not in got


def test_missing_proc_and_shm_read_as_unknown(tmp_path: Path) -> None:
    got = host.host_section(tmp_path, environ={})
    assert got["ram_available_gib"] == "unknown"
    assert got["ram_total_gib"] != "unknown", "sysconf stands in for /proc/meminfo"
    assert got["shm_bytes"] == "unknown"


def test_container_hints(tmp_path: Path) -> None:
    assert host.in_container(tmp_path, {}) is False
    assert host.in_container(tmp_path, {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}) is True
    assert host.in_container(tmp_path, {"container": "podman"}) is True
    (tmp_path / "proc" / "1").mkdir(parents=True)
    (tmp_path / "proc" / "1" / "cgroup").write_text("12:memory:/kubepods/burstable/pod1234\n")
    assert host.in_container(tmp_path, {}) is True
    (tmp_path / "proc" / "1" / "cgroup").write_text("0::/\n")
    (tmp_path / ".dockerenv").touch()
    assert host.in_container(tmp_path, {}) is True


def test_cgroup_memory_limit_below_ram(gpu_root: Path) -> None:
    (gpu_root / "sys" / "fs" / "cgroup").mkdir(parents=True)
    (gpu_root / "sys" / "fs" / "cgroup" / "memory.max").write_text(f"{16 * 1024 ** 3}\n")
    assert host.host_section(gpu_root, environ={})["memory_limit_gib"] == 16.0
    (gpu_root / "sys" / "fs" / "cgroup" / "memory.max").write_text("max\n")
    assert "memory_limit_gib" not in host.host_section(gpu_root, environ={})


def test_disk_free_at_the_nearest_existing_parent(tmp_path: Path) -> None:
    got = host.disk_section(tmp_path / "outputs" / "run-1")
    assert got["path"] == str(tmp_path) and got["free_gib"] > 0


def test_env_keeps_only_gpu_variables() -> None:
    env = {"CUDA_VISIBLE_DEVICES": "0,1", "NCCL_DEBUG": "INFO", "NCCL_P2P_DISABLE": "1", "HF_TOKEN": "hf_secret",
           "WORLD_SIZE": "8", "PATH": "/usr/bin", "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"}
    assert env_section(env) == {"CUDA_VISIBLE_DEVICES": "0,1", "NCCL_DEBUG": "INFO", "NCCL_P2P_DISABLE": "1",
                                "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True", "WORLD_SIZE": "8"}


def test_package_versions_from_dist_info_names(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for name in ("flash_attn-2.6.3.dist-info", "pytorch_triton-3.1.0.dist-info", "Transformers-4.46.1.dist-info",
                 "nvidia_nccl_cu12-2.21.5.dist-info", "peft-0.13.2-py3.11.egg-info", "flash_attn"):
        (site / name).mkdir(parents=True)
    versions = installed_versions([str(site), str(tmp_path / "missing")])
    packages = package_section(versions)
    assert packages["flash_attn"] == "2.6.3" and packages["triton"] == "3.1.0"
    assert packages["transformers"] == "4.46.1" and packages["peft"] == "0.13.2"
    assert packages["deepspeed"] == "missing" and packages["torchao"] == "missing"
    assert nccl_from_wheels(versions) == "2.21.5"


def test_this_venv_is_seen() -> None:
    assert "pyyaml" in installed_versions()


def test_triton_cache_location_follows_triton() -> None:
    assert cache_dir({"TRITON_CACHE_DIR": "/x/cache"}) == Path("/x/cache")
    assert cache_dir({"TRITON_HOME": "/h"}) == Path("/h/.triton/cache")
    assert cache_dir({}, home=Path("/home/u")) == Path("/home/u/.triton/cache")


def test_triton_cache_size_and_cut_walk(tmp_path: Path) -> None:
    assert triton_section(tmp_path / "none") == {"cache_dir": str(tmp_path / "none"), "cache_entries": 0,
                                                  "cache_bytes": 0, "cache_complete": True}
    for k in range(3):
        kernel = tmp_path / f"kernel{k}"
        kernel.mkdir()
        (kernel / "fp8_quant.cubin").write_bytes(b"x" * 1000)
        (kernel / "fp8_quant.json").write_bytes(b"{}")
    got = triton_section(tmp_path)
    assert got == {"cache_dir": str(tmp_path), "cache_entries": 3, "cache_bytes": 3006, "cache_complete": True}
    cut = triton_section(tmp_path, max_files=2)
    assert cut["cache_complete"] is False and cut["cache_bytes"] < 3006
    assert os.path.isdir(tmp_path / "kernel0"), "the walk only reads"
