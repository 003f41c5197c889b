"""Compose files as source text: parse only to locate scalars, then edit the original characters.

ruamel.yaml's round-trip dumper re-quotes, re-folds and normalises line endings, so it is used
here only to *compose* the node tree (each node knows its start and end index in the text). A
rewrite replaces characters at those indices; everything else stays byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..engine import InputError

MERGE_TAG = "tag:yaml.org,2002:merge"
MAX_NODES = 200_000  # far above any real compose file; bounds a hostile alias/anchor graph
MAX_DEPTH = 100      # real compose files nest under 10 levels
MAX_BYTES = 4 * 1024 * 1024
# Tags compose understands: the YAML core schema (``value`` is the resolver's implicit tag for a
# plain ``=``) and compose's own merge helpers.
_CORE_TAGS = {"str", "int", "float", "bool", "null", "map", "seq", "merge", "timestamp", "value"}
_COMPOSE_TAGS = {"!reset", "!override"}
_CORE_PREFIX = "tag:yaml.org,2002:"


@dataclass
class SourceDoc:
    """A parsed compose file: its text, its root node, and line-ending style."""

    rel: str
    text: str = field(repr=False)
    root: Any = field(repr=False)  # a node's repr expands every alias: an alias bomb never ends
    bom: bool = False
    nodes: int = 0
    flow: dict[int, bool] = field(default_factory=dict)  # scalar node id → inside a flow collection

    def encode(self, text: str | None = None) -> bytes:
        body = (self.text if text is None else text).encode("utf-8")
        return (b"\xef\xbb\xbf" + body) if self.bom else body

    def line_of(self, index: int) -> int:
        return self.text.count("\n", 0, index) + 1


def _yaml():
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True)


_PARSED: dict[tuple[str, bytes, bool], SourceDoc] = {}
_PARSED_MAX = 16


def parse(rel: str, data: bytes, *, require_mapping: bool = True) -> SourceDoc:
    """Parse ``data`` (the bytes of ``rel``): InputError with file:line on any problem.

    Memoised on the exact bytes: one run parses the same original and rewritten files from
    several steps (analysis, baseline, verify, .env.example), and parsing is most of its time.
    Callers only read the returned tree.
    """
    key = (rel, data, require_mapping)
    doc = _PARSED.get(key)
    if doc is None:
        doc = _parse(rel, data, require_mapping=require_mapping)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = doc
    return doc


def _parse(rel: str, data: bytes, *, require_mapping: bool = True) -> SourceDoc:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    if len(data) > MAX_BYTES:  # the pure-Python parser would take minutes and ~0.5 GB
        raise InputError(rel, f"is {len(data) / 2**20:.1f} MB; compose files over "
                         f"{MAX_BYTES // 2**20} MB are refused")
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data[3:].decode("utf-8") if bom else data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(rel, "is not UTF-8 text", line) from None
    try:
        root = _yaml().compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(rel, f"invalid YAML: {problem}", line) from None
    except ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise InputError(rel, f"invalid YAML: character #x{code:04x} is not allowed "
                         "(a control character)", text.count("\n", 0, exc.position) + 1) from None
    except YAMLError as exc:
        raise InputError(rel, f"invalid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise InputError(rel, f"nested too deeply (more than {MAX_DEPTH} levels); refusing") from None
    doc = SourceDoc(rel=rel, text=text, root=root, bom=bom)
    if root is None:
        if require_mapping:
            raise InputError(rel, "is empty; expected a mapping of compose keys", 1)
        return doc
    if root.id != "mapping":
        raise InputError(rel, f"top level is a {root.id}, expected a mapping of compose keys",
                         root.start_mark.line + 1)
    _check_tree(doc)
    return doc


def _children(node: Any) -> list:
    if node.id == "mapping":
        return [part for pair in node.value for part in pair]
    if node.id == "sequence":
        return list(node.value)
    return []


def _check_tree(doc: SourceDoc) -> None:
    """Bounds and checks over the node graph, iteratively (a hostile file must not recurse):
    nesting depth, the size once aliases are expanded (a billion-laughs file is small as a
    graph), alias cycles, unknown tags, duplicate keys."""
    expanded: dict[int, int] = {}  # node id → node count with aliases expanded, once finished
    open_ids: set[int] = set()     # the nodes on the current path (an alias back to one = cycle)
    stack: list[tuple[Any, int, bool]] = [(doc.root, 1, False)]
    while stack:
        node, depth, finished = stack.pop()
        key = id(node)
        line = node.start_mark.line + 1
        if finished:
            open_ids.discard(key)
            total = 1 + sum(expanded[id(child)] for child in _children(node))
            if total > MAX_NODES:
                raise InputError(doc.rel, f"aliases expand to more than {MAX_NODES} nodes "
                                 "(alias bomb?); refusing", line)
            expanded[key] = total
            continue
        if key in expanded:
            continue
        if key in open_ids:
            raise InputError(doc.rel, "an alias refers to a collection that contains it "
                             "(recursive alias); refusing", line)
        if depth > MAX_DEPTH:
            raise InputError(doc.rel, f"nested too deeply (more than {MAX_DEPTH} levels); "
                             "refusing", line)
        _check_tag(doc, node)
        if node.id == "mapping":
            _check_keys(doc, node)
        open_ids.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in reversed(_children(node)))
    doc.nodes = len(expanded)


def _check_tag(doc: SourceDoc, node: Any) -> None:
    tag = str(node.tag)
    if tag in _COMPOSE_TAGS or (tag.startswith(_CORE_PREFIX) and
                                tag[len(_CORE_PREFIX):] in _CORE_TAGS):
        return
    shown = "!!" + tag[len(_CORE_PREFIX):] if tag.startswith(_CORE_PREFIX) else tag
    raise InputError(doc.rel, f"YAML tag {shown} is not one compose knows; remove it (a secret "
                     "under it must be moved to the .env file by hand)", node.start_mark.line + 1)


def _check_keys(doc: SourceDoc, node: Any) -> None:
    """Duplicate keys: YAML forbids them and compose rejects them."""
    keys: dict[str, int] = {}
    for key, _ in node.value:
        if key.id == "scalar" and key.tag != MERGE_TAG:
            if key.value in keys:
                raise InputError(doc.rel, f"duplicate key {key.value!r} (first on line "
                                 f"{keys[key.value]})", key.start_mark.line + 1)
            keys[key.value] = key.start_mark.line + 1


def walk(node: Any, path: tuple = (), in_flow: bool = False,
         seen: set[int] | None = None) -> Iterator[tuple[tuple, Any, bool]]:
    """(path, scalar node, in_flow) for every value scalar; a merge key (``<<``) is walked under
    its parent.

    An aliased scalar is yielded at each place it is used (``PASSWORD: *pw`` makes it a
    secret); an aliased collection is walked once, at its first place, which keeps a hostile
    alias graph linear.
    """
    seen = set() if seen is None else seen
    if node.id == "scalar":
        yield path, node, in_flow
        return
    if id(node) in seen:
        return
    seen.add(id(node))
    if node.id == "mapping":
        flow = in_flow or bool(getattr(node, "flow_style", False))
        for key, value in node.value:
            if key.id != "scalar":
                continue
            if key.tag == MERGE_TAG:
                yield from walk(value, path, flow, seen)
            else:
                yield from walk(value, path + (key.value,), flow, seen)
    elif node.id == "sequence":
        flow = in_flow or bool(getattr(node, "flow_style", False))
        for i, item in enumerate(node.value):
            yield from walk(item, path + (i,), flow, seen)


# ---- value → source index maps ------------------------------------------------------------
# Each builder returns (value, map) where map[i] is the source index of value[i], or -1 where
# the character is synthesised (a folded line break, an escape). A builder's value is checked
# against the parser's value; on any mismatch the scalar is simply re-emitted (see rewrite()).

def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(line start, line end without CR/LF) spans of text[start:end]."""
    out, pos = [], start
    while True:
        nl = text.find("\n", pos, end)
        if nl < 0:
            out.append((pos, end))
            return out
        stop = nl - 1 if nl > pos and text[nl - 1] == "\r" else nl
        out.append((pos, stop))
        pos = nl + 1


