"""The template editor: make your own templates — from a copy of a built-in (built-ins stay
read-only) or from a blank one — and save them to your templates.

Tabs edit everything a template holds (:mod:`ui.template_pages`); every edit is undoable
(Ctrl+Z / Ctrl+Shift+Z); the rules of :mod:`pipeline.templates.rules` run after every edit
and each problem is shown under the input at fault, listed at the bottom (click one to go
there), and blocks saving until it is fixed. The right-hand side previews any beat with
sample values and starts a test render (:mod:`ui.template_preview`).

Saving goes off the GUI thread to :meth:`studio.templates.save
<studio.templates.TemplateLibrary.save>` (YAML file in the data folder + database index).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pipeline.templates import KIND_NAMES, Problem
from studio.api import Studio, TemplateEntry
from ui.errors import show_error
from ui.operations import BackgroundOp
from ui.template_document import TemplateDocument
from ui.template_forms import ERROR_COLOUR, Binder
from ui.template_pages import FieldsPage, GeneralPage, HooksPage, LookPage, ScenesPage
from ui.template_preview import Enqueue, TemplatePreview

TAB_GENERAL, TAB_LOOK, TAB_FIELDS, TAB_SCENES, TAB_HOOKS = range(5)
_LOOK_KEYS = ("theme", "voice", "music", "caption_style")
_PERSONA_CLIP_KEYS = (
    "prompt",
    "visual_metaphor",
    "duration_s",
    "headline",
    "body",
    "narration",
    "infographic",
)


KEY_LABELS = {
    "text": "on-screen text",
    "body": "smaller line",
    "duration_s": "duration",
    "product": "product image",
    "main_text": "main line",
    "sub_text": "smaller line",
    "prompt": "AI prompt",
    "max_chars": "max length",
    "transition_s": "transitions",
    "accent_color": "accent colour",
    "font_family": "font",
    "dark": "background",
    "id": "Id",
}


def describe_path(path: tuple[str | int, ...], document: TemplateDocument) -> str:
    """Where a problem is, in the editor's words: ``("scenes", 3, "duration_s")`` of an ad →
    ``"Beat 4 (agitate) · duration"``."""
    if not path:
        return "Template"
    words: list[str] = []
    head, rest = path[0], path[1:]
    if head in ("scenes", "hooks", "fields"):
        noun = {"scenes": "Beat" if document.kind == "ad" else "Scene", "hooks": "Hook"}.get(
            str(head), "Field"
        )
        if rest and isinstance(rest[0], int):
            entry = document.value((head, rest[0]))
            detail = ""
            if isinstance(entry, dict):
                detail = str(
                    entry.get("role") or entry.get("scene_type") or entry.get("name") or ""
                )
            words.append(f"{noun} {rest[0] + 1}" + (f" ({detail})" if detail else ""))
            rest = rest[1:]
        else:
            words.append(
                {"scenes": "Beats" if document.kind == "ad" else "Scenes"}.get(
                    str(head), str(head).capitalize()
                )
            )
    elif head in ("intro", "outro"):
        words.append("Intro card" if head == "intro" else "Outro card")
    else:
        rest = path
    for key in rest:
        if isinstance(key, str):
            words.append(KEY_LABELS.get(key, key.replace("_", " ")))
    return " · ".join(words)


class Msg:
    """Every user-facing text of the editor, in one place."""

    title = "{name} — Template editor"
    ready = "No problems: ready to save."
    problems = "{n} problem{s}: fix {them} to save the template (click one to go there)."
    saving = "Saving…"
    saved = "Saved to {path}"
    id_taken = "another template already has the id {id!r}"
    id_hint = "choose another id"
    unsaved = "Save the changes to “{name}”?"


class TemplateEditor(QMainWindow):
    """Edit one user template.

    Args:
        studio: where templates are saved (``studio.templates``) and test renders go.
        data: the template's data (as in its YAML file).
        previous_id: the id it is saved under (``None``: a new template).
        based_on: the template it was copied from.
        taken_ids: ids other templates use (an id among them is a problem at the id field).
        enqueue / output_folder: for test renders (see :class:`TemplatePreview`).

    Signals:
        saved(str): the template was saved (its id).
    """

    saved = Signal(str)

    def __init__(
        self,
        studio: Studio,
        data: dict[str, Any],
        *,
        previous_id: str | None = None,
        based_on: str | None = None,
        taken_ids: Collection[str] = (),
        enqueue: Enqueue | None = None,
        output_folder: Callable[[], Path] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setObjectName("template_editor")
        self.studio = studio
        self.taken_ids = set(taken_ids) - {previous_id}
        self.document = TemplateDocument(
            data, previous_id=previous_id, based_on=based_on, parent=self
        )
        self._saving = False
        self.general = GeneralPage(self.document)
        self.look = LookPage(self.document)
        self.fields_page = FieldsPage(self.document)
        self.scenes = ScenesPage(self.document)
        self.hooks = HooksPage(self.document)
        self.tabs = QTabWidget()
        for page, title in (
            (self.general, "General"),
            (self.look, "Look && sound"),
            (self.fields_page, "Fields"),
            (self.scenes, "Scenes"),
            (self.hooks, "Hooks"),
        ):
            self.tabs.addTab(page, title)
        self.preview = TemplatePreview(
            self.document, studio, enqueue=enqueue, output_folder=output_folder
        )
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.problems_list = QListWidget()
        self.problems_list.setObjectName("template_problems")
        self.problems_list.setMaximumHeight(110)
        self.problems_list.itemActivated.connect(self._go_to_item)
        self.problems_list.itemClicked.connect(self._go_to_item)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tabs, 1)
        left_layout.addWidget(self.summary)
        left_layout.addWidget(self.problems_list)
        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.setCentralWidget(splitter)
        self._make_actions()
        self.scenes.scene_selected.connect(self.preview.show_scene)
        self.hooks.hook_selected.connect(self.preview.show_hook)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.document.problems_changed.connect(self._show_problems)
        self.document.changed.connect(self._update_title)
        self.document.structure_changed.connect(self._update_tabs)
        self.document.undo_stack.cleanChanged.connect(lambda _clean: self._update_title())
        self.document.set_extra_rules(self._id_rule)
        self._update_tabs()
        self._update_title()
        self._show_problems()
        self.resize(1280, 820)

    # -- actions ---------------------------------------------------------------------------------

    def _make_actions(self) -> None:
        stack = self.document.undo_stack
        self.save_action = QAction("&Save template", self)
        self.save_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Save))
        self.save_action.triggered.connect(self.save)
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts(
            [QKeySequence(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Y")]
        )
        self.test_action = QAction("&Test render", self)
        self.test_action.setShortcut(QKeySequence("Ctrl+R"))
        self.test_action.triggered.connect(self.preview.test_render)
        bar = self.addToolBar("Template")
        bar.setObjectName("template_toolbar")
        for action in (self.save_action, self.undo_action, self.redo_action, self.test_action):
            bar.addAction(action)
            self.addAction(action)
        menu = self.menuBar().addMenu("&Template")
        for action in (self.save_action, self.test_action):
            menu.addAction(action)
        edit = self.menuBar().addMenu("&Edit")
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)

    def _update_tabs(self) -> None:
        self.tabs.setTabVisible(TAB_HOOKS, self.document.kind == "ad")
        self.tabs.setTabText(TAB_SCENES, "Beats" if self.document.kind == "ad" else "Scenes")

    def _update_title(self) -> None:
        name = str(self.document.value(("name",)) or "Untitled")
        dirty = "" if self.document.undo_stack.isClean() else " •"
        kind = KIND_NAMES.get(self.document.kind, "")
        self.setWindowTitle(Msg.title.format(name=f"{name} ({kind}){dirty}"))

    def _tab_changed(self, index: int) -> None:
        if index == TAB_HOOKS:
            self.preview.show_hook(self.hooks.section.current())
        elif index == TAB_SCENES:
            self.preview.show_scene(self.scenes.current_index())

    # -- problems -------------------------------------------------------------------------------

    def _id_rule(self, data: dict[str, Any]) -> list[Problem]:
        template_id = data.get("id")
        if isinstance(template_id, str) and template_id in self.taken_ids:
            return [Problem(("id",), Msg.id_taken.format(id=template_id), Msg.id_hint)]
        return []

    def _show_problems(self) -> None:
        problems = self.document.problems
        self.problems_list.clear()
        for problem in problems:
            where = describe_path(problem.path, self.document)
            text = f"{where}: {problem.message}" + (f" → {problem.hint}" if problem.hint else "")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, problem.path)
            self.problems_list.addItem(item)
        self.problems_list.setVisible(bool(problems))
        if problems:
            n = len(problems)
            self.summary.setText(
                Msg.problems.format(n=n, s="s" if n > 1 else "", them="them" if n > 1 else "it")
            )
            self.summary.setStyleSheet(f"color: {ERROR_COLOUR}")
        else:
            self.summary.setText(Msg.ready)
            self.summary.setStyleSheet("")
        self.save_action.setEnabled(not problems and not self._saving)

    def _go_to_item(self, item: QListWidgetItem) -> None:
        self.go_to(tuple(item.data(Qt.ItemDataRole.UserRole)))

    def go_to(self, path: tuple[str | int, ...]) -> None:
        """Show the input of ``path``: its tab, its entry, and focus it."""
        head = path[0] if path else ""
        binders: list[Binder] = []
        if head == "fields":
            self.tabs.setCurrentIndex(TAB_FIELDS)
            if len(path) > 1 and isinstance(path[1], int):
                self.fields_page.section.set_current(path[1])
            binders = [self.fields_page.binder]
        elif head == "hooks":
            self.tabs.setCurrentIndex(TAB_HOOKS)
            if len(path) > 1 and isinstance(path[1], int):
                self.hooks.section.set_current(path[1])
            binders = [self.hooks.binder]
        elif (
            head == "scenes"
            or head in ("intro", "outro")
            or (self.document.kind == "persona" and head in _PERSONA_CLIP_KEYS)
        ):
            self.tabs.setCurrentIndex(TAB_SCENES)
            if head == "scenes" and len(path) > 1 and isinstance(path[1], int):
                self.scenes.select(path[1])
            elif head in ("intro", "outro"):
                self.scenes.select(0 if head == "intro" else 2)
            elif head != "scenes":
                self.scenes.select(1)
            binders = [b for b in (self.scenes.detail_binder,) if b is not None]
        elif head in _LOOK_KEYS:
            self.tabs.setCurrentIndex(TAB_LOOK)
            binders = [self.look.binder]
        else:
            self.tabs.setCurrentIndex(TAB_GENERAL)
            binders = [self.general.binder, self.general.kind_binder]
        for binder in binders:
            binding = binder.find(path)
            if binding is not None:
                binding.widget.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def error_text(self, path: tuple[str | int, ...]) -> str:
        """The error shown under the input of ``path`` on the tab that shows it (``""``: none)."""
        binders = [
            self.general.binder,
            self.general.kind_binder,
            self.look.binder,
            self.fields_page.binder,
            self.hooks.binder,
        ]
        if self.scenes.detail_binder is not None:
            binders.append(self.scenes.detail_binder)
        for binder in binders:
            text = binder.error_text(path)
            if text:
                return text
        return ""

    # -- saving -----------------------------------------------------------------------------------

    def save(self) -> None:
        """Save the template to your templates (off the GUI thread); refused while it has
        problems (the summary says what to change)."""
        template = self.document.template
        if template is None or self._saving:
            if self.document.problems:
                self.summary.setText(
                    "Not saved. "
                    + Msg.problems.format(
                        n=len(self.document.problems),
                        s="s" if len(self.document.problems) > 1 else "",
                        them="them" if len(self.document.problems) > 1 else "it",
                    )
                    + f" First: {self.document.problems[0]}"
                )
            return
        library = self.studio.templates
        previous, based_on = self.document.previous_id, self.document.based_on
        index = self.document.undo_stack.index()
        self._saving = True
        self.save_action.setEnabled(False)
        self.summary.setText(Msg.saving)

        def done(entry: TemplateEntry) -> None:
            self._saving = False
            if self.document.undo_stack.index() == index:
                self.document.mark_saved(entry.id)
            else:
                self.document.previous_id = entry.id
            self.taken_ids.discard(entry.id)
            self._show_problems()
            self.summary.setText(Msg.saved.format(path=entry.path))
            self.saved.emit(entry.id)

        def failed(error: BaseException) -> None:
            self._saving = False
            self._show_problems()
            show_error(error, self)

        BackgroundOp(
            lambda: library.save(template, previous_id=previous, based_on=based_on), parent=self
        ).success(done).failure(failed).run()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask before closing with unsaved changes."""
        if not self.document.undo_stack.isClean():
            name = str(self.document.value(("name",)) or "this template")
            buttons = (
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel
            )
            answer = QMessageBox.question(
                self, "Unsaved template", Msg.unsaved.format(name=name), buttons
            )
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Save:
                if self.document.template is None:
                    event.ignore()
                    self.save()  # explains what to fix
                    return
                self.save()
        super().closeEvent(event)
