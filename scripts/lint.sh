#!/usr/bin/env bash
# Static checks: clang-tidy (.clang-tidy) over our .cpp files (and a grep for reserved identifiers,
# a check too slow in clang-tidy, see .clang-tidy), and clang-format (.clang-format)
# in --dry-run --Werror mode. Exits non-zero on any finding and prints the count per check.
#
#   scripts/lint.sh                 both, over every file (clang-tidy: the .cpp files the dev
#                                   build compiles; clang-format: every tracked .cpp/.hpp/.h)
#   scripts/lint.sh --changed [REF] both, only over the files changed since REF (default: the
#                                   merge base with main); headers changed -> formatted only
#   scripts/lint.sh --since-clean   clang-format over every file; clang-tidy only over the .cpp
#                                   files that changed since the commit in .ci/tidy-clean, or
#                                   that include (directly or not, from the dev build's ninja
#                                   deps) a header or .proto that changed since then; everything
#                                   when .clang-tidy or this script changed, or the commit is
#                                   unknown (a shallow clone). What CI runs (.ci/run).
#   scripts/lint.sh --since REF     the same from REF, without the settings check (a full run at
#                                   REF found the tree clean, and a change of .clang-tidy since
#                                   only removed checks, say)
#   scripts/lint.sh --record-clean  clang-tidy and clang-format over every file; when both are
#                                   clean on a committed tree, writes HEAD to .ci/tidy-clean
#                                   (commit it: the next --since-clean starts from there)
#   scripts/lint.sh --tidy | --format   one of the two
#   FB_LINT_JOBS=N                  clang-tidy processes in parallel (default 2)
#
# clang-tidy needs the dev build (compile_commands.json and the generated protobuf/moc headers):
# the dev preset is configured and built first (a no-op when it is up to date; scripts/test.sh
# reuses it). Generated files (build/: *.pb.cc, moc, qrc, qmlcache) are never checked.
#
# Tools: clang-format 14 (the version .clang-format was tuned with) and clang-tidy 16. clang-tidy
# 14 cannot parse our code: libstdc++ 12 declares std::expected only for compilers with
# __cpp_concepts >= 202002L, and clang before 16 lacks conditionally trivial special members
# (P0848), which <expected> needs. clang 16 has them but still reports 201907L, so the macro is
# raised by hand; -std=c++2b because clang 16 does not know GCC's spelling -std=c++23.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

do_tidy=1 do_format=1 changed=0 base="" since_clean=0 record=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tidy) do_format=0 ;;
    --format) do_tidy=0 ;;
    --changed)
      changed=1
      if [[ $# -ge 2 && "$2" != --* ]]; then base=$2; shift; fi ;;
    --since-clean) since_clean=1 ;;
    --since) since_clean=2; base=$2; shift ;;
    --record-clean) record=1 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "scripts/lint.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
jobs=${FB_LINT_JOBS:-2}

pick() {  # first installed program of the arguments
  for p in "$@"; do if command -v "$p" >/dev/null; then echo "$p"; return; fi; done
  return 1
}
tidy=$(pick "${FB_CLANG_TIDY:-clang-tidy-16}" clang-tidy-16) || {
  echo "scripts/lint.sh: clang-tidy-16 not found (scripts/install-deps.sh installs it)" >&2; exit 2; }
format=$(pick "${FB_CLANG_FORMAT:-clang-format-14}" clang-format-14 clang-format) || {
  echo "scripts/lint.sh: clang-format not found (scripts/install-deps.sh installs it)" >&2; exit 2; }

# The files to look at: tracked C++ sources, all or changed.
if [[ $record -eq 1 && -n "$(git status --porcelain --untracked-files=no)" ]]; then
  echo "scripts/lint.sh --record-clean: commit your changes first (the stamp names a commit)" >&2; exit 2
fi
# --since-clean: the commit whose whole tree clang-tidy found clean, if this clone has it and
# nothing that changes what clang-tidy does has changed since.
clean_base=""
if [[ $since_clean -eq 2 ]]; then
  clean_base=$(git rev-parse --verify "$base^{commit}")
