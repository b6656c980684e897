"""`journeymock drift OBSERVATIONS...`: what the evidence of contract runs says about the specs' inferences.

Reads observation files (`journeymock contracts --observations PATH`, from any number of runs) and reports,
per API and per spec location: each inference confirmed (reached, never contradicted), contradicted (with
counts, first and last seen, and what was observed), settled (contradicted by the evidence, which the spec
now accepts or records) or never exercised; undocumented statuses, properties, headers and enum values; and
documented facts violated. Inferred invariants (code in `mockserver/invariants/`) the evidence contradicts
are listed too, contradicted or, once the spec's root `x-journeymock-invariants` records them with the
evidence, settled.

`--patch OUT` writes a unified diff of `openapi/*.yaml` (`git apply OUT`) that widens what the evidence
settles (a pattern relaxed to the messages seen, a type widened to the types seen, an enum, bound or length
widened to the values seen) and records the evidence in each touched inference's reason, keeping
`x-journeymock-inferred`; each contradicted inferred invariant gets a record under `x-journeymock-invariants`
(its code, its inference, the evidence). It never touches a documented fact or a documented invariant. After
applying it, the same observations report no contradicted inference or inferred invariant.

Exit status: 0 nothing drifted, 1 something did, 2 usage error (unreadable or malformed observations, a
spec directory without the specs, a patch that cannot be written).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from journeymock.contracts.checks import INVARIANT_SUITES
from journeymock.contracts.observations import json_type, read_observations
from journeymock.contracts.tiers import INFERRED, SettledInvariant, SpecTiers, invariant_code
from mockserver.cliargs import add_command
from mockserver.specs import API_NAMES, INFERRED_MARK, INVARIANTS_MARK, SpecError, load_spec, spec_directory

PROG: Final = "journeymock drift"
EXIT_OK: Final = 0
EXIT_DRIFT: Final = 1
EXIT_USAGE: Final = 2
FORMATS: Final = ("text", "json", "markdown")
#: The words that open the evidence a patch writes into an inference's reason (drift reads them back).
EVIDENCE_MARK: Final = "Evidence (journeymock drift"
#: Keywords whose contradiction a patch can settle by widening them to what was observed.
WIDENABLE: Final = frozenset({"pattern", "type", "enum", "minimum", "maximum", "minLength", "maxLength"})
#: Headers of the transport, not of an API: never reported as undocumented.
TRANSPORT_HEADERS: Final = frozenset(
    {"content-type", "content-length", "date", "server", "connection", "transfer-encoding", "vary", "allow"}
)
#: At most this many distinct observed values are kept per entry.
VALUES_KEPT: Final = 8
#: Observed values an invariant's record in the spec keeps as examples.
EXAMPLES_RECORDED: Final = 3
_REGEX_SPECIAL: Final = re.compile(r"([\\^$.|?*+()\[\]{}/])")


@dataclass
class Entry:
    """What the evidence says about one fact at one location."""

    api: str
    location: str
    reason: str = ""
    state: str = "never exercised"
    reached: int = 0
    contradicted: int = 0
    first_seen: str | None = None
    last_seen: str | None = None
    checks: set[str] = field(default_factory=set)
    observed: list[str] = field(default_factory=list)
    #: A settled invariant: where the spec records its contradiction (`x-journeymock-invariants`).
    record: str | None = None

    def seen(self, time: str | None) -> None:
        if time:
            self.first_seen = min(self.first_seen or time, time)
            self.last_seen = max(self.last_seen or time, time)

    def keep(self, value: str) -> None:
        if value not in self.observed and len(self.observed) < VALUES_KEPT:
            self.observed.append(value)

    def as_json(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "location": self.location,
            "state": self.state,
            "reason": self.reason,
            "reached": self.reached,
            "contradicted": self.contradicted,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "checks": sorted(self.checks),
            "observed": self.observed,
            **({"record": self.record} if self.record is not None else {}),
        }


@dataclass
class Contradiction:
    """One contradicted keyword of a spec node, and the values that contradicted it."""

    location: str
    keyword: str
    values: list[Any] = field(default_factory=list)


@dataclass
class Analysis:
    inferences: dict[tuple[str, str], Entry] = field(default_factory=dict)
    invariants: dict[tuple[str, str], Entry] = field(default_factory=dict)
    documented: dict[tuple[str, str], Entry] = field(default_factory=dict)
    undocumented: dict[tuple[str, str], Entry] = field(default_factory=dict)
    #: Nullable schema nodes reached, by (api, location); `null_seen` once a null came back there.
    nullables: dict[tuple[str, str], Entry] = field(default_factory=dict)
    null_seen: set[tuple[str, str]] = field(default_factory=set)
    #: Unsettled contradictions a patch can widen, by (api, keyword location).
    widenable: dict[tuple[str, str], Contradiction] = field(default_factory=dict)
    observations: int = 0

    @property
    def drifted(self) -> bool:
        contradicted = any(
            entry.state == "contradicted" for entry in [*self.inferences.values(), *self.invariants.values()]
        )
        return (
            contradicted
            or bool(self.documented)
            or any(key[1].startswith(("status ", "enum value ")) for key in self.undocumented)
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "observations": self.observations,
            "drifted": self.drifted,
            "inferences": [entry.as_json() for entry in self.inferences.values()],
            "invariants_contradicted": [entry.as_json() for entry in self.invariants_in("contradicted")],
            "invariants_settled": [entry.as_json() for entry in self.invariants_in("settled")],
            "documented_violated": [entry.as_json() for entry in self.documented.values()],
            "undocumented": [entry.as_json() for entry in self.undocumented.values()],
            "nullable_never_null": [entry.as_json() for entry in self.never_null()],
        }

    def invariants_in(self, state: str) -> list[Entry]:
        return [entry for entry in self.invariants.values() if entry.state == state]

    def never_null(self) -> list[Entry]:
        """Nullable nodes the evidence reached but never saw null at: kept nullable, worth knowing."""
        return [entry for key, entry in self.nullables.items() if key not in self.null_seen]


def marked_locations(tiers: SpecTiers) -> dict[str, str]:
    """Every inferred node of a spec: location -> reason."""
    found: dict[str, str] = {}

    def visit(node: Any, tokens: tuple[str, ...]) -> None:
        if isinstance(node, Mapping):
            if isinstance(node.get(INFERRED_MARK), str):
                found[tiers.location(tokens)] = str(node[INFERRED_MARK])
            for key, value in node.items():
                visit(value, (*tokens, str(key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, (*tokens, str(index)))

    visit(tiers.document, ())
    return found


def owner(location: str, marked: Mapping[str, str]) -> str | None:
    """The innermost inferred node at or above a location."""
    candidates = [mark for mark in marked if location == mark or location.startswith(mark + "/")]
    return max(candidates, key=len) if candidates else None


def analyse(lines: Iterable[Mapping[str, Any]], specs: Mapping[str, SpecTiers]) -> Analysis:
    analysis = Analysis()
    marks = {api: marked_locations(tiers) for api, tiers in specs.items()}
    settled = {api: tiers.settled_invariants() for api, tiers in specs.items()}
    for api, marked in marks.items():
        for location, reason in marked.items():
            analysis.inferences[(api, location)] = Entry(api, location, " ".join(reason.split()))
    for line in lines:
        api = str(line.get("api"))
        if api not in specs:
            continue
        analysis.observations += 1
        time = line.get("time")
        for location in line.get("inferences_reached") or []:
            entry = analysis.inferences.get((api, str(location)))
            if entry is not None:
                entry.reached += 1
                entry.seen(time)
        for verdict in line.get("verdicts") or []:
            _judge_verdict(analysis, specs[api], marks[api], settled[api], api, verdict, time)
        _undocumented(analysis, specs[api], api, line)
    for entry in analysis.inferences.values():
        if entry.contradicted:
            if entry.state != "contradicted":
                entry.state = "settled"
        elif entry.reached:
            entry.state = "confirmed"
    return analysis


def _judge_verdict(
    analysis: Analysis,
    tiers: SpecTiers,
    marked: Mapping[str, str],
    settled: Mapping[str, SettledInvariant],
    api: str,
    verdict: Mapping[str, Any],
    time: Any,
) -> None:
    location = str(verdict.get("location", ""))
    check = str(verdict.get("check", ""))
    observed = str(verdict.get("observed", ""))
    if verdict.get("tier") != "inferred":
        entry = analysis.documented.setdefault((api, location), Entry(api, location, str(verdict.get("reason", ""))))
        entry.state = "violated"
        _count(entry, check, observed, time)
        return
    mark = owner(location, marked) if location.startswith(tiers.file_name + "#") else None
    if mark is None:
        # An inferred invariant or custom check: stated in code, settled by a record of the spec's
        # `x-journeymock-invariants` whose evidence covers this check (documented ones never get here).
        entry = analysis.invariants.setdefault((api, location), Entry(api, location, str(verdict.get("reason", ""))))
        _count(entry, check, observed, time)
        record = settled.get(location)
        if record is None or check not in record.checks:
            entry.state = "contradicted"
        elif entry.state != "contradicted":
            entry.state = "settled"
            entry.record = record.location
        return
    entry = analysis.inferences[(api, mark)]
    _count(entry, check, observed, time)
    value = verdict["value"] if verdict.get("value") is not None else _decoded(observed)
    if _settled(tiers, location, str(verdict.get("keyword") or ""), value, check, marked[mark]):
        return
    entry.state = "contradicted"
    keyword = str(verdict.get("keyword") or "")
    if keyword in WIDENABLE and location.endswith("/" + keyword):
        contradiction = analysis.widenable.setdefault((api, location), Contradiction(location, keyword))
        if value not in contradiction.values:
            contradiction.values.append(value)


def _count(entry: Entry, check: str, observed: str, time: Any) -> None:
    entry.contradicted += 1
    entry.checks.add(check)
    entry.keep(observed)
    entry.seen(str(time) if time else None)


def _decoded(observed: str) -> Any:
    try:
        return json.loads(observed)
    except ValueError:
        return observed


def _settled(tiers: SpecTiers, location: str, keyword: str, observed: Any, check: str, reason: str) -> bool:
    """Whether the spec as it is now accepts what was observed (or records the evidence for this check)."""
    if keyword and location.endswith("/" + keyword):
        tokens = _tokens(location)[:-1]
        node = tiers.walk(tokens).node
        if not isinstance(node, Mapping) or keyword not in node:
            return True  # the keyword is gone: nothing left to contradict
        return not any(tiers.schema_errors(tokens, observed))
    return EVIDENCE_MARK in reason and f"[{check}]" in reason


def _tokens(location: str) -> list[str]:
    pointer = location.split("#", 1)[1]
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def _undocumented(analysis: Analysis, tiers: SpecTiers, api: str, line: Mapping[str, Any]) -> None:
    time = line.get("time")
    operation = f"{line.get('method')} {line.get('path')}"
    if line.get("documented_status") is False:
        _note(analysis, api, f"status {line.get('status')} of {operation}", str(line.get("status")), time)
    for name, header in (line.get("headers") or {}).items():
        if isinstance(header, Mapping) and not header.get("declared") and name not in TRANSPORT_HEADERS:
            _note(analysis, api, f"header {name} in {operation} {line.get('status')}", name, time)
    body = line.get("body") or {}
    for pointer, facts in (body.get("pointers") or {}).items():
        for name in facts.get("extra") or []:
            _note(analysis, api, f"property {pointer.rstrip('/')}/{name} in {operation}", name, time)
        schema = tiers.walk(_tokens(str(facts.get("schema", "#")))).node if "#" in str(facts.get("schema")) else {}
        if isinstance(schema, Mapping) and _nullable(schema):
            key = (api, str(facts.get("schema")))
            entry = analysis.nullables.setdefault(key, Entry(api, key[1], state="nullable, never null"))
            entry.reached += 1
            entry.seen(str(time) if time else None)
            if facts.get("null"):
                analysis.null_seen.add(key)
        enum = schema.get("enum") if isinstance(schema, Mapping) else None
        if not isinstance(enum, list):
            continue
        for value in facts.get("values") or []:
            if value not in enum:
                _note(analysis, api, f"enum value at {pointer} ({facts.get('schema')})", json.dumps(value), time)


def _nullable(schema: Mapping[str, Any]) -> bool:
    kinds = schema.get("type")
    branches = [*(schema.get("oneOf") or []), *(schema.get("anyOf") or [])]
    return (isinstance(kinds, list) and "null" in kinds) or any(
        isinstance(branch, Mapping) and branch.get("type") == "null" for branch in branches
    )


def _note(analysis: Analysis, api: str, what: str, observed: str, time: Any) -> None:
    entry = analysis.undocumented.setdefault((api, what), Entry(api, what, state="undocumented"))
    entry.reached += 1
    entry.keep(observed)
    entry.seen(str(time) if time else None)


# The patch.


def ecma_literal(text: str) -> str:
    """A string as a regular expression that matches it literally (ECMA 262 and Python alike)."""
    return _REGEX_SPECIAL.sub(r"\\\1", text)


def widened(keyword: str, current: Any, values: Sequence[Any]) -> Any:
    """The keyword's value widened to accept every observed value."""
    if keyword == "pattern":
        seen = "|".join(ecma_literal(str(value)) for value in values)
        # Not `$`: Python's also matches before a final line break, ECMA 262's does not.
        return f"(?:{current})|^(?:{seen})(?![\\s\\S])"
    if keyword == "type":
        types = list(current) if isinstance(current, list) else [current]
        for value in values:
            kind = json_type(value)
            if kind not in types and not (kind == "integer" and "number" in types):
                types.append(kind)
        return types
    if keyword == "enum":
        return [*current, *(value for value in values if value not in current)]
    numbers = [len(value) if isinstance(value, str) else value for value in values]
    numbers = [number for number in numbers if isinstance(number, int | float) and not isinstance(number, bool)]
    if keyword in ("minimum", "minLength"):
        return min([current, *numbers])
    return max([current, *numbers])


