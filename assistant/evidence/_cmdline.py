"""Training command lines and launch scripts, read as text: which tool runs, with which flags.

``python train.py --learning_rate 2e-5 ...`` behind ``accelerate launch``, ``torchrun``,
``deepspeed`` or ``ray job submit --``; ``llamafactory-cli train x.yaml key=value``; ``swift
sft|rlhf --flags``; ``trl sft|dpo|grpo``; verl/EasyR1 Hydra overrides (``a.b.c=value``); OpenRLHF
``python -m openrlhf.cli.train_*``. Shell syntax handled: backslash continuations, quotes, comments,
``VAR=value`` / ``export VAR=value`` (substituted into later ``$VAR`` / ``${VAR}``), env prefixes,
redirections and pipes (the command ends there). A value still holding an undefined ``$VAR`` is
skipped, never guessed. Nothing is run.
"""
from __future__ import annotations

import re
import shlex
from bisect import bisect_right
from itertools import accumulate
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from assistant.evidence._translate import Setting, coerce_text, kind_of

__all__ = ["Command", "parse_commands", "is_launch_line", "has_launch", "launch_hint_found", "LAUNCH_HINT"]

MAX_TOKENS = 5_000
MAX_PIECE = 16 * 1024  # a longer physical line is no command someone typed (and shlex is quadratic in a word)
MAX_VALUE = 4096  # a variable's value past this is not substituted (`B=$A$A$A...` would grow without bound)
# A line that starts a training command (after an optional prompt and env assignments).
_LAUNCH = re.compile(
    r"^(?:[$+>]\s+)?(?:[A-Za-z_]\w*=\S*\s+)*(?:(?:nohup|time|exec|env|uv\s+run)\s+)*"
    r"(?:\S*/)?(?:python[\d.]*|accelerate|torchrun|deepspeed|llamafactory-cli|lmf|swift|trl|axolotl|ray)\s", re.M)
LAUNCH_HINT = re.compile(rb"(?m)^(?:[$+>]\s+)?(?:[A-Za-z_]\w*=\S*\s+)*(?:\S*/)?(?:python[\d.]*|accelerate|torchrun|"
                         rb"deepspeed|llamafactory-cli|lmf|swift|trl|axolotl|ray)\s")
# The lines where LAUNCH_HINT can match (after a `\n` put before the head): each branch of the pattern
# starts with a byte that is no whitespace, and a line starting with `{` (a metrics dict) can match
# only through `\S*/`, with a `/` in its first word. In a log of progress bars and metric dicts few
# lines are left, and the literal `\n` lets CPython skip to each line at memory speed, while
# LAUNCH_HINT itself (no literal to skip to) runs at a few MB/s.
_LAUNCH_LINE = re.compile(rb"\n((?:[^\s{]|\{[^\s/]*/)[^\n]*)")
_LAUNCH_START = re.compile(rb"\n(?=[^\s{]|\{[^\s/]*/)")   # the same line starts, found without their text
# A line LAUNCH_HINT matches at holds one of these words.
_LAUNCH_WORDS = (b"python", b"accelerate", b"torchrun", b"deepspeed", b"llamafactory-cli", b"lmf", b"swift", b"trl",
                 b"axolotl", b"ray")
_ASSIGN = re.compile(r"^(?:export\s+)?([A-Za-z_]\w*)=(.*)$")
_VAR = re.compile(r"\$(?:\{([A-Za-z_]\w*)(?::-([^}]*))?\}|([A-Za-z_]\w*))")
_REDIRECT = re.compile(r"(?<=\s)\d*(?:&>|>>?|<)(?:&\d+|\s*[^\s|;&]+)")
_COMMENT = re.compile(r"(?:^|\s)#.*$")
_CUT = frozenset({"|", "||", "&&", ";", "&", ";;"})
_PREFIXES = frozenset({"nohup", "time", "exec", "env"})
_NUMBER = re.compile(r"-\d|-\.\d")
_SCRIPT_KIND = re.compile(r"(?:^|[_\-/.])(grpo|dpo|kto|orpo|ppo|sft|rm|reward)(?=[_\-.]|$)")
_SUBCOMMAND_KINDS = {"sft": "sft", "pt": "sft", "dpo": "dpo", "grpo": "grpo", "kto": "kto", "orpo": "orpo",
                     "reward": "reward", "rloo": "ppo", "ppo": "ppo", "cpo": "dpo"}
