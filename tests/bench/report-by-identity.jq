# report --by identity written in jq, for the benchmark (run-bench-report):
# per identity, sessions (ended + started without an end), ended, seconds,
# bytes, peak rate, denials, unterminated starts, the X11 and sound
# streams' bytes (both ways; null when no ended session had that stream)
# and the sessions whose start says "sandbox": "off". Run as
#   jq -n -c -f report-by-identity.jq LOG
# Open sessions are a short array of [session, identity, sandbox off], not
# an object keyed by session: jq 1.6 objects keep deleted keys' slots and
# are copied on update, which made that version quadratic (90 s for 100k
# records).
def zero: {sessions: 0, ended: 0, seconds: 0, bytes: 0, rate_peak: null,
           denied: 0, unterminated: 0, x11_bytes: null, audio_bytes: null,
           sandbox_off: 0};
# a stream's bytes both ways added to a sum that is null until one is seen
def add_stream($s):
  if ($s | type) == "object" then (. // 0) + ($s.to_laptop // 0) + ($s.from_laptop // 0)
  else . end;
reduce inputs as $r ({rows: {}, open: []};
  if $r.event == "start" then
    .open += [[$r.session, ($r.identity // ""), ($r.sandbox == "off")]]
  elif $r.event == "end" then
    ([.open[] | select(.[0] == $r.session)][0][2] // false) as $off
    | .open |= map(select(.[0] != $r.session))
    | .rows[$r.identity // ""] |= ((. // zero)
        | .sessions += 1 | .ended += 1
        | .seconds += ($r.duration_s // 0) | .bytes += ($r.bytes_total // 0)
        | .rate_peak = ([.rate_peak, $r.rate_peak] | max)
        | .x11_bytes |= add_stream($r.streams.x11)
        | .audio_bytes |= add_stream($r.streams.audio)
        | .sandbox_off += (if $off then 1 else 0 end))
  elif $r.event == "denied" then
    .rows[$r.identity // ""] |= ((. // zero) | .denied += 1)
  else . end)
| reduce .open[] as $o (.;
    .rows[$o[1]] |= ((. // zero) | .sessions += 1 | .unterminated += 1
                     | .sandbox_off += (if $o[2] then 1 else 0 end)))
| .rows | to_entries | map({key} + .value) | sort_by(.key) | .[]