def evidence_sentence(entry: Entry, contradictions: Sequence[Contradiction]) -> str:
    what = (
        "; ".join(
            f"{contradiction.keyword} widened to what a server sent "
            f"({', '.join(json.dumps(value, ensure_ascii=False)[:80] for value in contradiction.values)})"
            for contradiction in contradictions
        )
        or "a server contradicted it (" + ", ".join(entry.observed[:3]) + ")"
    )
    checks = " ".join(f"[{check}]" for check in sorted(entry.checks))
    return (
        f"{EVIDENCE_MARK}, {entry.contradicted} observation(s) from {entry.first_seen} to {entry.last_seen}) "
        f"{checks}: {what}."
    )


def build_patch(analysis: Analysis, specs: Mapping[str, SpecTiers], spec_dir: Path, display_dir: str) -> str:
    """A unified diff of the spec files, settling every contradicted spec inference the evidence covers."""
    diffs: list[str] = []
    for api, tiers in specs.items():
        path = spec_dir / f"{api}.yaml"
        original = path.read_text(encoding="utf-8")
        root = yaml.compose(original)
        if root is None:
            continue
        edits: list[tuple[int, int, str]] = []
        entries = [
            entry
            for (entry_api, _), entry in analysis.inferences.items()
            if entry_api == api and entry.state == "contradicted"
        ]
        records = settleable_invariants(analysis, api)
        if records:
            edits += _invariants_edits(original, root, records)
        for entry in entries:
            contradictions = [
                contradiction
                for (contradiction_api, location), contradiction in analysis.widenable.items()
                if contradiction_api == api and (location + "/").startswith(entry.location + "/")
            ]
            for contradiction in contradictions:
                tokens = _tokens(contradiction.location)
                node = _yaml_node(root, tokens)
                current = tiers.walk(tokens).node
                if node is not None:
                    value = json.dumps(
                        widened(contradiction.keyword, current, contradiction.values), ensure_ascii=False
                    )
                    # A block node's span ends with its line break: the flow value that replaces it keeps one.
                    if original[node.start_mark.index : node.end_mark.index].endswith("\n"):
                        value += "\n"
                    edits.append((node.start_mark.index, node.end_mark.index, value))
            edits.append(_reason_edit(original, root, entry, contradictions))
        if not entries and not records:
            continue
        changed = original
        for start, end, text in sorted(edits, reverse=True):
            changed = changed[:start] + text + changed[end:]
        name = f"{display_dir.rstrip('/')}/{api}.yaml"
        diffs.append(
            "".join(
                difflib.unified_diff(
                    original.splitlines(keepends=True), changed.splitlines(keepends=True), f"a/{name}", f"b/{name}"
                )
            )
        )
    return "".join(diffs)