_OPENRLHF_KINDS = {"sft": "sft", "dpo": "dpo", "kto": "kto", "rm": "reward", "prm": "reward", "ppo": "ppo",
                   "ppo_ray": "ppo", "grpo": "grpo", "kd": "sft"}


@dataclass
class Command:
    """One training command: the NAMES layer of its tool, the run kind it states, its settings."""

    tool: str
    kind: str | None
    line: int
    program: str
    settings: list[Setting] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # flags whose value holds an undefined $VAR


@dataclass
class _Token:
    text: str
    line: int



def launch_hint_found(head: bytes) -> bool:
    """``LAUNCH_HINT.search(head) is not None``, the pattern tried only at the line starts it can
    match at (`_LAUNCH_LINE`)."""
    return any(LAUNCH_HINT.match(head, m.start()) is not None for m in _LAUNCH_START.finditer(b"\n" + head))


def has_launch(head: bytes) -> bool:
    """Whether a line holding one of the command words starts a LAUNCH_HINT match (the log-head
    check: a match running on from a line without a command word does not count). The pattern is
    tried only from the start of such lines, among the lines it can match at all."""
    found = [(m.start(1) - 1, m[1]) for m in _LAUNCH_LINE.finditer(b"\n" + head)]
    if not found:
        return False
    text = b"\n".join([line for _, line in found])   # the words are searched in these lines only
    offsets = [0, *accumulate(len(line) + 1 for _, line in found)]
    tried: set[int] = set()
    for word in _LAUNCH_WORDS:
        at = text.find(word)
        while at != -1:
            k = bisect_right(offsets, at) - 1
            if k not in tried:
                tried.add(k)
                if LAUNCH_HINT.match(head, found[k][0]) is not None:
                    return True
            at = text.find(word, offsets[k + 1])   # the next line holding the word
    return False

def is_launch_line(line: str) -> bool:
    """Whether a line starts a training command (``python train.py``, ``swift sft``, ``torchrun ...``)."""
    return _LAUNCH.match(line + " ") is not None


def parse_commands(text: str) -> tuple[list[Command], list[str]]:
    """The training commands of a shell text, and one line per problem met (unbalanced quotes).

    The last text's commands are kept: a file under the sniffing head is parsed by the sniff and again
    by the reader, and the commands are only ever read (the lists are copies)."""
    global _last_commands
    if _last_commands is not None and _last_commands[0] == text:
        return list(_last_commands[1]), list(_last_commands[2])
    commands, problems = _parse_commands(text)
    _last_commands = (text, tuple(commands), tuple(problems))
    return list(commands), list(problems)


_last_commands: tuple[str, tuple[Command, ...], tuple[str, ...]] | None = None


def _parse_commands(text: str) -> tuple[list[Command], list[str]]:
    variables: dict[str, str] = {}
    commands: list[Command] = []
    problems: list[str] = []
    for line, logical, pieces in _logical_lines(text, problems):
        assign = _ASSIGN.match(logical)
        if assign and " " not in assign[2].strip().strip("'\""):
            value = _unquote(_substitute(assign[2], variables))
            if len(value) <= MAX_VALUE:
                variables[assign[1]] = value
            else:
                variables.pop(assign[1], None)
            continue
        if not is_launch_line(logical):
            continue
        tokens = _tokens(pieces, variables, problems)
        command = _command(tokens, line)
        if command is not None:
            commands.append(command)
    return commands, problems


# -- shell text -> tokens -----------------------------------------------------------------------

