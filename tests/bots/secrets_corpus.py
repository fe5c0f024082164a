"""Tokens of every kind a training log or config is known to leak, each in a line as a log would carry it.

Fake but well-formed: each matches its issuer's format (prefix, length, alphabet),
so a pattern that would miss the real thing misses these too. ``LINES`` puts them
on lines the log reader keeps as evidence (error signatures), so a leak through
the report's facts would show.
"""
from __future__ import annotations

ALNUM = "aB3dE5fG7hJ9kL2mN4pQ6rS8tU0vW1xY"

SECRETS: dict[str, str] = {
    "huggingface": "hf_" + ALNUM + "Zq",
    "openai": "sk-" + ALNUM + "T3BlbkFJ" + ALNUM[:8],
    "openai_project": "sk-proj-" + ALNUM + "_" + ALNUM + "-" + ALNUM[:10],
    "anthropic": "sk-ant-api03-" + ALNUM + ALNUM[:20] + "-AA",
    "slack_bot": "xoxb-2851234567890-4912345678901-" + ALNUM[:24],
    "slack_user": "xoxp-2851234567890-2851234567891-4912345678901-" + "0f" * 16,
    "slack_app": "xapp-1-A0123456789-4912345678901-" + "ab12" * 16,
    "github_classic": "ghp_" + ALNUM + "Ab3d",
    "github_fine_grained": "github_pat_11ABCDEFG0" + ALNUM[:12] + "_" + ALNUM + ALNUM[:27],
    "aws_access_key": "AKIAIOSFODNN7EXAMPLQ",
    "aws_secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ",
    "wandb": "3f9a2b7c4d1e8f6a0b5c9d2e7f4a1b8c6d3e0f9a",
    "bearer": "Zm9vYmFyYmF6cXV4LnRva2VuLnZhbHVl",
    "url_password": "Tr41n!ngPa55w0rd",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ0cmFpbmVyIiwiaWF0IjoxNzAwMDAwMDAwfQ."
           "kq3QeY7m2LxW9vZpR4tN8sB1cF6hJ0dG5aE2iK7oU3y",
    "google": "AIzaSyD" + ALNUM[:28] + "x_9-",
    "private_key": "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0",
    "gitlab": "glpat-" + ALNUM[:20],
    "slack_webhook": "https://hooks.slack.com/services/T0285ABCD/B04X1Y2Z3Q/" + ALNUM[:24],
    "npm": "npm_" + ALNUM + "Ab3d",
    "stripe": "sk_live_" + ALNUM[:24] + "Qx",
}

# Each secret as it shows up: an env dump, a URL, a header, a key file, a traceback.
LINES: dict[str, str] = {
    "huggingface": "OSError: 401 Client Error for https://huggingface.co/api/models (token {s}): CUDA out of memory",
    "openai": "RuntimeError: NCCL watchdog timed out; OPENAI_KEY {s}",
    "openai_project": "Traceback: KeyError: '{s}'",
    "anthropic": "deepspeed.runtime.engine DeepSpeedError: config failed, key {s}",
    "slack_bot": "NVRM: Xid 79 reported, notifier token {s}",
    "slack_user": "Bus error (core dumped) slack user token {s}",
    "slack_app": "No space left on device while saving; app token {s}",
    "github_classic": "RuntimeError: CUDA error: an illegal memory access was encountered (git {s})",
    "github_fine_grained": "RuntimeError: CUDA error: device-side assert triggered; GH={s}",
    "aws_access_key": "RuntimeError: CUBLAS_STATUS_EXECUTION_FAILED aws key {s}",
    "aws_secret_key": "aws_secret_access_key = {s}",
    "wandb": "WANDB_API_KEY={s}",
    "bearer": "requests: Authorization: Bearer {s} -> 403",
    "url_password": "loading dataset from https://trainer:{s}@data.example.com/sft.jsonl",
    "jwt": "Asking to pad but the tokenizer does not have a padding token (session {s})",
    "google": "google.api_core error: key={s}",
    "private_key": "-----BEGIN RSA PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----",
    "gitlab": "pip install git+https://gitlab.example.com/x (PRIVATE-TOKEN {s}) failed: Killed",
    "slack_webhook": "notify: posting to {s} failed: timed out",
    "npm": "npm ERR! 401 with {s}",
    "stripe": "billing hook error: {s}",
}


def corpus_text() -> str:
    """All the lines, one secret each."""
    return "\n".join(LINES[k].format(s=v) for k, v in SECRETS.items()) + "\n"
