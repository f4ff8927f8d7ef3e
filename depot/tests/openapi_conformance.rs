//! The OpenAPI document says what the server enforces, checked against a real depot process.
//!
//! For every operation of `depot/src/http/openapi.json`, requests are generated from the
//! document's own schemas with a seeded generator: valid ones (every constraint met) and
//! invalid ones (one constraint broken at a time: a member missing, a value one past a bound,
//! a string one over its length or off its pattern, a wrong type, a member the schema excludes,
//! a path or query parameter out of its range or format). They are sent with the token of an
//! enrolled device of a role the route serves (now and then of one it does not), and:
//!
//! - every answer's status is one the document lists for the operation, and its body
//!   validates against the schema listed for that status;
//! - a valid request is never refused for its shape (no 400, 413 or 422); a 403, 404 or 409 for
//!   a business reason is fine;
//! - an invalid request is refused with a listed 4xx and the typed error body, except inside a
//!   list the document marks `x-refused-alone` (a push's mutations): there the one item may
//!   instead be refused alone in the answer (`results[i].rejected`), and a valid item is never
//!   refused with one of the codes the marker names.
//!
//! Every constraint the valid requests meet is broken once or twice, preferably in a request
//! (or item) whose valid form went through: there the refusal can only be the broken
//! constraint's, so an item must be refused with one of the marker's codes; elsewhere a refusal
//! checked first (forbidden, not found) may come before it.
//!
//! Rules the schemas cannot state (a push's device and increasing counters, a stock entry's
//! id equal to its mutation's, a base older than its write, references to existing accounts)
//! are stated in the document's descriptions; the generator follows them (`fix_up`,
//! `refresh`), so that valid means valid. The document is checked with a small validator for
//! the subset of JSON Schema it uses (plus its own `x-maxBytes`); a keyword or pattern outside
//! the subset fails the test rather than being ignored. `OPENAPI_SHOW_BREAKS=1` lists the
//! constraints broken.

mod common;
use common::{Dev, Server};
use fundi_sync::dates::Day;
use fundi_sync::enrollment::{EnrollStartReply, PhoneEnrollment};
use fundi_sync::testing::SeededRng as Rng;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const DOCUMENT: &str = include_str!("../src/http/openapi.json");
/// The default depot's id (`store::depots::DEFAULT_DEPOT`), which every account here is in.
const DEFAULT_DEPOT: &str = "00000000-0000-7000-8000-00000000d001";
const SEED: u64 = 0x0a91;
/// Valid requests per operation, and for the push, whose body holds most of the constraints.
const VALID_PER_OPERATION: usize = 16;
const PUSH_VALID: usize = 40;
/// Photos the artisan's drafts name, one for each upload the valid requests make (ten drafts).
const UPLOAD_BLOBS: usize = 80;

/// Regular expressions, the subset the document's `pattern`s use: anchors, literals, `.`,
/// classes with ranges and negation, the escapes `\d \D \s \S \w \xHH \uHHHH`, and the
/// quantifiers `* + ? {n} {n,} {n,m}`. Matched by backtracking; strings generated from them.
mod re {
    #[derive(Clone, Debug)]
    enum Item {
        Range(char, char),
        Digit(bool),
        Space(bool),
        Word(bool),
    }

    #[derive(Clone, Debug)]
    enum Atom {
        Char(char),
        Any,
        Class { negated: bool, items: Vec<Item> },
    }

    #[derive(Clone, Debug)]
    struct Piece {
        atom: Atom,
        min: usize,
        max: Option<usize>,
    }

    #[derive(Clone, Debug)]
    pub struct Pattern {
        start: bool,
        end: bool,
        pieces: Vec<Piece>,
    }

    fn item_matches(i: &Item, c: char) -> bool {
        match i {
            Item::Range(a, b) => *a <= c && c <= *b,
            Item::Digit(yes) => c.is_ascii_digit() == *yes,
            Item::Space(yes) => c.is_whitespace() == *yes,
            Item::Word(yes) => (c.is_ascii_alphanumeric() || c == '_') == *yes,
        }
    }

    fn atom_matches(a: &Atom, c: char) -> bool {
        match a {
            Atom::Char(x) => *x == c,
            Atom::Any => c != '\n',
            Atom::Class { negated, items } => items.iter().any(|i| item_matches(i, c)) != *negated,
        }
    }

    fn escape(chars: &[char], i: &mut usize) -> Result<Item, char> {
        let c = chars[*i];
        *i += 1;
        let hex = |i: &mut usize, n: usize| {
            let s: String = chars[*i..*i + n].iter().collect();
            *i += n;
            char::from_u32(u32::from_str_radix(&s, 16).expect("hex escape")).expect("a char")
        };
        Ok(match c {
            'd' => Item::Digit(true),
            'D' => Item::Digit(false),
            's' => Item::Space(true),
            'S' => Item::Space(false),
            'w' => Item::Word(true),
            'W' => Item::Word(false),
            'x' => return Err(hex(i, 2)),
            'u' => return Err(hex(i, 4)),
            'n' => return Err('\n'),
            't' => return Err('\t'),
            other if other.is_ascii_alphanumeric() => panic!("pattern escape \\{other} is outside the subset"),
            other => return Err(other),
        })
    }

    impl Pattern {
        pub fn parse(p: &str) -> Pattern {
            let chars: Vec<char> = p.chars().collect();
            let mut i = 0;
            let start = chars.first() == Some(&'^');
            if start {
                i = 1;
            }
            let mut end_at = chars.len();
            let end = chars.len() > i && chars[end_at - 1] == '$' && (end_at < 2 || chars[end_at - 2] != '\\');
            if end {
                end_at -= 1;
            }
            let mut pieces = vec![];
            while i < end_at {
                let c = chars[i];
                i += 1;
                let atom = match c {
                    '.' => Atom::Any,
                    '\\' => match escape(&chars, &mut i) {
                        Ok(item) => Atom::Class { negated: false, items: vec![item] },
                        Err(c) => Atom::Char(c),
                    },
                    '[' => {
                        let negated = chars[i] == '^';
                        if negated {
                            i += 1;
                        }
                        let mut items = vec![];
                        while chars[i] != ']' {
                            let lo = if chars[i] == '\\' {
                                i += 1;
                                match escape(&chars, &mut i) {
                                    Ok(item) => {
                                        items.push(item);
                                        continue;
                                    }
                                    Err(c) => c,
                                }
                            } else {
                                i += 1;
                                chars[i - 1]
                            };
                            if chars[i] == '-' && chars[i + 1] != ']' {
                                i += 1;
                                let hi = if chars[i] == '\\' {
                                    i += 1;
                                    escape(&chars, &mut i).expect_err("a range ends in a character")
                                } else {
                                    i += 1;
                                    chars[i - 1]
                                };
                                items.push(Item::Range(lo, hi));
                            } else {
                                items.push(Item::Range(lo, lo));
                            }
                        }
                        i += 1;
                        Atom::Class { negated, items }
                    }
                    '(' | ')' | '|' | '^' | '$' => panic!("pattern {p:?}: {c:?} is outside the subset"),
                    c => Atom::Char(c),
                };
                let (min, max, next) = match chars.get(i).filter(|_| i < end_at) {
                    Some('*') => (0, None, i + 1),
                    Some('+') => (1, None, i + 1),
                    Some('?') => (0, Some(1), i + 1),
                    Some('{') => {
                        let close = i + chars[i..].iter().position(|c| *c == '}').expect("a closing brace");
                        let inner: String = chars[i + 1..close].iter().collect();
                        let (lo, hi) = match inner.split_once(',') {
                            None => (inner.parse().unwrap(), Some(inner.parse().unwrap())),
                            Some((lo, "")) => (lo.parse().unwrap(), None),
                            Some((lo, hi)) => (lo.parse().unwrap(), Some(hi.parse().unwrap())),
                        };
                        (lo, hi, close + 1)
                    }
                    _ => (1, Some(1), i),
                };
                i = next;
                pieces.push(Piece { atom, min, max });
            }
            Pattern { start, end, pieces }
        }

        fn match_from(&self, s: &[char], piece: usize, at: usize) -> bool {
            let Some(p) = self.pieces.get(piece) else { return !self.end || at == s.len() };
            let mut n = 0;
            while n < p.min {
                if at + n >= s.len() || !atom_matches(&p.atom, s[at + n]) {
                    return false;
                }
                n += 1;
            }
            // Greedy, then back off.
            let mut longest = n;
            while p.max.is_none_or(|m| longest < m) && at + longest < s.len() && atom_matches(&p.atom, s[at + longest]) {
                longest += 1;
            }
            (n..=longest).rev().any(|k| self.match_from(s, piece + 1, at + k))
        }

        pub fn is_match(&self, s: &str) -> bool {
            let chars: Vec<char> = s.chars().collect();
            let starts = if self.start { 0..=0 } else { 0..=chars.len() };
            starts.into_iter().any(|at| self.match_from(&chars, 0, at))
        }

        /// A matching string drawn from `alphabet` (each piece repeated at most `spread` times
        /// beyond its minimum; a literal character outside it stands for itself).
        pub fn generate(&self, rng: &mut impl FnMut(u64) -> u64, alphabet: &[char], spread: usize) -> String {
            let mut out = String::new();
            for p in &self.pieces {
                let extra = p.max.map_or(spread, |m| (m - p.min).min(spread));
                let n = p.min + rng(extra as u64 + 1) as usize;
                let mut fits: Vec<char> = alphabet.iter().copied().filter(|c| atom_matches(&p.atom, *c)).collect();
                if let (true, Atom::Char(c)) = (fits.is_empty(), &p.atom) {
                    fits.push(*c); // a literal outside the alphabet (`sha256 `, base64's `=`)
                }
                assert!(!fits.is_empty(), "no character of the alphabet fits {:?}", p.atom);
                for _ in 0..n {
                    out.push(fits[rng(fits.len() as u64) as usize]);
                }
            }
            out
        }
    }
}

/// The document, and the JSON Schema subset it uses: validation and generation.
struct Spec {
    root: Value,
}

