"""The project's one exception hierarchy.

Every error a user can cause carries the fields needed to fix the input:
file, row, indicator code, value and what was expected.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass


class CchcError(Exception):
    """Base class of every error raised on purpose by the pipeline."""


@dataclass
class InputError(CchcError):
    """A raw input (a whole file, or one value in it) that cannot be accepted."""

    message: str
    file: str | None = None
    row: int | None = None
    indicator: str | None = None
    value: str | None = None
    expected: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.indicator:
            where.append(f"indicator {self.indicator}")
        parts = [": ".join([", ".join(where), self.message]) if where else self.message]
        if self.value is not None:
            parts.append(f"value {self.value!r}")
        if self.expected:
            parts.append(f"expected {self.expected}")
        return "; ".join(parts)


class RegistryError(InputError):
    """A registry file (bundled, or an office's list given to ``cchc registry import``) that cannot be accepted."""


class UnknownCommuneError(CchcError):
    """A commune code that is unknown, or not valid in the period asked for."""


class PeriodError(CchcError):
    """A period id or period phrase that cannot be understood."""


class CatalogueError(CchcError):
    """The indicator catalogue (or a lookup in it) is inconsistent."""


class WordsError(CatalogueError):
    """A phrase file (``*/words.yaml``, ``findings.yaml``, ``checks.yaml``) or a call naming its phrases is wrong."""


class SchemaError(CchcError):
    """A table does not match the declared schema where two stages meet."""


class UsageError(CchcError):
    """Wrong use of the command line (exit status 2)."""


class DataLocked(CchcError):
    """Another run is writing to the data directory (exit status 3)."""

    def __init__(self, lock: str, holder: str | None = None):
        self.lock, self.holder = lock, holder
        super().__init__(f"another run is writing to this data directory ({holder or 'holder unknown'}): "
                         f"lock {lock} is held; try again when it has finished")


class StoreError(CchcError):
    """A processed table that cannot be read (truncated, corrupt) or written."""


class NumberFormatError(CchcError, ValueError):
    """Text that is not a Vietnamese number (a ``ValueError`` too, as ``float("x")`` raises)."""


class UnitOnlyError(NumberFormatError):
    """A value that holds a unit ("%", "đồng", "()") but no number: not blank, not a number either."""


class NoDataError(CchcError):
    """A report asked for a commune and period with nothing stored: the commune has not reported (chưa gửi báo cáo)."""


class RenderError(CchcError):
    """A report could not be rendered (the executed notebook is kept for inspection)."""


class BatchLocked(CchcError):
    """Another batch run holds the lock."""


class BatchStopped(KeyboardInterrupt):
    """The batch was stopped by a signal (SIGINT, SIGTERM); its workers are gone, its lock released.

    Deliberately not a :class:`CchcError`: a stop is not an error in the input, and like Ctrl-C it must
    pass through every ``except Exception`` (one report's failure is caught, a stop never is).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention: 130 for SIGINT, 143 for SIGTERM
