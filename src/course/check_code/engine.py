"""The engine of ``course check-code``: parse with :mod:`ast`, match the rules, rewrite.

Nothing is executed: each unit (a file or a notebook cell) is parsed, every call and string
literal is matched against :mod:`course.check_code.rules`, and each match becomes a
:class:`Finding`. A finding whose rule has a safe fix also carries :class:`Edit` s: byte
ranges of the original text and their replacement, applied from the end so that earlier
positions stay valid. Rewrites are text edits, so comments and layout survive them.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field

from course.check_code import rules as R
from course.check_code.sources import Source, Unit


@dataclass(frozen=True)
class Edit:
    unit: int  # index of the unit (cell) it changes
    start: tuple[int, int]  # (1-based line, byte column), as ast reports them
    end: tuple[int, int]
    text: str


@dataclass
class Finding:
    shown: str
    cell: int | None
    line: int
    col: int
    rule: str
    severity: str
    what: str
    instead: str
    version: str
    edits: tuple[Edit, ...] = ()

    @property
    def location(self) -> str:
        cell = f"#cell-{self.cell}" if self.cell is not None else ""
        return f"{self.shown}{cell}:{self.line}"

    @property
    def fixable(self) -> bool:
        return bool(self.edits)

    def describe(self) -> str:
        return f"{self.location} {self.what}: {self.instead}"

    def to_dict(self) -> dict:
        return {
            "file": self.shown,
            "cell": self.cell,
            "line": self.line,
            "column": self.col + 1,
            "location": self.location,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.what,
            "instead": self.instead,
            "changed_in": self.version,
            "fixable": self.fixable,
        }


@dataclass
class FileReport:
    source: Source
    findings: list[Finding] = field(default_factory=list)

    def fixed_texts(self) -> dict[int, str]:
        """The new text of every unit the safe fixes change."""
        by_unit: dict[int, set[Edit]] = {}
        for finding in self.findings:
            for edit in finding.edits:
                by_unit.setdefault(edit.unit, set()).add(edit)
        return {
            index: apply_edits(self.source.units[index].text, edits)
            for index, edits in by_unit.items()
        }

    def diff(self) -> str:
        chunks = []
        for index, new in sorted(self.fixed_texts().items()):
            unit = self.source.units[index]
            name = self.source.shown + (f"#cell-{unit.cell}" if unit.cell is not None else "")
            chunks.extend(
                difflib.unified_diff(
                    _lines(unit.text), _lines(new), fromfile=f"a/{name}", tofile=f"b/{name}"
                )
            )
        return "".join(chunks)


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def apply_edits(text: str, edits) -> str:
    data = text.encode("utf-8")
    starts = [0]
    for line in data.split(b"\n"):
        starts.append(starts[-1] + len(line) + 1)

    def offset(position: tuple[int, int]) -> int:
        return starts[position[0] - 1] + position[1]

    ordered = sorted(edits, key=lambda edit: (offset(edit.start), offset(edit.end)), reverse=True)
    last = len(data) + 1
    for edit in ordered:
        begin, end = offset(edit.start), offset(edit.end)
        if end > last:  # overlaps a later edit: keep the later one only
            continue
        data = data[:begin] + edit.text.encode("utf-8") + data[end:]
        last = begin
    return data.decode("utf-8")


def _start(node: ast.AST) -> tuple[int, int]:
    return (node.lineno, node.col_offset)


def _end(node: ast.AST) -> tuple[int, int]:
    return (node.end_lineno, node.end_col_offset)


def _parse(unit: Unit) -> ast.Module:
    try:
        return ast.parse(unit.text)
    except SyntaxError:
        if unit.cell is None:
            raise
        return ast.parse(unit.masked())  # a SyntaxError here is the cell's own


class _Checker:
    """Walks the units of one source and collects its findings."""

    def __init__(self, source: Source):
        self.source = source
        self.report = FileReport(source)
        self.trees: dict[int, ast.Module] = {}

    def run(self) -> FileReport:
        if self.source.error:
            self._add(None, 1, 0, "unreadable", R.ERROR, self.source.error, "fix the file", "")
            return self.report
        for index, unit in enumerate(self.source.units):
            if not unit.is_code or not unit.text.strip():
                continue
            try:
                self.trees[index] = _parse(unit)
            except SyntaxError as error:
                self._add(
                    unit.cell,
                    error.lineno or 1,
                    max((error.offset or 1) - 1, 0),
                    "syntax-error",
                    R.ERROR,
                    f"is not valid Python ({error.msg})",
                    "fix the syntax; the rest of this code was not checked",
                    "",
                )
        for index, tree in self.trees.items():
            self._check_tree(index, tree)
        self.report.findings.sort(key=lambda f: (f.cell or 0, f.line, f.col, f.rule))
        return self.report

    def _add(self, cell, line, col, rule, severity, what, instead, version, edits=()):
        self.report.findings.append(
            Finding(
                self.source.shown,
                cell,
                line,
                col,
                rule,
                severity,
                what,
                instead,
                version,
                tuple(edits),
            )
        )

    def _check_tree(self, index: int, tree: ast.Module) -> None:
        unit = self.source.units[index]
        text = unit.text if self._parses_raw(unit) else unit.masked()
        in_fstring: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                in_fstring.update(id(value) for value in node.values)
                literal = "".join(
                    v.value if isinstance(v, ast.Constant) else "{}" for v in node.values
                )
                self._check_text(index, node, literal, fixable=False)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in in_fstring
            ):
                self._check_text(index, node, node.value, fixable=True, text=text)
            elif isinstance(node, ast.Call):
                self._check_call(index, node, text)

    @staticmethod
    def _parses_raw(unit: Unit) -> bool:
        try:
            ast.parse(unit.text)
        except SyntaxError:
            return False
        return True

    def _check_text(self, index, node, literal, fixable, text=None) -> None:
        unit = self.source.units[index]
        for rule in R.TEXT_RULES:
            if not rule.match.search(literal):
                continue
            edits = []
            if fixable and isinstance(rule.fix, R.ReplaceText):
                segment = ast.get_source_segment(text, node)
                if segment and rule.fix.old in segment:
                    edits.append(
                        Edit(
                            index,
                            _start(node),
                            _end(node),
                            segment.replace(rule.fix.old, rule.fix.new),
                        )
                    )
            values = {"version": rule.version, "call": "", "prefix": ""}
            self._add(
                unit.cell,
                node.lineno,
                node.col_offset,
                rule.id,
                rule.severity,
                rule.what.format(**values),
                rule.instead.format(**values),
                rule.version,
                edits,
            )

    def _check_call(self, index: int, call: ast.Call, text: str) -> None:
        func = call.func
        if isinstance(func, ast.Attribute):
            name, method = func.attr, True
        elif isinstance(func, ast.Name):
            name, method = func.id, False
        else:
            return
        keywords = {kw.arg: kw for kw in call.keywords if kw.arg}
        for rule in R.CALL_RULES:
            match = rule.match
            if match.name != name or not (match.method if method else match.bare):
                continue
            if match.keyword and match.keyword not in keywords:
                continue
            if match.positional is not None and (
                len(call.args) != match.positional
                or any(isinstance(a, ast.Starred) for a in call.args)
            ):
                continue
            shown = ast.get_source_segment(text, func) or name
            prefix = ""
            if method:
                prefix = (ast.get_source_segment(text, func.value) or "") + "."
            values = {"version": rule.version, "call": shown, "prefix": prefix}
            unit = self.source.units[index]
            self._add(
                unit.cell,
                call.lineno,
                call.col_offset,
                rule.id,
                rule.severity,
                rule.what.format(**values),
                rule.instead.format(**values),
                rule.version,
                self._edits(index, rule.fix, call, keywords),
            )

    # -- the safe rewrites -----------------------------------------------------------------
    def _edits(self, index, fix, call: ast.Call, keywords) -> list[Edit]:
        if fix is None:
            return []
        if isinstance(fix, R.RenameCall):
            if fix.keywords_only and call.args:
                return []
            return [self._rename_func(index, call, fix.new)]
        if isinstance(fix, R.RenameKeyword):
            kw = keywords[fix.old]
            start = _start(kw)
            return [Edit(index, start, (start[0], start[1] + len(fix.old.encode())), fix.new)]
        if isinstance(fix, R.NamePositional):
            arg = call.args[fix.index]
            return [Edit(index, _start(arg), _start(arg), f"{fix.name}=")]
        if isinstance(fix, R.SquaredToRoot):
            return self._squared(index, fix, call, keywords["squared"])
        return []

    def _rename_func(self, index: int, call: ast.Call, new: str) -> Edit:
        func = call.func
        end = _end(func)
        old = func.attr if isinstance(func, ast.Attribute) else func.id
        return Edit(index, (end[0], end[1] - len(old.encode())), end, new)

    def _squared(self, index, fix, call: ast.Call, keyword: ast.keyword) -> list[Edit]:
        value = keyword.value
        if not (isinstance(value, ast.Constant) and isinstance(value.value, bool)):
            return []  # squared=some_variable: which function is meant is not mechanical
        edits = [self._drop_keyword(index, call, keyword)]
        if value.value:  # squared=True was the default: dropping it is the whole fix
            return edits
        edits.append(self._rename_func(index, call, fix.root))
        if isinstance(call.func, ast.Name):
            imported = self._import_beside(call.func.id, fix.root)
            if imported is None:
                return []  # imported some other way: leave it to the student
            edits.extend(imported)
        return edits

    def _drop_keyword(self, index: int, call: ast.Call, keyword: ast.keyword) -> Edit:
        arguments = sorted([*call.args, *call.keywords], key=_start)
        position = arguments.index(keyword)
        if position > 0:  # remove ", squared=False" after the argument before it
            return Edit(index, _end(arguments[position - 1]), _end(keyword), "")
        if len(arguments) > 1:  # first of several: remove "squared=False, "
            return Edit(index, _start(keyword), _start(arguments[1]), "")
        return Edit(index, _start(keyword), _end(keyword), "")

    def _import_beside(self, old: str, new: str) -> list[Edit] | None:
        """Edits adding ``new`` to the ``from sklearn.metrics import old`` of this source
        ([] when ``new`` is imported already, None when there is no such import)."""
        found = None
        for index, tree in self.trees.items():
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sklearn"):
                    names = {alias.name: alias for alias in node.names if alias.asname is None}
                    if new in names:
                        return []
                    if old in names and found is None:
                        found = (index, names[old])
        if found is None:
            return None
        index, alias = found
        return [Edit(index, _end(alias), _end(alias), f", {new}")]


def check_source(source: Source) -> FileReport:
    return _Checker(source).run()