/// Where in a request a value sits (object members and list items).
#[derive(Clone, Debug, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn show(path: &[Seg]) -> String {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => format!("/{k}"),
            Seg::Index(i) => format!("/{i}"),
        })
        .collect()
}

const KNOWN_KEYWORDS: &[&str] = &[
    "$ref",
    "type",
    "enum",
    "const",
    "not",
    "allOf",
    "oneOf",
    "properties",
    "required",
    "additionalProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "description",
];

/// A JSON number as an exact integer when it is one (i128 holds every i64 and u64).
fn as_int(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or(n.as_u64().map(i128::from))
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i128)),
        _ => None,
    }
}

/// An integer as JSON: exact within 64 bits, a float beyond (still an integer to a schema).
fn int_value(n: i128) -> Value {
    if let Ok(i) = i64::try_from(n) {
        json!(i)
    } else if let Ok(u) = u64::try_from(n) {
        json!(u)
    } else {
        json!(n as f64)
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) if as_int(v).is_some() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36 && s.char_indices().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}

impl Spec {
    fn new() -> Spec {
        Spec { root: serde_json::from_str(DOCUMENT).unwrap() }
    }

    /// Every schema of the document uses only the subset's keywords and patterns.
    fn check_subset(&self) {
        fn walk(s: &Value) {
            let Some(obj) = s.as_object() else {
                assert!(s.is_boolean(), "not a schema: {s}");
                return;
            };
            for (k, v) in obj {
                assert!(KNOWN_KEYWORDS.contains(&k.as_str()) || k.starts_with("x-"), "keyword {k:?} is outside the subset");
                match k.as_str() {
                    "properties" => v.as_object().unwrap().values().for_each(walk),
                    "items" | "additionalProperties" | "not" | "propertyNames" => walk(v),
                    "allOf" | "oneOf" => v.as_array().unwrap().iter().for_each(walk),
                    "pattern" => {
                        re::Pattern::parse(v.as_str().unwrap());
                    }
                    "format" => assert!(v == "uuid" || v == "date", "format {v} is outside the subset"),
                    _ => {}
                }
            }
        }
        self.root["components"]["schemas"].as_object().unwrap().values().for_each(walk);
        for item in self.root["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                for p in op.get("parameters").and_then(Value::as_array).into_iter().flatten() {
                    walk(&self.resolve(p)["schema"]);
                }
                for c in [op.get("requestBody")].into_iter().flatten().chain(op["responses"].as_object().unwrap().values()) {
                    if let Some(s) = self.resolve(c).get("content").and_then(|c| c["application/json"].get("schema")) {
                        walk(s);
                    }
                    for h in self.resolve(c).get("headers").and_then(Value::as_object).into_iter().flatten().map(|(_, h)| h) {
                        walk(&self.resolve(h)["schema"]);
                    }
                }
            }
        }
    }

    /// Follow a `#/...` reference.
    fn pointer(&self, r: &str) -> &Value {
        let p = r.strip_prefix('#').unwrap_or_else(|| panic!("only local references: {r}"));
        self.root.pointer(p).unwrap_or_else(|| panic!("dangling reference {r}"))
    }

    /// The schema itself, or what its `$ref` names (a `$ref` with siblings other than a
    /// description is outside the subset).
    fn resolve<'a>(&'a self, s: &'a Value) -> &'a Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                assert!(s.as_object().unwrap().keys().all(|k| k == "$ref" || k == "description"), "$ref with siblings: {s}");
                self.resolve(self.pointer(r))
            }
            None => s,
        }
    }

    /// Check `v` against `schema`; the first violation found, with where it is.
    fn validate(&self, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
        let s = self.resolve(schema);
        let fail = |what: String| Err(format!("{at}: {what}"));
        let obj = match s {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => return fail("no value is allowed here".into()),
            Value::Object(o) => o,
            _ => panic!("not a schema: {s}"),
        };
        for k in obj.keys() {
            assert!(
                KNOWN_KEYWORDS.contains(&k.as_str()) || k.starts_with("x-"),
                "keyword {k:?} is outside the validator's subset"
            );
        }
        if let Some(t) = obj.get("type") {
            let types: Vec<&str> = match t {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                _ => panic!("type {t}"),
            };
            let actual = type_of(v);
            if !types.iter().any(|t| *t == actual || (*t == "number" && actual == "integer")) {
                return fail(format!("{actual} where {types:?} is expected"));
            }
        }
        if let Some(e) = obj.get("enum") {
            if !e.as_array().unwrap().contains(v) {
                return fail(format!("{v} is not one of {e}"));
            }
        }
        if let Some(c) = obj.get("const") {
            if c != v {
                return fail(format!("{v} is not {c}"));
            }
        }
        if let Some(n) = obj.get("not") {
            if self.validate(n, v, at).is_ok() {
                return fail(format!("{v} matches what is excluded ({n})"));
            }
        }
        for sub in obj.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            self.validate(sub, v, at)?;
        }
        if let Some(branches) = obj.get("oneOf").and_then(Value::as_array) {
            let ok = branches.iter().filter(|b| self.validate(b, v, at).is_ok()).count();
            if ok != 1 {
                return fail(format!("{ok} of the oneOf alternatives match, not one"));
            }
        }
        match v {
            Value::String(text) => {
                let len = text.chars().count() as u64;
                if obj.get("maxLength").and_then(Value::as_u64).is_some_and(|m| len > m) {
                    return fail(format!("{len} characters, over maxLength"));
                }
                if obj.get("minLength").and_then(Value::as_u64).is_some_and(|m| len < m) {
                    return fail(format!("{len} characters, under minLength"));
                }
                if let Some(p) = obj.get("pattern").and_then(Value::as_str) {
                    if !re::Pattern::parse(p).is_match(text) {
                        return fail(format!("{text:?} does not match {p}"));
                    }
                }
                // Not JSON Schema: the document's own keyword for a limit in UTF-8 bytes.
                if obj.get("x-maxBytes").and_then(Value::as_u64).is_some_and(|m| text.len() as u64 > m) {
                    return fail(format!("{} bytes, over x-maxBytes", text.len()));
                }
                match obj.get("format").and_then(Value::as_str) {
                    Some("uuid") if !is_uuid(text) => return fail(format!("{text:?} is not a UUID")),
                    Some("date") if Day::parse(text).is_err() => return fail(format!("{text:?} is not a date (YYYY-MM-DD)")),
                    Some("uuid" | "date") | None => {}
                    Some(f) => panic!("format {f} is outside the subset"),
                }
            }
            Value::Number(_) => {
                let n = as_int(v);
                let f = v.as_f64().unwrap();
                if let Some(m) = obj.get("minimum") {
                    let below = match (n, as_int(m)) {
                        (Some(n), Some(m)) => n < m,
                        _ => f < m.as_f64().unwrap(),
                    };
                    if below {
                        return fail(format!("{v} is below the minimum {m}"));
                    }
                }
                if let Some(m) = obj.get("maximum") {
                    let above = match (n, as_int(m)) {
                        (Some(n), Some(m)) => n > m,
                        _ => f > m.as_f64().unwrap(),
                    };
                    if above {
                        return fail(format!("{v} is above the maximum {m}"));
                    }
                }
            }
            Value::Array(items) => {
                let n = items.len() as u64;
                if obj.get("maxItems").and_then(Value::as_u64).is_some_and(|m| n > m) {
                    return fail(format!("{n} items, over maxItems"));
                }
                if obj.get("minItems").and_then(Value::as_u64).is_some_and(|m| n < m) {
                    return fail(format!("{n} items, under minItems"));
                }
                if let Some(item) = obj.get("items") {
                    for (i, x) in items.iter().enumerate() {
                        self.validate(item, x, &format!("{at}/{i}"))?;
                    }
                }
            }
            Value::Object(members) => {
                for r in obj.get("required").and_then(Value::as_array).into_iter().flatten() {
                    if !members.contains_key(r.as_str().unwrap()) {
                        return fail(format!("member {r} is missing"));
                    }
                }
                let n = members.len() as u64;
                if obj.get("maxProperties").and_then(Value::as_u64).is_some_and(|m| n > m) {
                    return fail(format!("{n} members, over maxProperties"));
                }
                if obj.get("minProperties").and_then(Value::as_u64).is_some_and(|m| n < m) {
                    return fail(format!("{n} members, under minProperties"));
                }
                let props = obj.get("properties").and_then(Value::as_object);
                for (k, x) in members {
                    if let Some(names) = obj.get("propertyNames") {
                        self.validate(names, &json!(k), &format!("{at}/{k} (name)"))?;
                    }
                    match props.and_then(|p| p.get(k)) {
                        Some(sub) => self.validate(sub, x, &format!("{at}/{k}"))?,
                        None => match obj.get("additionalProperties") {
                            None | Some(Value::Bool(true)) => {}
                            Some(extra) => self.validate(extra, x, &format!("{at}/{k}"))?,
                        },
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// One alternative of a `oneOf` folded into its schema: members the alternative narrows
    /// take its schema, members it excludes (`false`) go, its required members are added.
    fn fold(&self, base: &Map<String, Value>, branch: &Value) -> Value {
        let branch = self.resolve(branch).as_object().unwrap();
        let mut out = base.clone();
        out.remove("oneOf");
        let mut props = out.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        for (k, s) in branch.get("properties").and_then(Value::as_object).into_iter().flatten() {
            props.insert(k.clone(), s.clone());
        }
        let mut required: Vec<Value> = out.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
        for r in branch.get("required").and_then(Value::as_array).into_iter().flatten() {
            if !required.contains(r) {
                required.push(r.clone());
            }
        }
        for k in branch.keys() {
            assert!(["properties", "required", "description"].contains(&k.as_str()), "a oneOf alternative with {k}");
        }
        out.insert("properties".into(), Value::Object(props));
        out.insert("required".into(), Value::Array(required));
        Value::Object(out)
    }

    /// The schema with its `oneOf` resolved: the alternative `v` matches (or a random one).
    fn effective(&self, schema: &Value, v: Option<&Value>, rng: &mut Rng) -> Value {
        let s = self.resolve(schema);
        let Some(branches) = s.get("oneOf").and_then(Value::as_array) else { return s.clone() };
        let pick = match v {
            Some(v) => branches.iter().position(|b| self.validate(b, v, "").is_ok()).expect("a matching alternative"),
            None => rng.below(branches.len() as u64) as usize,
        };
        self.fold(s.as_object().unwrap(), &branches[pick])
    }
}

/// Characters generated strings are made of (letters, digits, a space, a few signs, and a
/// character outside ASCII).
const ALPHABET: &[char] = &['a', 'b', 'c', 'k', 'm', 'z', 'A', 'K', 'Z', '0', '1', '7', '9', ' ', '-', '_', '.', 'é', 'ñ'];

/// Generates values from schemas.
struct Gen<'a> {
    spec: &'a Spec,
    rng: Rng,
}

impl Gen<'_> {
    fn below(&mut self, n: u64) -> u64 {
        self.rng.below(n)
    }

    fn chance(&mut self, p: u64) -> bool {
        self.rng.chance(p)
    }

    fn text(&mut self, min: usize, max: Option<usize>) -> String {
        // Now and then blank, or with a control character, where the document allows it, to
        // find a rule it does not state.
        let r = self.below(100);
        if r < 4 && min <= 3 && max.is_none_or(|m| m >= 3) {
            return "   ".into();
        }
        if r < 8 && min <= 3 && max.is_none_or(|m| m >= 3) {
            return "k\u{7}k".into();
        }
        // Now and then long, where no maximum is documented, to find an undocumented one.
        let len = match max {
            None if self.chance(10) => 600,
            _ => min + self.below((max.unwrap_or(min + 12).min(min + 12) - min) as u64 + 1) as usize,
        };
        // Starting with a letter, so that a text is never blank.
        (0..len).map(|i| if i == 0 { 'k' } else { ALPHABET[self.below(ALPHABET.len() as u64) as usize] }).collect()
    }

    fn uuid(&mut self) -> String {
        let hex: String = (0..32).map(|_| char::from_digit(self.below(16) as u32, 16).unwrap()).collect();
        format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
    }

    /// Any small JSON value (for schemas that allow anything).
    fn any(&mut self, depth: u32) -> Value {
        match self.below(if depth > 1 { 4 } else { 6 }) {
            0 => Value::Null,
            1 => json!(self.chance(50)),
            2 => json!(self.below(1000) as i64 - 500),
            3 => json!(self.text(0, Some(8))),
            4 => Value::Array((0..self.below(3)).map(|_| self.any(depth + 1)).collect()),
            _ => Value::Object((0..self.below(3)).map(|i| (format!("k{i}"), self.any(depth + 1))).collect()),
        }
    }

    fn integer(&mut self, s: &Map<String, Value>) -> i128 {
        let lo = s.get("minimum").and_then(as_int);
        let hi = s.get("maximum").and_then(as_int);
        let r = self.below(100);
        // The bounds themselves often; beyond an undocumented bound now and then.
        match (lo, hi) {
            (Some(l), _) if r < 15 => l,
            (_, Some(h)) if r < 30 => h,
            (None, _) if r < 35 => i64::MIN as i128,
            (_, None) if r < 40 => u64::MAX as i128,
            _ => {
                let l = lo.unwrap_or(hi.map_or(-1000, |h| h - 1000));
                let h = hi.map_or(l + 1000, |h| h.min(l + 1000));
                l + self.below((h - l + 1) as u64) as i128
            }
        }
    }

    /// A value valid against `schema`.
    fn valid(&mut self, schema: &Value) -> Value {
        let s = self.spec.effective(schema, None, &mut self.rng);
        let obj = match &s {
            Value::Bool(true) => return self.any(0),
            Value::Object(o) if o.is_empty() || o.keys().all(|k| k == "description") => return self.any(0),
            Value::Object(o) => o.clone(),
            _ => panic!("cannot generate from {s}"),
        };
        let v = self.valid_obj(&obj);
        if let Some(n) = obj.get("not") {
            for _ in 0..20 {
                if self.spec.validate(n, &v, "").is_err() {
                    return v;
                }
                let again = self.valid_obj(&obj);
                if self.spec.validate(n, &again, "").is_err() {
                    return again;
                }
            }
            panic!("nothing generated outside {n}");
        }
        v
    }

    fn valid_obj(&mut self, s: &Map<String, Value>) -> Value {
        if let Some(e) = s.get("enum").and_then(Value::as_array) {
            return e[self.below(e.len() as u64) as usize].clone();
        }
        if let Some(c) = s.get("const") {
            return c.clone();
        }
        let types: Vec<String> = match s.get("type") {
            Some(Value::String(t)) => vec![t.clone()],
            Some(Value::Array(ts)) => ts.iter().map(|t| t.as_str().unwrap().to_string()).collect(),
            _ => vec!["object".into()],
        };
        let t = if types.len() > 1 && types.contains(&"null".to_string()) && self.chance(30) {
            "null".to_string()
        } else {
            types.iter().find(|t| *t != "null").cloned().unwrap_or_default()
        };
        match t.as_str() {
            "null" => Value::Null,
            "boolean" => json!(self.chance(50)),
            "integer" => int_value(self.integer(s)),
            "string" => {
                let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
                let max = s.get("maxLength").and_then(Value::as_u64).map(|m| m as usize);
                if s.get("format").and_then(Value::as_str) == Some("uuid") {
                    return json!(self.uuid());
                }
                if s.get("format").and_then(Value::as_str) == Some("date") {
                    // Any day of 2000-2100 (the range a due date may name).
                    let first = Day::parse("2000-01-01").unwrap().0;
                    return json!(Day(first + self.below(36_890) as i64).to_string());
                }
                if let Some(p) = s.get("pattern").and_then(Value::as_str) {
                    let p = re::Pattern::parse(p);
                    for _ in 0..50 {
                        let rng = &mut self.rng;
                        let text = p.generate(&mut |n| rng.below(n), ALPHABET, 6);
                        let len = text.chars().count();
                        if len >= min && max.is_none_or(|m| len <= m) {
                            return json!(text);
                        }
                    }
                    panic!("no string of the length asked matches {s:?}");
                }
                json!(self.text(min, max))
            }
            "array" => {
                let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
                let max = s.get("maxItems").and_then(Value::as_u64).unwrap_or(min + 3).min(min + 3);
                let n = min + self.below(max - min + 1);
                let item = s.get("items").cloned().unwrap_or(Value::Bool(true));
                Value::Array((0..n).map(|_| self.valid(&item)).collect())
            }
            "object" => {
                let mut out = Map::new();
                let required: Vec<&str> =
                    s.get("required").and_then(Value::as_array).into_iter().flatten().map(|r| r.as_str().unwrap()).collect();
                for (k, sub) in s.get("properties").and_then(Value::as_object).into_iter().flatten() {
                    if *sub == Value::Bool(false) {
                        continue;
                    }
                    if required.contains(&k.as_str()) || self.chance(50) {
                        out.insert(k.clone(), self.valid(sub));
                    }
                }
                match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {}
                    None | Some(Value::Bool(true)) => {
                        // A member from a newer client: kept, never refused.
                        if self.chance(20) {
                            out.insert("from_a_newer_app".into(), json!("kept"));
                        }
                    }
                    Some(extra) => {
                        let min = s.get("minProperties").and_then(Value::as_u64).unwrap_or(0);
                        let n = min + self.below(3);
                        let names = s.get("propertyNames").cloned().unwrap_or(json!({"type": "string"}));
                        for _ in 0..n {
                            let name = self.valid(&names);
                            out.insert(name.as_str().unwrap().to_string(), self.valid(extra));
                        }
                    }
                }
                Value::Object(out)
            }
            other => panic!("type {other} is outside the generator's subset"),
        }
    }
}

