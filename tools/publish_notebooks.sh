#!/usr/bin/env bash
# Publish the launch notebooks on their branch: the checked-out commit's tree plus
# <launch-dir>/book/<name>.ipynb as book/<name>.ipynb, committed on top of the branch's
# previous commit (so JupyterHub's nbgitpuller can pull it like any branch) and pushed.
# The deploy workflow runs it after `make book`; so can anyone with push rights.
#
#   tools/publish_notebooks.sh [LAUNCH_DIR] [BRANCH] [REMOTE]
#   (defaults: _build/launch, launch_buttons.notebooks_branch of _config.yml, origin)
#
# Nothing is pushed when the tree is the same as the branch's last one.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

launch_dir=${1:-_build/launch}
branch=${2:-$(sed -n 's/^ *notebooks_branch: *//p' _config.yml | tr -d '"'"'"' ')}
remote=${3:-origin}
[ -n "$branch" ] || { echo "no launch_buttons.notebooks_branch in _config.yml" >&2; exit 1; }
shopt -s nullglob
notebooks=("$launch_dir"/book/*.ipynb)
[ ${#notebooks[@]} -gt 0 ] || { echo "no launch notebooks in $launch_dir/book: run make book" >&2; exit 1; }

source_commit=$(git rev-parse HEAD)
index=$(mktemp)
trap 'rm -f "$index"' EXIT
export GIT_INDEX_FILE=$index
git read-tree "$source_commit"
for notebook in "${notebooks[@]}"; do
  blob=$(git hash-object -w "$notebook")
  git update-index --add --cacheinfo "100644,$blob,book/$(basename "$notebook")"
done
tree=$(git write-tree)
unset GIT_INDEX_FILE

parents=()
if git fetch --quiet "$remote" "refs/heads/$branch" 2>/dev/null; then
  previous=$(git rev-parse FETCH_HEAD)
  if [ "$(git rev-parse "$previous^{tree}")" = "$tree" ]; then
    echo "$branch is up to date ($previous)"
    exit 0
  fi
  parents=(-p "$previous")
fi
commit=$(git -c user.name="${GIT_AUTHOR_NAME:-dlcourse publisher}" \
  -c user.email="${GIT_AUTHOR_EMAIL:-publisher@users.noreply.github.com}" \
  commit-tree "$tree" "${parents[@]}" -p "$source_commit" \
  -m "Launch notebooks of $source_commit")
git push --quiet "$remote" "$commit:refs/heads/$branch"
echo "pushed $commit to $branch: ${#notebooks[@]} launch notebook(s) on the tree of $source_commit"
