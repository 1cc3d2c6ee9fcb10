/* bench-report-gen.c — a realistic session log for the report benchmark:
 * N records (start, end, denied) as the gateway writes them (see
 * gateway/session-record.c): up to 8 sessions open at once, end records
 * with per-channel counters, mean/peak rate and a per-second series (total
 * and per channel, at most 900 samples, coarser steps for longer sessions),
 * ~10% denials, a few gateways that died (starts without an end).
 * Deterministic for a seed.
 *
 * Usage: bench-report-gen FILE N [SEED [SAMPLES]]
 * SAMPLES caps each series (default 60; the gateway's own cap is 900, which
 * makes a million records ~2.4 GiB and the jq side of the benchmark take
 * 20 minutes on 2 vCPUs; the record's shape is the same either way). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GEN_MAX_OPEN 8
#define GEN_SERIES_MAX 900     /* the gateway's VMC_SESSION_SERIES_MAX */
#define GEN_SERIES_DEFAULT 60  /* samples per series unless told */
#define GEN_IDENTITIES 200
#define GEN_VMS 50
#define GEN_CHANNELS 4

typedef struct {
    char id[33];
    int identity;
    int vm;
    int64_t start_ms;
} OpenSession;

static uint64_t rng_state = 88172645463325252ULL;
static int64_t series_max = GEN_SERIES_DEFAULT;

static uint64_t
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned
below(unsigned n)
{
    return (unsigned)(rng() % n);
}

static void
put_time(FILE *out, const char *name, int64_t ms)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char text[32];
    strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(out, "\"%s\":\"%s.%03dZ\"", name, text, (int)(ms % 1000));
}

static void
put_ids(FILE *out, const char *event, int64_t now_ms, const char *session, int identity,
        int vm)
{
    fprintf(out, "{\"v\":1,\"event\":\"%s\",", event);
    put_time(out, "time", now_ms);
    if (session != NULL)
        fprintf(out, ",\"session\":\"%s\"", session);
    fprintf(out, ",\"identity\":\"person%03d\",\"account\":\"vmconsole\","
                 "\"key\":\"SHA256:k%03dAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd\","
                 "\"client\":\"192.0.2.%d %d\",\"vm\":\"vm%02d-desktop\"",
            identity, identity, identity % 250 + 1, 40000 + identity, vm);
}

static void
write_start(FILE *out, int64_t now_ms, const OpenSession *s)
{
    put_ids(out, "start", now_ms, s->id, s->identity, s->vm);
    fprintf(out, ",\"key_type\":\"ssh-ed25519\",\"socket\":\"/var/spicex/vm%02d-desktop.sock\","
                 "\"mode\":\"x11\",\"audio\":\"off\",\"viewer\":\"/usr/bin/remote-viewer\"}\n",
            s->vm);
}

static const char *const channel_names[GEN_CHANNELS] = {"cursor", "display", "inputs", "main"};

/* Per-channel series of n samples, their sums, the total series, and the peak. */
static void
write_series(FILE *out, unsigned n, int step, int64_t sums[GEN_CHANNELS], int64_t *ret_peak,
             unsigned *ret_peak_at)
{
    static int64_t values[GEN_CHANNELS][GEN_SERIES_MAX];
    static int64_t total[GEN_SERIES_MAX];
    memset(total, 0, sizeof(total));
    for (int c = 0; c < GEN_CHANNELS; c++) {
        sums[c] = 0;
        for (unsigned i = 0; i < n; i++) {
            /* idle most of the time, bursts on the display channel */
            int64_t v = below(4) == 0 ? below(c == 1 ? 200000 : 3000) : below(40);
            values[c][i] = v * step;
            total[i] += values[c][i];
            sums[c] += values[c][i];
        }
    }
    *ret_peak = 0;
    *ret_peak_at = 0;
    fputs(",\"series\":{\"channels\":{", out);
    for (int c = 0; c < GEN_CHANNELS; c++) {
        fprintf(out, "%s\"%s\":[", c ? "," : "", channel_names[c]);
        for (unsigned i = 0; i < n; i++)
            fprintf(out, "%s%" PRId64, i ? "," : "", values[c][i]);
        fputc(']', out);
    }
    fprintf(out, "},\"step_s\":%d,\"bytes\":[", step);
    for (unsigned i = 0; i < n; i++) {
        fprintf(out, "%s%" PRId64, i ? "," : "", total[i]);
        if (total[i] > *ret_peak) {
            *ret_peak = total[i];
            *ret_peak_at = i;
        }
    }
    fputs("]}", out);
}