/// One way to break a valid value: at `path`, put `value` (or remove the member, `None`).
#[derive(Clone, Debug)]
struct Break {
    path: Vec<Seg>,
    value: Option<Value>,
    what: String,
}

fn wrong_type(v: &Value) -> Value {
    match v {
        Value::String(_) => json!(12345),
        Value::Number(_) => json!("twelve"),
        Value::Bool(_) => json!("true"),
        Value::Null => json!(17),
        Value::Array(_) => json!({"not": "a list"}),
        Value::Object(_) => json!("not an object"),
    }
}

impl Gen<'_> {
    /// Every constraint of `schema` that `v` (valid) meets and one edit would break.
    fn breaks(&mut self, schema: &Value, v: &Value, path: &[Seg], out: &mut Vec<Break>) {
        let s = self.spec.effective(schema, Some(v), &mut self.rng);
        let Some(obj) = s.as_object().cloned() else { return };
        if obj.contains_key("x-binary") {
            return; // raw bytes: nothing to break
        }
        if obj.contains_key("x-request") {
            // The request's own parts: a required body can go missing; the rest is the
            // document's parameters and body, broken one by one below.
            if path.is_empty() && obj["required"].as_array().unwrap().contains(&json!("body")) {
                out.push(Break { path: vec![Seg::Key("body".into())], value: None, what: "the body missing".into() });
            }
            for (k, x) in v.as_object().unwrap() {
                let mut p = path.to_vec();
                p.push(Seg::Key(k.clone()));
                self.breaks(&obj["properties"][k], x, &p, out);
            }
            return;
        }
        let mut at = |value: Option<Value>, what: String| out.push(Break { path: path.to_vec(), value, what });
        if obj.contains_key("type") {
            at(Some(wrong_type(v)), format!("{} of the wrong type", show(path)));
        }
        if let (Some(_), Value::String(_)) = (obj.get("enum"), v) {
            at(Some(json!("no_such_value")), format!("{} outside its enum", show(path)));
        }
        if let Some(n) = obj.get("not").and_then(|n| self.spec.resolve(n).get("const")) {
            at(Some(n.clone()), format!("{} the excluded value {n}", show(path)));
        }
        match v {
            Value::String(text) => {
                let len = text.chars().count();
                if let Some(m) = obj.get("maxLength").and_then(Value::as_u64) {
                    let longer: String = text.chars().chain(std::iter::repeat('k')).take(m as usize + 1).collect();
                    at(Some(json!(longer)), format!("{} one character over maxLength {m}", show(path)));
                    // Over by a space the server might trim before counting.
                    let spaced: String = std::iter::once(' ').chain(longer.chars().skip(1)).collect();
                    let fits = |p: &str| re::Pattern::parse(p).is_match(&spaced);
                    if obj.get("pattern").and_then(Value::as_str).is_none_or(fits) {
                        at(Some(json!(spaced)), format!("{} one leading space over maxLength {m}", show(path)));
                    }
                }
                if let Some(m) = obj.get("x-maxBytes").and_then(Value::as_u64) {
                    let wide = "é".repeat(m as usize / 2 + 1);
                    at(Some(json!(wide)), format!("{} one byte over x-maxBytes {m} (in fewer characters)", show(path)));
                }
                if let Some(m) = obj.get("minLength").and_then(Value::as_u64).filter(|m| *m > 0) {
                    let shorter: String = text.chars().take(m as usize - 1).collect();
                    at(Some(json!(shorter)), format!("{} one character under minLength {m}", show(path)));
                }
                if let Some(p) = obj.get("pattern").and_then(Value::as_str) {
                    let pattern = re::Pattern::parse(p);
                    let candidates = [
                        text.chars().skip(1).collect::<String>(),
                        format!("{text}G"),
                        format!("G{}", text.chars().skip(1).collect::<String>()),
                        format!("{}\u{7}", text.chars().skip(1).collect::<String>()),
                        " ".repeat(len.max(1)),
                        String::new(),
                    ];
                    if let Some(bad) = candidates.into_iter().find(|c| !pattern.is_match(c)) {
                        at(Some(json!(bad)), format!("{} off its pattern {p}", show(path)));
                    }
                }
                if obj.get("format").and_then(Value::as_str) == Some("uuid") {
                    at(Some(json!("not-a-uuid")), format!("{} not a UUID", show(path)));
                }
                if obj.get("format").and_then(Value::as_str) == Some("date") {
                    at(Some(json!("2026-02-30")), format!("{} not a day", show(path)));
                }
            }
            Value::Number(_) => {
                if let Some(m) = obj.get("minimum").and_then(as_int) {
                    at(Some(int_value(m - 1)), format!("{} one below the minimum {m}", show(path)));
                }
                if let Some(m) = obj.get("maximum").and_then(as_int) {
                    at(Some(int_value(m + 1)), format!("{} one above the maximum {m}", show(path)));
                }
            }
            Value::Array(items) => {
                if let Some(m) = obj.get("maxItems").and_then(Value::as_u64) {
                    let mut more = items.clone();
                    let item = obj.get("items").cloned().unwrap_or(Value::Bool(true));
                    while more.len() as u64 <= m {
                        more.push(items.first().cloned().unwrap_or_else(|| self.valid(&item)));
                    }
                    at(Some(Value::Array(more)), format!("{} one item over maxItems {m}", show(path)));
                }
                if let Some(m) = obj.get("minItems").and_then(Value::as_u64).filter(|m| *m > 0) {
                    at(Some(Value::Array(items[..m as usize - 1].to_vec())), format!("{} under minItems {m}", show(path)));
                }
                if let Some(item) = obj.get("items") {
                    for (i, x) in items.iter().enumerate().take(2) {
                        let mut p = path.to_vec();
                        p.push(Seg::Index(i));
                        self.breaks(item, x, &p, out);
                    }
                }
            }
            Value::Object(members) => {
                let props = obj.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
                for r in obj.get("required").and_then(Value::as_array).into_iter().flatten() {
                    let mut p = path.to_vec();
                    p.push(Seg::Key(r.as_str().unwrap().into()));
                    out.push(Break { path: p, value: None, what: format!("{}/{} missing", show(path), r.as_str().unwrap()) });
                }
                for (k, sub) in &props {
                    if *sub == Value::Bool(false) && !members.contains_key(k) {
                        // A member this alternative excludes, valid by the base schema.
                        let base = self.spec.resolve(schema);
                        let base_sub = base["properties"].get(k).cloned().unwrap_or(Value::Bool(true));
                        let mut p = path.to_vec();
                        p.push(Seg::Key(k.clone()));
                        let value = self.valid(&base_sub);
                        out.push(Break { path: p, value: Some(value), what: format!("{}/{k} where it is excluded", show(path)) });
                    }
                }
                if obj.get("additionalProperties") == Some(&Value::Bool(false)) {
                    let mut p = path.to_vec();
                    p.push(Seg::Key("not_in_the_schema".into()));
                    out.push(Break {
                        path: p,
                        value: Some(json!(1)),
                        what: format!("{} with a member not in the schema", show(path)),
                    });
                }
                let extra = obj.get("additionalProperties").filter(|e| e.is_object()).cloned();
                if let (Some(names), Some(extra)) = (obj.get("propertyNames"), &extra) {
                    if let Some(p) = self.spec.resolve(names).get("pattern").and_then(Value::as_str) {
                        let long = "n".repeat(200);
                        let bad = ["Bad-Name", "", long.as_str()].into_iter().find(|n| !re::Pattern::parse(p).is_match(n));
                        if let Some(bad) = bad {
                            let mut path2 = path.to_vec();
                            path2.push(Seg::Key(bad.into()));
                            let value = self.valid(extra);
                            out.push(Break {
                                path: path2,
                                value: Some(value),
                                what: format!("{} with a member named off {p}", show(path)),
                            });
                        }
                    }
                }
                if let (Some(m), Some(extra)) = (obj.get("maxProperties").and_then(Value::as_u64), &extra) {
                    let mut more = members.clone();
                    let mut i = 0;
                    while more.len() as u64 <= m {
                        more.insert(format!("extra_{i}"), self.valid(extra));
                        i += 1;
                    }
                    let what = format!("{} one member over maxProperties {m}", show(path));
                    out.push(Break { path: path.to_vec(), value: Some(Value::Object(more)), what });
                }
                if obj.get("minProperties").and_then(Value::as_u64).is_some_and(|m| m > 0) {
                    let what = format!("{} with too few members", show(path));
                    out.push(Break { path: path.to_vec(), value: Some(json!({})), what });
                }
                for (k, x) in members {
                    let sub = match props.get(k) {
                        Some(sub) => sub.clone(),
                        None => match &extra {
                            Some(e) => e.clone(),
                            None => continue,
                        },
                    };
                    let mut p = path.to_vec();
                    p.push(Seg::Key(k.clone()));
                    self.breaks(&sub, x, &p, out);
                }
            }
            _ => {}
        }
    }
}

