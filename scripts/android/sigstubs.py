#!/usr/bin/env python3
"""Turn an AOSP API signature file ("Signature format: 2.0", api/current.txt) into Java stub
sources: every public class, interface, enum and annotation type with its public and protected
members, every method body throwing. Compiled with javac, the result stands in for android.jar
so that the app's Kotlin can be compiled against the real Android API surface on a machine
without the Android SDK (this is how AOSP's metalava makes android.jar, in spirit).

Usage: sigstubs.py <current.txt> <out-dir>

The format's quirks handled here (each learned from the file itself):
- `java.lang.` is left out of type names (`String`, `Object`, `Thread.State`), so unqualified
  names are resolved against the java.lang classes the file declares, unless they name a type
  variable in scope.
- interfaces after `implements` are separated by spaces, not commas.
- nested classes are declared flat (`public static class Notification.Builder`) and are nested
  back into their outer class here.
- a concrete class may leave out methods it inherits as abstract (the file omits overrides), so
  each class gets the abstract methods it still owes, with the supertype's type arguments
  substituted. Otherwise javac would reject the stubs.
- some superclasses list no constructor the subclass could call; such classes get one synthetic
  protected constructor taking a marker type nobody outside the stubs can name sensibly.
- `@NonNull`/`@Nullable` are kept (as android.annotation.*, which kotlinc reads) so Kotlin sees
  the platform's nullability, and `@Deprecated` (as java.lang.Deprecated) so kotlinc warns where
  the app uses or overrides what that API level deprecates; every other annotation is dropped.
"""

import os
import re
import sys

PRIMS = {"boolean", "byte", "char", "short", "int", "long", "float", "double", "void"}
ZERO = {"boolean": "false", "byte": "(byte) 0", "char": "(char) 0", "short": "(short) 0",
        "int": "0", "long": "0L", "float": "0f", "double": "0d"}
ENUM_FINAL = {"name", "ordinal", "compareTo", "getDeclaringClass", "equals", "hashCode"}
MARKER = "android.annotation.StubConstructorMarker"


def strip_annotations(text):
    """Remove annotations (with balanced, string-aware arguments); keep nullability as markers."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
            continue
        if c == "@" and i + 1 < n and (text[i + 1].isalpha()) and not text.startswith("@interface", i):
            m = re.match(r"@([\w.]+)", text[i:])
            name = m.group(1)
            i += m.end()
            if i < n and text[i] == "(":
                depth = 0
                while i < n:
                    if text[i] == '"':
                        i += 1
                        while i < n and text[i] != '"':
                            i += 2 if text[i] == "\\" else 1
                    elif text[i] == "(":
                        depth += 1
                    elif text[i] == ")":
                        depth -= 1
                        if depth == 0:
                            i += 1
                            break
                    i += 1
            if name in ("NonNull", "androidx.annotation.NonNull", "android.annotation.NonNull"):
                out.append("\x01NN ")
            elif name in ("Nullable", "androidx.annotation.Nullable", "android.annotation.Nullable"):
                out.append("\x01NL ")
            while i < n and text[i] == " ":
                i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def split_top(text, sep=","):
    """Split on `sep` outside <> and ()."""
    parts, depth, cur = [], 0, []
    for c in text:
        if c in "<(":
            depth += 1
        elif c in ">)":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def take_angle(text):
    """text starts with '<': return (inside, rest)."""
    depth = 0
    for i, c in enumerate(text):
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
            if depth == 0:
                return text[1:i], text[i + 1:]
    raise ValueError("unbalanced <> in " + text)


def type_param_names(tparams):
    return [p.split()[0] for p in split_top(tparams)] if tparams else []


def erase(t, tvars_bounds):
    """Erasure of a (resolved) type string, for override matching."""
    t = t.replace("\x01NN ", "").replace("\x01NL ", "").strip()
    dims = ""
    if t.endswith("..."):
        t, dims = t[:-3], "[]"
    while t.endswith("[]"):
        t, dims = t[:-2], dims + "[]"
    t = re.sub(r"<.*>", "", t).strip()
    if t in tvars_bounds:
        t = tvars_bounds[t]
    return t + dims


class Cls:
    def __init__(self, pkg, name, kind, mods, tparams, extends, implements):
        self.pkg = pkg
        self.name = name            # dotted within package: Outer.Inner
        self.kind = kind            # class | interface | enum | @interface
        self.mods = mods
        self.tparams = tparams      # raw text inside <>, or ""
        self.extends = extends      # list of type strings
        self.implements = implements
        self.ctors = []             # list of (mods, params)
        self.methods = []           # dicts
        self.fields = []
        self.enum_constants = []
        self.children = []
        self.deprecated = False

    @property
    def qname(self):
        return self.pkg + "." + self.name

    @property
    def simple(self):
        return self.name.split(".")[-1]


def is_deprecated(line):
    """`@Deprecated` on the declaration (format 2.0; parameters are never deprecated, and string
    values are left out), or 1.0's `deprecated` modifier."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
    return bool(re.search(r"@Deprecated\b", text) or
                re.match(r"(?:\w+\s+)*?deprecated\s", text.split("(", 1)[0]))