def _logical_lines(text: str, problems: list[str]) -> list[tuple[int, str, list[tuple[int, str]]]]:
    """(first line, joined text, [(line, piece)]) with `\\` continuations joined and comments dropped;
    a line of flags (`--lr 1e-4`) right after a command continues it (forum pastes lose the `\\`);
    lines over MAX_PIECE characters are skipped with a problem noted."""
    groups: list[list[tuple[int, str]]] = []  # joined at the end: a paste of 10k flag lines is one command
    pieces: list[tuple[int, str]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        if len(raw) > MAX_PIECE:
            problems.append(f"line {n}: longer than {MAX_PIECE // 1024} KB; skipped")
            raw = ""
        body = raw.rstrip()
        cont = body.endswith("\\")
        body = _strip_comment(body[:-1] if cont else body)
        if body.strip():
            if not pieces and groups and body.lstrip().startswith("--") and groups[-1][-1][0] == n - 1:
                pieces = groups.pop()  # a flag line right after a command: its `\\` was lost in a paste
            pieces.append((n, body))
        if not cont and pieces:
            groups.append(pieces)
            pieces = []
    if pieces:
        groups.append(pieces)
    return [(group[0][0], " ".join(p for _, p in group).strip(), group) for group in groups]


def _strip_comment(line: str) -> str:
    """Drop a `# comment` that is outside quotes (a `#` inside a word, `data#500`, stays)."""
    single = double = last = 0
    for m in _COMMENT.finditer(line):
        single += line.count("'", last, m.start())  # quotes counted once each: linear in the line
        double += line.count('"', last, m.start())
        last = m.start()
        if single % 2 == 0 and double % 2 == 0:
            return line[:last]
    return line


def _substitute(text: str, variables: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m[1] or m[3]
        if name in variables:
            return variables[name]
        return m[2] if m[2] is not None else m[0]
    return _VAR.sub(one, text)


def _unquote(text: str) -> str:
    t = text.strip()
    return t[1:-1] if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"" else t


_SHELL_SPECIAL = re.compile(r"""['"\\();<>|&]""")  # quotes, the escape, shlex's punctuation_chars
_SHELL_WORD = re.compile(r"[^ \t\r\n]+")  # shlex's whitespace (posix): ' \t\r\n'


def shell_words(piece: str) -> list[str]:
    """``list(shlex.shlex(piece, posix=True, punctuation_chars=True))`` with ``whitespace_split`` and no
    comment characters; ValueError for an unbalanced quote or a trailing escape. shlex reads a character
    at a time, so the plain words before the first quote, escape or operator are split by a pattern:
    up to a whitespace there its state is back where it started."""
    special = _SHELL_SPECIAL.search(piece)
    if special is None:
        return _SHELL_WORD.findall(piece)
    cut = max(piece.rfind(c, 0, special.start()) for c in " \t\r\n") + 1
    lexer = shlex.shlex(piece[cut:], posix=True, punctuation_chars=True)
    lexer.whitespace_split, lexer.commenters = True, ""
    rest = list(lexer)
    return _SHELL_WORD.findall(piece, 0, cut) + rest


def _tokens(pieces: list[tuple[int, str]], variables: dict[str, str], problems: list[str]) -> list[_Token]:
    out: list[_Token] = []
    for line, piece in pieces:
        piece = _substitute(piece, variables)
        if len(piece) > MAX_PIECE:
            problems.append(f"line {line}: longer than {MAX_PIECE // 1024} KB once variables are substituted; skipped")
            continue
        piece = _REDIRECT.sub(" ", " " + piece)
        try:
            words = shell_words(piece)
        except ValueError as e:  # unbalanced quotes: plain words, with a warning
            problems.append(f"line {line}: {e}; read word by word")
            words = piece.split()
        out.extend(_Token(w, line) for w in words)
        if len(out) > MAX_TOKENS:
            problems.append(f"line {line}: command longer than {MAX_TOKENS} words; the rest was not read")
            break
    cut = next((i for i, t in enumerate(out) if t.text in _CUT), len(out))
    return out[:cut]


# -- tokens -> a command ------------------------------------------------------------------------

def _command(tokens: list[_Token], line: int) -> Command | None:
    """The training command ``tokens`` run, or None (a tool that does not train: ``trl env``, ``swift infer``)."""
    env: dict[str, str] = {}
    launcher: list[Setting] = []
    i = 0
    while i < len(tokens) and ((m := _ASSIGN.match(tokens[i].text)) or tokens[i].text in _PREFIXES
                               or tokens[i].text in ("$", "+", ">")):
        if m:
            env[m[1]] = m[2]
        i += 1
    if i + 1 < len(tokens) and tokens[i].text == "uv" and tokens[i + 1].text == "run":
        i += 2
    launcher += _env_counts(env, tokens[i].line if i < len(tokens) else line)
    launched = False  # after a launcher's options comes the script or `-m module` it starts
    while i < len(tokens):
        prog = PurePosixPath(tokens[i].text).name
        rest = tokens[i + 1:]
        if prog == "ray":  # ray job submit ... -- <command>
            j = next((k for k, t in enumerate(rest) if t.text == "--"), None)
            if j is None:
                return None
            i += j + 2
            continue
        if prog in ("accelerate", "torchrun", "deepspeed"):
            used, settings = _launcher(prog, rest, env)
            launcher += settings
            i += 1 + used
            launched = True
            continue
        if prog.startswith("python") or launched:
            used, module = _interpreter(rest if not launched else tokens[i:])
            rest = rest if not launched else tokens[i:]
            if module in ("torch.distributed.run", "torch.distributed.launch", "accelerate.commands.launch"):
                used2, settings = _launcher("accelerate" if module.startswith("accelerate") else "torchrun",
                                            rest[used:], env)
                launcher += settings
                i += (0 if launched else 1) + used + used2
                launched = True
                continue
            return _script(module, rest[used:], launcher, tokens[i].line)
        return _tool(prog, rest, launcher, env, tokens[i].line)
    return None


def _env_counts(env: dict[str, str], line: int) -> list[Setting]:
    out = []
    for var, key in (("NPROC_PER_NODE", "launcher.nproc_per_node"), ("NNODES", "launcher.nnodes")):
        if var in env:
            out.append(Setting(key, coerce_text(env[var]), line))
    return out


def _launcher(prog: str, rest: list[_Token], env: dict[str, str]) -> tuple[int, list[Setting]]:
    """(tokens the launcher's own options use, their settings); the script or `-m module` comes next."""
    settings: list[Setting] = []
    i = 0
    if prog == "accelerate" and rest and rest[0].text == "launch":
        i = 1
    while i < len(rest):
        t = rest[i].text
        if t == "-m" or t.endswith(".py") or not t.startswith("-"):
            break
        key, _, value = t.lstrip("-").partition("=")
        key = key.replace("-", "_")
        if not value and i + 1 < len(rest) and _is_value(rest[i + 1].text) and not rest[i + 1].text.endswith(".py"):
            value, i = rest[i + 1].text, i + 1
        if key == "include" and value:  # deepspeed --include localhost:0,1,2,3
            key, value = "num_gpus", str(len(value.partition(":")[2].split(",")))
        settings.append(Setting(f"launcher.{key}", coerce_text(value) if value else True, rest[i].line))
        i += 1
    keys = {s.key for s in settings}
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if prog == "deepspeed" and "launcher.num_gpus" not in keys and visible:
        settings.append(Setting("launcher.num_gpus", len(visible.split(",")), rest[0].line if rest else 0))
    return i, settings


def _interpreter(rest: list[_Token]) -> tuple[int, str]:
    """(tokens up to and including the script or `-m module`, the module or script path)."""
    i = 0
    while i < len(rest):
        t = rest[i].text
        if t == "-m" and i + 1 < len(rest):
            return i + 2, rest[i + 1].text
        if t in ("-W", "-X") and i + 1 < len(rest):
            i += 2
            continue
        if t.startswith("-"):
            i += 1
            continue
        return i + 1, t
    return i, ""


def _script(program: str, rest: list[_Token], launcher: list[Setting], line: int) -> Command | None:
    """A Python program: verl/EasyR1, OpenRLHF, axolotl, LLaMA-Factory's scripts, or an HF-argument script."""
    settings, unresolved = _arguments(rest)
    keys = {s.key for s in settings}
    if program.startswith(("verl.", "recipe.")) or "algorithm.adv_estimator" in keys or any(
            k.startswith(("actor_rollout_ref.", "worker.actor.")) for k in keys):
        tool, kind = "verl", "ppo" if program.endswith("main_ppo") else None
    elif program.startswith("openrlhf.cli.train_"):
        tool, kind = "openrlhf", _OPENRLHF_KINDS.get(program.rsplit("train_", 1)[1])
    elif program.startswith("axolotl"):
        tool, kind = "axolotl", None
    elif keys & {"stage", "finetuning_type", "cutoff_len"}:
        tool, kind = "llamafactory", None
    else:
        m = _SCRIPT_KIND.search(PurePosixPath(program).stem.lower() or program.lower())
        tool, kind = "hf", _SUBCOMMAND_KINDS.get(m[1], "reward" if m[1] == "rm" else None) if m else None
    stated = kind_of(settings)
    return Command(tool, stated or kind, line, program, launcher + settings, unresolved)


def _tool(prog: str, rest: list[_Token], launcher: list[Setting], env: dict[str, str], line: int) -> Command | None:
    """A tool's own CLI: llamafactory-cli, swift, trl, axolotl."""
    sub = rest[0].text if rest else ""
    settings, unresolved = _arguments(rest[1:])
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if prog in ("llamafactory-cli", "lmf"):
        if sub != "train":
            return None
        if visible and not any(s.key == "launcher.nproc_per_node" for s in launcher):
            launcher = launcher + [Setting("launcher.nproc_per_node", len(visible.split(",")), line)]
        tool, kind = "llamafactory", None
    elif prog == "swift":
        if sub not in ("sft", "pt", "rlhf"):
            return None
        tool, kind = "swift", _SUBCOMMAND_KINDS.get(sub)
    elif prog == "trl":
        if sub not in _SUBCOMMAND_KINDS:
            return None
        tool, kind = "hf", _SUBCOMMAND_KINDS[sub]
    elif prog == "axolotl":
        if sub != "train":
            return None
        tool, kind = "axolotl", None
    else:
        return None
    return Command(tool, kind_of(settings) or kind, line, f"{prog} {sub}", launcher + settings, unresolved)


def _arguments(rest: list[_Token]) -> tuple[list[Setting], list[str]]:
    """`--key value`, `--key=value`, `--key v1 v2` (a list), `--flag` (true), `key=value` overrides."""
    settings: list[Setting] = []
    unresolved: list[str] = []
    i = 0
    while i < len(rest):
        t = rest[i]
        if t.text.startswith("--") and len(t.text) > 2:
            key, eq, value = t.text[2:].partition("=")
            values = [value] if eq else []
            while not eq and i + 1 < len(rest) and _is_value(rest[i + 1].text):
                values.append(rest[i + 1].text)
                i += 1
        elif "=" in t.text and not t.text.startswith("-"):
            key, _, value = t.text.lstrip("+").partition("=")  # Hydra `+key=v` / `++key=v`
            values = [value]
        else:
            i += 1
            continue
        key = key.replace("-", "_")
        if any("$" in v for v in values):
            unresolved.append(f"--{key}" if t.text.startswith("--") else key)
        elif key:
            value_out = True if not values else coerce_text(values[0]) if len(values) == 1 else [coerce_text(v) for v in values]
            settings.append(Setting(key, value_out, t.line))
        i += 1
    return settings, unresolved


def _is_value(text: str) -> bool:
    """A token that is a flag's value rather than the next flag (negative numbers are values)."""
    return not text.startswith("-") or _NUMBER.match(text) is not None