/// `v` with `b` applied.
fn apply(v: &Value, b: &Break) -> Value {
    let mut out = v.clone();
    let Some((last, parents)) = b.path.split_last() else { return b.value.clone().expect("the root is replaced") };
    let mut cur = &mut out;
    for seg in parents {
        cur = match seg {
            Seg::Key(k) => cur.get_mut(k).unwrap(),
            Seg::Index(i) => cur.get_mut(*i).unwrap(),
        };
    }
    match (last, &b.value) {
        (Seg::Key(k), Some(x)) => {
            cur.as_object_mut().unwrap().insert(k.clone(), x.clone());
        }
        (Seg::Key(k), None) => {
            cur.as_object_mut().unwrap().remove(k);
        }
        (Seg::Index(i), Some(x)) => cur[*i] = x.clone(),
        (Seg::Index(i), None) => {
            cur.as_array_mut().unwrap().remove(*i);
        }
    }
    out
}

/// A request of one operation: its parameters and body, as one JSON object for generating and
/// breaking (`path`, `query`, `body` members), with the schema describing it.
struct Operation {
    method: String,
    route: String,
    op: Value,
    /// The request's schema: {path: {...}, query: {...}, body: ...}.
    schema: Value,
}

impl Operation {
    fn all(spec: &Spec) -> Vec<Operation> {
        let mut out = vec![];
        for (route, item) in spec.root["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let mut parts = Map::new();
                for (place, name) in [("path", "path"), ("query", "query"), ("header", "header")] {
                    let mut props = Map::new();
                    let mut required = vec![];
                    for p in op.get("parameters").and_then(Value::as_array).into_iter().flatten() {
                        let p = spec.resolve(p);
                        if p["in"] == place {
                            props.insert(p["name"].as_str().unwrap().into(), p["schema"].clone());
                            if p["required"] == true {
                                required.push(p["name"].clone());
                            }
                        }
                    }
                    parts.insert(
                        name.into(),
                        json!({"type": "object", "properties": props, "required": required, "additionalProperties": false, "x-request": true}),
                    );
                }
                let mut required = vec![json!("path"), json!("query"), json!("header")];
                if let Some(body) = op.get("requestBody") {
                    let body = spec.resolve(body);
                    // JSON, or raw bytes (`x-binary`: generated as a string, sent as its bytes).
                    let content = body["content"].get("application/json").or_else(|| body["content"].get(OCTETS));
                    parts.insert("body".into(), content.expect("a JSON or tus body")["schema"].clone());
                    if body["required"] == true {
                        required.push(json!("body"));
                    }
                } else {
                    parts.insert("body".into(), Value::Bool(false));
                }
                let schema = json!({"type": "object", "properties": parts, "required": required, "additionalProperties": false, "x-request": true});
                out.push(Operation { method: method.to_uppercase(), route: route.clone(), op: op.clone(), schema });
            }
        }
        out
    }

    fn name(&self) -> String {
        format!("{} {}", self.method, self.route)
    }

    fn public(&self) -> bool {
        self.op.get("security").and_then(Value::as_array).is_some_and(|s| s.is_empty())
    }

    /// The statuses the document lists, with what each answer holds.
    fn responses(&self, spec: &Spec) -> BTreeMap<u16, Listed> {
        self.op["responses"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(status, r)| {
                let r = spec.resolve(r);
                let content = r.get("content").and_then(Value::as_object).map(|c| c.keys().cloned().collect());
                let json = r.get("content").and_then(|c| c.get("application/json")).and_then(|c| c.get("schema")).cloned();
                let headers = r
                    .get("headers")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(name, h)| {
                        let h = spec.resolve(h);
                        (name.to_lowercase(), h["schema"].clone(), h["required"] == true)
                    })
                    .collect();
                (status.parse().unwrap(), Listed { content, json, headers })
            })
            .collect()
    }

    /// Whether the request body is raw bytes (a tus chunk).
    fn binary_body(&self) -> bool {
        self.op.get("requestBody").is_some_and(|b| b["content"].get(OCTETS).is_some())
    }

    /// Lists the document marks `x-refused-alone` in the body: (path of the list, the answer
    /// member holding one answer per item, the codes an item that breaks its schema gets).
    fn refused_alone(&self, spec: &Spec) -> Option<(String, String, Vec<String>)> {
        let body = spec.resolve(self.schema["properties"].get("body")?);
        for (k, sub) in body.get("properties").and_then(Value::as_object).into_iter().flatten() {
            if let Some(x) = sub.get("x-refused-alone") {
                let codes = x["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
                return Some((format!("/body/{k}"), x["answers"].as_str().unwrap().to_string(), codes));
            }
        }
        None
    }
}