def parse(path):
    classes = {}
    pkg = None
    stack = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("//"):
                continue
            if line.startswith("package ") and line.endswith("{"):
                pkg = line[len("package "):-1].strip()
                continue
            if line == "}":
                if stack:
                    stack.pop()
                else:
                    pkg = None
                continue
            deprecated = is_deprecated(line)
            line = strip_annotations(line).strip()
            head = line.split(" ", 1)[0]
            if head in ("ctor", "method", "field", "enum_constant", "property"):
                parse_member(stack[-1], head, line[len(head):].strip())
                if deprecated and head in ("ctor", "method", "field"):
                    {"ctor": stack[-1].ctors, "method": stack[-1].methods,
                     "field": stack[-1].fields}[head][-1]["deprecated"] = True
                continue
            # class header
            line = line.replace("\x01NN ", "").replace("\x01NL ", "")
            m = re.match(r"((?:(?:public|protected|private|static|final|abstract|sealed|deprecated)\s+)*)"
                         r"(class|interface|@interface|enum)\s+([\w.]+)(.*)\{$", line)
            if not m:
                raise ValueError("cannot parse: " + raw)
            mods = m.group(1).split()
            kind, name, rest = m.group(2), m.group(3), m.group(4).strip()
            tparams = ""
            if rest.startswith("<"):
                tparams, rest = take_angle(rest)
                rest = rest.strip()
            extends, implements = [], []
            em = re.match(r"(?:extends\s+(.*?))?\s*(?:implements\s+(.*))?$", rest)
            if em.group(1):
                extends = split_top(em.group(1).strip()) if kind == "interface" else [em.group(1).strip()]
                if kind == "interface":
                    extends = [x for e in extends for x in split_space_types(e)]
            if em.group(2):
                implements = split_space_types(em.group(2).strip())
            c = Cls(pkg, name, kind, mods, tparams, extends, implements)
            c.deprecated = deprecated
            classes[c.qname] = c
            stack.append(c)
    return classes


def split_space_types(text):
    """`java.lang.Cloneable java.util.List<E>` -> two types (spaces outside <> separate)."""
    parts, depth, cur = [], 0, []
    for c in text:
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        if (c == " " or c == ",") and depth == 0:
            if "".join(cur).strip():
                parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    # re-join pieces like "? extends X" never occur at top level here
    return parts


MODS = {"public", "protected", "private", "static", "final", "abstract", "default",
        "synchronized", "native", "transient", "volatile", "strictfp", "deprecated"}


def take_mods(text):
    mods = []
    while True:
        w = text.split(" ", 1)
        if w[0] in MODS and len(w) > 1:
            mods.append(w[0])
            text = w[1].strip()
        else:
            return mods, text


