"""The `jaxon` command (also `python -m jaxon`).

  jaxon tree FILE [PATH] [--json]   what the file holds, from its metadata only
  jaxon validate FILE...            the layout validator (jaxon-validate)
  jaxon dump FILE [h5dump options]  the bundled h5dump, through the jaxon connector

Exit status: 0 success; 1 the file breaks the layout (tree: some node is invalid; validate:
violations found); 2 the file cannot be read or the command line is wrong. `validate` and
`dump` run the bundled tools and return their exit status unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import List, Optional

from . import _paths

# validate=warn: the violations of an invalid file are printed and the file is dumped. In
# strict mode the connector refuses the file and h5dump silently falls back to the native
# connector (docs/connector.md): the dump would appear with no word about the violations.
_CONNECTOR = "jaxon validate=warn;under_vol=0;under_info={}"


def _tool(name: str) -> str:
    """Path of a bundled tool (h5dump, jaxon-validate)."""
    return _paths.hdf5_bin(name)


def _run(cmd: List[str], env: Optional[dict] = None) -> int:
    try:
        return subprocess.run(cmd, env=env).returncode
    except KeyboardInterrupt:
        return 130
    except OSError as e:
        print(f"jaxon: error: cannot run {cmd[0]}: {e.strerror or e}", file=sys.stderr)
        return 2


def _cmd_tree(args: argparse.Namespace) -> int:
    from . import _tree
    from ._jaxon import JaxonError

    try:
        node = _tree.tree(args.file, args.path)
    except (JaxonError, OSError, KeyError, TypeError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"jaxon tree: error: {msg}", file=sys.stderr)
        return 2
    root_layout = node.layout
    invalid = sum(1 for n in node.walk() if n.error is not None)
    if args.json:
        doc = {"file": os.fspath(args.file), "layout": root_layout,
               "root": _tree.to_json_dict(node)}
        # the encoder recurses twice per tree level (node dict, children list), and trees
        # go 1,000 levels deep (the walk's bound)
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 2500))
        try:
            text = json.dumps(doc, ensure_ascii=False, indent=1)
        finally:
            sys.setrecursionlimit(limit)
        sys.stdout.write(text + "\n")
    else:
        sys.stdout.write(f"{args.file}: Jaxon layout v{root_layout}\n")
        sys.stdout.write(_tree.render_text(node) + "\n")
    sys.stdout.flush()
    if invalid:
        print(f"jaxon tree: {args.file}: {invalid} node{'s break' if invalid != 1 else ' breaks'}"
              f" the layout (shown as INVALID; `jaxon validate` lists every violation)",
              file=sys.stderr)
        return 1
    return 0


def _cmd_validate(rest: List[str]) -> int:
    try:
        exe = _tool("jaxon-validate")
    except FileNotFoundError as e:
        print(f"jaxon validate: error: {e}", file=sys.stderr)
        return 2
    return _run([exe, *rest])


def _cmd_dump(rest: List[str]) -> int:
    if not rest or rest[0] in ("-h", "--help"):
        print("usage: jaxon dump FILE [h5dump options]\n"
              "Runs the bundled h5dump on FILE through the jaxon VOL connector (which\n"
              "validates the file as it opens it and shows its annotations), e.g.\n"
              "  jaxon dump model.h5 -A      attributes and structure, no dataset data\n"
              "The violations of an invalid file are printed first (jaxon: warning: ...).",
              file=sys.stdout if rest else sys.stderr)
        return 0 if rest else 2
    try:
        exe = _tool("h5dump")
    except FileNotFoundError as e:
        print(f"jaxon dump: error: {e}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    env["HDF5_PLUGIN_PATH"] = _paths.plugin_dir()
    env["HDF5_VOL_CONNECTOR"] = _CONNECTOR
    return _run([exe, *rest[1:], rest[0]], env)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jaxon", description="Inspect and check Jaxon HDF5 files.",
        epilog="Exit status: 0 ok, 1 layout violations, 2 unreadable file or usage error.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    t = sub.add_parser(
        "tree", help="print the pytree of FILE without loading it",
        description="Print the pytree stored in FILE as an indented tree: containers with "
                    "their sizes, keys, values of scalars (abbreviated), arrays with shape, "
                    "dtype and size, dataclass names, shared objects. Reads only metadata "
                    "and imports no module that the file names.")
    t.add_argument("file", help="a Jaxon HDF5 file")
    t.add_argument("path", nargs="?", default=None,
                   help="show only the subtree at this pytree path, e.g. \"root['a'][0]\"")
    t.add_argument("--json", action="store_true", help="print JSON (the jaxon.tree() fields)")
    sub.add_parser("validate", add_help=False,
                   help="check files against the Jaxon layout (jaxon-validate)")
    sub.add_parser("dump", add_help=False,
                   help="run h5dump on FILE through the jaxon connector: "
                        "dump FILE [h5dump options]")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:  # `jaxon tree big.h5 | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(args_in: List[str]) -> int:
    # validate and dump hand their arguments to the tool untouched
    if args_in and args_in[0] == "validate":
        return _cmd_validate(args_in[1:])
    if args_in and args_in[0] == "dump":
        return _cmd_dump(args_in[1:])
    p = _parser()
    try:
        args = p.parse_args(args_in)
    except SystemExit as e:  # argparse: usage errors exit 2, --help 0
        return int(e.code or 0)
    if args.command is None:
        p.print_usage(sys.stderr)
        return 2
    return _cmd_tree(args)