/// The tus chunk's content type (a request body of raw bytes).
const OCTETS: &str = "application/offset+octet-stream";

/// What the document lists for one status: its content type (none: no body), the schema of a
/// JSON body, and its headers (lowercase name, schema, required).
struct Listed {
    /// The content types listed (any of them may answer: a page or its CSV).
    content: Option<Vec<String>>,
    json: Option<Value>,
    headers: Vec<(String, Value, bool)>,
}

/// An answer as the test reads it: the body as JSON (`Null` when empty or not JSON) and the headers.
struct Reply {
    status: u16,
    body: Value,
    raw: Vec<u8>,
    headers: reqwest::header::HeaderMap,
}

impl Reply {
    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }
}

/// Check an answer against what the document lists for its status: the body (JSON valid
/// against its schema; the listed content type; none where none is listed, and never for a
/// HEAD) and every listed header (present when required, valid against its schema).
fn check_listed(spec: &Spec, listed: &Listed, reply: &Reply, head: bool) -> Result<(), String> {
    if head || listed.content.is_none() {
        if !reply.raw.is_empty() {
            return Err(format!("a body where none is listed ({} bytes)", reply.raw.len()));
        }
    } else if let Some(schema) = &listed.json {
        spec.validate(schema, &reply.body, "").map_err(|e| format!("the body does not validate ({e})"))?;
    } else {
        let ct = reply.header("content-type").unwrap_or_default();
        let listed_types = listed.content.clone().unwrap_or_default();
        if !listed_types.iter().any(|t| ct.starts_with(t.as_str())) {
            return Err(format!("content type {ct:?}, not one of {listed_types:?}"));
        }
    }
    for (name, schema, required) in &listed.headers {
        let Some(text) = reply.header(name) else {
            if *required {
                return Err(format!("header {name} is missing"));
            }
            continue;
        };
        let value = match spec.resolve(schema).get("type").and_then(Value::as_str) {
            Some("integer") => text.parse::<i128>().map(int_value).unwrap_or(json!(text)),
            _ => json!(text),
        };
        spec.validate(schema, &value, &format!("header {name}")).map_err(|e| format!("a header does not validate ({e})"))?;
    }
    Ok(())
}

/// The depot, its callers and what the generated requests may refer to.
struct World {
    server: Server,
    artisan: Dev,
    mentor: Dev,
    staff: Dev,
    ops: Dev,
    /// Devices that exist to be revoked.
    spare_devices: Vec<String>,
    /// Unused enrollment codes.
    codes: Vec<String>,
    drafts: Vec<String>,
    orders: Vec<String>,
    /// Approved products (drafts of the artisan's the mentor approved).
    products: Vec<String>,
    /// Payout batches created by valid requests (read and approved by id).
    batches: Vec<String>,
    /// Each caller's next push counter.
    counters: BTreeMap<String, u64>,
    /// Wrong enrollment codes sent (the depot rate-limits them per address).
    wrong_codes: u32,
    /// Blobs the artisan's drafts name that were never uploaded: (hash, bytes as text).
    fresh_blobs: Vec<(String, String)>,
    /// Blobs the depot holds (the artisan's, uploaded).
    stored_blobs: Vec<String>,
    /// A product on sale in the public shop, and its photo (held, with a thumbnail).
    shop_product: String,
    shop_photo: String,
    /// A shop that sends orders by the webhook (id, secret), and products on sale it orders.
    shop: (String, String),
    on_sale: Vec<String>,
}

/// A stamp `ago_ms` in the past, in wire form.
fn stamp(ago_ms: u64) -> Value {
    let wall = fundi_sync::hlc::wall_clock_ms() - ago_ms;
    json!(fundi_sync::hlc::Timestamp { wall_ms: wall, counter: 0, node: 11 }.to_string())
}

/// Names of document fields with rules of their own (or reserved): generated names avoid them.
const KNOWN_FIELDS: &[&str] = &[
    "title",
    "description",
    "materials",
    "category",
    "price",
    "weekly_capacity",
    "review_note",
    "deleted",
    "photos",
    "status",
    "owner",
    "display_name",
    "location",
    "phone",
];

impl World {
    fn new() -> World {
        let server = Server::start();
        // A valid publish may name any shop currency: each has a rate in force (ADR 0027).
        for currency in ["USD", "EUR", "GBP"] {
            server.cli(&["exchange-rate", "--currency", currency, "--from", "2000-01-01", "--kes", "150"]);
        }
        let mentor = server.device("mentor", "mentor", None);
        let artisan = server.device("artisan", "artisan", Some(&mentor.account));
        let staff = server.device("staff", "staff", None);
        let ops = server.device("operations", "ops", None);
        let spare_devices = (0..4).map(|i| server.device("artisan", &format!("spare{i}"), None).device).collect();
        let codes = (0..20)
            .map(|i| {
                let (s, v) =
                    server.req(Some(&ops), "/v1/enrollments", Some(json!({"role": "artisan", "name": format!("New {i}")})));
                assert_eq!(s, 200, "{v}");
                v["code"].as_str().unwrap().to_string()
            })
            .collect();
        let drafts: Vec<String> = (0..2).map(|_| common::uuid_like()).collect();
        for d in &drafts {
            assert_eq!(server.push(&artisan, vec![common::field_write(d, "draft", "title", json!("Kiondo"))]), vec![None]);
        }
        server.import_csv(&format!(
            "source,external_ref,product,quantity,price_minor,artisan_id\nshop,C-1,Kiondo,1,250000,{}\nshop,C-2,Mat,1,90000,\n",
            artisan.account
        ));
        let orders = server
            .pull_all(&ops)
            .into_iter()
            .filter(|c| c["kind"] == "order")
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        // Photos of the artisan's (ASCII text, so that a generated body can stand for one): a
        // fresh one for each upload a request needs, and two the depot holds. Their drafts are
        // not among `drafts`, so generated pushes leave their photo lists alone.
        let texts: Vec<String> = (0..UPLOAD_BLOBS)
            .map(|i| {
                let mut r = Rng(SEED + i as u64);
                (0..200 + r.below(1800)).map(|_| ALPHABET[r.below(13) as usize]).collect()
            })
            .collect();
        for group in texts.chunks(fundi_sync::limits::PHOTOS_PER_DRAFT_MAX) {
            let photos: Vec<&[u8]> = group.iter().map(|t| t.as_bytes()).collect();
            server.photo_draft(&artisan, &photos);
        }
        let mut fresh_blobs: Vec<(String, String)> = texts.into_iter().map(|t| (common::sha(t.as_bytes()), t)).collect();
        let stored_blobs = (0..2)
            .map(|_| {
                let (hash, text) = fresh_blobs.pop().unwrap();
                let loc = server.tus_start(&artisan, text.as_bytes());
                assert_eq!(server.tus_send(&artisan, &loc, text.as_bytes(), 0, 4096).status, 204);
                // Its first bytes as its thumbnail, so that thumbnail reads find one.
                server.tus_thumbnail(&artisan, &text.as_bytes()[..100], &hash);
                hash
            })
            .collect();
        let products = (0..2).map(|i| server.approved_product(&artisan, &mentor, &format!("Kikapu {i}"), 150_000, 2)).collect();
        let photo: Vec<u8> = (0..1500).map(|i| ALPHABET[i % 13] as u8).collect();
        let shop_product = server.product_on_sale(&artisan, &mentor, &ops, "Kiondo", 150_000, 2, &[&photo], true, 2500);
        let shop_photo = common::sha(&photo);
        // Products on sale (not among `products`, whose listing the generated requests change).
        let on_sale = (0..2)
            .map(|i| server.product_on_sale(&artisan, &mentor, &ops, &format!("Mkeka {i}"), 150_000, 2, &[], false, 2500))
            .collect();
        let shop: Value = serde_json::from_str(&server.cli(&["shop", "add", "--json", "--name", "Web shop"])).unwrap();
        let shop = (shop["id"].as_str().unwrap().to_string(), shop["secret"].as_str().unwrap().to_string());
        let counters = [&artisan, &mentor, &staff, &ops].iter().map(|d| (d.device.clone(), d.counter.get() + 1)).collect();
        World {
            server,
            artisan,
            mentor,
            staff,
            ops,
            spare_devices,
            codes,
            drafts,
            orders,
            products,
            batches: vec![],
            counters,
            wrong_codes: 0,
            fresh_blobs,
            stored_blobs,
            shop_product,
            shop_photo,
            shop,
            on_sale,
        }
    }

