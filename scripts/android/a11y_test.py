#!/usr/bin/env python3
"""Self-test of a11y.py: every planted fault in a11y_fixtures/bad/res/layout/ is reported, once,
for the reason planted; a11y_fixtures/good/ (every rule kept, sizes through styles, dimens and
weights, a description set in Kotlin) is not reported at all. Run by scripts/android/check
before the app's layouts are checked, so a rule that silently stopped firing fails the check.

    python3 a11y_test.py
"""
import io
import os
import sys
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import a11y  # noqa: E402

FIXTURES = os.path.join(HERE, "a11y_fixtures")

# Planted fault -> words its one report must hold.
EXPECTED = {
    "button_fixed_height.xml": ["layout_height=40dp", "under 48dp"],
    "button_dimen_width.xml": ["layout_width=@dimen/small", "32dp"],
    "button_style_min_height.xml": ["minHeight=@dimen/small_alias", "32dp"],
    "clickable_row_small.xml": ["LinearLayout", "layout_height=36dp"],
    "onclick_text_min_height.xml": ["TextView", "minHeight=40dp"],
    "checkbox_px.xml": ["CheckBox", "px"],
    "image_button_icon_sized.xml": ["ImageButton", "wrap_content", "icon"],
    "image_without_description.xml": ["ImageView", "without contentDescription"],
    "image_button_decorative.xml": ["ImageButton", "cannot be decorative"],
    "label_missing.xml": ["EditText @id/price", "no labelFor"],
    "label_for_other_input.xml": ["EditText @id/price", "@+id/title"],
    "label_for_nothing.xml": ["@id/gone", "names no view"],
    "input_without_id.xml": ["Spinner", "without an id"],
}


def run_main(*args):
    out = io.StringIO()
    with redirect_stdout(out):
        rc = a11y.main(["a11y.py", *args])
    return rc, out.getvalue()


class PlantedFaults(unittest.TestCase):
    def setUp(self):
        self.res_dir = os.path.join(FIXTURES, "bad", "res")
        self.res = a11y.Resources(self.res_dir)

    def test_every_fixture_has_an_expectation(self):
        files = set(os.listdir(os.path.join(self.res_dir, "layout")))
        self.assertEqual(files, set(EXPECTED))

    def test_each_fault_is_reported_once_for_its_reason(self):
        for name, words in sorted(EXPECTED.items()):
            with self.subTest(fixture=name):
                counts = {"targets": 0, "images": 0, "labels": 0}
                problems = a11y.check_layout(os.path.join(self.res_dir, "layout", name), self.res, set(), counts)
                self.assertEqual(len(problems), 1, problems)
                for word in words:
                    self.assertIn(word, problems[0])

    def test_the_command_fails_on_them(self):
        rc, out = run_main(self.res_dir)
        self.assertEqual(rc, 1)
        self.assertEqual(len(out.strip().splitlines()), len(EXPECTED))


class KeptRules(unittest.TestCase):
    def test_good_layouts_pass(self):
        good = os.path.join(FIXTURES, "good")
        rc, out = run_main(os.path.join(good, "res"), os.path.join(good, "java"))
        self.assertEqual(rc, 0, out)
        self.assertIn("note: 1 layouts", out)

    def test_description_set_in_code_is_needed(self):
        # The same good layouts without the Kotlin that describes @id/described_by_code.
        rc, out = run_main(os.path.join(FIXTURES, "good", "res"))
        self.assertEqual(rc, 1)
        self.assertIn("described_by_code", out)

    def test_dimens_resolve_through_aliases(self):
        res = a11y.Resources(os.path.join(FIXTURES, "good", "res"))
        self.assertEqual(res.dp("@dimen/target_alias"), 56.0)
        self.assertEqual(res.dp("wrap_content"), None)
        self.assertEqual(res.dp("12px"), "px")
        self.assertEqual(res.style_attrs("@style/Big.Red")["minHeight"], "@dimen/target_alias")


if __name__ == "__main__":
    unittest.main(verbosity=1)