def parse_params(text):
    params = []
    for p in split_top(text):
        p = p.strip()
        nn = None
        while p.startswith("\x01"):
            nn = "NN" if p.startswith("\x01NN") else "NL"
            p = p[4:].strip()
        # 2.0 params are types only; some carry a name: keep the type part
        params.append((nn, p.replace("\x01NN ", "").replace("\x01NL ", "").strip()))
    return params


def parse_member(c, kind, text):
    if kind == "property":
        return
    # an annotation written before the modifiers applies to the return or field type
    lead = ""
    while text.startswith("\x01"):
        lead, text = text[:4], text[4:].strip()
    if lead:
        text = " ".join(take_mods(text)[0]) + " " + lead + take_mods(text)[1]
    if kind == "enum_constant":
        mods, rest = take_mods(text)
        c.enum_constants.append(rest.rstrip(";").split()[-1])
        return
    if kind == "field":
        mods, rest = take_mods(text)
        value = None
        if " = " in rest:
            rest, value = rest.split(" = ", 1)
            value = re.sub(r";\s*//.*$", "", value).rstrip(";").strip()
        rest = rest.rstrip(";").strip()
        nn = None
        if rest.startswith("\x01"):
            nn = "NN" if rest.startswith("\x01NN") else "NL"
        rest = rest.replace("\x01NN ", "").replace("\x01NL ", "")
        ftype, fname = rest.rsplit(" ", 1)
        c.fields.append({"mods": mods, "type": ftype.strip(), "name": fname, "value": value, "nn": nn})
        return
    if kind == "ctor":
        mods, rest = take_mods(text)
        rest = rest.rstrip(";")
        throws = ""
        if " throws " in rest:
            rest, throws = rest.split(" throws ", 1)
        tparams = ""
        if rest.startswith("<"):
            tparams, rest = take_angle(rest)
            rest = rest.strip()
        name, params = rest.split("(", 1)
        params = params.rsplit(")", 1)[0]
        c.ctors.append({"mods": mods, "params": parse_params(params), "throws": throws,
                        "tparams": tparams})
        return
    # method
    mods, rest = take_mods(text)
    rest = rest.rstrip(";").strip()
    rest = re.sub(r"\)\s+default\s+.*$", ")", rest)  # annotation element defaults
    throws = ""
    if ") throws " in rest:
        rest, throws = rest.split(") throws ", 1)
        rest += ")"
    mtparams = ""
    nn = None
    for _ in range(2):
        if rest.startswith("<"):
            mtparams, rest = take_angle(rest)
            rest = rest.strip()
        if rest.startswith("\x01"):
            nn = "NN" if rest.startswith("\x01NN") else "NL"
            rest = rest[4:].strip()
    before, params = rest.split("(", 1)
    params = params.rsplit(")", 1)[0]
    rtype, name = before.strip().rsplit(" ", 1)
    c.methods.append({"mods": mods, "tparams": mtparams, "ret": rtype.strip(), "name": name,
                      "params": parse_params(params), "throws": throws, "nn": nn})


class Resolver:
    """Qualifies the names the file leaves bare (java.lang) and nested names."""

    def __init__(self, classes):
        self.classes = classes
        self.lang = {c.name.split(".")[0] for c in classes.values() if c.pkg == "java.lang"}

    def qualify(self, t, tvars):
        def repl(m):
            word = m.group(0)
            first = word.split(".")[0]
            if first in tvars or first in PRIMS or first in ("extends", "super"):
                return word
            if first[0].isupper() and first in self.lang:
                return "java.lang." + word
            return word
        return re.sub(r"(?<![\w.$])[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*", repl, t)


def class_tvars(classes, c):
    """Type variables visible in c: its own and those of enclosing non-static classes."""
    names = type_param_names(c.tparams)
    parts = c.name.split(".")
    cur = c
    for k in range(len(parts) - 1, 0, -1):
        if "static" in cur.mods or cur.kind != "class":
            break
        outer = classes.get(c.pkg + "." + ".".join(parts[:k]))
        if not outer:
            break
        names += type_param_names(outer.tparams)
        cur = outer
    return names


