#!/bin/zsh -f
# SPDX-License-Identifier: GPL-2.0-or-later
# zsh-capture.zsh FPATH-DIR LINE...: for each LINE, "== LINE" and then the
# candidates zsh's completion system offers at its end, one per line.
# A real interactive zsh runs under zsh/zpty with compinit and the
# completion functions in FPATH-DIR; compadd is wrapped to print what it
# adds, and a comppostfuncs hook prints a marker when a completion is done.
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z 'PROMPT="" RPROMPT="" PS2=""; unset zle_bracketed_paste'
zpty -w z "fpath=(${(q)1} \$fpath)"
zpty -w z 'autoload -U compinit && compinit -u -D'
zpty -w z "zstyle ':completion:*' list-grouped false"
# The markers are spelt apart here so that the terminal's echo of these
# lines cannot be taken for them.
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  local -a __hits; builtin compadd -A __hits "$@"; local r=$?
  (( $#__hits )) && print -rl -- "<h""it>"${^__hits}
  return r
}'
zpty -w z '__capture_done() { compstate[insert]=""; compstate[list]=""; print -r -- "<do""ne>"; }'
zpty -w z 'bindkey "^I" complete-word; bindkey "^U" kill-whole-line'
shift
local line out all l
integer i rc=0
for line in "$@"; do
  print -r -- "== $line"
  # _main_complete empties comppostfuncs after each completion.
  zpty -w z $'\C-u''comppostfuncs=( __capture_done )'
  zpty -n -w z "$line"$'\t'
  all=
  for (( i = 0; i < 400; i++ )); do
    while zpty -r -t z out; do all+=$out; done
    [[ $all == *'<done>'* ]] && break
    sleep 0.02
  done
  if [[ $all != *'<done>'* ]]; then
    print -u2 "zsh-capture.zsh: no answer from the completion for: $line"
    rc=1
    continue
  fi
  for l in ${(f)all//$'\r'/}; do
    [[ $l == *'<hit>'* ]] && print -r -- ${l##*<hit>}
  done
done
zpty -d z
exit $rc
