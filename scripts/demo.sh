#!/usr/bin/env bash
# make demo: build the recorder, record a scripted ~30 s session
# (scripts/demo-workload.xdo) on a private X server, then summarise the vault.
# UNDERSTUDY=/path/to/binary skips the build and uses that binary.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || PATH=/opt/swift/usr/bin:$PATH
out=.build-demo
vault=$out/vault
export XSESSION_STATE=$PWD/$out/xsession.env
# The demo vault's key lives beside it in the demo folder (never inside the vault itself);
# a real vault's key is in ~/.config/understudy/keys.
export XDG_CONFIG_HOME=$PWD/$out/config
rec_pid=""
server_pid=""
# shellcheck source=scripts/browser-session.sh
source scripts/browser-session.sh

stop_server() {
  [[ -n $server_pid ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" || true
  server_pid=""
}

stop_recorder() {
  [[ -n $rec_pid ]] || return 0
  kill -INT "$rec_pid" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$rec_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$rec_pid" 2>/dev/null || true
  wait "$rec_pid" || echo "demo: recorder exited with status $?" >&2
  rec_pid=""
}
cleanup() { stop_recorder; stop_server; browser_session_stop; bash scripts/xsession.sh stop; }
trap cleanup EXIT
trap 'exit 130' INT TERM

bash scripts/setup.sh
if [[ -z ${UNDERSTUDY:-} ]]; then
  swift build -c release --product understudy
  UNDERSTUDY=.build/release/understudy
fi
bin=$UNDERSTUDY
rm -rf "$vault" "$XDG_CONFIG_HOME"
mkdir -p "$out"

echo "== policy: the organisation signs it; the contributor trusts its key, reads it and consents"
cp scripts/demo-policy.yaml "$out/policy.yaml"
"$bin" policy keygen "$out/org" >/dev/null
"$bin" policy sign --key "$out/org.key" "$out/policy.yaml"
"$bin" policy trust "$out/org.pub"
"$bin" consent accept --policy "$out/policy.yaml" | sed -n '1,20p'
echo "   … (the whole text: understudy policy explain $out/policy.yaml)"
set -a; eval "$(bash scripts/xsession.sh start)"; set +a
echo "demo: X session on $DISPLAY"
# Background jobs of a script get SIGINT ignored, and that would be inherited;
# `trap - INT` in the subshell restores it so SIGINT can stop the recorder.
(trap - INT; exec "$bin" record --display "$DISPLAY" --vault "$vault" --policy "$out/policy.yaml" --for 90s) &
rec_pid=$!

for i in $(seq 150); do  # up to 30 s
  "$bin" status --vault "$vault" --json 2>/dev/null | grep -q '"state" *: *"recording"' && break
  kill -0 "$rec_pid" 2>/dev/null || { echo "demo: recorder died" >&2; exit 1; }
  ((i < 150)) || { echo "demo: recorder not recording after 30 s" >&2; exit 1; }
  sleep 0.2
done

echo "demo: playing scripted session (~30 s) as one marked task; what it types into xcalc is excluded by the policy"
"$bin" task start "Write two lines in the terminal, paste the first again, scroll, then use the calculator" --vault "$vault"
xdotool - <scripts/demo-workload.xdo >/dev/null  # stdout: ids printed by `search`
"$bin" task end --vault "$vault"
echo "demo: pausing for 3 s, typing 'typed during the pause', then typing after it resumed by itself"
"$bin" pause 3s --vault "$vault"
"$bin" status --vault "$vault" | grep PAUSED || true
xdotool windowactivate --sync "$(xdotool search --class UnderstudyTerm | head -1)" type --delay 30 "typed during the pause"
sleep 3.5
xdotool type --delay 30 "after the pause"
xdotool key Return
xdotool type --delay 30 "mail jane.doe@example.org card 4111 1111 1111 1111 thanks"
xdotool key Return
sleep 2  # the frame at the typing pause is read by OCR before it is stored
stop_recorder

echo
echo "== understudy status"
"$bin" status --vault "$vault"
echo
echo "vault: $PWD/$vault ($(du -sh "$vault" | cut -f1))"
echo
echo "== first 15 events (understudy log)"
{ "$bin" log --vault "$vault" || true; } | head -n 15
echo
echo "== exclusion and pause, as the log shows them"
"$bin" log --vault "$vault" | grep -E " (gap|pause|resume) " || true
echo
echo "== the newest frame, as stored: xcalc (excluded) is blanked; in the terminal, the email and card are filled"
"$bin" vault frame --vault "$vault" --out "$out/last-frame.png"
"$bin" vault frame --vault "$vault" --out "$out/last-frame.png" --json
echo
echo "== typed text is redacted before it is stored; the same recognizers, on a sample (understudy redact)"
echo "mail jane.doe@example.org, card 4111 1111 1111 1111, key AKIAIOSFODNN7EXAMPLE, order 1234-5678" | "$bin" redact
echo
echo "== segments (understudy vault segments): the unit you review and forget"
"$bin" vault segments --vault "$vault"
echo
echo "== understudy vault check"
"$bin" vault check --vault "$vault"
echo
echo "key: $(ls "$XDG_CONFIG_HOME"/understudy/keys/*.key) (the vault is unreadable without it)"
echo
echo "== episodes (understudy episodes): the marked task, then the typing around the pause"
"$bin" episodes --vault "$vault"
exports=$out/exports
rm -rf "$exports"
mkdir -p "$exports"
for format in jsonl webdataset pyautogui html; do
  echo
  echo "== understudy export --format $format"
  "$bin" export --vault "$vault" --format "$format" --out "$exports/$format" --min-actions 1
done
task=$("$bin" episodes --vault "$vault" --json | head -1 | .build-py/bin/python -c 'import json, sys; print(json.load(sys.stdin)["id"])')
echo
echo "== the first steps of $task (jsonl)"
head -n 3 "$exports/jsonl/$task/steps.jsonl" | cut -c1-300
echo
echo "== the shards load with Hugging Face datasets, no glue:"
cat <<PY | tee "$out/load.py"
from datasets import load_dataset
ds = load_dataset("webdataset", data_files={"train": "$exports/webdataset/shard-*.tar"}, split="train")
print(ds, ds[0]["json"]["pyautogui"], ds[0]["png"].size)
PY
HF_DATASETS_OFFLINE=1 HF_HOME=$PWD/$out/hf .build-py/bin/python "$out/load.py" 2>/dev/null
echo
echo "episode viewer: $PWD/$exports/html/index.html"

echo
echo "== the collector: understudy serve (SQLite and an encrypted blob folder under $out/server), on a free loopback port"
server=$out/server
rm -rf "$server"
mkdir -p "$server"
printf 'policy_keys: [%s]\nkek_file: %s\n' "$PWD/$out/org.pub" "$PWD/$server/server.kek" >"$server/collector.yaml"
"$bin" serve --port 0 --data "$server/data" --config "$server/collector.yaml" --admin-key-file "$server/admin.key" >"$server/serve.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 100); do
  url=$(sed -n 's/^Collector listening on \([^,]*\),.*/\1/p' "$server/serve.log")
  [[ -n $url ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$server/serve.log" >&2; exit 1; }
  sleep 0.1
done
[[ -n $url ]] || { echo "demo: the collector did not start" >&2; exit 1; }
echo "collector: $url"
admin=(--server "$url" --key-file "$server/admin.key")
# staff NAME ROLE: a member of staff, their key in a file; prints the options that sign in as them.
staff() {
  "$bin" admin add-user "$1" --role "$2" "${admin[@]}" >"$server/$1.key"
  echo --server "$url" --user "$1" --key-file "$server/$1.key"
}
read -ra officer <<<"$(staff olivia privacy_officer)"
read -ra reviewer <<<"$(staff rita reviewer 2>/dev/null)"
read -ra scientist <<<"$(staff sam scientist 2>/dev/null)"
# Two people, not one: staff who read contributors' data sign in once the privacy officer approves them.
"$bin" admin approve-user rita "${officer[@]}"
"$bin" admin approve-user sam "${officer[@]}"
"$bin" admin publish-policy "$out/policy.yaml" "${officer[@]}"
code=$("$bin" admin enroll-code --contributor demo-contributor --json "${admin[@]}" | .build-py/bin/python -c 'import json, sys; print(json.load(sys.stdin)["code"])')
"$bin" enroll --server "$url" --code "$code" --name demo-laptop
echo
echo "== understudy sync (the review window set to 0 s for the demo; the policy's is 24 h)"
"$bin" sync --vault "$vault" --review-window 0s
echo
echo "== understudy held list: what the collector holds about this contributor"
"$bin" held list
echo
echo "== a reviewer sees the segments under a pseudonym only (understudy admin review list), and a segment's steps"
"$bin" admin review list "${reviewer[@]}"
segment=$("$bin" admin review list --json "${reviewer[@]}" | head -1 | .build-py/bin/python -c 'import json, sys; print(json.load(sys.stdin)["id"])')
rm -rf "$out/review"
"$bin" admin review open "$segment" --out "$out/review" "${reviewer[@]}" >"$out/review-steps.txt"
head -n 8 "$out/review-steps.txt"
echo "   … (pages showing each step: $PWD/$out/review/index.html)"
echo
echo "== a scientist exports a dataset from the collector (understudy export --server)"
"$bin" export --server "$url" --format webdataset --out "$exports/from-collector" --min-actions 1 "${scientist[@]}"
echo
echo "== the audit log holds together (understudy admin audit verify); what the contributor sees of it"
"$bin" admin audit verify "${admin[@]}"
"$bin" held audit | .build-py/bin/python -c 'import collections, json, sys
print(dict(collections.Counter(json.loads(line)["action"] for line in sys.stdin)))'
echo
echo "== the staff console (/console): the contributor asks to keep an app out, the officer sees it there"
"$bin" exempt request --app Gimp --reason "personal photos"
"$bin" sync --vault "$vault" --review-window 0s | grep -i exemption
python3 scripts/console-screenshot.py "$url" olivia "$server/olivia.key" /console/exemptions "$PWD/$out/console-exemptions.png"
echo "staff console: $url/console (the officer's exemption requests: $out/console-exemptions.png)"
stop_server
echo "collector data: $PWD/$server/data (unreadable without $server/server.kek)"

echo
echo "== browsers through the accessibility bus: Chromium on two local pages under made-up hosts;"
echo "   the policy excludes bank-demo.example"
browser_session_start
bvault=$out/browser-vault
rm -rf "$bvault" "$out/chromium-profile"
(trap - INT; exec "$bin" record --display "$DISPLAY" --vault "$bvault" --policy "$out/policy.yaml" --for 90s) &
rec_pid=$!
for _ in $(seq 150); do
  "$bin" status --vault "$bvault" --json 2>/dev/null | grep -q '"state" *: *"recording"' && break
  sleep 0.2
done
browser_chromium_start "$PWD/$out/chromium-profile" "http://notes-demo.example:$browser_site_port/notes.html" on
# The Save button is at page (500-660, 80-240): this point is in it whatever the toolbar's height.
xdotool mousemove $((browser_client_x + 580)) $((browser_client_y + 250)) sleep 0.3 click 1 sleep 0.8 type --delay 40 "ship the demo on Friday"
xdotool sleep 0.8 key ctrl+l sleep 0.3 type --delay 20 "http://bank-demo.example:$browser_site_port/signin.html"
xdotool key Return sleep 3 type --delay 40 "demo-user"
xdotool key Tab sleep 0.5 type --delay 40 "not-stored-secret"
xdotool sleep 0.5 windowactivate --sync "$(xdotool search --class UnderstudyTerm | head -1)" sleep 1.5
# The review page while this recorder runs: a headless Chromium of its own opens the one-time
# address (the token buys it a session cookie, then the page) and takes a screenshot.
"$bin" review --no-browser --vault "$bvault" >"$out/review.out" 2>&1 &
review_pid=$!
for _ in $(seq 100); do grep -q '^Review page: ' "$out/review.out" 2>/dev/null && break; sleep 0.1; done
review_url=$(sed -n 's/^Review page: //p' "$out/review.out")
[[ -n $review_url ]] || { echo "demo: understudy review printed no address" >&2; exit 1; }
chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$PWD/$out/review-chromium" --window-size=1280,800 \
  --screenshot="$PWD/$out/review-page.png" "$review_url" >/dev/null 2>&1
kill "$review_pid"; wait "$review_pid" 2>/dev/null || true
stop_recorder
browser_session_stop
# And a segment's steps on their screens, through a new one-time address that goes straight there.
"$bin" review --no-browser --vault "$bvault" >"$out/review.out" 2>&1 &
review_pid=$!
for _ in $(seq 100); do grep -q '^Review page: ' "$out/review.out" 2>/dev/null && break; sleep 0.1; done
steps_url=$(sed -n 's/^Review page: //p' "$out/review.out")
first_segment=$("$bin" vault segments --vault "$bvault" --json | head -1 | .build-py/bin/python -c 'import json, sys; print(json.load(sys.stdin)["id"])')
chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$PWD/$out/review-chromium-steps" --window-size=1280,800 \
  --screenshot="$PWD/$out/review-steps.png" "$steps_url&next=/segment/$first_segment" >/dev/null 2>&1
kill "$review_pid"; wait "$review_pid" 2>/dev/null || true
echo "review page: ${review_url%%\?*} (one-time token; its screenshot while recording: $out/review-page.png; a segment's steps: $out/review-steps.png)"
echo "focus events with their URLs (query and fragment never stored), the gap the bank left, the element targets, the first window snapshots:"
"$bin" log --vault "$bvault" | grep -E " (focus|gap|target) " | cut -c1-240
"$bin" log --vault "$bvault" | grep -E " a11y " | head -3 | cut -c1-240
echo
echo "steps with their targets (jsonl export):"
"$bin" export --vault "$bvault" --format jsonl --out "$exports/browser" --min-actions 1 --max-interrupted-share 1 >/dev/null
cat "$exports"/browser/*/steps.jsonl | .build-py/bin/python -c 'import json, sys
for line in sys.stdin:
    s = json.loads(line)
    t = s["target"]
    print(" ", s["step"], s["pyautogui"], "->", "%s \"%s\" at %s" % (t["role"], t["name"], t["bounds"]) if t else "(no target)")'
if "$bin" log --vault "$bvault" --json | grep -q -e demo-user -e not-stored-secret; then
  echo "demo: what was typed on the excluded site is in the vault" >&2; exit 1
fi
echo "nothing typed on bank-demo.example is in the vault (checked)."
"$bin" vault frame --vault "$bvault" --out "$out/browser-last-frame.png"
echo "   (the last frame: the terminal focused beside Chromium, which shows the excluded bank page, blanked)"
