#!/usr/bin/env bash
# The documentation's links: every page in docs/ is linked from README.md, and
# every relative link of the Markdown files (README.md, docs/*.md and the rest
# of the tree) names a file or folder that exists inside the repository and,
# for a Markdown page with a #fragment, one of that page's headings (GitHub's
# anchors). Links to other sites are not followed; links inside code blocks
# and code spans are not links. Needs bash only, no build:
#   tests/cli/docs_links.sh [SOURCE_DIR]
set -uo pipefail
export LC_ALL=C.UTF-8
src=${1:-${LARIAT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}}
src=$(cd "$src" && pwd -P) || { echo "FAIL: no source folder $src" >&2; exit 1; }

# Pages another branch is writing: a link to one of them may dangle until it
# lands. Once the page exists this list must drop it (checked below), so the
# exemption cannot outlive its reason.
PENDING=()

errors=0
err() {
    echo "FAIL: $*" >&2
    errors=$((errors + 1))
}

# The Markdown files: all of the tree but .git, hidden folders and build trees.
mapfile -t files < <(cd "$src" && find . \( -name '.?*' -o -name 'build*' \) -prune -o -type f -name '*.md' -print |
    sed 's|^\./||' | sort)

# scan FILE: one record per heading ("H<TAB>text") and per link
# ("L<TAB>line<TAB>target") of FILE, outside fenced code blocks and code spans
# (which may run on over a line break, not over a blank line).
# (No {m,n} in the patterns: Debian's mawk does not know them.)
scan() {
    awk '
        /^ ? ? ?(```|~~~)/ { fence = !fence; span = 0; next }
        fence { next }
        /^[ \t]*$/ { span = 0 }
        {
            line = $0
            if (span) {
                if (!match(line, /`/)) next
                line = substr(line, RSTART + 1); span = 0
            }
            gsub(/`[^`]*`/, "", line)
            if (match(line, /`/)) { line = substr(line, 1, RSTART - 1); span = 1 }
            if (line ~ /^##?#?#?#?#? /) {
                h = $0
                gsub(/`/, "", h); sub(/^#+ +/, "", h); sub(/ +#* *$/, "", h)
                print "H\t" h
            }
            if (match(line, /^ ? ? ?\[[^]]+\]: +[^ ]+/)) {
                t = substr(line, RSTART, RLENGTH); sub(/^[^]]*\]: +/, "", t)
                print "L\t" NR "\t" t
            }
            while (match(line, /\]\([^) ]+( +"[^"]*")?\)/)) {
                t = substr(line, RSTART + 2, RLENGTH - 3); sub(/ .*/, "", t)
                print "L\t" NR "\t" t
                line = substr(line, RSTART + RLENGTH)
            }
        }' "$1"
}

# slug TEXT: the anchor GitHub gives a heading: its text without markup,
# lower case, without punctuation (letters, digits, spaces, _ and - stay),
# spaces made hyphens.
slug() {
    local s=$1 link='^(.*)\[([^]]*)\]\([^)]*\)(.*)$'
    while [[ $s =~ $link ]]; do
        s="${BASH_REMATCH[1]}${BASH_REMATCH[2]}${BASH_REMATCH[3]}"
    done
    s=${s,,}
    s=${s//[^[:alnum:] _-]/}
    echo "${s// /-}"
}

# load_anchors FILE: anchors[FILE] = the anchors of FILE's headings, one per
# line; a repeated heading gets -1, -2, ... as on GitHub.
declare -A anchors
load_anchors() {
    local f=$1 kind text a list="" n
    [ -z "${anchors[$f]+set}" ] || return 0
    declare -A seen=()
    while IFS=$'\t' read -r kind text; do
        [ "$kind" = H ] || continue
        a=$(slug "$text")
        n=${seen[$a]:-0}
        seen[$a]=$((n + 1))
        [ "$n" -eq 0 ] || a="$a-$n"
        list+="$a"$'\n'
    done < <(scan "$src/$f")
    anchors[$f]=$list
}

is_pending() {
    local p
    for p in "${PENDING[@]}"; do [ "$p" = "$1" ] && return 0; done
    return 1
}

declare -A from_readme
nlinks=0
for f in "${files[@]}"; do
    dir=$(dirname "$f")
    while IFS=$'\t' read -r kind line target; do
        [ "$kind" = L ] || continue
        case $target in
            *://* | mailto:*) continue ;;
        esac
        nlinks=$((nlinks + 1))
        path=${target%%#*}
        frag=""
        [[ $target == *#* ]] && frag=${target#*#}
        if [ -z "$path" ]; then
            rel=$f
        elif [[ $path == /* ]]; then
            err "$f:$line: link '$target' is absolute; make it relative to $dir"
            continue
        else
            abs=$(realpath -m "$src/$dir/$path")
            if [[ $abs != "$src" && $abs != "$src"/* ]]; then
                err "$f:$line: link '$target' leaves the repository"
                continue
            fi
            rel=${abs#"$src"/}
            [ "$abs" != "$src" ] || rel=.
        fi
        [ "$f" = README.md ] && from_readme[$rel]=1
        if [ ! -e "$src/$rel" ]; then
            is_pending "$rel" || err "$f:$line: link '$target': no file $rel"
            continue
        fi
        if [ -n "$frag" ] && [[ $rel == *.md ]]; then
            load_anchors "$rel"
            # Not a pipe into grep -q: with pipefail, its early exit would
            # fail the pipeline now and then (SIGPIPE on the writer).
            grep -qxF -- "$frag" <<<"${anchors[$rel]}" ||
                err "$f:$line: link '$target': $rel has no heading with anchor #$frag"
        fi
    done < <(scan "$src/$f")
done

# Every page of docs/ can be reached from the front door.
for page in "$src"/docs/*.md; do
    [ -e "$page" ] || continue
    rel=${page#"$src"/}
    [ -n "${from_readme[$rel]+set}" ] || err "README.md does not link $rel"
done
for p in "${PENDING[@]}"; do
    [ ! -e "$src/$p" ] || err "$p exists now: remove it from PENDING in tests/cli/docs_links.sh"
    [ -n "${from_readme[$p]+set}" ] || err "README.md does not link the pending page $p"
done

if [ "$errors" -gt 0 ]; then
    echo "docs_links: $errors problem(s)" >&2
    exit 1
fi
echo "docs_links: ok ($nlinks relative links in ${#files[@]} Markdown files; pending: ${PENDING[*]})"
