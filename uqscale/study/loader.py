"""Reading study YAML safely: bounded, strict, and with YAML 1.2 numbers.

Study files come from anyone (a colleague, a downloaded example), so the loader is
PyYAML's safe loader (nothing is evaluated) with limits and checks, each failing as a
:class:`yaml.MarkedYAMLError` (reported as one line naming the file, line and column):

- numbers follow YAML 1.2: ``1e-5``, ``1E5``, ``.5`` and ``+2.`` are floats (YAML 1.1,
  which PyYAML follows, reads the first two as strings);
- a key given twice in one mapping is refused, naming the key and both lines
  (YAML 1.1 silently keeps the last), and so is an empty or null key;
- nesting deeper than :data:`MAX_DEPTH` levels is refused (no ``RecursionError``);
- aliases: a recursive alias is refused, and so is a document that would hold more
  than :data:`MAX_NODES` values once its aliases are expanded (an "alias bomb"),
  counted while composing, before anything is built;
- integers longer than :data:`MAX_DIGITS` digits are refused;
- strings must not hold control characters (other than tab and newline) or lone
  surrogates, written as escapes (the YAML reader refuses them written raw).
"""

from __future__ import annotations

import re
from typing import Any, cast

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.error import Mark

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings in a study file."""
MAX_NODES = 1_000_000
"""Most values (scalars, lists, mappings) a study may hold with aliases expanded."""
MAX_DIGITS = 100
"""Longest integer literal, in digits."""

FLOAT_1_2 = re.compile(
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
                           |[-+]?\.(?:inf|Inf|INF)
                           |\.(?:nan|NaN|NAN))$""",
    re.VERBOSE,
)
"""The YAML 1.2 core schema's floats (what a user means by ``1e-5``)."""
FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters (but tab, newline) and lone surrogates, refused in strings."""


class StudyLoader(yaml.SafeLoader):
    """PyYAML's safe loader with the limits and checks listed in the module's notes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}

    # -- composing: depth and expanded size, before anything is built -----------------

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Compose the next node as PyYAML does, refusing a recursive alias, nesting deeper
        than :data:`MAX_DEPTH` and more than :data:`MAX_NODES` values once expanded.

        Parameters
        ----------
        parent
            The node being composed that holds this one (None at the document's root).
        index
            This node's key or position in ``parent`` (PyYAML's resolver reads it).

        Returns
        -------
        yaml.Node or None
            The node, its expanded size recorded for the enclosing nodes' count.
        """
        if self.check_event(yaml.AliasEvent):
            # types-PyYAML leaves Parser.peek_event unannotated; it returns the next Event
            event: yaml.AliasEvent = self.peek_event()  # type: ignore[no-untyped-call]
            mark = cast(Mark, event.start_mark)  # the pure-Python parser's mark
            node = self.anchors.get(event.anchor)
            if node is not None and id(node) not in self._sizes:
                raise ComposerError(
                    "while composing an alias",
                    mark,
                    f"the alias *{event.anchor} refers to a value that "
                    f"contains it (a recursive alias)",
                    mark,
                )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ComposerError(
                None,
                None,
                f"nested deeper than {MAX_DEPTH} levels",
                self.peek_event().start_mark,  # type: ignore[no-untyped-call]  # (see above)
            )
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is not None and id(node) not in self._sizes:
            self._sizes[id(node)] = self._expanded_size(node)
        return node

    def _expanded_size(self, node: yaml.Node) -> int:
        """Values the node holds with aliases expanded (its children are composed)."""
        if isinstance(node, yaml.ScalarNode):
            size = 1
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._sizes[id(child)] for child in node.value)
        else:
            size = 1 + sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
        if size > MAX_NODES:
            raise ComposerError(
                None,
                None,
                f"holds more than {MAX_NODES:,} values once its aliases are expanded",
                node.start_mark,
            )
        return size

    # -- constructing: keys, integers, strings --------------------------------------------

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping as PyYAML does, refusing an empty key and a key written twice.

        Parameters
        ----------
        node
            The composed mapping.
        deep
            Build the values' own contents now (PyYAML's flag, passed on).

        Returns
        -------
        dict[Any, Any]
            The mapping.
        """
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, _ in node.value:  # as written: keys a merge (<<) brings may repeat
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                if key is None or key == "":
                    raise ConstructorError(
                        None, None, "empty key: every key needs a name", key_node.start_mark
                    )
                if isinstance(key, str | int | float | bool) and key in seen:
                    first = seen[key].start_mark.line + 1
                    raise ConstructorError(
                        None,
                        None,
                        f"key {key!r} appears twice in one mapping (lines {first} "
                        f"and {key_node.start_mark.line + 1}); keep one",
                        key_node.start_mark,
                    )
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        digits = sum(c.isdigit() for c in str(node.value))
        if digits > MAX_DIGITS:
            raise ConstructorError(
                None, None, f"an integer of {digits} digits (at most {MAX_DIGITS})", node.start_mark
            )
        return super().construct_yaml_int(node)

    def construct_yaml_str(self, node: yaml.ScalarNode) -> str:
        text = super().construct_yaml_str(node)
        bad = FORBIDDEN.search(text)
        if bad:
            raise ConstructorError(
                None,
                None,
                f"a string holds the control character or "
                f"lone surrogate {bad.group()!r}; remove it",
                node.start_mark,
            )
        return text


StudyLoader.add_implicit_resolver("tag:yaml.org,2002:float", FLOAT_1_2, list("-+0123456789."))
StudyLoader.add_constructor("tag:yaml.org,2002:int", StudyLoader.construct_yaml_int)
StudyLoader.add_constructor("tag:yaml.org,2002:str", StudyLoader.construct_yaml_str)


def load(text: str) -> Any:
    """The single YAML document in ``text``, read with :class:`StudyLoader`.

    Raises
    ------
    yaml.YAMLError
        For text that is not YAML or breaks one of the loader's limits, with a mark
        (line and column) where one applies.
    """
    loader = StudyLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