def find_class(classes, t):
    """Class for a (qualified, possibly generic) type string."""
    base = re.sub(r"<.*>", "", t).strip()
    return classes.get(base)


def type_args(t):
    if "<" not in t:
        return []
    inside, _ = take_angle(t[t.index("<"):])
    return split_top(inside)


def substitute(t, mapping):
    if not mapping:
        return t
    return re.sub(r"(?<![\w.$])[A-Za-z_$][\w$]*(?![\w$.])",
                  lambda m: mapping.get(m.group(0), m.group(0)), t)


def tvar_bounds(tparams, res, scope):
    bounds = {}
    for p in split_top(tparams) if tparams else []:
        bits = p.split(" extends ", 1)
        name = bits[0].strip()
        b = bits[1].split("&")[0].strip() if len(bits) > 1 else "java.lang.Object"
        bounds[name] = re.sub(r"<.*>", "", res.qualify(b, scope)).strip()
    return bounds


def supertypes(c):
    return c.extends + c.implements


def iface_conflicts(classes, res, c):
    """Methods an interface inherits both as abstract and as default: Java wants them redeclared."""
    found = {}
    seen = set()

    def walk(k, mapping):
        if k.qname in seen:
            return
        seen.add(k.qname)
        for m in k.methods:
            if "static" in m["mods"]:
                continue
            bounds = tvar_bounds(m["tparams"], res, type_param_names(m["tparams"]))
            ps = tuple(erase(substitute(res.qualify(p, set(bounds) | set(mapping)), mapping), bounds)
                       for _, p in m["params"])
            found.setdefault((m["name"], ps), []).append(("default" in m["mods"], k, m, dict(mapping)))
        for st in k.extends:
            stq = res.qualify(st, class_tvars(classes, k))
            sc = find_class(classes, stq)
            if sc:
                args = [substitute(a, mapping) for a in type_args(stq)]
                names = type_param_names(sc.tparams)
                walk(sc, dict(zip(names, args)) if len(args) == len(names) else {})
    own = {(m["name"], len(m["params"])) for m in c.methods}
    for st in c.extends:
        stq = res.qualify(st, class_tvars(classes, c))
        sc = find_class(classes, stq)
        if sc:
            args = type_args(stq)
            names = type_param_names(sc.tparams)
            walk(sc, dict(zip(names, args)) if len(args) == len(names) else {})
    out = []
    for (name, ps), decls in found.items():
        kinds = {d[0] for d in decls}
        if len(kinds) == 2 and (name, len(ps)) not in own:
            _, k, m, mp = [d for d in decls if not d[0]][0]
            out.append((k, m, mp))
    return out


_ANC = {}


def ancestors(classes, res, k):
    """Qualified names of every supertype of k."""
    if k.qname in _ANC:
        return _ANC[k.qname]
    out = set()
    _ANC[k.qname] = out
    for st in supertypes(k):
        sc = find_class(classes, res.qualify(st, class_tvars(classes, k)))
        if sc:
            out.add(sc.qname)
            out |= ancestors(classes, res, sc)
    return out