def _fold_flow(text: str, segments: list[tuple[int, int]]) -> tuple[list[str], list[int]]:
    """Flow-scalar folding of line segments: one break → space, n+1 breaks → n newlines."""
    chars: list[str] = []
    idx: list[int] = []
    empties = 0
    for n, (a, b) in enumerate(segments):
        if n and a == b and n < len(segments) - 1:
            empties += 1
            continue
        if n:
            if empties:
                chars.extend("\n" * empties)
                idx.extend([-1] * empties)
            else:
                chars.append(" ")
                idx.append(-1)
            empties = 0
        chars.extend(text[a:b])
        idx.extend(range(a, b))
    return chars, idx


def _flow_segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = _lines(text, start, end)
    segs = []
    for n, (a, b) in enumerate(spans):
        if n > 0:
            while a < b and text[a] in " \t":
                a += 1
        if n < len(spans) - 1:
            while b > a and text[b - 1] in " \t":
                b -= 1
        segs.append((a, b))
    return segs


def _map_plain(text: str, s: int, e: int) -> tuple[str, list[int]]:
    chars, idx = _fold_flow(text, _flow_segments(text, s, e))
    return "".join(chars), idx


def _map_single(text: str, s: int, e: int) -> tuple[str, list[int]]:
    chars, idx = _fold_flow(text, _flow_segments(text, s + 1, e - 1))
    out_c, out_i, i = [], [], 0
    while i < len(chars):
        if chars[i] == "'" and i + 1 < len(chars) and chars[i + 1] == "'":
            out_c.append("'")
            out_i.append(-1)
            i += 2
            continue
        out_c.append(chars[i])
        out_i.append(idx[i])
        i += 1
    return "".join(out_c), out_i