    /// Who calls: a role the route serves, and now and then one it does not.
    fn caller(&self, op: &Operation, rng: &mut Rng) -> Option<&Dev> {
        if op.public() {
            return None;
        }
        let (usual, others): (Vec<&Dev>, Vec<&Dev>) = match op.name().as_str() {
            "POST /v1/sync/push" => (vec![&self.artisan, &self.staff], vec![&self.mentor]),
            "POST /v1/enrollments" | "POST /v1/accounts/{account_id}/codes" | "POST /v1/devices/{device_id}/revoke" => {
                (vec![&self.ops], vec![&self.staff, &self.artisan])
            }
            "POST /v1/orders" => (vec![&self.ops], vec![&self.staff]),
            "POST /v1/payouts/batches"
            | "GET /v1/payouts/batches"
            | "GET /v1/payouts/batches/{batch_id}"
            | "POST /v1/payouts/batches/{batch_id}/approve"
            | "GET /v1/reports/{name}" => (vec![&self.ops], vec![&self.staff, &self.artisan]),
            "GET /v1/mentees" => (vec![&self.mentor], vec![&self.artisan, &self.ops]),
            "POST /v1/orders/{order_id}/commands" | "GET /v1/depot" | "GET /v1/products" => {
                (vec![&self.ops, &self.staff], vec![&self.artisan])
            }
            "POST /v1/products/{product_id}/listing" => (vec![&self.ops], vec![&self.staff, &self.mentor]),
            // Uploads are for who may write the draft naming the photo (a mentor may not).
            "POST /v1/uploads"
            | "HEAD /v1/uploads/{upload_id}"
            | "PATCH /v1/uploads/{upload_id}"
            | "DELETE /v1/uploads/{upload_id}" => (vec![&self.artisan, &self.staff, &self.ops], vec![&self.mentor]),
            _ => (vec![&self.artisan, &self.mentor, &self.staff, &self.ops], vec![]),
        };
        let from = if others.is_empty() || rng.chance(85) { usual } else { others };
        Some(from[rng.below(from.len() as u64) as usize])
    }

    /// The rules the document states in words, and references to what exists, applied to a
    /// generated request (so that a valid request is valid in every respect).
    fn fix_up(&mut self, op: &Operation, req: &mut Value, caller: Option<&Dev>, rng: &mut Rng) {
        let pick = |rng: &mut Rng, items: &[String]| items[rng.below(items.len() as u64) as usize].clone();
        match op.name().as_str() {
            // The enrollment exchange (`fundi_sync::enrollment`): a real phone's messages for a
            // code from operations, or now and then a made-up one (rate-limited: few).
            "POST /v1/enroll/start" => {
                if !self.codes.is_empty() && (self.wrong_codes >= 3 || rng.chance(70)) {
                    let (_, start) = PhoneEnrollment::start(&pick(rng, &self.codes)).unwrap();
                    req["body"] = serde_json::to_value(start).unwrap();
                } else {
                    self.wrong_codes += 1;
                }
            }
            "POST /v1/enroll/finish" => {
                if !self.codes.is_empty() && (self.wrong_codes >= 3 || rng.chance(70)) {
                    let (phone, start) = PhoneEnrollment::start(&self.codes.pop().unwrap()).unwrap();
                    let (s, v) = self.server.req(None, "/v1/enroll/start", Some(serde_json::to_value(start).unwrap()));
                    assert_eq!(s, 200, "{v}");
                    let reply: EnrollStartReply = serde_json::from_value(v).unwrap();
                    let device = req["body"]["device_id"].as_str().unwrap().to_string();
                    let (_, finish) = phone.finish(&reply, &self.server.key, &device).unwrap();
                    req["body"] = serde_json::to_value(finish).unwrap();
                } else {
                    self.wrong_codes += 1;
                }
            }
            // Mostly batches that exist (approving one's own is forbidden; approving one approved
            // already is a conflict): reasons of the business, not of the shape.
            "GET /v1/payouts/batches/{batch_id}" | "POST /v1/payouts/batches/{batch_id}/approve"
                if !self.batches.is_empty() && rng.chance(70) =>
            {
                req["path"]["batch_id"] = json!(pick(rng, &self.batches));
            }
            "POST /v1/payouts/batches" => {
                // What the schema cannot say: the period in order, payouts to an artisan's
                // account, new ids, whole shillings.
                let body = req["body"].as_object_mut().unwrap();
                let (from, to) =
                    (body["period_from"].as_str().unwrap().to_string(), body["period_to"].as_str().unwrap().to_string());
                if to < from {
                    body.insert("period_from".into(), json!(to));
                    body.insert("period_to".into(), json!(from));
                }
                // Without a list the batch is made from balances.
                for p in body.get_mut("payouts").and_then(Value::as_array_mut).into_iter().flatten() {
                    p["id"] = json!(common::uuid_like());
                    p["artisan_id"] = json!(self.artisan.account);
                    let amount = p["amount_minor"].as_i64().unwrap();
                    p["amount_minor"] = json!((amount / 100).max(10) * 100);
                }
            }
            "GET /v1/statements/{account_id}" => {
                // What the schema cannot say: the period in order and at most three years.
                let (a, b) =
                    (req["query"]["from"].as_str().unwrap().to_string(), req["query"]["to"].as_str().unwrap().to_string());
                let (from, to) = if a <= b { (a, b) } else { (b, a) };
                let to = if to[..4].parse::<i32>().unwrap() - from[..4].parse::<i32>().unwrap() >= 2 { from.clone() } else { to };
                req["query"]["from"] = json!(from);
                req["query"]["to"] = json!(to);
                if rng.chance(60) {
                    req["path"]["account_id"] = json!(self.artisan.account);
                }
            }
            // What the schema cannot say: a report's period in order.
            "GET /v1/reports/{name}" => {
                let q = req["query"].as_object_mut().unwrap();
                if let (Some(from), Some(to)) = (q.get("from").cloned(), q.get("to").cloned()) {
                    if to.as_str() < from.as_str() {
                        q.insert("from".into(), to);
                        q.insert("to".into(), from);
                    }
                }
            }
            "POST /v1/enrollments" => {
                let body = req["body"].as_object_mut().unwrap();
                if body.contains_key("mentor_id") {
                    body.insert("mentor_id".into(), if rng.chance(50) { json!(self.mentor.account) } else { Value::Null });
                }
                // An existing depot (every caller here is in the default one); none for an
                // operations account, which belongs to no depot.
                if body.contains_key("depot_id") {
                    let operations = body.get("role") == Some(&json!("operations"));
                    let depot = if operations || rng.chance(50) { Value::Null } else { json!(DEFAULT_DEPOT) };
                    body.insert("depot_id".into(), depot);
                }
            }
            "POST /v1/accounts/{account_id}/codes" if rng.chance(70) => {
                req["path"]["account_id"] = json!(self.artisan.account);
            }
            "POST /v1/devices/{device_id}/revoke" if rng.chance(60) && !self.spare_devices.is_empty() => {
                req["path"]["device_id"] = json!(self.spare_devices.pop().unwrap());
            }
            "GET /v1/sync/pull" if rng.chance(60) => {
                req["query"]["cursor"] = json!(0);
            }
            "POST /v1/orders" => {
                for o in req["body"]["orders"].as_array_mut().unwrap() {
                    if o.get("artisan_id").is_some() {
                        o["artisan_id"] = if rng.chance(50) { json!(self.artisan.account) } else { Value::Null };
                    }
                }
            }
            "POST /v1/products/{product_id}/listing" if rng.chance(80) => {
                req["path"]["product_id"] = json!(pick(rng, &self.products));
            }
            "POST /v1/orders/{order_id}/commands" => {
                if rng.chance(80) {
                    req["path"]["order_id"] = json!(pick(rng, &self.orders));
                }
                // Half the time a command of the caller's own role (most others are forbidden).
                if rng.chance(50) {
                    let own: &[&str] = if caller.is_some_and(|c| c.device == self.ops.device) {
                        &["assign", "assign", "cancel", "ship", "deliver"]
                    } else {
                        &["receive", "qc_pass", "qc_fail", "ship", "deliver"]
                    };
                    req["body"]["command"] = json!(own[rng.below(own.len() as u64) as usize]);
                }
                if req["body"]["command"] == "assign" {
                    if !req["body"]["args"].is_object() {
                        req["body"]["args"] = json!({});
                    }
                    req["body"]["args"]["artisan_id"] = json!(self.artisan.account);
                }
            }
            // tus: a fresh photo of the artisan's, an upload of one made for the request, the
            // chunk's offset, length and checksum as they must be (ADR 0013).
            "POST /v1/uploads" => {
                let (hash, text) = self.fresh_blobs.pop().expect("enough fresh photos");
                req["header"]["Upload-Length"] = json!(text.len());
                req["header"]["Upload-Metadata"] = json!(fundi_sync::uploads::metadata_for(&hash));
            }
            "HEAD /v1/uploads/{upload_id}" | "DELETE /v1/uploads/{upload_id}" => {
                req["path"]["upload_id"] = json!(self.new_upload(caller).0);
            }
            "PATCH /v1/uploads/{upload_id}" => {
                let (id, text) = self.new_upload(caller);
                req["path"]["upload_id"] = json!(id);
                req["header"]["Upload-Offset"] = json!(0);
                // The whole photo now and then (the upload then finishes), else a first chunk.
                let end = if rng.chance(30) { text.len() } else { 1 + rng.below(text.len() as u64) as usize };
                let chunk = &text[..end];
                req["body"] = json!(chunk);
                if req["header"].get("Upload-Checksum").is_some() {
                    req["header"]["Upload-Checksum"] = json!(fundi_sync::uploads::checksum_header(chunk.as_bytes()));
                }
            }
            "GET /v1/blobs/{sha256}" | "GET /v1/blobs/{sha256}/thumbnail" => {
                if rng.chance(80) {
                    req["path"]["sha256"] = json!(pick(rng, &self.stored_blobs));
                }
                if rng.chance(30) {
                    req["header"]["Range"] = json!(format!("bytes={}-{}", rng.below(100), 100 + rng.below(100)));
                }
            }
            // The public shop: mostly what is on sale; now and then what is not (the 404 page).
            "GET /shop" if rng.chance(50) => {
                let q = req["query"].as_object_mut().unwrap();
                q.insert("category".into(), json!(if rng.chance(80) { "baskets" } else { "pottery" }));
                q.remove("page");
            }
            "GET /shop/products/{product_id}" => {
                req["path"]["product_id"] = json!(match rng.below(4) {
                    0 | 1 => self.shop_product.clone(),
                    2 => pick(rng, &self.products),
                    _ => common::uuid_like(),
                });
            }
            "GET /shop/photos/{sha256}" | "GET /shop/photos/{sha256}/thumbnail" => {
                if rng.chance(70) {
                    req["path"]["sha256"] = json!(self.shop_photo);
                } else if rng.chance(50) {
                    req["path"]["sha256"] = json!(pick(rng, &self.stored_blobs));
                }
                if rng.chance(30) {
                    req["header"]["Range"] = json!(format!("bytes={}-{}", rng.below(100), 100 + rng.below(100)));
                }
            }
            // A shop's order: products on sale, a line's price (her KSh 1,500 a piece times the
            // quantity) within an order's highest, and signed by the shop now.
            "POST /v1/shop/orders" => {
                for line in req["body"]["lines"].as_array_mut().unwrap() {
                    line["product_id"] = json!(pick(rng, &self.on_sale));
                    line["quantity"] = json!(line["quantity"].as_u64().unwrap().min(6_000));
                }
                req["header"]["X-Fundi-Shop"] = json!(self.shop.0);
                self.sign_shop_order(req, &[]);
            }
            "POST /v1/sync/push" => {
                let dev = caller.expect("push is authenticated");
                req["body"]["device_id"] = json!(dev.device);
                let mut counter = self.counters[&dev.device];
                for m in req["body"]["mutations"].as_array_mut().unwrap() {
                    m["counter"] = json!(counter);
                    counter += 1;
                    self.fix_up_mutation(m, rng);
                }
                self.counters.insert(dev.device.clone(), counter);
            }
            _ => {}
        }
    }