elif [[ $since_clean -eq 1 ]]; then
  stamp=$(tr -d '[:space:]' <.ci/tidy-clean 2>/dev/null || true)
  if [[ -n "$stamp" ]] && git cat-file -e "$stamp^{commit}" 2>/dev/null; then
    if git diff --quiet "$stamp" -- .clang-tidy scripts/lint.sh; then
      clean_base=$stamp
    else
      echo "== clang-tidy: its settings or the build changed since $stamp (.ci/tidy-clean): every file"
    fi
  else
    echo "== clang-tidy: no usable .ci/tidy-clean commit in this clone: every file"
  fi
fi
if [[ $changed -eq 1 ]]; then
  if [[ -z "$base" ]]; then base=$(git merge-base HEAD main 2>/dev/null || git rev-parse HEAD~1); fi
  mapfile -t files < <(git diff --name-only --diff-filter=ACMR "$base" -- '*.cpp' '*.hpp' '*.h')
else
  mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' '*.h')
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0

if [[ $do_format -eq 1 && ${#files[@]} -gt 0 ]]; then
  start=$SECONDS
  # One line per file with differences; the details come from clang-format itself.
  for f in "${files[@]}"; do
    if ! "$format" --dry-run --Werror "$f" 2>>"$out/format.log"; then echo "$f" >>"$out/format.files"; fi
  done
  if [[ -s "$out/format.files" ]]; then
    status=1
    lines=$(grep -c 'error: code should be clang-formatted' "$out/format.log" || true)
    echo "== clang-format: $lines place(s) in $(wc -l <"$out/format.files") file(s) differ from .clang-format" \
      "($((SECONDS - start)) s); fix with: $format -i FILE"
    sed 's/^/  /' "$out/format.files"
  else
    echo "== clang-format: clean (${#files[@]} files, $((SECONDS - start)) s)"
  fi
fi

if [[ $do_tidy -eq 1 && ${#files[@]} -gt 0 ]]; then
  # bugprone-reserved-identifier, done by grep (.clang-tidy says why): no name of ours may start
  # with _ and a capital or contain __. The allowed ones are the compiler's and libc's, used only.
  reserved=$(grep -nowE '_[A-Z_][A-Za-z0-9_]*|[A-Za-z0-9_]*[A-Za-z0-9]__[A-Za-z0-9_]*' "${files[@]}" |
    grep -vE ':(__builtin_[a-z_]+|__clang[a-z_]*__|__GNUC[A-Z_]*__|__VERSION__|__SANITIZE_[A-Z]+__|__cplusplus|__cpp_[a-z_]+|__has_[a-z_]+|__FILE__|__LINE__|__func__|__PRETTY_FUNCTION__|__attribute__|__linux__|__x86_64__|__aarch64__|_SC_[A-Z_]+|_POSIX_[A-Z_]+|_GNU_SOURCE)$' || true)
  if [[ -n "$reserved" ]]; then
    status=1
    echo "== reserved identifiers (bugprone-reserved-identifier): rename them"
    sed 's/^/  /' <<<"$reserved"
  fi
fi

if [[ $do_tidy -eq 1 ]]; then
  start=$SECONDS
  cmake --preset dev >/dev/null
  cmake --build --preset dev -j "$jobs" >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
  db=build/dev/compile_commands.json
  # Our .cpp files that the dev build compiles (the Qt app's only when it is configured); with
  # --since-clean, those whose translation unit reads a file changed since the clean commit.
  touched=()
  if [[ -n "$clean_base" ]]; then
    mapfile -t touched < <(git diff --name-only "$clean_base" -- '*.cpp' '*.hpp' '*.h' '*.proto')
    ninja -C build/dev -t deps >"$out/deps.txt"
  fi
  mapfile -t sources < <(python3 - "$db" "$root" "$clean_base" "$out/deps.txt" "${files[@]}" -- "${touched[@]}" <<'EOF'
import json, os, sys
db, root, clean_base, deps_file = sys.argv[1:5]
rest = sys.argv[5:]
split = rest.index("--")
wanted, touched = set(rest[:split]), set(rest[split + 1:])
build = os.path.join(root, "build") + os.sep
ours = set()
for entry in json.load(open(db)):
    path = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
    rel = os.path.relpath(path, root)
    if not path.startswith(build) and path.endswith(".cpp") and rel in wanted:
        ours.add(rel)
if clean_base:
    # A changed .proto changes the header generated from it (build/dev/proto/<name>.pb.h).
    generated = {"build/dev/proto/" + os.path.basename(t)[: -len(".proto")] + ".pb.h"
                 for t in touched if t.endswith(".proto")}
    selected, source, hit = set(), None, False
    with open(deps_file) as deps:
        for line in list(deps) + ["end:\n"]:
            if line[:1] and not line[0].isspace():  # "<object>: #deps N, ..." starts a unit
                if source in ours and hit:
                    selected.add(source)
                source, hit = None, False
            elif line.strip():
                rel = os.path.relpath(os.path.normpath(os.path.join(root, "build/dev", line.strip())), root)
                if source is None:
                    source = rel  # the first dependency is the translation unit's own source
                hit = hit or rel in touched or rel in generated
    # A .cpp that the deps do not know yet (new since the last build) is checked too.
    selected |= {t for t in touched if t in ours}
    chosen = sorted(selected)
else:
    chosen = sorted(ours)
for rel in chosen:
    print(rel)
EOF
  )
  if [[ -n "$clean_base" ]]; then
    echo "== clang-tidy: ${#sources[@]} file(s) read something changed since ${clean_base:0:12} (.ci/tidy-clean)"
  fi
  if [[ ${#sources[@]} -gt 0 ]]; then
    export tidy root out
    # Our headers only, anchored at this tree so that build/'s generated headers are left out.
    printf '%s\0' "${sources[@]}" | xargs -0 -P "$jobs" -n 1 bash -c '
      t0=$(date +%s)
      "$tidy" -p build/dev --quiet --header-filter="^$root/(common|head-unit|backend|tests|bench|fuzz)/" \
        --extra-arg=-std=c++2b --extra-arg=-Wno-builtin-macro-redefined \
        --extra-arg=-U__cpp_concepts --extra-arg=-D__cpp_concepts=202002L \
        "$1" >"$out/tidy.$(echo "$1" | tr / _).log" 2>&1
      rc=$?
      echo "$(( $(date +%s) - t0 )) $1" >>"$out/tidy.times"
      # 1: findings (WarningsAsErrors). Anything else, e.g. a crash, must not pass as clean.
      if [[ $rc -gt 1 ]] || grep -q "^Stack dump:" "$out/tidy.$(echo "$1" | tr / _).log"; then
        echo "$1 (exit $rc)" >>"$out/tidy.crashed"
      fi
      true' _
    cat "$out"/tidy.*.log >"$out/tidy.log"
    echo "== clang-tidy: slowest files (s): $(sort -rn "$out/tidy.times" | head -5 | tr '\n' ' ')"
    # A header finding is reported once per file that includes it: count each place once.
    grep -E '^/.*:[0-9]+:[0-9]+: (warning|error): .*\[[a-z0-9.,-]+\]$' "$out/tidy.log" | sort -u >"$out/tidy.findings" || true
    if [[ -s "$out/tidy.crashed" ]]; then
      status=1
      echo "== clang-tidy: crashed or could not run on:"; sed 's/^/  /' "$out/tidy.crashed"
    fi
    if [[ -s "$out/tidy.findings" ]]; then
      status=1
      echo "== clang-tidy: $(wc -l <"$out/tidy.findings") finding(s) in ${#sources[@]} files ($((SECONDS - start)) s)"
      sed -E "s|^$root/||" "$out/tidy.findings" | sed 's/^/  /'
      echo "  per check:"
      sed -E 's/.*\[([a-z0-9.-]+)(,-warnings-as-errors)?\]$/\1/' "$out/tidy.findings" | sort | uniq -c | sort -rn |
        sed 's/^/  /'
    elif grep -q 'error:' "$out/tidy.log"; then
      status=1
      echo "== clang-tidy: failed to run:"; grep -m 20 'error' "$out/tidy.log"
    else
      echo "== clang-tidy: clean (${#sources[@]} files, $((SECONDS - start)) s)"
    fi
  else
    echo "== clang-tidy: no .cpp file to check"
  fi
fi

if [[ $record -eq 1 && $status -eq 0 && $do_tidy -eq 1 && $do_format -eq 1 ]]; then
  git rev-parse HEAD >.ci/tidy-clean
  echo "== .ci/tidy-clean: $(cat .ci/tidy-clean) (commit it)"
fi
exit $status
