"""The main window: composes the panels, the actions and their shortcuts, and remembers the
window geometry and dock layout in QSettings (everything else is in the studio's settings,
which the window follows as they change).

Panels: library (left), storyboard above the preview (centre), properties (right), jobs
(bottom). Every panel subscribes to the one :class:`~ui.document.ProjectDocument`; the window
only wires them. Dropping a document (Markdown, text, PDF, DOCX, YAML) on the window opens the
new-project wizard with that file (or imports it directly when the wizard is unavailable).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QWidget,
)

from pipeline.adapters import SUPPORTED_SUFFIXES
from pipeline.artifacts import ArtifactStore
from pipeline.errors import InputError, StudioError
from pipeline.models import VideoSpec
from studio.api import (
    JobRunner,
    Project,
    RenderOverrides,
    SecretStore,
    Studio,
    StudioSettings,
)
from ui import helper, icons, theme
from ui.autosave import ProjectSaver
from ui.document import ProjectDocument
from ui.errors import show_error
from ui.jobs_panel import JobsPanel
from ui.library import LibraryPanel
from ui.operations import BackgroundOp, writer_pool
from ui.operator_view import OperatorView
from ui.plan import RequestPlans
from ui.preview import PreviewPanel
from ui.properties import PropertiesPanel
from ui.storyboard import StoryboardPanel
from ui.template_panel import install_templates

if TYPE_CHECKING:
    from ui.batch_dialog import BatchDialog

DOCUMENT_SUFFIXES = SUPPORTED_SUFFIXES
DOCUMENT_FILTER = "Documents (" + " ".join(f"*{suffix}" for suffix in SUPPORTED_SUFFIXES) + ")"


def run_critique(studio: Studio, spec: VideoSpec) -> list[Any]:
    """The creative-director pass (on a worker thread): the governed LLM from the settings.

    Raises:
        PaidWorkBlocked / ProviderError / QuotaExhausted: shown by the dialog.
    """
    from pipeline.ai.llm import make_generator
    from pipeline.ai.script import critique

    ai = studio.settings.current.ai
    generator = make_generator(
        ai.llm_provider,
        studio.governor(),
        model=ai.llm_model,
        api_key=SecretStore().get_api_key(ai.llm_provider),
        base_url=ai.base_url(ai.llm_provider),
        prices=ai.prices,
    )
    try:
        return critique(spec, generator)
    finally:
        generator.close()


class MainWindow(QMainWindow):
    """The studio's main window.

    Args:
        studio: the application services.
        runner: the job runner (``None`` if another process works the queue).
        settings: where the window's geometry and dock layout are remembered (everything
            else is in the studio's settings).

    Signals:
        project_loaded(int): a project was opened into the editor.
    """

    project_loaded = Signal(int)
    _settings_arrived = Signal(object)  # settings changed on any thread → the GUI thread

    def __init__(
        self,
        studio: Studio,
        runner: JobRunner | None,
        settings: QSettings,
        *,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.studio = studio
        self.runner = runner
        self.settings = settings
        self.setObjectName("main_window")
        self.setAcceptDrops(True)
        self.document = ProjectDocument(parent=self)
        self.render_overrides: dict[str, Any] = {}
        """The open project's own render choices (a ``RenderOverrides`` as JSON)."""
        self.batch_dialog: BatchDialog | None = None
        """The Batch dialog, once opened (File → Batch render…)."""

        def store() -> ArtifactStore:
            return studio.cache

        helper.start()  # the preview helper process loads while the window opens
        self.plans = self._make_plans()
        """The render plan of the open project (what the preview and the card lengths follow)."""
        address = studio.cache_address()
        self.library = LibraryPanel(studio, self)
        self.storyboard = StoryboardPanel(
            self.document, store, cache_address=address, plan=self.plans
        )
        self.preview = PreviewPanel(
            self.document,
            store,
            audio_folder=lambda: studio.cache_dir / "preview-audio",
            plan=self.plans,
            cache_address=address,
        )
        self.properties = PropertiesPanel(self.document)
        self.jobs = JobsPanel(studio, runner)
        self.operator = OperatorView(studio)  # reads nothing until its dock is shown

        centre = QSplitter(Qt.Orientation.Vertical, self)
        centre.setObjectName("centre")
        centre.addWidget(self.storyboard)
        centre.addWidget(self.preview)
        centre.setStretchFactor(1, 1)
        self.setCentralWidget(centre)
        self.docks: dict[str, QDockWidget] = {}
        widget: QWidget  # a panel, or the scroll area around it
        for key, title, widget, area in (
            ("library", "Library", self.library, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("properties", "Properties", self.properties, Qt.DockWidgetArea.RightDockWidgetArea),
            ("jobs", "Jobs", self.jobs, Qt.DockWidgetArea.BottomDockWidgetArea),
            ("operator", "Operator", self.operator, Qt.DockWidgetArea.RightDockWidgetArea),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{key}")
            if key == "operator":  # tall content: scroll rather than grow the window
                scroll = QScrollArea(dock)
                scroll.setWidgetResizable(True)
                scroll.setFrameShape(QFrame.Shape.NoFrame)
                scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
                scroll.setWidget(widget)
                widget = scroll
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[key] = dock
        self.tabifyDockWidget(self.docks["properties"], self.docks["operator"])
        self.docks["properties"].raise_()
        self.docks["operator"].hide()

        self.saver = ProjectSaver(self.document, studio.projects, self)
        self.save_status = QLabel("", self)
        self.save_status.setObjectName("save_status")
        self.statusBar().addPermanentWidget(self.save_status)
        self._make_actions()
        install_templates(self)  # the Templates dock and menu (ui.template_panel)
        self._connect()
        self._restore_layout()
        self._update_title()
        self._settings_arrived.connect(self._settings_changed)
        self._unsubscribe = studio.settings.subscribe(self._settings_arrived.emit)
        self.actions_["dark"].setChecked(studio.settings.current.theme == "dark")

    def _make_plans(self) -> RequestPlans:
        """The render plans of the open project: the studio's one request builder with the
        settings in effect and the project's own render choices, as :meth:`render_current`
        makes the request (called again when either changes)."""
        studio = self.studio
        overrides = RenderOverrides.model_validate(self.render_overrides)
        folder = self.output_folder()

        def make(spec: VideoSpec, condense: bool) -> Any:
            return studio.make_request(
                spec, overrides=overrides, default_output_dir=folder, condense=condense
            )

        return RequestPlans(make)

    def _follow_plans(self, *, refresh: bool = True) -> None:
        """The settings or the project's render choices changed: the preview and the card
        lengths follow the new render plan."""
        try:
            self.plans = self._make_plans()
        except (StudioError, ValueError) as error:
            show_error(error, self)
            return
        self.storyboard.set_plan(self.plans, refresh=refresh)
        self.preview.set_plan(self.plans, refresh=refresh)

    # -- actions -------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        doc = self.document
        stack = doc.undo_stack
        self.actions_: dict[str, QAction] = {
            "new": self._action(
                "&New project…", lambda: self.new_project(), QKeySequence.StandardKey.New
            ),
            "open": self._action(
                "&Open document…", self.open_document_dialog, QKeySequence.StandardKey.Open
            ),
            "save": self._action("&Save", self.save, QKeySequence.StandardKey.Save),
            "batch": self._action("&Batch render…", self.open_batch_dialog, "Ctrl+Shift+B"),
            "settings": self._action(
                "Se&ttings…", self.open_settings, QKeySequence.StandardKey.Preferences
            ),
            "quit": self._action("&Quit", self.close, QKeySequence.StandardKey.Quit),
            "undo": stack.createUndoAction(self, "&Undo"),
            "redo": stack.createRedoAction(self, "&Redo"),
            "duplicate": self._action(
                "D&uplicate scene", lambda: self._edit(doc.duplicate_scene, doc.current), "Ctrl+D"
            ),
            "delete": self._action(
                "&Delete scene",
                lambda: self._edit(doc.delete_scene, doc.current),
                QKeySequence.StandardKey.Delete,
            ),
            "render": self._action("&Render", self.render_current, "Ctrl+R"),
            "critique": self._action("Creative-director &critique…", self.critique, "Ctrl+Shift+K"),
            "dark": self._action("&Dark theme", self._toggle_theme, "Ctrl+Shift+L"),
            "about": self._action("&About Video Studio and licences…", self.open_about),
        }
        self.actions_["undo"].setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.actions_["redo"].setShortcuts(
            [QKeySequence(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Y")]
        )
        self.addAction(self.actions_["undo"])
        self.addAction(self.actions_["redo"])
        for key in (
            "new",
            "open",
            "save",
            "settings",
            "quit",
            "undo",
            "redo",
            "duplicate",
            "delete",
            "render",
            "critique",
            "dark",
        ):
            icons.apply(self.actions_[key], key)
        self.actions_["render"].setToolTip("Render the open project to an MP4 (Ctrl+R)")
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("toolbar_main")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for tool in ("new", "open", None, "undo", "redo", None, "render"):
            if tool is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(self.actions_[tool])
        self.actions_["dark"].setCheckable(True)
        self.actions_["dark"].setChecked(theme.current_theme() == "dark")
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for key in ("new", "open", "save", "batch"):
            file_menu.addAction(self.actions_[key])
        file_menu.addSeparator()
        file_menu.addAction(self.actions_["settings"])
        file_menu.addSeparator()
        file_menu.addAction(self.actions_["quit"])
        edit = bar.addMenu("&Edit")
        edit.addAction(self.actions_["undo"])
        edit.addAction(self.actions_["redo"])
        edit.addSeparator()
        edit.addMenu(self.storyboard.add_menu)
        edit.addAction(self.actions_["duplicate"])
        edit.addAction(self.actions_["delete"])
        view = bar.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addAction(self.actions_["dark"])
        render = bar.addMenu("&Render")
        render.addAction(self.actions_["render"])
        render.addAction(self.actions_["critique"])
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.actions_["about"])

    def _connect(self) -> None:
        self.library.project_activated.connect(self.open_project)
        self.library.new_requested.connect(lambda: self.new_project())
        self.library.import_requested.connect(self.open_document_dialog)
        self.jobs.render_requested.connect(self.render_current)
        self.preview.new_requested.connect(lambda: self.new_project())
        self.preview.import_requested.connect(self.open_document_dialog)
        self.document.undo_stack.cleanChanged.connect(lambda _clean: self._update_title())
        self.document.project_changed.connect(self._update_title)
        self.document.reset.connect(self._update_enabled)
        self.document.undo_stack.cleanChanged.connect(self._show_save_state)
        self.saver.saving.connect(lambda: self._show_save_state(False))
        self.saver.saved.connect(self._on_saved)
        self.saver.failed.connect(self._on_save_failed)
        self._update_enabled()

    def _update_enabled(self) -> None:
        is_open = self.document.is_open()
        for key in ("save", "duplicate", "delete", "render", "critique"):
            self.actions_[key].setEnabled(is_open)
        self.jobs.render_button.setEnabled(is_open)
        self.storyboard.setEnabled(is_open)

    def _edit(self, fn: object, *args: object) -> None:
        try:
            fn(*args)  # type: ignore[operator]
        except StudioError as error:
            show_error(error, self)

    def _update_title(self) -> None:
        name = self.document.name if self.document.is_open() else "No project"
        dirty = "" if self.document.undo_stack.isClean() else " •"
        self.setWindowTitle(f"{name}{dirty} — Video Studio")

    def _toggle_theme(self) -> None:
        name: theme.ThemeName = "dark" if self.actions_["dark"].isChecked() else "light"
        theme.apply_theme(name)
        current = self.studio.settings.current
        if current.theme != name:
            self._update_settings(current.model_copy(update={"theme": name}))

    def _update_settings(self, settings: StudioSettings) -> None:
        store = self.studio.settings
        BackgroundOp(lambda: store.update(settings), parent=self).failure(
            lambda error: show_error(error, self)
        ).run()

    def _settings_changed(self, settings: StudioSettings) -> None:
        """The studio's settings changed (on the GUI thread): apply what the window shows."""
        theme.apply_theme(settings.theme)
        self.actions_["dark"].setChecked(settings.theme == "dark")
        self._follow_plans()

    # -- projects --------------------------------------------------------------------------

    def open_project(self, project_id: int) -> None:
        """Load project ``project_id`` into the editor.

        Unsaved edits of the open project are saved first; the read runs on the writer
        thread after that save, so switching projects never drops an edit.
        """
        if self.saver.is_dirty():
            self.saver.save_now()
        projects = self.studio.projects
        BackgroundOp(
            lambda: projects.load_project(project_id), parent=self, pool=writer_pool()
        ).success(self._on_project_loaded).run()

    def _on_project_loaded(self, project: Project) -> None:
        if self.saver.is_dirty():  # edited while the project was being read: keep those edits
            self.saver.save_now()
        self.render_overrides = project.overrides
        self._follow_plans(refresh=False)  # the document is reset next
        self.document.load(
            project.spec,
            project_id=project.id,
            name=project.name,
            source_path=project.source_path,
            source_kind=project.source_kind,
        )
        self.library.select_project(project.id)
        self._update_enabled()
        self.project_loaded.emit(project.id)

    def save(self) -> None:
        """Save the document as its project now (Ctrl+S; on the writer thread)."""
        self.saver.save_now()

    def _show_save_state(self, clean: bool) -> None:
        if not self.document.is_open():
            self.save_status.setText("")
        elif clean:
            self.save_status.setText("All changes saved")
        else:
            self.save_status.setText("Saving…")

    def _on_saved(self, _project_id: int) -> None:
        self._show_save_state(self.document.undo_stack.isClean())
        self.library.reload()

    def _on_save_failed(self, error: BaseException) -> None:
        self.save_status.setText("Not saved — retrying on the next edit")
        show_error(error, self)

    def new_project(self, initial_path: Path | None = None) -> None:
        """Open the new-project wizard (with ``initial_path`` pre-filled, if given)."""
        try:
            from ui.wizard import NewProjectWizard
        except ImportError:
            if initial_path is not None:
                self.import_document(initial_path)
            else:
                show_error(
                    InputError(
                        "the new-project wizard is not available in this build",
                        hint="use File → Open document… to start a project from a document",
                    ),
                    self,
                )
            return
        wizard = NewProjectWizard(self.studio, self, initial_path=initial_path)
        wizard.project_created.connect(self._on_project_created)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.open()

    def _on_project_created(self, project_id: int) -> None:
        self.library.reload()
        self.open_project(project_id)

    def import_document(self, path: Path) -> None:
        """Make a project from a document directly (no wizard) and open it."""
        studio = self.studio
        path = Path(path)
        BackgroundOp(lambda: studio.import_document(path), parent=self).success(
            self._on_project_created
        ).run()

    def open_document_dialog(self) -> None:
        """Pick a document and start a project from it."""
        last = self.studio.settings.current.last_folder
        folder = str(last or Path.home())
        name, _ = QFileDialog.getOpenFileName(
            self, "Start a project from a document", folder, DOCUMENT_FILTER
        )
        if name:
            self._remember_folder(Path(name).parent)
            self.new_project(Path(name))

    def _remember_folder(self, folder: Path) -> None:
        current = self.studio.settings.current
        if current.last_folder != folder:
            self._update_settings(current.model_copy(update={"last_folder": folder}))

    def open_about(self) -> None:
        """Open Help → About: version, licences, and where each voice comes from."""
        from ui.about_dialog import AboutDialog

        AboutDialog(self).exec()

    def open_settings(self) -> None:
        """Open the settings dialog."""
        try:
            from ui.settings_dialog import SettingsDialog
        except ImportError:
            show_error(
                InputError(
                    "the settings dialog is not available in this build", hint="try a newer version"
                ),
                self,
            )
            return
        dialog = SettingsDialog(self.studio, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def open_batch_dialog(self) -> None:
        """Show the Batch dialog (Ctrl+Shift+B; not modal, one per window: reopening it shows
        the running batch's progress). Its queued jobs appear in the Jobs panel."""
        from ui.batch_dialog import BatchDialog

        if self.batch_dialog is None:
            self.batch_dialog = BatchDialog(self.studio, self.runner, self)
            self.batch_dialog.queued.connect(self._on_batch_queued)
            self.batch_dialog.progressed.connect(self.jobs.show_batch_progress)
        self.batch_dialog.show()
        self.batch_dialog.raise_()
        self.batch_dialog.activateWindow()

    def _on_batch_queued(self, _job_ids: object) -> None:
        self.jobs.jobs.reload()
        self.docks["jobs"].show()
        self.docks["jobs"].raise_()

    # -- rendering -------------------------------------------------------------------------

    def critique(self) -> None:
        """Ask the configured LLM for concrete edits; apply the chosen ones as one undo step."""
        spec = self.document.spec
        if spec is None:
            return
        from ui.critique_dialog import CritiqueDialog

        critic = functools.partial(run_critique, self.studio)
        dialog = CritiqueDialog(spec, critic, self)
        dialog.apply_requested.connect(self.document.replace_spec)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def output_folder(self) -> Path:
        """Where renders go: the settings' output folder, else the user's Videos folder."""
        chosen = self.studio.settings.current.output_dir
        if chosen is not None:
            return chosen
        default = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
        return Path(default or Path.home()) / "Video Studio"

    def render_current(self) -> None:
        """Save the document and queue its render (Ctrl+R) through the studio's one render
        request: the settings, the project and the project's own render choices."""
        spec = self.document.spec
        if spec is None:
            return
        if self.document.project_id is None or not self.document.undo_stack.isClean():
            self.save()
        try:
            request = self.studio.make_request(
                spec,
                overrides=RenderOverrides.model_validate(self.render_overrides),
                default_output_dir=self.output_folder(),
                source=self.document.source_path,
                project_id=self.document.project_id,
            )
        except (StudioError, ValueError) as error:
            show_error(error, self)
            return
        self.jobs.jobs.enqueue(request)
        self.docks["jobs"].show()
        self.docks["jobs"].raise_()

    # -- drag and drop ---------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept a dragged document file."""
        if self._dropped_document(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        """Start a project from the dropped document."""
        path = self._dropped_document(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self._remember_folder(path.parent)
        self.new_project(path)

    @staticmethod
    def _dropped_document(event: QDragEnterEvent | QDropEvent) -> Path | None:
        mime = event.mimeData()
        for url in mime.urls() if mime.hasUrls() else []:
            if url.isLocalFile():
                path = Path(url.toLocalFile())
                if path.suffix.lower() in DOCUMENT_SUFFIXES:
                    return path
        return None

    # -- layout ----------------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(1400, 900)
        if isinstance(state, QByteArray | bytes):
            self.restoreState(QByteArray(state))
        else:  # first start: a generous preview, a compact job panel
            self.resizeDocks(
                [self.docks["library"], self.docks["properties"]],
                [260, 420],
                Qt.Orientation.Horizontal,
            )
            self.resizeDocks([self.docks["jobs"]], [190], Qt.Orientation.Vertical)

    def save_layout(self) -> None:
        """Remember the window's geometry and dock layout."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the layout and save unsaved edits before closing."""
        self._unsubscribe()
        self.save_layout()
        self.preview.stop()
        self.jobs.stop_player()
        # The window is closing: save on the writer thread and wait for it (bounded).
        if not self.saver.flush() and self.saver.last_error is not None:
            show_error(self.saver.last_error, self)
        super().closeEvent(event)