def owed_methods(classes, res, c):
    """Abstract methods c inherits and does not implement (the file omits overrides)."""
    if c.kind == "interface":
        return iface_conflicts(classes, res, c)
    if c.kind != "class" or "abstract" in c.mods:
        if c.kind != "enum":
            return []
    ctv = class_tvars(classes, c)
    cb = tvar_bounds(c.tparams, res, ctv)
    implemented = {}
    abstract = {}
    seen = set()
    iface_decls = {}

    def sig(m, mapping, bounds):
        ps = tuple(erase(substitute(res.qualify(p, bounds.keys() | set(mapping)), mapping), bounds) for _, p in m["params"])
        return (m["name"], ps)

    def walk(k, mapping):
        key = (k.qname, tuple(sorted(mapping.items())))
        if key in seen:
            return
        seen.add(key)
        ktv = class_tvars(classes, k)
        for m in (k.methods if k.kind == "interface" else []):  # classes: decided by the chain
            if "static" in m["mods"]:
                continue
            mb = dict(cb)
            mb.update(tvar_bounds(m["tparams"], res, ktv + type_param_names(m["tparams"])))
            s = sig(m, mapping, mb)
            concrete = "default" in m["mods"]
            iface_decls.setdefault(s, []).append((k.qname, concrete, k, m, dict(mapping)))
        for st in supertypes(k):
            stq = res.qualify(st, ktv)
            sc = find_class(classes, stq)
            if not sc:
                continue
            args = [substitute(a, mapping) for a in type_args(stq)]
            names = type_param_names(sc.tparams)
            sub = dict(zip(names, args)) if len(args) == len(names) else {n: "java.lang.Object" for n in names}
            walk(sc, sub)
    # own methods first
    for m in c.methods:
        mb = dict(cb)
        mb.update(tvar_bounds(m["tparams"], res, ctv + type_param_names(m["tparams"])))
        implemented[sig(m, {}, mb)] = True
    # walk class chain before interfaces so concrete superclass methods count
    chain = []
    k = c
    mapping = {}
    while k is not None:
        chain.append((k, mapping))
        if not k.extends or k.kind != "class":
            break
        stq = res.qualify(k.extends[0], class_tvars(classes, k))
        sc = find_class(classes, stq)
        if not sc:
            break
        args = [substitute(a, mapping) for a in type_args(stq)]
        names = type_param_names(sc.tparams)
        mapping = dict(zip(names, args)) if len(args) == len(names) else {n: "java.lang.Object" for n in names}
        k = sc
    if c.kind == "enum" and "java.lang.Enum" in classes:
        chain.append((classes["java.lang.Enum"], {"E": c.qname}))
    for k, mp in chain[1:]:
        for m in k.methods:
            if "static" in m["mods"]:
                continue
            mb = dict(cb)
            mb.update(tvar_bounds(m["tparams"], res, class_tvars(classes, k) + type_param_names(m["tparams"])))
            s = sig(m, mp, mb)
            if s in implemented or s in abstract:
                continue  # a nearer class already decided
            if "abstract" in m["mods"]:
                abstract[s] = (k, m, dict(mp))
            else:
                implemented[s] = True
    if c.qname != "java.lang.Object" and "java.lang.Object" in classes:
        for m in classes["java.lang.Object"].methods:
            if "static" not in m["mods"]:
                s = sig(m, {}, cb)
                if s not in abstract:
                    implemented[s] = True
    for k, mp in chain:
        walk(k, mp)
    # among interface declarations the most specific win (a sub-interface may re-abstract a default)
    for s, decls in iface_decls.items():
        if s in implemented or s in abstract:
            continue
        keep = [d for d in decls
                if not any(e[0] != d[0] and d[0] in ancestors(classes, res, e[2]) for e in decls)]
        if keep and not any(d[1] for d in keep):
            abstract[s] = (keep[0][2], keep[0][3], keep[0][4])
    owed = []
    for s, (k, m, mp) in abstract.items():
        if s in implemented:
            continue
        owed.append((k, m, mp))
    return owed


