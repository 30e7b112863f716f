"""Toggle chips for a multiple choice: one ToggleButton per option, no Ctrl-click list.

:class:`ToggleChips` has the ``options`` (``(label, value)`` pairs) and
``value`` (a tuple of the chosen values) of a ``SelectMultiple``, so code that
sets ``panel.categories.value = ("genome_track",)`` works unchanged, but each
option is a button that a click turns on or off (``aria-pressed`` for screen
readers).

Example:
    >>> chips = ToggleChips(options=[("bed (2 files)", "bed"), ("other (1 file)", "other")])
    >>> chips.value = ("bed",)
    >>> [b.value for b in chips.children]
    [True, False]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped, unused-ignore]
import traitlets

__all__ = ["ToggleChips"]


class ToggleChips(widgets.HBox):  # type: ignore[misc, unused-ignore]
    """Chips that toggle; ``value`` is the tuple of chosen option values, in option order."""

    options: traitlets.List[tuple[str, str]] = traitlets.List()
    value = traitlets.Tuple()

    def __init__(self, options: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        self._quiet = False
        self._values: list[str] = []
        super().__init__(**kwargs)
        self.layout.flex_flow = "row wrap"
        self.add_class("geo-nb-chips")
        self.observe(self._on_options, names="options")
        self.observe(self._on_value, names="value")
        self.options = list(options or [])

    def _on_options(self, change: Mapping[str, Any]) -> None:
        buttons = []
        for label, _ in change["new"]:
            button = widgets.ToggleButton(description=str(label), tooltip=str(label))
            button.layout.width = "auto"
            button.add_class("geo-nb-chip")
            button.observe(lambda _: self._on_button(), names="value")
            buttons.append(button)
        self._values = [str(v) for _, v in change["new"]]
        self.children = tuple(buttons)
        known = {str(v) for _, v in change["new"]}
        self.value = tuple(v for v in self.value if v in known)
        self._on_value({"new": self.value})

    @traitlets.validate("value")
    def _valid(self, proposal: Mapping[str, Any]) -> tuple[str, ...]:
        known = {str(v) for _, v in self.options}
        unknown = set(proposal["value"]) - known
        if unknown:
            raise traitlets.TraitError(f"not an option: {', '.join(sorted(unknown))}")
        return tuple(proposal["value"])

    def _on_value(self, change: Mapping[str, Any]) -> None:
        chosen = set(change["new"])
        self._quiet = True
        try:
            for button, value in zip(self.children, self._values, strict=True):
                button.value = value in chosen
                button.button_style = "info" if button.value else ""
        finally:
            self._quiet = False

    def _on_button(self) -> None:
        if self._quiet:
            return
        pressed = zip(self.children, self._values, strict=True)
        self.value = tuple(value for button, value in pressed if button.value)
