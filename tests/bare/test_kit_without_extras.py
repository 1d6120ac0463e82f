"""Run in the ``bare`` tox env: seccam-core installed WITHOUT its testing extra, plus pytest.

Before: the kit imported pytest-asyncio and httpx at the top, so any project with
seccam-core installed without the extra could not start pytest at all ("Error while
loading plugin pytest11").
"""

import importlib.util

pytest_plugins = ["pytester"]


def test_the_environment_really_lacks_the_extra():
    assert importlib.util.find_spec("pytest_asyncio") is None
    assert importlib.util.find_spec("httpx") is None
    assert importlib.util.find_spec("seccam_core") is not None


def test_an_unrelated_test_file_runs_normally(pytester):
    pytester.makepyfile(test_unrelated="def test_adds():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*Error while loading plugin*")


def test_fixtures_needing_the_extra_skip_naming_it(pytester):
    pytester.makepyfile(test_kit="""
        def test_live(seccam_live_server):
            pass

        def test_app(seccam_app):
            pass

        def test_receiver(seccam_receiver):
            assert seccam_receiver.url.startswith("http://127.0.0.1:")
    """)
    result = pytester.runpytest_subprocess("-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*seccam-core?testing?*"])
