"""The real engine, independent of our provider: a Python program exports a value."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import PULUMI_VERSION, Stack


def test_pulumi_cli_is_the_pinned_version(pulumi_dir: Path) -> None:
    import subprocess

    out = subprocess.run([str(pulumi_dir / "pulumi"), "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"v{PULUMI_VERSION}"
    for tool in ("pulumi-language-python", "pulumi-language-python-exec"):
        assert (pulumi_dir / tool).is_file(), f"{tool} missing beside pulumi in {pulumi_dir}"


def test_python_program_exports_a_value(new_stack) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = new_stack(
        """
        import pulumi
        pulumi.export("greeting", "hello from " + pulumi.get_stack())
        pulumi.export("answer", 6 * 7)
        """,
        provider_from_source=False,
    )
    stack.up()
    assert stack.outputs() == {"greeting": "hello from test", "answer": 42}
    preview = stack.preview()
    assert preview["changeSummary"] == {"same": 1}
    stack.destroy()
    assert stack.outputs() == {}
