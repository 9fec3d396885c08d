"""Templates that come with a records repository run in Jinja2's sandbox.

A template in the repository's templates/ folder cannot reach Python internals
(and through them files, modules or the shell), cannot read files outside the
template folders, and cannot change the data it is given. Each attempt is a
clear `template error in FILE:LINE` and exit 1, with nothing written.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from iopctl.cli import cli

SAMPLE = Path(__file__).parent.parent / "sample_records"
TEMPLATE = "templates/en/aftercare.md.j2"


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "records"
    shutil.copytree(SAMPLE, root)
    (root / "templates/en").mkdir(parents=True)
    return root


def handout(root: Path, *extra: str):
    result = CliRunner().invoke(cli, ["handout", "P0001", "--records", str(root), "--as-of", "2026-11-23", *extra])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


HOSTILE = {
    # Python internals, the usual first step to os.system
    "mro": ("{{ ''.__class__.__mro__ }}", "SecurityError: access to attribute '__class__' of 'str' object is unsafe."),
    "subclasses": ("{{ (1).__class__.__base__.__subclasses__() }}",
                   "SecurityError: access to attribute '__class__' of 'int' object is unsafe."),
    "globals of a global": ("{{ cycler.__init__.__globals__.os.popen('id').read() }}",
                            "SecurityError: access to attribute '__init__' of 'type' object is unsafe."),
    "lipsum globals": ("{{ lipsum.__globals__['os'].listdir('/') }}",
                       "SecurityError: access to attribute '__globals__' of 'function' object is unsafe."),
    "template internals": ("{{ self._TemplateReference__context }}",
                           "SecurityError: access to attribute '_TemplateReference__context' of "
                           "'TemplateReference' object is unsafe."),
    # the data is read-only
    "mutate the data": ("{{ participant.update({'preferred_name': 'x'}) }}",
                        "SecurityError: access to attribute 'update' of 'dict' object is unsafe."),
    # files and modules: only template names inside the template folders resolve
    "absolute include": ("{% include '/etc/passwd' %}", "TemplateNotFound: /etc/passwd"),
    "include outside": ("{% include '../../program.yaml' %}", "TemplateNotFound: ../../program.yaml"),
    "import a module": ("{% import 'os' as os %}", "TemplateNotFound: os"),
    # names that do not exist are errors, not blanks
    "unknown name": ("{{ config.items() }}", "UndefinedError: 'config' is undefined"),
    # the sandbox caps range() so a template cannot spin forever
    "huge range": ("{% for i in range(10**9) %}{% endfor %}", "OverflowError: Range too big. The sandbox blocks ranges "
                   "larger than MAX_RANGE (100000)."),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_template_is_a_clear_error(repo, name):
    source, message = HOSTILE[name]
    (repo / TEMPLATE).write_text("# Aftercare for {{ participant.preferred_name }}\n" + source + "\n")
    result = handout(repo)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"iopctl: template error in {TEMPLATE}:2: {message}\n"


def test_nothing_is_written_when_the_template_fails(repo, tmp_path):
    (repo / TEMPLATE).write_text("{{ ''.__class__ }}\n")
    out = tmp_path / "P0001.md"
    result = handout(repo, "-o", str(out))
    assert result.exit_code == 1
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["records"]


def test_a_template_symlinked_outside_the_repository_is_not_read(repo, tmp_path):
    secret = tmp_path / "secret.j2"
    secret.write_text("SECRET OUTSIDE THE RECORDS\n")
    (repo / TEMPLATE).symlink_to(secret)
    result = handout(repo)
    assert "SECRET" not in result.output
    # the packaged template is used instead, exactly as without the link
    (repo / TEMPLATE).unlink()
    assert result.stdout == handout(repo).stdout


def test_the_same_template_without_tricks_renders(repo):
    """The control: a repository template does run (so the errors above come from the sandbox)."""
    (repo / TEMPLATE).write_text("# Aftercare for {{ participant.preferred_name }}\n{{ program.name }}\n")
    result = handout(repo)
    assert result.exit_code == 0, result.output
    assert result.stdout == "# Aftercare for Dale\nRiverside Recovery IOP\n"
