"""The warm kernel (``pipeline.render.kernel``)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline.config import PACKAGE_DIR, PROJECT_ROOT

pytestmark = pytest.mark.slow  # starts kernels


def test_the_kernel_imports_the_same_pipeline_package_as_its_process(tmp_path):
    # A process that imports this checkout's package without PYTHONPATH (a second checkout, a git worktree
    # beside an installed one): the kernel starts in notebooks/ and must not fall back to another install.
    answer = tmp_path / "kernel_pipeline.txt"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(PROJECT_ROOT)!r})
        from pipeline.render import kernel
        kernel.warm_kernel()
        kernel.execute("import pipeline; open({str(answer)!r}, 'w').write(pipeline.__file__)", 60)
        kernel.shutdown()
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, check=True, timeout=120)
    assert answer.read_text() == str(PACKAGE_DIR / "__init__.py")


def test_the_kernel_talks_over_sockets_of_its_own_removed_with_it(monkeypatch):
    """Two workers starting kernels together picked the same TCP port, and one kernel died at start
    ("Address already in use"): the kernel now listens on IPC sockets in a folder of its own."""
    import shutil
    import tempfile

    from pipeline.render import kernel

    short = Path(tempfile.mkdtemp(prefix="ck"))  # socket paths must stay short
    monkeypatch.setattr(tempfile, "tempdir", str(short))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = short / f"cchc-k-{dead.pid}-x"  # a worker killed with its kernel left this
    orphan.mkdir()
    alive = short / f"cchc-k-{os.getpid()}-y"  # a live process's folder stays
    alive.mkdir()
    kernel.shutdown()
    try:
        km = kernel.warm_kernel()
        kernel.execute("x = 1", 60)
        sockets = Path(km.ip).parent
        assert km.transport == "ipc" and sockets.parent == short and any(sockets.iterdir())
        assert not orphan.exists() and alive.exists()
    finally:
        kernel.shutdown()
        assert not sockets.exists()
        shutil.rmtree(short)


def test_a_temporary_folder_too_deep_for_sockets_falls_back_to_tcp(tmp_path, monkeypatch):
    import tempfile

    from pipeline.render import kernel

    deep = tmp_path / ("d" * 80)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    assert kernel._transport() == {} and not list(deep.iterdir())
