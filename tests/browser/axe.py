"""axe-core in the browser tests: serious and critical violations of a page.

axe-core comes from npm (``npm install --prefix /work/.cache/axe axe-core``); its
``axe.min.js`` is found through ``HELPDESK_AXE_JS`` or the usual install places.
Without it the accessibility tests are skipped.
"""

import os
from pathlib import Path

import pytest

from tests.paths import ROOT

CANDIDATES = [
    os.environ.get("HELPDESK_AXE_JS", ""),
    str(ROOT / "node_modules/axe-core/axe.min.js"),
    "/work/.cache/axe/node_modules/axe-core/axe.min.js",
    str(Path.home() / ".cache/axe/node_modules/axe-core/axe.min.js"),
]


def axe_source():
    for candidate in CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_text(encoding="utf-8")
    if os.environ.get("CI"):
        raise AssertionError("axe-core is missing; .ci/run installs it under ~/.cache/axe")
    pytest.skip("axe-core not installed (npm install --prefix /work/.cache/axe axe-core, or set HELPDESK_AXE_JS)")


def serious_violations(page, source):
    """The serious and critical violations on the page, as ``rule: target`` lines (empty when none)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .flatMap(v => v.nodes.map(n => v.id + ': ' + n.target.join(' ') + ' — ' + n.failureSummary));
        }"""
    )
    return results