def settleable_invariants(analysis: Analysis, api: str) -> dict[str, dict[str, Any]]:
    """The records a patch adds to `api`'s `x-journeymock-invariants`, by invariant name: every contradicted
    invariant of the API's module that its code, as it is now, declares inferred. A documented invariant, or a
    custom check of the contract runner, is never recorded: the first must fail, the second lives in code."""
    tiers = INVARIANT_SUITES[api].tiers() if api in INVARIANT_SUITES else {}
    records: dict[str, dict[str, Any]] = {}
    for (entry_api, location), entry in sorted(analysis.invariants.items()):
        name = location.rsplit(":", 1)[-1]
        if entry_api != api or entry.state != "contradicted" or location != invariant_code(api, name):
            continue
        if tiers.get(name, ("documented", ""))[0] != INFERRED:
            continue
        records[name] = invariant_record(entry)
    return records


def invariant_record(entry: Entry) -> dict[str, Any]:
    """What the spec records of a contradicted invariant: its code, its inference and the evidence."""
    return {
        "code": entry.location,
        "state": "contradicted",
        "inference": entry.reason,
        "evidence": {
            "source": "journeymock drift",
            "contradictions": entry.contradicted,
            "first_seen": entry.first_seen,
            "last_seen": entry.last_seen,
            "checks": sorted(entry.checks),
            "observed": entry.observed[:EXAMPLES_RECORDED],
        },
    }


