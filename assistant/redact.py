"""Secrets out of everything that leaves the process or is printed.

Logs and configs carry tokens (HF, OpenAI, Anthropic, Slack tokens and webhooks,
W&B, GitHub, GitLab, npm, Stripe, AWS, Google, JWTs, bearer headers, private keys,
passwords in URLs). Each pattern keeps a short recognisable prefix so
a person can tell what was removed.

Most texts hold no secret, and a pattern that begins at a word boundary is tried at
every position (~0.2 ms per pattern on an 8 KB report), so each pattern runs only when
the lower-cased text holds one of the literals any of its matches must contain
(``NEEDLES``): a cheap substring test that can skip a pattern but never a secret.
"""
from __future__ import annotations

import re

__all__ = ["redact", "SECRET_PATTERNS"]

SECRET_PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    ("huggingface", re.compile(r"\bhf_[A-Za-z0-9]{20,}\b"), "hf_***"),
    ("openai", re.compile(r"\bsk-(?:proj-|svcacct-|ant-)?[A-Za-z0-9_\-]{16,}\b"), "sk-***"),
    ("slack", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}\b"), "xox*-***"),
    ("slack_app", re.compile(r"\bxapp-[A-Za-z0-9\-]{10,}\b"), "xapp-***"),
    ("github", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b"), "gh*_***"),
    ("aws_key", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), "AKIA***"),
    ("aws_secret", re.compile(r"(?i)(aws_secret_access_key\s*[=:]\s*)[A-Za-z0-9/+=]{40}"), r"\1***"),
    ("google", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"), "AIza***"),  # may end in '-': no \b
    ("anthropic", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{20,}\b"), "sk-ant-***"),
    ("gitlab", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"), "glpat-***"),
    ("npm", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), "npm_***"),
    ("stripe", re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b"), "stripe_***"),
    ("slack_webhook", re.compile(r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/_\-]+"),
     r"\1***"),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\b"), "eyJ***"),
    ("bearer", re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/\-]{12,}=*"), r"\1***"),
    ("url_password", re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:)[^\s@/]+(@)"), r"\1***\2"),
    ("wandb", re.compile(r"(?i)(wandb[_\s-]*(?:api[_\s-]*)?key\s*[=:]\s*['\"]?)[0-9a-f]{40}\b"), r"\1***"),
    ("wandb_bare", re.compile(r"(?i)\b(?:local-)?[0-9a-f]{40}\b(?=.*wandb)|(?<=wandb login )[0-9a-f]{40}\b"), "***"),
    ("env_secret", re.compile(r"(?i)\b([A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD|API_KEY|APIKEY)\s*[=:]\s*['\"]?)[^\s'\"]{8,}"), r"\1***"),
    ("private_key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"), "-----PRIVATE KEY***-----"),
]


# Lower-case literals every match of the pattern contains (its name's entry).
NEEDLES: dict[str, tuple[str, ...]] = {
    "huggingface": ("hf_",), "openai": ("sk-",), "slack": ("xox",), "slack_app": ("xapp-",),
    "github": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), "aws_key": ("akia", "asia"),
    "aws_secret": ("aws_secret_access_key",), "google": ("aiza",), "anthropic": ("sk-ant-",), "gitlab": ("glpat-",),
    "npm": ("npm_",), "stripe": ("_live_", "_test_"), "slack_webhook": ("hooks.slack.com/",), "jwt": ("eyj",),
    "bearer": ("bearer",), "url_password": ("://",), "wandb": ("wandb",), "wandb_bare": ("wandb",),
    "env_secret": ("token", "secret", "password", "api_key", "apikey"), "private_key": ("private key",),
}


def redact(text: str) -> str:
    """Replace every secret the patterns know with a marked placeholder."""
    low = text.lower()
    for name, pattern, repl in SECRET_PATTERNS:
        if any(needle in low for needle in NEEDLES[name]):
            text = pattern.sub(repl, text)
    return text
