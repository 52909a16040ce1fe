"""The package's shape: no import circles, torch-free layers, one registry of kinds."""

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from textkit.errors import TextkitError
from textkit.kinds import KINDS
from textkit.loading import model_class

PACKAGE = Path(__file__).resolve().parents[2] / "textkit"


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph(package_dir: Path) -> dict[str, set[str]]:
    """textkit module -> the textkit modules it imports, anywhere in its body (a lazy import
    inside a function counts: it is still a dependency)."""
    modules = {_module_name(p, package_dir): p for p in package_dir.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(
                        package.split(".")[: len(package.split(".")) - node.level + 1]
                        + ([base] if base else [])
                    )
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                    for a in node.names
                ]
            for t in targets:
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t and t != name and t != "textkit":
                    graph[name].add(t)
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (depth-first search), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node, [node])):
            return found
    return None


def test_no_import_circle_between_textkit_modules():
    graph = _import_graph(PACKAGE)
    assert len(graph) > 20 and "textkit.training.loop" in graph["textkit.charrnn.rnn"]
    cycle = _find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_the_walk_finds_a_circle_made_of_lazy_imports(tmp_path):
    """The check above can fail: a circle through an import inside a function is reported."""
    pkg = tmp_path / "textkit"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from textkit.sub.b import x\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from textkit import a\n")
    assert _find_cycle(_import_graph(pkg)) == ["textkit.a", "textkit.sub.b", "textkit.a"]


TORCH_FREE = [
    "textkit",
    "textkit.cli",
    "textkit.modelio",
    "textkit.loading",
    "textkit.kinds",
    "textkit.estimator",
    "textkit.training",
    "textkit.training.config",
    "textkit.training.runlog",
    "textkit.charrnn",
    "textkit.charrnn.config",
    "textkit.text",
    "textkit.plots",
    "textkit.classify",
    "textkit.classify.model",
    "textkit.classify.features",
    "textkit.classify.inference",
    "textkit.intent",
    "textkit.intent.model",
    "textkit.intent.chatbot",
    "textkit.authorship",
    "textkit.authorship.model",
    "textkit.embeddings",
    "textkit.embeddings.model",
    "textkit.embeddings.vectors",
    "textkit.entities",
    "textkit.entities.extractor",
    "textkit.entities.decode",
    "textkit.entities.rules",
    "textkit.entities.evaluation",
]


@pytest.mark.parametrize("module", TORCH_FREE)
def test_layers_that_must_not_import_torch(module):
    code = f"import sys, {module}; assert 'torch' not in sys.modules, 'torch imported'"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_the_command_line_starts_without_numpy():
    code = "import sys; from textkit.cli import main; assert 'numpy' not in sys.modules, 'numpy imported'"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_listing_models_and_preprocessing_do_not_import_torch(trained, tmp_path):
    code = (
        "import sys\nfrom textkit.cli import main\n"
        f"main(['models', '--models-dir', {str(trained.parent)!r}], standalone_mode=False)\n"
        f"main(['preprocess', {str(trained.parent / 'sonnets.txt')!r}, '--show', '1'], standalone_mode=False)\n"
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "charrnn" in out.stdout and "val loss" in out.stdout


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_registered_kind_loads_through_one_signature(kind):
    cls = model_class(kind)
    assert kind == cls.KIND
    params = inspect.signature(cls.load).parameters
    assert list(params)[:2] == ["path", "device"] and params["device"].default == "auto"


def test_unknown_kind_is_a_clear_error(tmp_path):
    from textkit.loading import load_model
    from textkit.modelio import ModelFolder

    ModelFolder(tmp_path).create().write_config("transformer", {})
    with pytest.raises(TextkitError, match="'transformer' model is not one this textkit can load"):
        load_model(tmp_path)
