# report --by identity written in jq, for the benchmark (run-bench-report):
# per identity, sessions (ended + started without an end), ended, seconds,
# bytes, peak rate, denials and unterminated starts. Run as
#   jq -n -c -f report-by-identity.jq LOG
# Open sessions are a short array of [session, identity], not an object
# keyed by session: jq 1.6 objects keep deleted keys' slots and are copied
# on update, which made that version quadratic (90 s for 100k records).
def zero: {sessions: 0, ended: 0, seconds: 0, bytes: 0, rate_peak: null,
           denied: 0, unterminated: 0};
reduce inputs as $r ({rows: {}, open: []};
  if $r.event == "start" then
    .open += [[$r.session, ($r.identity // "")]]
  elif $r.event == "end" then
    .open |= map(select(.[0] != $r.session))
    | .rows[$r.identity // ""] |= ((. // zero)
        | .sessions += 1 | .ended += 1
        | .seconds += ($r.duration_s // 0) | .bytes += ($r.bytes_total // 0)
        | .rate_peak = ([.rate_peak, $r.rate_peak] | max))
  elif $r.event == "denied" then
    .rows[$r.identity // ""] |= ((. // zero) | .denied += 1)
  else . end)
| reduce .open[] as $o (.;
    .rows[$o[1]] |= ((. // zero) | .sessions += 1 | .unterminated += 1))
| .rows | to_entries | map({key} + .value) | sort_by(.key) | .[]
