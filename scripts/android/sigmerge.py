#!/usr/bin/env python3
"""Merge AOSP API signature files ("Signature format: 2.0") into one, for sigstubs.py.

Usage: sigmerge.py OUT --base FILE [--base FILE ...] --fill FILE --fill-prefix PREFIX [...]

Every class of the --base files is kept as it is. A class of the --fill file is added only
when its top-level class is in none of the --base files and its qualified name starts with one
of the --fill-prefix values; nothing else of the --fill file is taken.

Why: frameworks/base's api/current.txt is android.jar's surface less what the mainline modules
declare in their own repositories (java.* in libcore, android.net's connectivity classes,
MediaStore, ...). scripts/android/check takes a newer frameworks/base surface as the base and
fills in those modules' classes from an older, complete signature file; the prefixes name them.
The file is parsed by its layout, which AOSP's tools always write: `package P {` at column 0,
class headers at two spaces (nested classes declared flat, as `Outer.Inner`), members at four,
`  }` closing a class and `}` a package. Prints how many classes came from each file.

A base member whose signature names a type that no class of the merged file declares (a module
type added after the fill-in file's level, as java.util.concurrent.Flow) is left out, and
listed: javac could not compile its stub, and the app cannot call it here anyway.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sigstubs import strip_annotations  # noqa: E402

HEADER = re.compile(r"\b(?:class|interface|@interface|enum)\s+([\w.]+)")
# a qualified type name: lower-case package segments, then one or more class names
QUALIFIED = re.compile(r"(?<![\w.])([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*(?:\.[A-Z][A-Za-z0-9_]*)+)")


def named_types(line):
    """The qualified type names a signature line mentions (annotations, values, strings aside)."""
    text = strip_annotations(line.strip()).replace("\x01NN ", "").replace("\x01NL ", "")
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    text = text.split(" = ", 1)[0]
    return QUALIFIED.findall(text)


def read(path):
    """-> {package: [(qualified class name, [lines])]} in file order."""
    pkgs = {}
    pkg = cls = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if not lines[0].startswith("// Signature format: 2.0"):
        raise SystemExit("%s: not an API signature file (format 2.0)" % path)
    for n, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        if pkg is None:
            m = re.match(r"package (\S+) \{$", line)
            if not m:
                raise SystemExit("%s:%d: expected a package: %s" % (path, n, line))
            pkg = m.group(1)
            pkgs.setdefault(pkg, [])
        elif line == "}":
            pkg = None
        elif cls is None:
            m = HEADER.search(line)
            if not line.startswith("  ") or line.startswith("   ") or not m or not line.endswith("{"):
                raise SystemExit("%s:%d: expected a class header: %s" % (path, n, line))
            cls = (pkg + "." + m.group(1), [line])
        else:
            cls[1].append(line)
            if line == "  }":
                pkgs[pkg].append(cls)
                cls = None
    if pkg is not None or cls is not None:
        raise SystemExit("%s: ends inside a package or class" % path)
    return pkgs


def top_level(pkg, qname):
    return pkg + "." + qname[len(pkg) + 1:].split(".")[0]


def main(argv):
    out, bases, fill, prefixes = argv[0], [], None, []
    i = 1
    while i < len(argv):
        opt, val = argv[i], argv[i + 1]
        if opt == "--base":
            bases.append(val)
        elif opt == "--fill":
            fill = val
        elif opt == "--fill-prefix":
            prefixes.append(val)
        else:
            raise SystemExit("unknown option " + opt)
        i += 2
    merged, have, counts = {}, set(), []
    for path in bases:
        n = 0
        for pkg, classes in read(path).items():
            for qname, lines in classes:
                if qname in have:
                    raise SystemExit("%s declares %s, which another base file declares" % (path, qname))
                have.add(qname)
                merged.setdefault(pkg, []).append(lines)
                n += 1
        counts.append("%d from %s" % (n, path))
    filled, not_taken = 0, 0
    if fill:
        base_tops = {top_level(p, q) for p, cs in read_all(bases) for q in cs}
        for pkg, classes in read(fill).items():
            for qname, lines in classes:
                if top_level(pkg, qname) in base_tops:
                    continue
                if any(qname.startswith(p) for p in prefixes):
                    merged.setdefault(pkg, []).append(lines)
                    filled += 1
                else:
                    not_taken += 1
        counts.append("%d filled in from %s (%d others of it absent from the base, not taken)"
                      % (filled, fill, not_taken))
    declared = {p + "." + HEADER.search(lines[0]).group(1) for p, cs in merged.items() for lines in cs}
    dropped = []
    for pkg, classes in merged.items():
        for lines in classes:
            missing = [t for t in named_types(lines[0]) if t not in declared]
            if missing:
                raise SystemExit("%s: its supertypes are declared nowhere: %s" % (lines[0].strip(), missing))
            keep = [lines[0]]
            for line in lines[1:]:
                missing = [t for t in named_types(line) if t not in declared]
                if missing:
                    dropped.append("%s.%s: %s (no %s)" % (pkg, HEADER.search(lines[0]).group(1),
                                                          line.strip(), ", ".join(sorted(set(missing)))))
                else:
                    keep.append(line)
            lines[:] = keep
    for d in dropped:
        print("sigmerge: left out " + d)
    counts.append("%d members left out (types declared nowhere)" % len(dropped))
    with open(out, "w", encoding="utf-8") as f:
        f.write("// Signature format: 2.0\n")
        for pkg in sorted(merged):
            f.write("package %s {\n\n" % pkg)
            for lines in merged[pkg]:
                f.write("\n".join(lines) + "\n\n")
            f.write("}\n\n")
    print("sigmerge: " + "; ".join(counts))
    print("sigmerge summary: base=%d filled=%d left_out=%d" % (len(have), filled, len(dropped)))


def read_all(paths):
    for path in paths:
        for pkg, classes in read(path).items():
            yield pkg, [q for q, _ in classes]


if __name__ == "__main__":
    main(sys.argv[1:])
