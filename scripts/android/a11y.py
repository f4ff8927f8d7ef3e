#!/usr/bin/env python3
"""Layout accessibility rules for the app's res/layout/*.xml (issue 9: 48dp targets, described
images, labelled inputs). Run by scripts/android/check; its own planted faults are in
a11y_fixtures/ and a11y_test.py proves that each rule fires.

    a11y.py RES_DIR [KOTLIN_DIR]

Rules, read statically (attributes on the element, else from its app style and that style's
parents; sizes through @dimen/ values of res/values*/):
  1. touch targets: a Button, ImageButton, compound button, text field, Spinner, or any view
     with clickable="true" or an onClick, must not be smaller than 48dp: a fixed layout_width /
     layout_height below 48dp fails (0dp with a layout_weight is sized by weight, not fixed),
     and so does a minWidth / minHeight below 48dp where the size is not fixed. A clickable
     image with wrap_content and no min size takes its icon's size (often 24dp): it fails too.
     Sizes in px fail (they shrink on dense screens); sp counts as dp (it only grows).
  2. images: an ImageView or ImageButton has a contentDescription, or says it is decorative with
     importantForAccessibility="no" (or sits under "noHideDescendants"). A clickable image can
     never be decorative. An image whose description is set in code is accepted when the app's
     Kotlin (KOTLIN_DIR) assigns `contentDescription` on the view found by its id.
  3. labels: a TextView placed right before a text field or Spinner (the label a sighted user
     reads) must say labelFor="@id/<that input>", unless it starts out gone (an error or a
     message, shown later); every labelFor must name an id of the layout.
Prints one line per problem and exits 1 if there is any; else a "note:" line with the counts.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

A = "{http://schemas.android.com/apk/res/android}"
MIN_DP = 48

# Framework widgets a user taps (the app has no AndroidX, so these are all there are).
BUTTONS = {"Button", "ImageButton", "ToggleButton", "Switch", "CheckBox", "RadioButton",
           "CompoundButton", "CheckedTextView"}
INPUTS = {"EditText", "AutoCompleteTextView", "MultiAutoCompleteTextView", "Spinner"}
IMAGES = {"ImageView", "ImageButton"}
# Targets whose wrap_content size is their drawable's.
ICON_SIZED = {"ImageButton", "ImageView"}


def local(tag):
    """`android.widget.Button` or `Button` -> `Button`."""
    return tag.rsplit(".", 1)[-1]


def ref_name(value, kind):
    """'@dimen/x' (or '@+id/x', '@id/x' for kind 'id') -> 'x', else None."""
    m = re.fullmatch(r"@\+?%s/([\w.]+)" % kind, value or "")
    return m.group(1) if m else None


class Resources:
    """The app's <dimen> and <style> values from every values*/ directory (defaults first)."""

    def __init__(self, res):
        self.dimens, self.styles = {}, {}
        dirs = sorted(d for d in os.listdir(res) if d == "values" or d.startswith("values-"))
        for d in dirs:  # "values" sorts first: qualified values only add names it lacks
            for name in sorted(os.listdir(os.path.join(res, d))):
                if not name.endswith(".xml"):
                    continue
                root = ET.parse(os.path.join(res, d, name)).getroot()
                for el in root.iter("dimen"):
                    self.dimens.setdefault(el.get("name"), (el.text or "").strip())
                for el in root.iter("style"):
                    items = {}
                    for item in el.iter("item"):
                        key = item.get("name", "")
                        if key.startswith("android:"):
                            items[key[len("android:"):]] = (item.text or "").strip()
                    self.styles.setdefault(el.get("name"), (el.get("parent"), items))

    def dp(self, value, seen=()):
        """A size in dp as a float; 'px' for pixel sizes; None when not a fixed size."""
        if value is None:
            return None
        name = ref_name(value, "dimen")
        if name is not None:
            if name in seen or name not in self.dimens:
                return None
            return self.dp(self.dimens[name], seen + (name,))
        m = re.fullmatch(r"(-?\d+(?:\.\d+)?)(dp|dip|sp|px)", value.strip())
        if not m:
            return None  # wrap_content, match_parent, ?attr/..., @android:dimen/...
        return "px" if m.group(2) == "px" else float(m.group(1))

    def style_attrs(self, style):
        """The android: items a style gives, its parents' first (a child's items win)."""
        chain, name = [], ref_name(style, "style") or style
        while name and name in self.styles and name not in chain:
            chain.append(name)
            parent, _ = self.styles[name]
            if parent:
                name = None if parent.startswith(("android:", "@android:")) else (ref_name(parent, "style") or parent)
            else:
                name = name.rsplit(".", 1)[0] if "." in name else None  # Fundi.BigButton -> Fundi
        attrs = {}
        for n in reversed(chain):
            attrs.update(self.styles[n][1])
        return attrs