class Writer:
    def __init__(self, classes, res):
        self.classes = classes
        self.res = res

    def ann(self, nn):
        return {"NN": "@android.annotation.NonNull ", "NL": "@android.annotation.Nullable "}.get(nn, "")

    def dep(self, deprecated):
        return "@java.lang.Deprecated " if deprecated else ""

    def visibility(self, mods):
        return " ".join(x for x in mods if x in ("public", "protected"))

    def params(self, params, scope, mapping=None):
        out = []
        for i, (nn, t) in enumerate(params):
            t = self.res.qualify(t, scope)
            if mapping:
                t = substitute(t, mapping)
            # a nullability annotation cannot sit on a primitive
            a = self.ann(nn) if t not in PRIMS else ""
            out.append("%s%s p%d" % (a, t, i))
        return ", ".join(out)

    def throws(self, throws, scope):
        return (" throws " + self.res.qualify(throws, scope)) if throws else ""

    def pick_super_ctor(self, c, scope):
        """Arguments for a super(...) call that compiles, or None if the superclass has none."""
        if c.kind != "class" or not c.extends:
            return ""
        stq = self.res.qualify(c.extends[0], scope)
        sc = find_class(self.classes, stq)
        if sc is None:
            return ""
        ctors = [x for x in sc.ctors] or ([{"params": [(None, MARKER)], "throws": ""}] if sc.needs_marker else [])
        if not ctors:
            return ""
        # a constructor that throws checked exceptions would need a throws clause on ours
        best = min(ctors, key=lambda x: (bool(x.get("throws")), len(x["params"])))
        stv = class_tvars(self.classes, sc)
        bounds = tvar_bounds(sc.tparams, self.res, stv)
        args = []
        for _, p in best["params"]:
            p = self.res.qualify(p, stv)
            if p in PRIMS:
                args.append(ZERO[p])
            elif re.sub(r"[<\[].*", "", p).strip() in bounds:
                args.append("null")  # the superclass's own type variable: let javac infer
            else:
                args.append("(%s) null" % erase(p, bounds))
        return ", ".join(args)

    def body(self):
        return " { throw new java.lang.RuntimeException(\"Stub!\"); }"

    def emit(self, c, indent):
        pad = "  " * indent
        scope = class_tvars(self.classes, c)
        out = []
        mods = [m for m in c.mods if m in ("public", "protected", "static", "final", "abstract")]
        if c.kind in ("interface", "@interface", "enum"):
            mods = [m for m in mods if m not in ("final", "abstract")]
        if indent == 0:
            mods = [m for m in mods if m != "static"]
        head = " ".join(mods + [c.kind, c.simple])
        if c.tparams:
            head += "<" + self.res.qualify(c.tparams, scope) + ">"
        if c.kind == "class" and c.extends:
            head += " extends " + self.res.qualify(c.extends[0], scope)
        if c.kind == "interface" and c.extends:
            head += " extends " + ", ".join(self.res.qualify(x, scope) for x in c.extends)
        if c.implements:
            head += " implements " + ", ".join(self.res.qualify(x, scope) for x in c.implements)
        out.append(pad + self.dep(c.deprecated) + head + " {")
        ip = pad + "  "
        if c.kind == "enum":
            out.append(ip + ", ".join(c.enum_constants) + ";")
        for f in c.fields:
            t = self.res.qualify(f["type"], scope)
            fm = [m for m in f["mods"] if m in ("public", "protected", "static", "final", "transient", "volatile")]
            init = ""
            if f["value"] is not None and "final" in fm:
                v = f["value"]
                if t in ("byte", "short", "char"):
                    v = "(%s) %s" % (t, v)
                init = " = " + v
            elif "final" in fm:
                if t in PRIMS:
                    fm.remove("final")
                else:
                    init = " = null"
            a = self.ann(f["nn"]) if t not in PRIMS else ""
            out.append(ip + "%s%s%s %s %s%s;" % (self.dep(f.get("deprecated")), a, " ".join(fm), t, f["name"], init))
        superargs = self.pick_super_ctor(c, scope)
        ctors = list(c.ctors)
        if c.kind == "class" and not ctors and c.needs_marker:
            ctors = [{"mods": ["protected"], "params": [(None, MARKER)], "throws": ""}]
        for k in ctors:
            call = ("super(%s); " % superargs) if c.kind == "class" and c.extends else ""
            ktp = k.get("tparams", "")
            if not ktp:
                free = sorted({w for _, p in k["params"] for w in re.findall(r"(?<![\w.])[A-Z](?![\w.])", p)} - set(scope))
                ktp = ", ".join(free)
            kscope = scope + type_param_names(ktp)
            out.append(ip + "%s%s %s%s(%s)%s { %sthrow new java.lang.RuntimeException(\"Stub!\"); }" % (
                self.dep(k.get("deprecated")), self.visibility(k["mods"]), ("<%s> " % self.res.qualify(ktp, kscope)) if ktp else "",
                c.simple, self.params(k["params"], kscope),
                self.throws(k["throws"], scope), call))
        for m in c.methods:
            if c.kind == "enum" and "static" in m["mods"] and (
                    (m["name"] == "values" and not m["params"]) or
                    (m["name"] == "valueOf" and len(m["params"]) == 1)):
                continue  # implicit in every Java enum
            if c.kind == "enum" and m["name"] in ENUM_FINAL:
                continue  # final in java.lang.Enum; the file repeats them
            out.append(self.method(c, m, scope, ip, None))
        for (k, m, mp) in owed_methods(self.classes, self.res, c):
            mm = dict(m)
            mm["mods"] = [x for x in m["mods"] if x not in ("abstract", "default")] + ["public"]
            mm["mods"] = list(dict.fromkeys(x for x in mm["mods"] if x != "protected" or "public" not in m["mods"]))
            out.append(self.method(c, mm, class_tvars(self.classes, k), ip, mp, owed=True))
        for ch in c.children:
            out.extend(self.emit(ch, indent + 1))
        out.append(pad + "}")
        return out

    def method(self, c, m, scope, ip, mapping, owed=False):
        mscope = scope + type_param_names(m["tparams"])
        mods = [x for x in m["mods"] if x in ("public", "protected", "static", "final", "abstract", "default", "synchronized")]
        if owed:
            mods = [x for x in mods if x in ("public", "protected")]
            if "public" in mods and "protected" in mods:
                mods.remove("protected")
        is_iface = c.kind in ("interface", "@interface")
        abstract = "abstract" in mods or (is_iface and "default" not in mods and "static" not in mods)
        if c.kind == "@interface":
            mods = []
        if is_iface:
            mods = [x for x in mods if x not in ("abstract", "synchronized", "final", "protected")]
        ret = self.res.qualify(m["ret"], mscope)
        if mapping:
            ret = substitute(ret, mapping)
        tp = ("<" + self.res.qualify(m["tparams"], mscope) + "> ") if m["tparams"] else ""
        a = self.ann(m["nn"]) if ret not in PRIMS else ""
        sig = "%s%s%s %s%s %s(%s)%s" % (self.dep(m.get("deprecated")), a, " ".join(mods), tp, ret, m["name"],
                                      self.params(m["params"], mscope, mapping),
                                      self.throws(m["throws"], mscope))
        return ip + sig + (";" if abstract else self.body())


