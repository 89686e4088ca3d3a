#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) each, seeded from the project's
# fixtures, and prints the executions libFuzzer reports. Needs the nightly toolchain and
# cargo-fuzz (`cargo install cargo-fuzz`). A crash leaves its input in artifacts/<target>/:
# add it to tests/fuzz.rs as a regression case.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
F="$(cd ../fixtures && pwd)"
S="$(cd ../.. && pwd)/shared/samples"
declare -A seeds=(
  [pagerduty]="$F/pagerduty/org $F/pagerduty/pages $F/pagerduty/malformed"
  [pagerduty_csv]="$F/pagerduty_csv"
  [opsgenie]="$S/opsgenie"
  [opsgenie_csv]="$F/opsgenie_csv"
  [slack]="$F/slack/export/inc-101-checkout-5xx"
  [mattermost]="$F/mattermost"
  [jira]="$F/jira/org"
  [jira_csv]="$F/jira_csv"
  [servicenow]="$F/servicenow"
  [servicenow_csv]="$F/servicenow_csv"
  [github]="$F/github"
  [incidentio]="$F/incidentio/org"
  [rootly]="$F/rootly"
  [firehydrant]="$F/firehydrant"
  [statuspage]="$F/statuspage"
  [backstage]="$F/backstage $F/backstage/more"
  [canonical]="$F/canonical/base $F/canonical/bad-rows $F/demo"
)
for t in $(printf '%s\n' "${!seeds[@]}" | sort); do
  mkdir -p "corpus/$t"
  corpus="$PWD/corpus/$t"
  # shellcheck disable=SC2086
  log=$(cargo +nightly fuzz run -O "$t" "$corpus" ${seeds[$t]} -- \
        -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tail -n 40)
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' <<<"$log" | grep -o '[0-9]*$' || true)
  if grep -q 'SUMMARY\|panicked\|deadly signal' <<<"$log"; then
    echo "$t: FINDING after ${execs:-?} executions; the input is in artifacts/$t/"
  else
    echo "$t: ${execs:-?} executions in ${seconds}s, no finding"
  fi
done