    /// An upload of a fresh photo, made by the caller or (if the caller may not upload) by the
    /// artisan: (its id, the photo as text).
    fn new_upload(&mut self, caller: Option<&Dev>) -> (String, String) {
        let (_, text) = self.fresh_blobs.pop().expect("enough fresh photos");
        let maker = match caller {
            Some(c) if c.device != self.mentor.device => c,
            _ => &self.artisan,
        };
        let loc = self.server.tus_start(maker, text.as_bytes());
        (loc.rsplit('/').next().unwrap().to_string(), text)
    }

    /// A push made from one already sent, after a break: fresh counters (the sent ones are
    /// spent: they would be replays) and stamps of now (what a break put in was generated
    /// without the rules stated in words), except the very value the break is about.
    fn refresh(&mut self, op: &Operation, req: &mut Value, caller: Option<&Dev>, broken: &[Seg]) {
        if op.name() == "POST /v1/shop/orders" {
            // An order of its own (the valid one's id was taken with other lines: a conflict),
            // unless the break is about the id, signed again over what the break made: so that
            // the break is what is refused.
            let id = [Seg::Key("body".into()), Seg::Key("order_id".into())];
            if !broken.starts_with(&id) && req["body"]["order_id"].is_string() {
                req["body"]["order_id"] = json!(common::uuid_like());
            }
            self.sign_shop_order(req, broken);
            return;
        }
        let (Some(dev), "POST /v1/sync/push") = (caller, op.name().as_str()) else { return };
        let Some(ms) = req.pointer_mut("/body/mutations").and_then(Value::as_array_mut) else { return };
        let mut counter = self.counters[&dev.device];
        for (i, m) in ms.iter_mut().enumerate() {
            let mut at = vec![Seg::Key("body".into()), Seg::Key("mutations".into()), Seg::Index(i)];
            if !m.is_object() {
                continue;
            }
            if m.get("counter").is_some() && broken != [at.as_slice(), &[Seg::Key("counter".into())]].concat() {
                m["counter"] = json!(counter);
                counter += 1;
            }
            restamp(m, &mut at, broken);
        }
        self.counters.insert(dev.device.clone(), counter);
    }

    /// Sign a shop order as the shop does, at the present second (over the body as `send` sends
    /// it), leaving alone a signature or timestamp header that `broken` is about.
    fn sign_shop_order(&self, req: &mut Value, broken: &[Seg]) {
        let header = |name: &str| [Seg::Key("header".into()), Seg::Key(name.into())];
        if broken.starts_with(&header("X-Fundi-Signature")) {
            return;
        }
        let body = req["body"].to_string();
        let h = req["header"].as_object_mut().unwrap();
        if !broken.starts_with(&header("X-Fundi-Timestamp")) {
            h.insert("X-Fundi-Timestamp".into(), json!((fundi_sync::hlc::wall_clock_ms() / 1000).to_string()));
        }
        let ts = match h.get("X-Fundi-Timestamp") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => return,
        };
        if h.contains_key("X-Fundi-Signature") {
            h.insert("X-Fundi-Signature".into(), json!(fundi_sync::shop::sign(&self.shop.1, &ts, body.as_bytes())));
        }
    }

    fn fix_up_mutation(&self, m: &mut Value, rng: &mut Rng) {
        let pick = |rng: &mut Rng, items: &[String]| items[rng.below(items.len() as u64) as usize].clone();
        // Stamps of now: the depot bounds how far ahead they may be (a refusal checked first).
        let now = |_: &mut Rng| true;
        match m["kind"].as_str().unwrap() {
            "draft" if rng.chance(60) => m["id"] = json!(pick(rng, &self.drafts)),
            "order" if rng.chance(80) => m["id"] = json!(pick(rng, &self.orders)),
            "profile" if rng.chance(60) => m["id"] = json!(self.artisan.account),
            _ => {}
        }
        if let Some(fields) = m.get_mut("fields").and_then(Value::as_object_mut) {
            let renamed: Map<String, Value> = std::mem::take(fields)
                .into_iter()
                .map(|(k, v)| if KNOWN_FIELDS.contains(&k.as_str()) { (format!("{k}_x"), v) } else { (k, v) })
                .collect();
            *fields = renamed;
            for w in fields.values_mut() {
                if now(rng) {
                    w["hlc"] = stamp(0);
                }
                // A base names stamps older than its write.
                let hlc = w["hlc"].as_str().unwrap().to_string();
                if let Some(base) = w.get_mut("base").and_then(Value::as_array_mut) {
                    base.retain(|b| b.as_str().unwrap() < hlc.as_str());
                }
            }
        }
        if let Some(c) = m.get_mut("command") {
            if now(rng) {
                c["hlc"] = stamp(0);
            }
            if c["name"] == "assign" {
                if !c["args"].is_object() {
                    c["args"] = json!({});
                }
                c["args"]["artisan_id"] = json!(self.artisan.account);
            }
        }
        let id = m["id"].clone();
        if let Some(e) = m.get_mut("entry") {
            // A stock entry's id is its mutation's.
            e["id"] = id;
            if rng.chance(70) {
                e["product_id"] = json!(pick(rng, &self.drafts));
            }
            if now(rng) {
                e["hlc"] = stamp(0);
            }
        }
    }

    /// Send `req` of `op` as `caller`.
    fn send(&self, op: &Operation, req: &Value, caller: Option<&Dev>) -> Reply {
        let mut path = op.route.clone();
        for (k, v) in req["path"].as_object().unwrap() {
            path = path.replace(&format!("{{{k}}}"), &param(v));
        }
        let query: Vec<String> = req["query"].as_object().unwrap().iter().map(|(k, v)| format!("{k}={}", param(v))).collect();
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        let url = format!("{}{}", self.server.url, path);
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap();
        let mut r = self.server.http().request(method, url);
        for (k, v) in req["header"].as_object().unwrap() {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            // A value no HTTP client can send (a control character) is left out.
            if let Ok(v) = reqwest::header::HeaderValue::from_bytes(text.as_bytes()) {
                r = r.header(k.as_str(), v);
            }
        }
        if let Some(body) = req.get("body") {
            r = if op.binary_body() {
                let bytes = match body {
                    Value::String(s) => s.clone().into_bytes(),
                    other => other.to_string().into_bytes(),
                };
                r.header("content-type", OCTETS).body(bytes)
            } else {
                r.header("content-type", "application/json").body(body.to_string())
            };
        }
        if let Some(d) = caller {
            r = r.bearer_auth(&d.token);
        }
        let resp = r.send().unwrap();
        let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
        let raw = resp.bytes().unwrap().to_vec();
        // (A HEAD answer says what its body would be, and has none.)
        let is_json = headers.get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let body = if is_json && !raw.is_empty() {
            serde_json::from_slice(&raw)
                .unwrap_or_else(|_| panic!("{} answered {status} with bad JSON: {:?}", op.name(), String::from_utf8_lossy(&raw)))
        } else {
            Value::Null
        };
        Reply { status, body, raw, headers }
    }
}

/// A value as text, cut to a readable length.
fn cut(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

fn copy(d: &Dev) -> Dev {
    Dev { account: d.account.clone(), device: d.device.clone(), token: d.token.clone(), counter: Default::default() }
}

/// Every `hlc` in `v` (at `at`) set to now and every `base` stamp to an older one, except the
/// value at `broken`.
fn restamp(v: &mut Value, at: &mut Vec<Seg>, broken: &[Seg]) {
    match v {
        Value::Object(obj) => {
            for (k, x) in obj.iter_mut() {
                at.push(Seg::Key(k.clone()));
                match (k.as_str(), &mut *x) {
                    ("hlc", Value::String(_)) if broken != at.as_slice() => *x = stamp(0),
                    ("base", Value::Array(base)) => {
                        for (i, b) in base.iter_mut().enumerate() {
                            at.push(Seg::Index(i));
                            if broken != at.as_slice() {
                                *b = stamp(1000 + i as u64);
                            }
                            at.pop();
                        }
                    }
                    _ => restamp(x, at, broken),
                }
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter_mut().enumerate() {
                at.push(Seg::Index(i));
                restamp(x, at, broken);
                at.pop();
            }
        }
        _ => {}
    }
}

/// A parameter's value as it goes into a URL (the generated values need no escaping, except a
/// few characters of the alphabet).
fn param(v: &Value) -> String {
    let raw = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c.to_string() } else { format!("%{:02X}", c as u32) })
        .collect()
}