def main():
    src, out = sys.argv[1], sys.argv[2]
    classes = parse(src)
    res = Resolver(classes)
    # nest, and decide which classes need the synthetic constructor
    top = []
    for c in classes.values():
        c.needs_marker = False
    for c in classes.values():
        if "." in c.name:
            outer = classes[c.pkg + "." + c.name.rsplit(".", 1)[0]]
            outer.children.append(c)
        else:
            top.append(c)
    for c in classes.values():
        if c.kind == "class" and not c.ctors:
            c.needs_marker = True
    w = Writer(classes, res)
    count = 0
    for c in top:
        d = os.path.join(out, *c.pkg.split("."))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, c.simple + ".java"), "w", encoding="utf-8") as f:
            f.write("package %s;\n\n" % c.pkg)
            f.write("\n".join(w.emit(c, 0)) + "\n")
        count += 1
    # nullability annotations kotlinc understands, and the constructor marker
    d = os.path.join(out, "android", "annotation")
    os.makedirs(d, exist_ok=True)
    for name in ("NonNull", "Nullable"):
        with open(os.path.join(d, name + ".java"), "w") as f:
            f.write("package android.annotation;\n\n"
                    "@java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.CLASS)\n"
                    "public @interface %s {}\n" % name)
    with open(os.path.join(d, "StubConstructorMarker.java"), "w") as f:
        f.write("package android.annotation;\n\n/** Not part of the Android API: lets stubs chain constructors. */\n"
                "public final class StubConstructorMarker { private StubConstructorMarker() {} }\n")
    print("sigstubs: %d classes, %d top-level files" % (len(classes), count))


if __name__ == "__main__":
    main()
