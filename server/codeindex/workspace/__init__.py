"""The workspace on disk: which files belong to the index, and how to read one safely.

Everything that touches the source tree goes through `Workspace`: paths from outside are
resolved against the root and refused when they resolve outside it (invariant 7, `root`); the scan
applies the ignore rules (`ignore`) and never follows a symlink out of the root or round a
loop (`scan`); `read` decodes a file as an editor would (`decoding`: byte-order marks, UTF-8,
legacy encodings) and turns every bad file (huge, binary, vanished, unreadable) into a
`SkipFile` with a reason instead of an error (invariant 9, `reading`). A name that is not
valid UTF-8 never leaves this package as a path: it is skipped with a reason under a
printable form (`paths`), and the rest of the tree is indexed as usual.
"""

from codeindex.workspace.core import Workspace
from codeindex.workspace.decoding import Decoded, NotText, decode
from codeindex.workspace.ignore import (
    EXCLUDED_DIR_MARKERS,
    EXCLUDED_DIR_NAMES,
    EXCLUDED_FILE_NAMES,
    EXCLUDED_SUFFIXES,
    IGNORE_FILES,
)
from codeindex.workspace.paths import (
    BadFileNameError,
    OutsideWorkspaceError,
    WorkspaceError,
    printable,
    valid_name,
)
from codeindex.workspace.reading import BINARY_SUFFIXES, KIB, SkipFile, Source, hash_bytes
from codeindex.workspace.root import MIB
from codeindex.workspace.scan import FileEntry, ScanResult, SkippedPath

__all__ = [
    "BINARY_SUFFIXES",
    "EXCLUDED_DIR_MARKERS",
    "EXCLUDED_DIR_NAMES",
    "EXCLUDED_FILE_NAMES",
    "EXCLUDED_SUFFIXES",
    "IGNORE_FILES",
    "KIB",
    "MIB",
    "BadFileNameError",
    "Decoded",
    "FileEntry",
    "NotText",
    "OutsideWorkspaceError",
    "ScanResult",
    "SkipFile",
    "SkippedPath",
    "Source",
    "Workspace",
    "WorkspaceError",
    "decode",
    "hash_bytes",
    "printable",
    "valid_name",
]
