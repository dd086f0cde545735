"""`make mutate`: mutation testing of the core mechanisms with cosmic-ray; prints a score per module.

Each module is mutated (one small change at a time: a comparison flipped, a number changed, a boolean
negated, an exception swallowed ...) and the tests that guard it are run against every mutant; a mutant
the tests do not notice "survives" and points at behaviour no test pins down.

cosmic-ray edits the files it mutates, so it works on a copy of the working tree (in a temporary
directory), never on the checkout itself; the copy is imported first (PYTHONPATH), ahead of the
editable install. Slow (minutes per module): not part of `make test` or CI.

    scripts/mutate.py                  # every module below
    scripts/mutate.py governor waiters # some of them (by the short names below)
    MUTATE_KEEP=1 scripts/mutate.py    # keep the copy and its sessions (the path is printed)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Module → the fast tests that guard it (no e2e: a mutant must be judged in seconds).
API, RES = "provider/ocean/api", "provider/ocean/resources"
MODULES: dict[str, tuple[str, list[str]]] = {
    "governor": (f"{API}/governor.py", ["tests/api/test_governor.py", "tests/api/test_transport.py"]),
    "transport": (
        f"{API}/transport.py",
        ["tests/api/test_transport.py", "tests/api/test_governor.py", "tests/api/test_errors.py"],
    ),
    "waiters": (f"{API}/waiters.py", ["tests/api/test_waiters.py"]),
    "base": (f"{RES}/base.py", ["tests/resources/test_policies.py", "tests/resources/test_droplet_rules.py"]),
    "marshal": ("provider/ocean/provider/marshal.py", ["tests/provider/test_marshal.py"]),
}

# Kept: arithmetic swapped for its inverse (+ for -, * for /), each comparison negated or moved across its
# boundary (< for <=, == for !=, `in` for `not in`), numbers changed, booleans flipped, `not` added,
# `and`/`or` swapped, exceptions swallowed, loops skipped. Left out as noise here: the other operator
# swaps (in this code `|` is a set union or an annotation, which `from __future__ import annotations`
# never evaluates), random variable insertions and replacements, and decorator removals, which mostly
# break imports. A smaller, sharper set keeps the run in minutes.
EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_(?!(Add_Sub|Sub_Add|Mul_Div|Div_Mul)$)",
    r"core/ReplaceComparisonOperator_(?!(Eq_NotEq|NotEq_Eq|Lt_LtE|LtE_Lt|Gt_GtE|GtE_Gt|Lt_GtE|LtE_Gt|Gt_LtE"
    r"|GtE_Lt|Is_IsNot|IsNot_Is|In_NotIn|NotIn_In)$)",
    r"core/ReplaceUnaryOperator_",
    r"core/VariableReplacer",
    r"core/VariableInserter",
    r"core/RemoveDecorator",
]


def _skip_noise(session: Path, source: Path) -> int:
    """Leave out mutants that can only survive: the `*` that marks keyword-only parameters turned into
    `/` (the calls pass those arguments by name or position alike), `frozen=True` flipped in a dataclass
    decorator (nothing assigns to the fields), and numbers in module-level tables of tuning data (the
    expected duration of each action type: they steer how often a wait polls, which the tests bound but
    do not pin entry by entry). Returns how many were left out."""
    import ast

    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    text = source.read_text()
    lines = text.splitlines()
    tables: set[int] = set()
    for node in ast.parse(text).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        named = [t.id for t in targets if isinstance(t, ast.Name)]
        value = getattr(node, "value", None)
        if named and named[0].isupper() and isinstance(value, ast.Dict | ast.Tuple | ast.List | ast.Set):
            tables.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    skipped = 0
    with use_db(str(session)) as db:
        for item in list(db.pending_work_items):
            mutation = item.mutations[0]
            row, col = mutation.start_pos
            after = lines[row - 1][col + 1 :].lstrip()
            reason = None
            operator = mutation.operator_name
            if operator.startswith("core/ReplaceBinaryOperator_Mul") and after[:1] in (",", ")"):
                reason = "keyword-only marker"
            elif operator == "core/NumberReplacer" and row in tables:
                reason = "tuning table"
            elif operator in ("core/ReplaceTrueWithFalse", "core/ReplaceFalseWithTrue") and lines[
                row - 1
            ].lstrip().startswith("@"):
                reason = "decorator argument"  # @dataclass(frozen=True): nothing relies on frozen
            if reason:
                db.set_result(item.job_id, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))
                skipped += 1
    return skipped


def _copy_tree(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "provider", "tests", "pyproject.toml", "schema"],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    for name in files:
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    # The API spec the contract fixtures read sits beside the repository.
    spec = REPO.parent / "shared"
    if spec.is_dir() and not (dest.parent / "shared").exists():
        (dest.parent / "shared").symlink_to(spec)


def _config(module: str, tests: list[str]) -> str:
    command = " ".join(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-p", "no:randomly", *tests]
    )  # fmt: skip
    excluded = ", ".join(json.dumps(r) for r in EXCLUDED_OPERATORS)
    return (
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        "timeout = 60.0\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n\n"
        '[cosmic-ray.distributor]\nname = "local"\n\n'
        f"[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excluded}]\n"
    )


def _score(session: Path, env: dict[str, str], bin_dir: Path) -> tuple[int, int, int, list[str]]:
    """(killed, survived, not run, surviving mutants as `line: operator`) of a cosmic-ray session."""
    dump = subprocess.run(
        [str(bin_dir / "cosmic-ray"), "dump", str(session)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    killed, skipped, survived = 0, 0, []
    for line in dump.splitlines():
        item, result = json.loads(line)
        outcome = (result or {}).get("test_outcome")
        if outcome == "killed":
            killed += 1
        elif outcome == "survived":
            mutation = item["mutations"][0]
            survived.append(f"{mutation['start_pos'][0]}: {mutation['operator_name']}")
        else:
            skipped += 1
    return killed, len(survived), skipped, sorted(survived, key=lambda s: int(s.split(":")[0]))


def main(argv: list[str]) -> int:
    wanted = argv or list(MODULES)
    unknown = [w for w in wanted if w not in MODULES]
    if unknown:
        print(f"unknown module(s) {unknown}; choose from {', '.join(MODULES)}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="ocean-mutate-")) / "repo"
    work.mkdir()
    _copy_tree(work)
    env = {**os.environ, "PYTHONPATH": f"{work / 'provider'}{os.pathsep}{work}"}
    bin_dir = Path(sys.executable).parent
    results = []
    try:
        for name in wanted:
            module, tests = MODULES[name]
            config, session = work / f"mutate-{name}.toml", work / f"mutate-{name}.sqlite"
            config.write_text(_config(module, tests))
            started = time.monotonic()
            for step in (
                [bin_dir / "cosmic-ray", "init", config, session],
                [bin_dir / "cr-filter-operators", session, config],
                [bin_dir / "cosmic-ray", "baseline", config],
                [bin_dir / "cosmic-ray", "exec", config, session],
            ):
                cmd = [str(s) for s in step]
                done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
                if done.returncode != 0:
                    print(f"{name}: {' '.join(map(str, step[:2]))} failed:\n{done.stdout}{done.stderr}")
                    return 1
                if step[1] == "init":
                    _skip_noise(session, work / module)
            killed, survived, skipped, survivors = _score(session, env, bin_dir)
            total = killed + survived
            score = 100.0 * killed / total if total else 0.0
            minutes = (time.monotonic() - started) / 60
            results.append((name, module, killed, total, score, skipped))
            print(
                f"{module}: {score:.1f}% killed ({killed}/{total}, {skipped} left out) in {minutes:.0f} min"
            )
            for s in survivors:
                print(f"    survived  {module}:{s}")
            sys.stdout.flush()
    finally:
        if os.environ.get("MUTATE_KEEP"):
            print(f"sessions kept in {work}")
        else:
            shutil.rmtree(work.parent, ignore_errors=True)
    print("\nmodule                                  killed/mutants  score")
    for _, module, killed, total, score, _ in results:
        print(f"{module:<40}{killed:>6}/{total:<8}{score:6.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
