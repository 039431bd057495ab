#!/usr/bin/env python3
"""The app's own font: Noto Sans CJK SC cut down to the characters of its own texts.

The app draws its texts in Noto Sans CJK SC. The system's file holds some 65,000 glyphs of
four languages (a 20 MB collection per weight); the app's texts (every translation, every QML
literal) use a few hundred. This subset is compiled into the app, so the start touches a few
hundred KiB instead of mapping ~10 MiB of the collection. Any other character (a driver's text,
a service team's answer) is drawn by Qt's font fallback from the system's Noto Sans CJK, as
before: the subset changes no glyph and no metric, only where the common ones come from.

  subset_ui_font.py --collection NotoSansCJK-Regular.ttc --index 2 --expect "Noto Sans CJK SC"
                    --family "FB UI Sans" --out FBUISans-Regular.otf FILE...   (the .ts and .qml files to take texts from)
"""
import argparse
import html
import re
import sys

from fontTools import subset
from fontTools.ttLib import TTFont

# Always in: printable ASCII (numbers, case numbers, VINs, Latin text of either language) and
# the punctuation the UI and the service teams' answers use most.
BASE = "".join(chr(c) for c in range(0x20, 0x7F)) + "…·—–‘’“”•×°℃±→←↑↓✓、。，：；！？（）《》「」【】％＋－／"


def texts_of(path):
    with open(path, encoding="utf-8") as f:
        content = f.read()
    if path.endswith(".ts"):
        parts = re.findall(r"<(?:source|translation)[^>]*>(.*?)</(?:source|translation)>", content, re.S)
        return "".join(html.unescape(p) for p in parts)
    return content


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--collection", required=True)
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--expect", required=True, help="the family the collection must have at --index")
    p.add_argument("--family", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("sources", nargs="+")
    a = p.parse_args()

    chars = set(BASE)
    for source in a.sources:
        chars.update(texts_of(source))
    chars = {c for c in chars if c.isprintable() or c == " "}

    font = TTFont(a.collection, fontNumber=a.index)
    found = font["name"].getDebugName(1)
    if found != a.expect:
        print(f"{a.collection} #{a.index} is {found!r}, not {a.expect!r}", file=sys.stderr)
        return 1
    options = subset.Options()
    options.layout_features = ["*"]  # kerning and CJK punctuation forms stay as they are
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)

    # Its own family name: Qt must not take it for the system's full font (same name, fewer glyphs).
    style = font["name"].getDebugName(2) or "Regular"
    postscript = a.family.replace(" ", "") + "-" + style.replace(" ", "")
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = a.family
        elif record.nameID == 4:
            record.string = a.family + " " + style
        elif record.nameID == 6:
            record.string = postscript
        elif record.nameID == 3:
            record.string = postscript + ";subset"
    if "CFF " in font:
        font["CFF "].cff.fontNames = [postscript]
    font.save(a.out)
    print(f"{a.out}: {len(chars)} characters", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
