"""`make publish`: the built book goes onto a gh-pages branch the Jupyter Book way (checked locally, no push)."""

import os
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}


def _make(repo: Path, *args):
    (repo / "pyproject.toml").touch()
    time.sleep(0.01)
    stamp = repo / "stamp"
    stamp.touch()                                   # `setup` is up to date: use this checkout's .venv
    return subprocess.run(["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), "-C", str(repo), "publish",
                           f"BIN={BIN}", f"STAMP={stamp}", *args], env=ENV, capture_output=True, text=True,
                          timeout=120)


def _git(repo: Path, *args) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], env=ENV, capture_output=True, text=True,
                          check=True).stdout


def test_publish_puts_the_html_on_gh_pages_with_nojekyll(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("x\n")
    _git(repo, "add", "README.md")
    _git(repo, "commit", "-q", "-m", "first")
    html = repo / "_build" / "html"
    (html / "book" / "chapters").mkdir(parents=True)
    (html / "index.html").write_text("<html>book</html>")
    (html / "book" / "chapters" / "claims.html").write_text("<html>claims</html>")
    proc = _make(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = _git(repo, "ls-tree", "-r", "--name-only", "gh-pages").split()
    assert sorted(files) == [".nojekyll", "book/chapters/claims.html", "index.html"]
    assert "book built from" in _git(repo, "log", "-1", "--format=%s", "gh-pages")
    assert _git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"          # the work tree is untouched
    assert "not pushed" in proc.stdout


def test_publish_without_a_built_book_says_so(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    proc = _make(repo)
    assert proc.returncode != 0 and "run 'make book' first" in proc.stdout