def _invariants_edits(
    text: str, root: yaml.Node, records: Mapping[str, Mapping[str, Any]]
) -> list[tuple[int, int, str]]:
    """The edits of the document's root `x-journeymock-invariants`: the block appended at the end of the file
    when there is none, else the new records added at its end and a record of the same name rewritten."""
    assert isinstance(root, yaml.MappingNode)
    found = next(((key, value) for key, value in root.value if key.value == INVARIANTS_MARK), None)
    if found is None:
        block = f"{INVARIANTS_MARK}:\n" + "".join(_record_text(name, record, 2) for name, record in records.items())
        return [(len(text), len(text), ("" if text.endswith("\n") else "\n") + block)]
    key, value = found
    if not isinstance(value, yaml.MappingNode) or value.flow_style or not value.value:
        # `{}`, a flow mapping or no mapping at all: replaced by a block holding the new records.
        indent = key.start_mark.column + 2
        block = "".join(_record_text(name, record, indent) for name, record in records.items())
        end = _line_end(text, value.end_mark.index)
        return [(value.start_mark.index, end, "\n" + block)]
    indent = value.value[0][0].start_mark.column
    present = {str(name.value): (name, node) for name, node in value.value}
    edits = [
        # A record of the same name that settles nothing (edited by hand, say) is rewritten whole, in place.
        (
            name_node.start_mark.index,
            _line_end(text, node.end_mark.index),
            _record_text(name, records[name], indent)[indent:],
        )
        for name, (name_node, node) in present.items()
        if name in records
    ]
    added = "".join(_record_text(name, record, indent) for name, record in records.items() if name not in present)
    if added:
        insert = _line_end(text, value.value[-1][1].end_mark.index)
        edits.append((insert, insert, added))
    return edits


