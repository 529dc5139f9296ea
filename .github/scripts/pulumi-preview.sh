#!/usr/bin/env bash
# pulumi preview of one stack, written as Markdown for a PR comment or a job summary.
#
#   pulumi-preview.sh <stack> <out.md> <commit>
#
# The backend comes from PULUMI_BACKEND_URL (and PULUMI_ACCESS_TOKEN / AWS_* for its
# credentials), the Alibaba credentials from ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY.
# The Markdown is written even when the preview fails; the exit status is pulumi's.
set -euo pipefail

stack="$1"
out="$2"
commit="$3"
log="$(mktemp)"

set +e
pulumi preview --stack "$stack" --diff --color never --non-interactive 2>&1 | tee "$log"
code="${PIPESTATUS[0]}"
set -e

# GitHub comments hold at most 65,536 characters: keep the end of a long preview (its summary).
limit=60000
{
  echo "### pulumi preview: stack \`$stack\` at \`${commit:0:12}\`"
  echo
  if [ "$code" -eq 0 ]; then
    echo "Read-only credentials; nothing was changed."
  else
    echo "❌ \`pulumi preview\` failed with exit status $code."
  fi
  echo
  echo '<details open><summary>Output</summary>'
  echo
  echo '````diff'
  if [ "$(wc -c < "$log")" -gt "$limit" ]; then
    echo "… (the first part is cut; the whole preview is in the job log)"
    tail -c "$limit" "$log"
  else
    cat "$log"
  fi
  echo '````'
  echo
  echo '</details>'
} > "$out"

exit "$code"
