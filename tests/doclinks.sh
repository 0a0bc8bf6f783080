#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every relative link in README.md and doc/*.md resolves: the file exists in
# the source tree, and for FILE.md#anchor or #anchor the target has a heading
# whose GitHub anchor (the slug GitHub gives it) is that anchor. Web links
# are not followed. README.md must link every doc/*.md, so a guide file
# cannot be orphaned. A self-test first runs the checker on a small tree
# with known good and broken links, so a checker that finds nothing fails.
set -u
export LC_ALL=C
# shellcheck source-path=SCRIPTDIR source=hooks/lib.sh
. "$(dirname "$0")/hooks/lib.sh"

# The heading texts of a Markdown file, in order: ATX (## Title) and setext
# (Title over === or ---), outside fenced code blocks; an HTML comment line
# (the SPDX line) ends a paragraph, as it does for GitHub.
headings() {
	awk '
	/^ ? ? ?(```|~~~)/ { fence = !fence; para = ""; next }
	fence { next }
	/^ ? ? ?<!--/ { para = ""; next }
	/^ ? ? ?#+([ \t]|$)/ {
		h = $0
		sub(/^ *#+[ \t]*/, "", h); sub(/[ \t]+#+[ \t]*$/, "", h); sub(/[ \t]+$/, "", h)
		print h; para = ""; next
	}
	/^ ? ? ?(=+|-+)[ \t]*$/ && para != "" { print para; para = ""; next }
	/^[ \t]*$/ { para = ""; next }
	/^    / && para == "" { next }
	{ t = $0; sub(/^[ \t]+/, "", t); sub(/[ \t]+$/, "", t); para = (para == "" ? t : para " " t) }
	' "$1"
}

# The anchors GitHub gives those headings: the rendered text (link text, no
# tags), lower case, ASCII punctuation but - and _ dropped, each space a -;
# a repeated slug gets -1, -2, ...
slugs() {
	headings "$1" |
		sed -e 's/!\{0,1\}\[\([^]]*\)\]([^)]*)/\1/g' -e 's/<[^>]*>//g' |
		tr '[:upper:]' '[:lower:]' |
		tr -d '!"#$%&'\''()*+,./:;<=>?@\133\\\135^`{|}~' |
		tr ' ' '-' |
		awk '{ s = $0; if (s in n) { n[s]++; s = s "-" n[s] } else n[s] = 0; print s }'
}

# LINE<TAB>TARGET for each link: inline [text](target), images, and
# reference definitions [label]: target; not in code spans or fenced blocks.
links() {
	awk '
	/^ ? ? ?(```|~~~)/ { fence = !fence; next }
	fence { next }
	{
		line = $0
		gsub(/`[^`]*`/, "", line)
		if (match(line, /^ ? ? ?\[[^]]+\]:[ \t]+[^ \t]+/)) {
			t = substr(line, RSTART, RLENGTH); sub(/^[^]]*\]:[ \t]+/, "", t)
			print FNR "\t" t
			next
		}
		while (match(line, /\]\([^) \t]*/)) {
			print FNR "\t" substr(line, RSTART + 2, RLENGTH - 2)
			line = substr(line, RSTART + RLENGTH)
		}
	}' "$1"
}

# check_doc ROOT FILE: pass or fail each link of FILE (a path below ROOT).
check_doc() {
	local root=$1 file=$2 dir lineno target path dest real where
	dir=$(dirname "$file")
	while IFS=$'\t' read -r lineno target; do
		where="${file#"$root"/}:$lineno: link '$target'"
		case $target in
		*://* | mailto:*) continue ;;
		'') fail "$where: empty target"; continue ;;
		/*) fail "$where: absolute path: make it relative to ${file#"$root"/}"; continue ;;
		esac
		path=${target%%#*}
		if [[ -z $path ]]; then dest=$file; else dest=$dir/$path; fi
		if [[ ! -e $dest ]]; then
			fail "$where: no such file ${dest#"$root"/}: fix the link or add the file"
			continue
		fi
		real=$(realpath -- "$dest")
		if [[ $real != "$(realpath -- "$root")"/* ]]; then
			fail "$where: leads out of the source tree, to $real"
			continue
		fi
		if [[ $target == *#* ]]; then
			local anchor=${target#*#}
			if [[ $dest != *.md ]]; then
				fail "$where: an anchor into ${dest#"$root"/}, which is not Markdown"
				continue
			fi
			if [[ -z $anchor ]] || ! slugs "$dest" | grep -qxF -- "$anchor"; then
				fail "$where: ${dest#"$root"/} has no heading with the anchor #$anchor (it has: $(slugs "$dest" | tr '\n' ' '))"
				continue
			fi
		fi
		pass "$where"
	done < <(links "$file")
}

# --- the checker on known links ---
tmp=$(mktemp -d "${TMPDIR:-/tmp}/doclinks.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
r=$tmp/root
mkdir -p "$r/sub"
touch "$tmp/x.md"
cat >"$r/a.md" <<'EOF'
<!-- a comment line -->
Title
=====

## Tests
## Tests ##
### `code` and: punctuation's (here)

[ok](sub/b.md), ![image](sub/b.md) and [ok2](sub/b.md#second-part-driver_override),
[self](#tests-1), [punctuation](#code-and-punctuations-here) [top](#title).
[bad file](sub/c.md) and [bad anchor](sub/b.md#nope)
[web](https://example.org/x.md) `[in a code span](nothing.md)`
[ref]: sub/b.md#first

```
[in a fence](nothing.md)
```
EOF
cat >"$r/sub/b.md" <<'EOF'
First
-----
Second part: `driver_override`
===

    # an indented comment, not a heading
[back](../a.md#tests) [out](../../x.md) [man](../a.md#title)
EOF
selftest=$(fails=0 passes=0; check_doc "$r" "$r/a.md" 2>&1; check_doc "$r" "$r/sub/b.md" 2>&1; finish)
got_fail=$(grep -c '^not ok' <<<"$selftest")
got_ok=$(grep -c '^ok' <<<"$selftest")
if [[ $got_fail == 3 && $got_ok == 9 ]] &&
	grep -q "a.md:11: link 'sub/c.md': no such file sub/c.md" <<<"$selftest" &&
	grep -q "a.md:11: link 'sub/b.md#nope': sub/b.md has no heading with the anchor #nope" <<<"$selftest" &&
	grep -q "b.md:7: link '../../x.md': leads out of the source tree" <<<"$selftest"; then
	pass "self-test: 9 good links pass, a missing file, a missing anchor and a link out of the tree fail"
else
	fail "self-test: expected 9 passes and 3 failures, got $got_ok and $got_fail:"
	echo "$selftest" >&2
fi

# --- the project's documents ---
docs=("$TOPDIR/README.md" "$TOPDIR"/doc/*.md)
for f in "${docs[@]}"; do
	if [[ -f $f ]]; then check_doc "$TOPDIR" "$f"; else fail "${f#"$TOPDIR"/} is missing"; fi
done
# The front page's "Where the rest is" leads to every guide file.
for f in "$TOPDIR"/doc/*.md; do
	check "README.md links ${f#"$TOPDIR"/}" grep -qF "](${f#"$TOPDIR"/})" "$TOPDIR/README.md"
done
finish