/// What the test saw, per operation and kind of request.
#[derive(Default)]
struct Seen {
    valid: usize,
    invalid: usize,
    statuses: BTreeMap<String, BTreeMap<u16, usize>>,
    /// Answers to the items of valid lists refused alone (pushed mutations), by code.
    item_answers: BTreeMap<String, usize>,
}

/// A constraint's identity across requests: the path with list positions and document field
/// names left out, and what the break does.
fn rule_of(b: &Break) -> String {
    let mut out = String::new();
    let mut after_fields = false;
    for seg in &b.path {
        match seg {
            Seg::Index(_) => out.push_str("/*"),
            Seg::Key(_) if after_fields => out.push_str("/*"),
            Seg::Key(k) => out.push_str(&format!("/{k}")),
        }
        after_fields = matches!(seg, Seg::Key(k) if k == "fields");
    }
    // What the break does: its description without the path it starts with.
    let kind = b.what.split_once(' ').map_or("", |(_, k)| k);
    format!("{out} {kind}")
}

/// A valid request as sent, and what came back.
struct Sent {
    req: Value,
    caller: Option<Dev>,
    status: u16,
    body: Value,
}

#[test]
fn requests_generated_from_the_document_get_the_answers_it_lists() {
    let spec = Spec::new();
    spec.check_subset();
    let mut world = World::new();
    let mut gen = Gen { spec: &spec, rng: Rng(SEED) };
    let mut rng = Rng(SEED ^ 0xfeed);
    let mut seen = Seen::default();
    let mut disagreements: Vec<String> = vec![];
    let started = std::time::Instant::now();

    for op in Operation::all(&spec) {
        let responses = op.responses(&spec);
        let alone = op.refused_alone(&spec);
        // The answer must be listed, and its body and headers must be as listed.
        let head = op.method == "HEAD";
        let check_answer = |reply: &Reply, what: &str, out: &mut Vec<String>| {
            let (status, body) = (reply.status, &reply.body);
            let Some(listed) = responses.get(&status) else {
                out.push(format!("{}: {what}: answered {status}, which the document does not list: {}", op.name(), cut(body)));
                return false;
            };
            if let Err(e) = check_listed(&spec, listed, reply, head) {
                out.push(format!("{}: {what}: the {status} answer is not as listed: {e}: {}", op.name(), cut(body)));
                return false;
            }
            true
        };
        // The position of the list item a break is in, when the list is refused alone.
        let item_of = |b: &Break| {
            let (list, _, _) = alone.as_ref()?;
            let p = show(&b.path);
            p.strip_prefix(list.as_str())?.strip_prefix('/')?.split('/').next()?.parse::<usize>().ok()
        };
        let answer_code = |body: &Value, i: usize| {
            let (_, answers, _) = alone.as_ref().unwrap();
            body[answers.as_str()][i]["rejected"]["code"].as_str().map(str::to_string)
        };
        let push = op.name() == "POST /v1/sync/push";

        // Valid requests.
        let mut sent: Vec<Sent> = vec![];
        for _ in 0..if push { PUSH_VALID } else { VALID_PER_OPERATION } {
            let caller = world.caller(&op, &mut rng).map(copy);
            let mut req = gen.valid(&op.schema);
            world.fix_up(&op, &mut req, caller.as_ref(), &mut rng);
            if let Err(e) = spec.validate(&op.schema, &req, "") {
                panic!("{}: the generator made an invalid request ({e}): {req}", op.name());
            }
            let reply = world.send(&op, &req, caller.as_ref());
            let (status, body) = (reply.status, reply.body.clone());
            seen.valid += 1;
            *seen.statuses.entry(op.name()).or_default().entry(status).or_default() += 1;
            if op.name() == "POST /v1/orders" && status == 200 {
                world.orders.extend(body["created"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_string()));
            }
            if op.name() == "POST /v1/payouts/batches" && status == 200 {
                world.batches.push(body["id"].as_str().unwrap().to_string());
            }
            let what = format!("valid request {}", cut(&req));
            if check_answer(&reply, &what, &mut disagreements) && [400, 413, 422].contains(&status) {
                disagreements.push(format!("{}: {what}: refused for its shape: {status} {}", op.name(), cut(&body)));
            }
            // Items of a list refused alone: a valid item is never refused with those codes.
            if let (Some((list, _, codes)), 200) = (&alone, status) {
                let items = req.pointer(list).and_then(Value::as_array).cloned().unwrap_or_default();
                for (i, item) in items.iter().enumerate() {
                    let code = answer_code(&body, i);
                    *seen.item_answers.entry(code.clone().unwrap_or_else(|| "applied".into())).or_default() += 1;
                    if code.as_ref().is_some_and(|c| codes.contains(c)) {
                        disagreements.push(format!("{}: valid item {} refused alone as {code:?}", op.name(), cut(item)));
                    }
                }
            }
            sent.push(Sent { req, caller, status, body });
        }

        // Invalid requests: every constraint the valid ones met, broken one at a time, once or
        // twice each, preferably where the valid request (or its item) went through, so that a
        // refusal can only be the broken constraint's.
        let mut by_rule: BTreeMap<String, Vec<(usize, Break, bool)>> = BTreeMap::new();
        for (n, s) in sent.iter().enumerate() {
            let mut breaks = vec![];
            gen.breaks(&op.schema, &s.req, &[], &mut breaks);
            for b in breaks {
                let went_through = match item_of(&b) {
                    Some(i) => s.status == 200 && answer_code(&s.body, i).is_none(),
                    None => (200..300).contains(&s.status),
                };
                by_rule.entry(rule_of(&b)).or_default().push((n, b, went_through));
            }
        }
        for (rule, mut instances) in by_rule {
            instances.sort_by_key(|(_, _, through)| !through);
            let second = if instances.len() > 1 { 1 + rng.below(instances.len() as u64 - 1) as usize } else { 0 };
            for k in if second > 0 { vec![0, second] } else { vec![0] } {
                let (n, b, through) = &instances[k];
                let s = &sent[*n];
                let mut bad = apply(&s.req, b);
                world.refresh(&op, &mut bad, s.caller.as_ref(), &b.path);
                if spec.validate(&op.schema, &bad, "").is_ok() {
                    continue; // not a break after all
                }
                if std::env::var("OPENAPI_SHOW_BREAKS").is_ok() {
                    eprintln!("{}: {rule} ({}) where the valid one went through: {through}", op.name(), b.what);
                }
                seen.invalid += 1;
                let reply = world.send(&op, &bad, s.caller.as_ref());
                let (status, body) = (reply.status, reply.body.clone());
                *seen.statuses.entry(format!("{} (invalid)", op.name())).or_default().entry(status).or_default() += 1;
                let what = format!("invalid request ({}) {}", b.what, cut(&bad));
                if !check_answer(&reply, &what, &mut disagreements) {
                    continue;
                }
                // With the typed error: in the body, or for a HEAD (no body) in `Fundi-Error`.
                let typed = match reply.header("fundi-error") {
                    Some(code) if head => {
                        spec.validate(&json!({"$ref": "#/components/schemas/ErrorCode"}), &json!(code), "").is_ok()
                    }
                    _ => spec.validate(&json!({"$ref": "#/components/schemas/Error"}), &body, "").is_ok(),
                };
                let refused_whole = (400..500).contains(&status) && typed;
                // Refused alone: where the valid item went through, with a code for its shape;
                // otherwise with whatever code (a refusal checked first comes first).
                let refused_alone = match (item_of(b), status) {
                    (Some(i), 200) => match answer_code(&body, i) {
                        Some(code) => !through || alone.as_ref().unwrap().2.contains(&code),
                        None => false,
                    },
                    _ => false,
                };
                if !refused_whole && !refused_alone {
                    disagreements.push(format!("{}: {what}: not refused as it should be: {status} {}", op.name(), cut(&body)));
                }
            }
        }
    }

    eprintln!("{} valid and {} invalid requests in {:?}", seen.valid, seen.invalid, started.elapsed());
    for (op, statuses) in &seen.statuses {
        eprintln!("  {op}: {statuses:?}");
    }
    eprintln!("  answers to valid mutations: {:?}", seen.item_answers);
    assert!(
        disagreements.is_empty(),
        "{} disagreements between the document and the server:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(seen.valid >= 150 && seen.invalid >= 100, "too few requests: {} valid, {} invalid", seen.valid, seen.invalid);
}

/// The pattern subset does what the document's patterns mean.
#[test]
fn the_pattern_subset_matches_and_generates() {
    let spec = Spec::new();
    let pattern = |schema: &str| re::Pattern::parse(spec.root["components"]["schemas"][schema]["pattern"].as_str().unwrap());
    let stamp = pattern("Timestamp");
    assert!(stamp.is_match(&"0a".repeat(17)));
    assert!(!stamp.is_match(&"0a".repeat(16)) && !stamp.is_match(&format!("{}G", "0".repeat(33))));
    assert!(!stamp.is_match(&"0".repeat(35)), "anchored at both ends");
    let name = pattern("FieldName");
    assert!(name.is_match("weekly_capacity") && !name.is_match("Bad-Name") && !name.is_match(""));
    let text = re::Pattern::parse(
        spec.root["components"]["schemas"]["NewEnrollment"]["properties"]["name"]["pattern"].as_str().unwrap(),
    );
    for ok in ["Wanjiku", " Wanjiku ", "é", "a b"] {
        assert!(text.is_match(ok), "{ok:?}");
    }
    for bad in ["", "   ", "a\u{7}b", "\t", "a\u{85}"] {
        assert!(!text.is_match(bad), "{bad:?}");
    }
    assert!(re::Pattern::parse("k[0-9]+").is_match("xk12"), "unanchored patterns search");
    let mut rng = Rng(1);
    for p in [&stamp, &name, &text] {
        for _ in 0..50 {
            let s = p.generate(&mut |n| rng.below(n), ALPHABET, 6);
            assert!(p.is_match(&s), "{s:?}");
        }
    }
}