static void
write_end(FILE *out, int64_t now_ms, const OpenSession *s)
{
    int64_t duration = (now_ms - s->start_ms) / 1000;
    int step = (int)(duration / series_max + 1);
    unsigned n = (unsigned)(duration / step + 1);
    put_ids(out, "end", now_ms, s->id, s->identity, s->vm);
    fputc(',', out);
    put_time(out, "start", s->start_ms);
    fprintf(out, ",\"duration_s\":%" PRId64 ",\"reason\":\"ssh-closed\",\"reason_text\":"
                 "\"the SSH connection went away\",\"viewer_signal\":\"Terminated\","
                 "\"audio\":\"off\"",
            duration);
    /* the series first into a buffer: the counters come before it */
    char *series = NULL;
    size_t series_len = 0;
    FILE *buf = open_memstream(&series, &series_len);
    int64_t sums[GEN_CHANNELS], peak;
    unsigned peak_at;
    write_series(buf, n, step, sums, &peak, &peak_at);
    fclose(buf);
    int64_t total = 0;
    fputs(",\"channels\":{", out);
    for (int c = 0; c < GEN_CHANNELS; c++) {
        fprintf(out, "%s\"%s\":{\"from_vm\":%" PRId64 ",\"connections\":1,\"to_vm\":%" PRId64 "}",
                c ? "," : "", channel_names[c], sums[c] - sums[c] / 10, sums[c] / 10);
        total += sums[c];
    }
    fprintf(out, "},\"bytes_total\":%" PRId64 ",\"rate_mean\":%.6f,\"rate_peak\":%.1f,", total,
            duration > 0 ? (double)total / (double)duration : 0.0, (double)peak / step);
    put_time(out, "rate_peak_time", s->start_ms + (int64_t)peak_at * step * 1000);
    fwrite(series, 1, series_len, out);
    fputs(",\"rejected_connections\":0}\n", out);
    free(series);
}

static void
write_denied(FILE *out, int64_t now_ms)
{
    int identity = (int)below(GEN_IDENTITIES + 20); /* some are no one's */
    put_ids(out, "denied", now_ms, NULL, identity, (int)below(GEN_VMS));
    fprintf(out, ",\"key_type\":\"ssh-ed25519\",\"request\":\"vm%02d-desktop\",\"reason\":"
                 "\"person%03d may not open it: not the owner, not named, and their groups "
                 "match no entry; other has ---\",\"exit\":3}\n",
            (int)below(GEN_VMS), identity);
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench-report-gen FILE N [SEED [SAMPLES]]\n");
        return 2;
    }
    long n = strtol(argv[2], NULL, 10);
    if (argc > 3)
        rng_state += strtoull(argv[3], NULL, 10);
    if (argc > 4)
        series_max = strtol(argv[4], NULL, 10);
    if (series_max < 1 || series_max > GEN_SERIES_MAX) {
        fprintf(stderr, "bench-report-gen: SAMPLES must be 1 to %d\n", GEN_SERIES_MAX);
        return 2;
    }
    FILE *out = fopen(argv[1], "we");
    if (out == NULL) {
        perror(argv[1]);
        return 1;
    }
    static char buffer[1 << 20];
    setvbuf(out, buffer, _IOFBF, sizeof(buffer));
    OpenSession open[GEN_MAX_OPEN];
    int n_open = 0;
    int64_t now_ms = 1735689600000LL; /* 2025-01-01 */
    for (long i = 0; i < n; i++) {
        now_ms += below(60000) + 1;
        unsigned roll = below(100);
        if (roll < 10) {
            write_denied(out, now_ms);
        } else if (n_open > 0 && (roll < 55 || n_open == GEN_MAX_OPEN)) {
            int k = (int)below((unsigned)n_open);
            if (below(1000) != 0) /* 1 in 1000 gateways dies: no end */
                write_end(out, now_ms, &open[k]);
            else
                i--;
            open[k] = open[--n_open];
        } else {
            OpenSession *s = &open[n_open++];
            snprintf(s->id, sizeof(s->id), "%016" PRIx64 "%016" PRIx64, rng(), rng());
            s->identity = (int)below(GEN_IDENTITIES);
            s->vm = (int)below(GEN_VMS);
            s->start_ms = now_ms;
            write_start(out, now_ms, s);
        }
    }
    if (fclose(out) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
