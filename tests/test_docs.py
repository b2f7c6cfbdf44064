"""The documentation runs: every Python block of README.md and docs/*.md is executed.

How blocks are marked (the word after ``python`` is ignored by Markdown renderers):

* `````python`````: run. The blocks of one file run in order in one namespace (a later block may
  use an earlier block's names), in a fresh interpreter whose working directory is a temporary
  directory, so files a snippet writes go away.
* `````python also-keras`````: run as above, and once more on its own with ``scratchdl``
  replaced by ``keras`` in its import lines (Keras 3, torch backend): the block is the proof
  that Keras code runs with only the import changed.
* `````python no-run`````: only compiled (a syntax check); kept for the few snippets that cannot
  run here. At most ``MAX_NO_RUN`` of them in all.
* `````text output````` right after a Python block: what that block prints. Compared line by
  line after replacing numbers in scientific notation (``1.014e-09``) and indices in brackets
  (rounding noise, which varies between machines) with placeholders.

Two generated sections of README.md are checked against the package: "What is implemented" must
equal ``implemented_table()`` (regenerate it with ``python tests/test_docs.py``), and every path in
"Project layout" must exist.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import subprocess
import sys
import textwrap
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MAX_NO_RUN = 4
TIMEOUT = 300  # seconds per documentation file

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,})(?P<info>[^`]*)$")


@dataclass
class Block:
    """One fenced code block of a Markdown file."""

    path: Path
    line: int          # 1-based line of the first code line
    info: list[str]    # the info string's words: ['python', 'no-run']
    code: str
    expected_output: str | None = None

    @property
    def where(self) -> str:
        path = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{path}:{self.line}"


def parse_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of ``path``, with each ``text output`` block attached to the
    Python block right before it."""
    lines = path.read_text(encoding="utf8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        fence, info = match["fence"], match["info"].split()
        body, index = [], index + 1
        start = index + 1
        while index < len(lines) and not lines[index].lstrip().startswith(fence):
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise AssertionError(f"{path}:{start - 1}: unclosed code fence")
        index += 1
        blocks.append(Block(path, start, info, textwrap.dedent("\n".join(body)) + "\n"))
    attached: list[Block] = []
    for block in blocks:
        if block.info[:2] == ["text", "output"]:
            assert attached and attached[-1].info[:1] == ["python"], (
                f"{block.where}: a 'text output' block must follow a python block")
            assert attached[-1].expected_output is None, f"{block.where}: two output blocks"
            attached[-1].expected_output = block.code
        else:
            attached.append(block)
    return attached


def python_blocks(path: Path) -> list[Block]:
    return [b for b in parse_blocks(path) if b.info[:1] == ["python"]]


def runnable(block: Block) -> bool:
    return "no-run" not in block.info[1:]


def normalize_output(text: str) -> list[str]:
    """Output lines with rounding-sensitive numbers replaced by placeholders."""
    text = re.sub(r"-?\d+\.\d+e[-+]\d+", "<float>", text)
    text = re.sub(r"\[\d+(?:, \d+)*\]", "[<index>]", text)
    text = re.sub(r"\(\d+(?:, \d+)*,?\)(?=\)|\s*$)", "(<index>)", text, flags=re.M)
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def to_keras(code: str) -> str:
    """The block with ``scratchdl`` replaced by ``keras`` in its import lines."""
    out = []
    for line in code.splitlines():
        if re.match(r"\s*(import|from)\s+scratchdl\b", line):
            line = re.sub(r"\bscratchdl\b", "keras", line)
            line = line.replace("import keras as keras", "import keras")
        out.append(line)
    return "\n".join(out) + "\n"


# The script run in a fresh interpreter: runs the blocks of one file in order in one namespace,
# each compiled with the Markdown file's line numbers, capturing what each prints.
DRIVER = r'''
import contextlib, io, json, sys, traceback
spec = json.load(open(sys.argv[1], encoding="utf8"))
namespace = {"__name__": "__docs__"}
results = []
for block in spec["blocks"]:
    stdout = io.StringIO()
    error = None
    scope = namespace if spec["shared"] else {"__name__": "__docs__"}
    try:
        code = compile("\n" * (block["line"] - 1) + block["code"], block["file"], "exec")
        with contextlib.redirect_stdout(stdout):
            exec(code, scope)
    except BaseException:
        error = traceback.format_exc()
    results.append({"stdout": stdout.getvalue(), "error": error})
    if error:
        break
json.dump(results, open(sys.argv[2], "w", encoding="utf8"))
'''


def run_blocks(blocks: list[Block], tmp_path: Path, shared: bool = True) -> list[dict]:
    spec = {"shared": shared, "blocks": [
        {"file": str(b.path), "line": b.line, "code": b.code} for b in blocks]}
    (tmp_path / "spec.json").write_text(json.dumps(spec), encoding="utf8")
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf8")
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]),
               OMP_NUM_THREADS="1", KERAS_BACKEND="torch", MPLBACKEND="Agg")
    completed = subprocess.run(
        [sys.executable, str(tmp_path / "driver.py"), str(tmp_path / "spec.json"),
         str(tmp_path / "results.json")],
        cwd=work, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert completed.returncode == 0, f"the documentation driver crashed:\n{completed.stderr}"
    return json.loads((tmp_path / "results.json").read_text(encoding="utf8"))


def check_results(blocks: list[Block], results: list[dict], label: str = "") -> None:
    for block, result in zip(blocks, results):
        assert result["error"] is None, f"{block.where}{label} failed:\n{result['error']}"
        if block.expected_output is not None:
            got, want = normalize_output(result["stdout"]), normalize_output(block.expected_output)
            assert got == want, (
                f"{block.where}{label}: printed output differs from the documented output\n"
                f"--- printed\n{result['stdout']}--- documented\n{block.expected_output}")
    assert len(results) == len(blocks)


# ----------------------------------------------------------------------------------- the docs run
@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(path, tmp_path):
    blocks = [b for b in python_blocks(path) if runnable(b)]
    if blocks:
        check_results(blocks, run_blocks(blocks, tmp_path))


def _keras_blocks() -> list[Block]:
    return [b for path in DOC_FILES for b in python_blocks(path) if "also-keras" in b.info]


def test_also_keras_blocks_run_under_keras(tmp_path):
    """Each block on its own (no shared namespace), all in one interpreter: Keras imports once."""
    keras_blocks = []
    for block in _keras_blocks():
        code = to_keras(block.code)
        assert "scratchdl" not in code, f"{block.where}: uses scratchdl outside its imports"
        keras_blocks.append(Block(block.path, block.line, block.info, code, block.expected_output))
    check_results(keras_blocks, run_blocks(keras_blocks, tmp_path, shared=False), " (as Keras)")


def test_docs_have_examples_and_few_no_run_blocks():
    blocks = [b for path in DOC_FILES for b in python_blocks(path)]
    assert len(blocks) >= 10, f"only {len(blocks)} Python blocks in the docs"
    no_run = [b for b in blocks if not runnable(b)]
    assert len(no_run) <= MAX_NO_RUN, f"too many no-run blocks: {[b.where for b in no_run]}"
    for block in no_run:
        compile(block.code, block.where, "exec")  # still valid Python
    assert _keras_blocks(), "no block shows Keras code running unchanged"
    names = {p.name for p in DOC_FILES}
    assert {"engine.md", "porting-from-keras.md", "testing.md"} <= names


# ----------------------------------------------------------------------------------- the harness
def test_parse_blocks_and_output_normalization(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("text\n\n```python\nprint(1)\n```\n\n```text output\n1\n```\n\n"
                   "```python no-run\nimport nothing\n```\n\n```bash\nls\n```\n", encoding="utf8")
    blocks = parse_blocks(doc)
    assert [b.info for b in blocks] == [["python"], ["python", "no-run"], ["bash"]]
    assert blocks[0].line == 4 and blocks[0].code == "print(1)\n" and blocks[0].expected_output == "1\n"
    assert normalize_output("x 1.014e-09  pass\nW2[1, 1] a\nFAIL (worst at (2, 3))\n") == [
        "x <float>  pass", "W2[<index>] a", "FAIL (worst at (<index>))"]
    assert normalize_output("shape (3, 4) ok") == ["shape (3, 4) ok"]
    assert to_keras("import scratchdl as keras\nfrom scratchdl import layers\nx = 1\n") == (
        "import keras\nfrom keras import layers\nx = 1\n")


def test_failures_are_reported_with_the_markdown_line(tmp_path):
    doc = tmp_path / "bad.md"
    doc.write_text("# t\n\n```python\nx = 1\n```\n\n```python\nassert x == 2, 'docs rot'\n```\n",
                   encoding="utf8")
    blocks = python_blocks(doc)
    results = run_blocks(blocks, tmp_path)
    assert results[0]["error"] is None
    assert "docs rot" in results[1]["error"] and 'bad.md", line 8' in results[1]["error"]
    with pytest.raises(AssertionError, match="docs rot"):
        check_results(blocks, results)


def test_wrong_documented_output_fails(tmp_path):
    doc = tmp_path / "out.md"
    doc.write_text("```python\nprint('pass')\n```\n```text output\nFAIL\n```\n", encoding="utf8")
    blocks = python_blocks(doc)
    with pytest.raises(AssertionError, match="differs from the documented output"):
        check_results(blocks, run_blocks(blocks, tmp_path))


# ------------------------------------------------------------------------- generated README parts
HELPERS = {"get", "serialize", "deserialize", "get_function", "resolve_accuracy"}


def _names(module: types.ModuleType, kinds: str = "cf") -> list[str]:
    """Public classes (c) and/or functions (f) of ``module`` in ``__all__`` order, without the
    registry helpers."""
    names = module.__all__ if hasattr(module, "__all__") else [n for n in vars(module) if not n.startswith("_")]
    chosen = []
    for name in names:
        obj = getattr(module, name)
        if name in HELPERS or not getattr(obj, "__module__", "").startswith("scratchdl"):
            continue
        if ("c" in kinds and inspect.isclass(obj)) or ("f" in kinds and inspect.isfunction(obj)):
            chosen.append(name)
    return chosen


def _code(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _ops_rows() -> list[tuple[str, str]]:
    init = (ROOT / "src" / "scratchdl" / "ops" / "__init__.py").read_text(encoding="utf8")
    rows = []
    for module_name in re.findall(r"^from scratchdl\.ops\.(\w+) import \*", init, flags=re.M):
        module = importlib.import_module(f"scratchdl.ops.{module_name}")
        rows.append((f"ops: {module_name.replace('_', ' ')}", _code(list(module.__all__))))
    return rows


def _layer_rows() -> list[tuple[str, str]]:
    import scratchdl.layers as layers

    families: dict[str, list[str]] = {}
    aliases: dict[str, list[str]] = {}
    for name, obj in vars(layers).items():
        if name.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        parts = obj.__module__.split(".")
        family = parts[2] if parts[:2] == ["scratchdl", "layers"] and len(parts) > 3 else "base"
        if name != obj.__name__:
            aliases.setdefault(family, []).append(f"{name}")
        else:
            families.setdefault(family, []).append(name)
    rows = []
    for family, names in families.items():
        text = _code(names)
        if family in aliases:
            text += f" (aliases {_code(aliases[family])})"
        rows.append((f"layers: {family}", text))
    return rows


def implemented_table() -> str:
    """The "What is implemented" table of README.md, generated from the package."""
    import scratchdl
    from scratchdl import (
        activations, applications, callbacks, constraints, data, initializers, losses, metrics,
        models, optimizers, regularizers, saving, utils,
    )
    from scratchdl.optimizers import schedules
    from scratchdl.saving import saving_api

    data_groups: dict[str, list[str]] = {}
    group_of = {"synthetic": "data: generators", "preprocessing": "data: helpers",
                "fashion_mnist": "data: data sets", "digits": "data: data sets"}
    for name in data.__all__:
        obj = getattr(data, name)
        if isinstance(obj, types.ModuleType):
            group, label = group_of.get(obj.__name__.rsplit(".", 1)[-1], "data: file loaders"), f"{name}.load_data"
        elif inspect.isfunction(obj):
            group, label = group_of.get(obj.__module__.rsplit(".", 1)[-1], "data: file loaders"), name
        else:
            continue
        data_groups.setdefault(group, []).append(label)
    weight_formats = ", ".join(f"`{e}`" for e in saving_api.WEIGHTS_EXTENSIONS)
    rows = [
        ("engine", _code([n for n in scratchdl.__all__
                          if getattr(getattr(scratchdl, n), "__module__", "").startswith("scratchdl.autograd")])
         + "; `backend`: " + _code(_names(scratchdl.backend, "f"))),
        *_ops_rows(),
        *_layer_rows(),
        ("models", _code(_names(models))),
        ("optimizers", _code(_names(optimizers, "c"))),
        ("learning-rate schedules", _code(_names(schedules, "c"))),
        ("losses", _code(_names(losses, "c")) + "; functions " + _code(_names(losses, "f"))),
        ("metrics", _code(_names(metrics, "c")) + "; functions " + _code(_names(metrics, "f"))),
        ("callbacks", _code(_names(callbacks, "c"))),
        ("initializers", _code(_names(initializers, "c"))),
        ("regularizers", _code(_names(regularizers))),
        ("constraints", _code(_names(constraints))),
        ("activations", _code(_names(activations, "f"))),
        ("saving formats", f"{', '.join(f'`{e}`' for e in saving_api.MODEL_EXTENSIONS)} (model "
                           f"archive: JSON config + safetensors weights, no pickle); weights: "
                           f"{weight_formats}; reads Keras 3 `.keras` archives and Keras "
                           f"`.weights.h5` and legacy `.h5` files"),
        ("saving API", _code(_names(saving))),
        *[(group, _code(names)) for group, names in sorted(data_groups.items())],
        ("utils", _code(_names(utils))),
        ("applications", _code(_names(applications)) + "; the `scratchdl` command's applications "
                                                        "are listed under [Applications](#applications)"),
    ]
    lines = ["| family | names |", "|---|---|"]
    lines += [f"| {label} | {names} |" for label, names in rows]
    return "\n".join(lines) + "\n"


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match[1]


def test_readme_implemented_table_matches_the_package():
    section = readme_section("What is implemented")
    table = implemented_table()
    assert table in section, (
        "README.md's 'What is implemented' table is out of date with the package: replace it with "
        "the output of `python tests/test_docs.py`.\nExpected:\n" + table)


def layout_paths(block: str) -> list[str]:
    """The paths of a layout block: one entry per line, ``<indent><name>  <description>``;
    an entry is inside the nearest less-indented entry above it that ends in ``/``."""
    paths: list[str] = []
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        name = re.split(r"\s{2,}", line.strip())[0]
        depth = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= depth:
            stack.pop()
        full = (stack[-1][1] if stack else "") + name
        paths.append(full)
        if name.endswith("/"):
            stack.append((depth, full))
    return paths


def test_layout_paths_parser():
    block = "src/x/\n  a.py     one\n  sub/     two\n    b.py   three\n  c.py     four\ntests/  t\n"
    assert layout_paths(block) == ["src/x/", "src/x/a.py", "src/x/sub/", "src/x/sub/b.py", "src/x/c.py", "tests/"]


def test_readme_project_layout_paths_exist():
    section = readme_section("Project layout")
    block = re.search(r"```text\n(.*?)```", section, flags=re.S)
    assert block, "the Project layout section has no ```text block"
    paths = layout_paths(block[1])
    assert len(paths) >= 10, paths
    missing = [path for path in paths if not (ROOT / path).exists()]
    assert not missing, f"README.md's Project layout lists paths that do not exist: {missing}"


def test_docstring_examples_run() -> None:
    """Every ``>>>`` example in the package's docstrings runs and prints what it shows
    (``# doctest: +SKIP`` marks the few that need files or a network)."""
    import doctest
    import io
    import pkgutil

    import scratchdl

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    examples = 0
    for info in pkgutil.walk_packages(scratchdl.__path__, "scratchdl."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for test in finder.find(module, module.__name__):
            examples += runner.run(test, out=report.write).attempted
    assert examples > 300, f"only {examples} docstring examples found"
    assert runner.failures == 0, report.getvalue()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(implemented_table(), end="")