def _record_text(name: str, record: Mapping[str, Any], indent: int) -> str:
    dumped = yaml.safe_dump({name: dict(record)}, sort_keys=False, allow_unicode=True, width=100)
    return textwrap.indent(dumped, " " * indent)


def _line_end(text: str, index: int) -> int:
    """Where the text after a node's end begins on a line of its own: the start of the line holding `index`
    when only indentation precedes it there (a block node ends at the next token), else of the next line."""
    line = text.rfind("\n", 0, index) + 1
    if not text[line:index].strip():
        return line
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def _yaml_node(root: yaml.Node, tokens: Sequence[str]) -> yaml.Node | None:
    node: Any = root
    for token in tokens:
        if isinstance(node, yaml.MappingNode):
            node = next((value for key, value in node.value if key.value == token), None)
        elif isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
            node = node.value[int(token)]
        else:
            return None
        if node is None:
            return None
    return node  # type: ignore[no-any-return]


def _reason_edit(
    text: str, root: yaml.Node, entry: Entry, contradictions: Sequence[Contradiction]
) -> tuple[int, int, str]:
    tokens = _tokens(entry.location)
    holder = _yaml_node(root, tokens)
    assert isinstance(holder, yaml.MappingNode)
    key, value = next((key, value) for key, value in holder.value if key.value == INFERRED_MARK)
    reason = " ".join(str(value.value).split())
    new_reason = f"{reason} {evidence_sentence(entry, contradictions)}"
    indent = " " * (key.start_mark.column + 2)
    lines = textwrap.wrap(new_reason, width=110 - len(indent), break_long_words=False, break_on_hyphens=False)
    block = ">-\n" + "\n".join(indent + line for line in lines)
    if text[value.start_mark.index : value.end_mark.index].endswith("\n"):
        block += "\n"
    return value.start_mark.index, value.end_mark.index, block


