#!/usr/bin/env python3
"""Every Label and Text of the head unit's QML shows its text as plain text.

A QtQuick Text defaults to Text.AutoText: a string that looks like markup is drawn as styled text
(<font>, <a>, <img src=...> fetched from the network). The head unit shows words that come from
outside the car (a dealer's name, the work, an extra cost's reason, the backend's titles), so
each Label and Text says `textFormat: Text.PlainText` among its own properties.

    check_plain_text.py QML_DIR   exits 1 naming each file:line whose block does not
"""
import pathlib
import re
import sys

OPENING = re.compile(r"^\s*(?:[\w.]+:\s*)?(?:Label|Text)\s*\{\s*$")


def block_lacks_plain_text(lines, start):
    """True when the block opened at lines[start] has no `textFormat: Text.PlainText` at depth 1."""
    depth = 0
    for line in lines[start:]:
        code = line.split("//", 1)[0]
        if depth == 1 and re.match(r"^\s*textFormat:\s*Text\.PlainText\s*$", code):
            return False
        depth += code.count("{") - code.count("}")
        if depth <= 0:
            return True
    return True


def main():
    root = pathlib.Path(sys.argv[1])
    missing = []
    for path in sorted(root.rglob("*.qml")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if OPENING.match(line) and block_lacks_plain_text(lines, i):
                missing.append(f"{path}:{i + 1}: {line.strip()} without textFormat: Text.PlainText")
    for m in missing:
        print(m)
    if missing:
        return 1
    print(f"check_plain_text: every Label and Text under {root} is plain text")
    return 0


if __name__ == "__main__":
    sys.exit(main())
