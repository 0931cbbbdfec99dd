"""The warm kernel (``pipeline.render.kernel``)."""

import os
import subprocess
import sys
import textwrap

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
