#!/bin/bash
# git init / add / commit / clone / status / log in $WORK (HOME is $WORK/home).
g() { git -c user.name=corpus -c user.email=corpus@example.invalid -c init.defaultBranch=main "$@"; }
mkdir -p "$WORK/repo" && cd "$WORK/repo" || exit 1
g init -q; echo "init rc=$?"
echo hello >a.txt; mkdir d; echo x >d/b.txt
g add -A; echo "add rc=$?"
g commit -q -m first; echo "commit rc=$?"
echo more >>a.txt
echo "status $(g status --porcelain | tr '\n' ' ')"
g commit -q -am second; echo "commit2 rc=$?"
echo "log $(g log --oneline | wc -l)"
cd "$WORK" && g clone -q repo clone; echo "clone rc=$?"
cd "$WORK/clone" && echo "clone-status [$(g status --porcelain)] rc=$?"
echo "clone-content $(cat a.txt | tr '\n' ' ')"