# Output.


def render(analysis: Analysis, output: str) -> str:
    if output == "json":
        return json.dumps(analysis.as_json(), indent=2, ensure_ascii=False, sort_keys=True)
    markdown = output == "markdown"
    lines = [f"{'# ' if markdown else ''}journeymock drift: {analysis.observations} observation(s)"]
    sections = [
        ("Inferences contradicted", [entry for entry in analysis.inferences.values() if entry.state == "contradicted"]),
        (
            "Invariants contradicted (code: mockserver/invariants; --patch records inferred ones in the spec)",
            analysis.invariants_in("contradicted"),
        ),
        ("Documented facts violated", list(analysis.documented.values())),
        ("Undocumented (statuses, headers, properties, enum values)", list(analysis.undocumented.values())),
        ("Nullable, never seen null (kept nullable)", analysis.never_null()),
        (
            "Inferences settled (the spec accepts or records the evidence)",
            [e for e in analysis.inferences.values() if e.state == "settled"],
        ),
        (
            "Invariants settled (the spec's x-journeymock-invariants records the evidence)",
            analysis.invariants_in("settled"),
        ),
        ("Inferences confirmed", [entry for entry in analysis.inferences.values() if entry.state == "confirmed"]),
        ("Inferences never exercised", [e for e in analysis.inferences.values() if e.state == "never exercised"]),
    ]
    for title, entries in sections:
        lines.append("")
        lines.append(f"{'## ' if markdown else ''}{title} ({len(entries)})")
        for entry in sorted(entries, key=lambda item: (item.api, item.location)):
            lines.append(_entry_line(entry, markdown))
    lines.append("")
    lines.append(f"result: {'drift found' if analysis.drifted else 'no drift'}")
    return "\n".join(lines)


