#!/usr/bin/env python3
"""The web console's strings (backend/console/i18n.js) against what the backend writes.

Checks that English and Chinese have the same keys with the same {n} placeholders, and that every
case-event kind the backend records (the third argument of each `event(...)` call with a literal
kind in backend/core/src) and every notice template of deploy/rules/templates.json has an
`event.<kind>` text in both, so neither the case history nor the conversation shows a raw key. Usage: check_console_terms.py <source dir>. Exit 1 with the missing keys listed.
"""
import json
import pathlib
import re
import sys


def languages(i18n: str) -> dict:
    """{'en': {key: text}, 'zh': {...}} from the STRINGS literal."""
    out, current = {}, None
    for line in i18n.splitlines():
        m = re.match(r"^  (\w+): \{$", line)
        if m:
            current = out.setdefault(m.group(1), {})
            continue
        if line.startswith("  },"):
            current = None
            continue
        m = re.match(r'^\s+"([^"]+)": "((?:[^"\\]|\\.)*)",?$', line)
        if m and current is not None:
            current[m.group(1)] = m.group(2)
    return out


def arguments(text: str, start: int) -> list:
    """The top-level arguments of the call whose '(' is at text[start]."""
    args, depth, i, begin, quote = [], 0, start, start + 1, False
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quote = False
        elif ch == '"':
            quote = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[begin:i])
                return args
        elif ch == "," and depth == 1:
            args.append(text[begin:i])
            begin = i + 1
        i += 1
    return args


def event_kinds(source: pathlib.Path) -> dict:
    kinds = {}
    for path in sorted((source / "backend" / "core" / "src").glob("*.cpp")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"\bevent\(", text):
            args = arguments(text, m.end() - 1)
            if len(args) >= 3:
                for kind in re.findall(r'"([a-z_]+)"', args[2]):
                    kinds.setdefault(kind, f"{path.name}:{text.count(chr(10), 0, m.start()) + 1}")
    return kinds


def main() -> int:
    source = pathlib.Path(sys.argv[1])
    strings = languages((source / "backend" / "console" / "i18n.js").read_text(encoding="utf-8"))
    problems = []
    if set(strings) != {"en", "zh"}:
        problems.append(f"languages found: {sorted(strings)}")
    en, zh = strings.get("en", {}), strings.get("zh", {})
    for key in sorted(set(en) ^ set(zh)):
        problems.append(f"{key}: only in {'en' if key in en else 'zh'}")
    for key in sorted(set(en) & set(zh)):
        if sorted(re.findall(r"\{\d\}", en[key])) != sorted(re.findall(r"\{\d\}", zh[key])):
            problems.append(f"{key}: placeholders differ between en and zh")
    kinds = event_kinds(source)
    if len(kinds) < 20:
        problems.append(f"only {len(kinds)} event kinds found in backend/core/src: the scan is broken")
    for kind, where in sorted(kinds.items()):
        for lang, table in (("en", en), ("zh", zh)):
            if f"event.{kind}" not in table:
                problems.append(f"event.{kind} (written at {where}): no {lang} text")
    # The notices to the car, named by their template (deploy/rules/templates.json): the
    # conversation shows each by its event.
    templates = json.loads((source / "deploy" / "rules" / "templates.json").read_text(encoding="utf-8"))
    notices = sorted(k for k, v in templates.items() if isinstance(v, dict))
    if len(notices) < 10:
        problems.append(f"only {len(notices)} notice templates found: the scan is broken")
    for kind in notices:
        for lang, table in (("en", en), ("zh", zh)):
            if f"event.{kind}" not in table:
                problems.append(f"event.{kind} (a notice template): no {lang} text")
    for p in problems:
        print(p)
    print(f"{len(en)} keys per language, {len(kinds)} event kinds, {len(notices)} notice templates: "
          f"{'ok' if not problems else 'FAILED'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