def described_in_code(kotlin_dir):
    """Ids of views whose contentDescription the Kotlin sets: `val x = ...findViewById<..>(R.id.ID)`
    followed in the same file by `x.contentDescription =` or `x.setContentDescription(`, or the
    same directly on `findViewById<..>(R.id.ID)`."""
    ids = set()
    if not kotlin_dir or not os.path.isdir(kotlin_dir):
        return ids
    find = r"findViewById(?:<[^>]*>)?\(\s*R\.id\.(\w+)\s*\)"
    for root, _, files in os.walk(kotlin_dir):
        for name in files:
            if not name.endswith(".kt"):
                continue
            with open(os.path.join(root, name), encoding="utf-8") as f:
                src = f.read()
            names = {m.group(1): m.group(2) for m in re.finditer(r"\b(?:val|var)\s+(\w+)\s*(?::[^=]+)?=\s*[\w.]*?" + find, src)}
            for var, view_id in names.items():
                if re.search(r"\b%s\s*\.\s*(?:contentDescription\s*=|setContentDescription\s*\()" % re.escape(var), src):
                    ids.add(view_id)
            for m in re.finditer(find + r"\s*\.\s*(?:contentDescription\s*=|setContentDescription\s*\()", src):
                ids.add(m.group(1))
    return ids


def check_layout(path, res, code_described, counts):
    problems = []
    name = os.path.basename(path)
    root = ET.parse(path).getroot()
    ids = {ref_name(el.get(A + "id"), "id") for el in root.iter() if el.get(A + "id")}

    def where(el):
        view_id = ref_name(el.get(A + "id"), "id")
        return "layout/%s: %s%s" % (name, local(el.tag), " @id/" + view_id if view_id else "")

    def attrs_of(el):
        attrs = res.style_attrs(el.get("style")) if el.get("style") else {}
        attrs.update({k[len(A):]: v for k, v in el.attrib.items() if k.startswith(A)})
        return attrs

    def visit(el, hidden):
        tag, attrs = local(el.tag), attrs_of(el)
        important = attrs.get("importantForAccessibility")
        hidden_here = hidden or important == "noHideDescendants"
        clickable = (tag in BUTTONS or tag in INPUTS or attrs.get("clickable") == "true"
                     or attrs.get("longClickable") == "true" or "onClick" in attrs)
        if clickable:
            counts["targets"] += 1
            for axis, fixed_key, min_key in (("width", "layout_width", "minWidth"),
                                             ("height", "layout_height", "minHeight")):
                fixed, least = res.dp(attrs.get(fixed_key)), res.dp(attrs.get(min_key))
                weighted = fixed == 0 and "layout_weight" in attrs
                if fixed == "px" or least == "px":
                    problems.append("%s: %s in px; touch targets are sized in dp" % (where(el), axis))
                elif fixed is not None and not weighted:
                    if fixed < MIN_DP:
                        problems.append("%s: %s=%s is %gdp, under %ddp" % (where(el), fixed_key, attrs[fixed_key], fixed, MIN_DP))
                elif least is not None and least < MIN_DP:
                    problems.append("%s: %s=%s is %gdp, under %ddp" % (where(el), min_key, attrs[min_key], least, MIN_DP))
                elif (tag in ICON_SIZED and attrs.get(fixed_key) == "wrap_content" and least is None):
                    problems.append("%s: %s is wrap_content with no %s: its icon's size, not %ddp" % (where(el), axis, min_key, MIN_DP))
        if tag in IMAGES:
            counts["images"] += 1
            description = attrs.get("contentDescription", "")
            decorative = important in ("no", "noHideDescendants") or hidden
            view_id = ref_name(el.get(A + "id"), "id")
            if clickable and decorative:
                problems.append("%s: clickable, so it cannot be decorative (importantForAccessibility=\"no\"): give it a contentDescription" % where(el))
            elif not decorative and description in ("", "@null") and view_id not in code_described:
                problems.append("%s: an image without contentDescription; if it only decorates, say importantForAccessibility=\"no\"" % where(el))
        children = list(el)
        for i, child in enumerate(children):
            label_for = child.get(A + "labelFor")
            if label_for is not None:
                counts["labels"] += 1
                target = ref_name(label_for, "id")
                if target not in ids:
                    problems.append("%s: labelFor=\"%s\" names no view of this layout" % (where(child), label_for))
            before = children[i - 1] if i > 0 else None
            # A TextView gone until there is something to say (an error, a message) is no label.
            if (local(child.tag) in INPUTS and before is not None and local(before.tag) == "TextView"
                    and attrs_of(before).get("visibility") != "gone"):
                label, input_id = before, ref_name(child.get(A + "id"), "id")
                target = ref_name(label.get(A + "labelFor"), "id")
                if input_id is None:
                    problems.append("%s: an input without an id cannot be labelled (labelFor) by the TextView before it" % where(child))
                elif target != input_id:
                    problems.append("%s: the TextView before it is its label but says %s, not labelFor=\"@id/%s\"" % (
                        where(child), "labelFor=\"%s\"" % label.get(A + "labelFor") if target else "no labelFor", input_id))
            visit(child, hidden_here)

    visit(root, False)
    return problems


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[4].strip())
        return 2
    res_dir = argv[1]
    res = Resources(res_dir)
    code_described = described_in_code(argv[2] if len(argv) == 3 else None)
    layout_dir = os.path.join(res_dir, "layout")
    counts = {"targets": 0, "images": 0, "labels": 0}
    problems, layouts = [], sorted(n for n in os.listdir(layout_dir) if n.endswith(".xml"))
    for name in layouts:
        problems += check_layout(os.path.join(layout_dir, name), res, code_described, counts)
    for p in problems:
        print(p)
    if problems:
        return 1
    print("note: %d layouts: %d touch targets, %d images, %d labels" % (
        len(layouts), counts["targets"], counts["images"], counts["labels"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