def _entry_line(entry: Entry, markdown: bool) -> str:
    counts = f"reached {entry.reached}" if entry.state in ("confirmed", "never exercised") else ""
    if entry.contradicted:
        counts = f"contradicted {entry.contradicted}, reached {entry.reached}"
    if entry.state in ("undocumented", "nullable, never null"):
        counts = f"seen {entry.reached}"
    when = f"; first {entry.first_seen}, last {entry.last_seen}" if entry.first_seen else ""
    head = f"- {entry.api} `{entry.location}`" if markdown else f"- {entry.api} {entry.location}"
    parts = [f"{head} ({counts}{when})" if counts or when else head]
    if entry.checks:
        parts.append(f"    checks: {', '.join(sorted(entry.checks))}")
    if entry.observed:
        parts.append(f"    observed: {'; '.join(entry.observed)}")
    if entry.record is not None:
        parts.append(f"    recorded: {entry.record}")
    if entry.reason and entry.state != "never exercised":
        parts.append(f"    {'inference' if entry.state != 'violated' else 'source'}: {entry.reason}")
    return "\n".join(parts)


# The command.


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `drift` command to the `journeymock` parser."""
    add_command(
        subparsers,
        "drift",
        help="what contract-run observations say about the specs' inferences (and a patch)",
        description=DESCRIPTION,
        add_arguments=add_arguments,
        run=run,
    )


DESCRIPTION: Final = """\
Read observation files (journeymock contracts --observations PATH, from any number of runs) and report, per
API and spec location: each inference confirmed, contradicted, settled or never exercised; inferred
invariants contradicted or settled (x-journeymock-invariants); documented facts violated; undocumented
statuses, headers, properties and enum values. --patch OUT writes a diff of the specs (git apply OUT) that
settles what the evidence covers, recording contradicted inferred invariants under x-journeymock-invariants,
and never touches a documented fact or invariant.

exit status: 0 nothing drifted, 1 something drifted, 2 usage error."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("observations", nargs="+", type=Path, metavar="OBSERVATIONS", help="observation files")
    parser.add_argument("--spec-dir", type=Path, metavar="DIR", help="the OpenAPI documents (default: openapi/)")
    parser.add_argument("--patch", type=Path, metavar="OUT", help="write a `git apply`-able patch of the specs to OUT")
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")


def run(arguments: argparse.Namespace) -> int:
    def usage(message: str) -> int:
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return EXIT_USAGE

    spec_dir: Path = arguments.spec_dir or spec_directory()
    for path in arguments.observations:
        if not path.is_file():
            return usage(f"{path}: no such observation file")
    if arguments.patch is not None and (arguments.patch.is_dir() or not arguments.patch.parent.is_dir()):
        return usage(f"--patch {arguments.patch}: cannot write a file there")
    try:
        lines = read_observations(arguments.observations)
    except (ValueError, UnicodeDecodeError, OSError) as error:
        return usage(str(error))
    apis = [api for api in API_NAMES if (spec_dir / f"{api}.yaml").is_file()]
    if not apis:
        return usage(f"--spec-dir {spec_dir}: no {', '.join(f'{api}.yaml' for api in API_NAMES)} there")
    try:
        specs = {api: SpecTiers(load_spec(api, spec_dir)) for api in apis}
    except SpecError as error:
        return usage(str(error))
    analysis = analyse(lines, specs)
    print(render(analysis, arguments.format))
    if arguments.patch is not None:
        arguments.patch.write_text(build_patch(analysis, specs, spec_dir, _display(spec_dir)), encoding="utf-8")
    return EXIT_DRIFT if analysis.drifted else EXIT_OK


def _display(spec_dir: Path) -> str:
    """The spec directory as the patch and locations name it: relative to here when it is below here."""
    try:
        return spec_dir.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return "openapi"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    return run(arguments)


if __name__ == "__main__":
    sys.exit(main())