_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v",
            "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
            "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_HEX_LEN = {"x": 2, "u": 4, "U": 8}


def _map_double(text: str, s: int, e: int) -> tuple[str, list[int]]:
    chars: list[str] = []
    idx: list[int] = []
    i, stop = s + 1, e - 1
    while i < stop:
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                chars.append(_ESCAPES[nxt])
                idx.append(-1)
                i += 2
            elif nxt in _HEX_LEN:
                n = _HEX_LEN[nxt]
                chars.append(chr(int(text[i + 2:i + 2 + n], 16)))
                idx.append(-1)
                i += 2 + n
            elif nxt in "\r\n":  # escaped line break: join, skip the next line's indentation
                i += 3 if text.startswith("\r\n", i + 1) else 2
                while i < stop and text[i] in " \t":
                    i += 1
            else:
                raise ValueError("unknown escape")
        elif ch in "\r\n":
            # Unescaped break: trailing blanks before it were already emitted; drop them.
            while chars and chars[-1] in " \t" and idx[-1] != -1:
                chars.pop()
                idx.pop()
            breaks = 0
            while i < stop and text[i] in "\r\n \t":
                if text[i] == "\n":
                    breaks += 1
                i += 1
            if breaks > 1:
                chars.extend("\n" * (breaks - 1))
                idx.extend([-1] * (breaks - 1))
            else:
                chars.append(" ")
                idx.append(-1)
        else:
            chars.append(ch)
            idx.append(i)
            i += 1
    return "".join(chars), idx


def _map_block(text: str, s: int, e: int, folded: bool) -> tuple[str, list[int]]:
    spans = _lines(text, s, e)
    header = text[spans[0][0]:spans[0][1]].split("#")[0].strip()
    if any(c.isdigit() for c in header):
        raise ValueError("explicit indentation indicator")
    chomp = "-" if "-" in header else ("+" if "+" in header else "")
    body = spans[1:]
    if body and body[-1][0] == e:  # the start of the next token, not a content line
        body = body[:-1]
    indent = None
    for a, b in body:
        stripped = text[a:b].lstrip(" ")
        if stripped:
            indent = len(text[a:b]) - len(stripped)
            break
    lines: list[tuple[str, list[int]]] = []
    for a, b in body:
        if indent is None or not text[a:b].strip(" "):
            lines.append(("", []))
        else:
            lines.append((text[a + indent:b], list(range(a + indent, b))))
    content = list(lines)
    while content and not content[-1][0]:
        content.pop()
    trailing = len(lines) - len(content)
    if folded:
        pairs = _fold_block_pairs(content)
    else:
        pairs = []
        for n, (line, pos) in enumerate(content):
            if n:
                pairs.append(("\n", -1))
            pairs.extend(zip(line, pos))
    value = "".join(c for c, _ in pairs)
    idx = [i for _, i in pairs]
    if content:
        if chomp == "+":
            value += "\n" * (1 + trailing)
        elif chomp == "":
            value += "\n"
    return value, idx + [-1] * (len(value) - len(idx))


def _fold_block_pairs(lines: list[tuple[str, list[int]]]) -> list[tuple[str, int]]:
    """YAML folding of block lines: a break between two normal lines becomes a space; empty
    lines between them become the breaks; more-indented lines keep their breaks."""
    out: list[tuple[str, int]] = []
    pending_empty = 0
    prev: str | None = None
    for line, pos in lines:
        if not line:
            pending_empty += 1
            continue
        more = line[0] in " \t"
        if prev is not None:
            prev_more = prev[0] in " \t"
            if pending_empty:
                out.extend(("\n", -1) for _ in range(pending_empty + (1 if (more or prev_more) else 0)))
            elif more or prev_more:
                out.append(("\n", -1))
            else:
                out.append((" ", -1))
        elif pending_empty:
            out.extend(("\n", -1) for _ in range(pending_empty))
        pending_empty = 0
        out.extend(zip(line, pos))
        prev = line
    return out


def scalar_start(doc: SourceDoc, node: Any) -> int:
    """Where the scalar's own text begins: after an ``&anchor`` or ``!tag`` in front of it."""
    text, i, e = doc.text, node.start_mark.index, node.end_mark.index
    while i < e and text[i] in "&!":
        while i < e and not text[i].isspace():
            i += 1
        while i < e and text[i] in " \t":
            i += 1
    return i


