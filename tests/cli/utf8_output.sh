#!/usr/bin/env bash
# Issue 14, item 10: labels with invalid UTF-8 (overlong forms, surrogates, truncated
# sequences, lone continuation bytes, bytes never used) still give valid UTF-8 documents:
# stats/diff/timeline/check --json, timeline --csv and the HTML report's JSON island, each
# read by a strict decoder (Python: bytes decoded strictly as UTF-8, then json.loads).
# Every invalid sequence becomes U+FFFD; valid text (é € 😀) passes unchanged.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
if ! command -v python3 >/dev/null; then
    skip utf8/all "python3 is missing (the strict decoder)"
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# A log of the five snapshots of c15.txt, relabelled: each label holds invalid bytes.
python3 - "$T" <<'PY'
import sys, re
t = sys.argv[1]
labels = [
    b'overlong \xc0\xaf \xe0\x80\xaf \xf0\x80\x80\xaf end',
    b'surrogates \xed\xa0\x80\xed\xbf\xbf end',
    b'truncated \xe2\x82 \xf0\x9f\x98 \xe2\x82',
    b'lone \x80\xbf continuation \xbf end',
    b'never used \xff \xfe \xf5\x80 \xf4\x90\x80\x80 valid \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80',
]
src = open('tests/data/variants/canon/c15.txt', 'rb').read().split(b'\n')
out, k = [], 0
for line in src:
    if line.startswith(b'=== SNAPSHOT '):
        line = b'=== SNAPSHOT %d/5: %s ===' % (k + 1, labels[k])
        k += 1
    out.append(line)
assert k == 5
open(t + '/log.txt', 'wb').write(b'\n'.join(out))
# What each label reads as: Python's decoder replaces maximal subparts, as mpheap must.
open(t + '/labels', 'w').write('\n'.join(
    (b'SNAPSHOT %d/5: %s' % (i + 1, l)).decode('utf-8', 'replace') for i, l in enumerate(labels)))
PY

# check_doc NAME FILE KIND: FILE is strict UTF-8 and JSON (KIND json), CSV text (csv) or an
# HTML page whose data island is JSON (html); the labels read back as Python's replacement.
check_doc() {
    local name=$1 file=$2 kind=$3 msg
    if msg=$(python3 - "$file" "$kind" "$T/labels" <<'PY' 2>&1
import sys, json, csv, io
path, kind, labels = sys.argv[1], sys.argv[2], sys.argv[3]
want = open(labels, encoding='utf-8').read().split('\n')
raw = open(path, 'rb').read()
text = raw.decode('utf-8')  # strict: raises on any invalid byte
if kind == 'csv':
    got = [row['label'] for row in csv.DictReader(io.StringIO(text, newline=''))]
elif kind == 'html':
    start = text.index('id="mpheap-data">') + len('id="mpheap-data">')
    doc = json.loads(text[start:text.index('</script>', start)])
    got = [s['label'] for s in doc['snapshots']] if 'snapshots' in doc else None
    if got is None:
        sys.exit('no snapshots in the island: ' + ', '.join(doc))
else:
    doc = json.loads(text)
    if 'rows' in doc:
        got = [r['label'] for r in doc['rows']]
    elif kind.startswith('json-'):  # one snapshot's document: its label
        want = [want[int(kind[5:]) - 1]]
        got = [doc['source']['label']]
    else:  # a diff: the two snapshots' labels
        want = [want[0], want[-1]]
        got = [doc['old']['label'], doc['new']['label']]
if got != want:
    sys.exit('labels differ: %r' % got)
PY
    ); then
        ok "$name"
    else
        not_ok "$name" "$(echo "$msg" | tail -n 2)"
    fi
}

L=$T/log.txt
for i in 1 2 3 4 5; do
    "$MPHEAP" stats --json -s "$i" "$L" >"$T/stats$i.json" 2>/dev/null
    check_doc "utf8/stats-json-$i" "$T/stats$i.json" "json-$i"
done
"$MPHEAP" diff --json --from 1 --to 5 "$L" >"$T/diff.json" 2>/dev/null
check_doc utf8/diff-json "$T/diff.json" json
"$MPHEAP" timeline --json "$L" >"$T/tl.json" 2>/dev/null
check_doc utf8/timeline-json "$T/tl.json" json
"$MPHEAP" timeline --csv "$L" >"$T/tl.csv" 2>/dev/null
check_doc utf8/timeline-csv "$T/tl.csv" csv
if "$MPHEAP" report --format html -o "$T/r.html" "$L" 2>/dev/null; then
    check_doc utf8/report-html "$T/r.html" html
else
    not_ok utf8/report-html "report --format html failed"
fi