def source_map(doc: SourceDoc, node: Any) -> list[int] | None:
    """value index → source index for a scalar, or None when it cannot be mapped exactly."""
    s, e = scalar_start(doc, node), node.end_mark.index
    try:
        if node.style is None:
            value, idx = _map_plain(doc.text, s, e)
        elif node.style == "'":
            value, idx = _map_single(doc.text, s, e)
        elif node.style == '"':
            value, idx = _map_double(doc.text, s, e)
        elif node.style in ("|", ">"):
            value, idx = _map_block(doc.text, s, e, folded=node.style == ">")
        else:
            return None
    except (ValueError, IndexError):
        return None
    return idx if value == node.value and len(idx) == len(value) else None


# ---- rewriting ----------------------------------------------------------------------------
_PLAIN_BAD_START = set("-?:,[]{}#&*!|>'\"%@`")


def plain_safe(value: str, in_flow: bool) -> bool:
    """Whether ``value`` can stand as a plain scalar in this context and parse back as itself."""
    if not value or value[0] in _PLAIN_BAD_START or value != value.strip():
        return False
    if ": " in value or " #" in value or value.endswith(":") or "\n" in value or "\t" in value:
        return False
    if in_flow and any(c in value for c in ",[]{}"):
        return False
    return True


def quote_double(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Edit:
    """Replace value[start:end] of one scalar by ``new`` (a compose interpolation)."""

    node: Any
    start: int
    end: int
    new: str


def apply_edits(doc: SourceDoc, edits: list[Edit], flow_of: dict[int, bool]) -> str:
    """The document text with every edit applied; untouched characters are kept exactly."""
    by_node: dict[int, list[Edit]] = {}
    nodes: dict[int, Any] = {}
    for edit in edits:
        by_node.setdefault(id(edit.node), []).append(edit)
        nodes[id(edit.node)] = edit.node
    regions: list[tuple[int, int, str]] = []
    for key, node_edits in by_node.items():
        node = nodes[key]
        regions.extend(_scalar_regions(doc, node, sorted(node_edits, key=lambda x: x.start),
                                       flow_of.get(key, False)))
    text = doc.text
    for a, b, new in sorted(regions, reverse=True):
        text = text[:a] + new + text[b:]
    return text


def new_value(value: str, edits: list[Edit]) -> str:
    out, pos = [], 0
    for edit in sorted(edits, key=lambda x: x.start):
        out.append(value[pos:edit.start])
        out.append(edit.new)
        pos = edit.end
    out.append(value[pos:])
    return "".join(out)


def _scalar_regions(doc: SourceDoc, node: Any, edits: list[Edit],
                    in_flow: bool) -> list[tuple[int, int, str]]:
    value = node.value
    s, e = scalar_start(doc, node), node.end_mark.index
    target = new_value(value, edits)
    style = node.style
    whole = len(edits) == 1 and edits[0].start == 0 and edits[0].end == len(value)
    if whole and style in (None, "'", '"'):
        if style is None:
            text = target if plain_safe(target, in_flow) else quote_double(target)
        elif style == "'":
            text = "'" + target.replace("'", "''") + "'"
        else:
            text = quote_double(target)
        return [(s, e, text)]
    idx = source_map(doc, node)
    regions = []
    if idx is not None:
        for edit in edits:
            region = _verbatim_region(idx, edit.start, edit.end, len(value))
            if region is None:
                regions = []
                break
            new = edit.new
            if style == "'":
                new = new.replace("'", "''")
            elif style == '"':
                new = quote_double(new)[1:-1]
            regions.append((region[0], region[1], new))
        else:
            if style is None and not plain_safe(target, in_flow):
                return [(s, e, quote_double(target))]
            return regions
    # Not mappable character for character: re-emit this scalar, double-quoted on one line.
    return [(s, _trim_block_end(doc, node), quote_double(target))]


def _verbatim_region(idx: list[int], a: int, b: int, n: int) -> tuple[int, int] | None:
    if a == b:  # an insertion (empty value after KEY=)
        if a > 0 and idx[a - 1] >= 0:
            return idx[a - 1] + 1, idx[a - 1] + 1
        if a < n and idx[a] >= 0:
            return idx[a], idx[a]
        return None
    part = idx[a:b]
    if any(p < 0 for p in part) or part != list(range(part[0], part[0] + len(part))):
        return None
    return part[0], part[-1] + 1


def _trim_block_end(doc: SourceDoc, node: Any) -> int:
    """A block scalar's region ends after its trailing breaks; keep the last line break."""
    e = node.end_mark.index
    if node.style in ("|", ">"):
        text = doc.text
        while e > node.start_mark.index and text[e - 1] in "\r\n \t":
            e -= 1
    return e
