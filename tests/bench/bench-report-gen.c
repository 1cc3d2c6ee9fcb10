/* bench-report-gen.c — a realistic session log for the report benchmark:
 * N records (start, end, denied) as the gateway writes them (see
 * gateway/session-record.c): up to 8 sessions open at once, start records
 * with the sandbox (on, with its protections; off for ~5%) and sound for
 * ~30%, end records with per-channel counters, mean/peak rate, the X11
 * stream (sandbox on: 5-10x Spice's bytes) and the sound stream (when the
 * session had sound) with their counters, and a per-second series (total,
 * per channel and per stream, at most 900 samples, coarser steps for longer
 * sessions), ~10% denials, a few gateways that died (starts without an
 * end). Deterministic for a seed.
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
#define GEN_SERIES_MAX 900    /* the gateway's VMC_SESSION_SERIES_MAX */
#define GEN_SERIES_DEFAULT 60 /* samples per series unless told */
#define GEN_IDENTITIES 200
#define GEN_VMS 50
#define GEN_CHANNELS 4

typedef struct {
    char id[33];
    int identity;
    int vm;
    int64_t start_ms;
    int sandbox; /* on: the X11 stream is relayed and counted */
    int sound;   /* the sound stream */
} OpenSession;

/* A stream's per-step bytes, their sum, and its peak step. */
typedef struct {
    int64_t values[GEN_SERIES_MAX];
    int64_t sum;
    int64_t peak;
    unsigned peak_at;
} StreamSeries;

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
put_ids(FILE *out, const char *event, int64_t now_ms, const char *session, int identity, int vm)
{
    fprintf(out, "{\"v\":1,\"event\":\"%s\",", event);
    put_time(out, "time", now_ms);
    if (session != NULL)
        fprintf(out, ",\"session\":\"%s\"", session);
    fprintf(out,
            ",\"identity\":\"person%03d\",\"account\":\"vmconsole\","
            "\"key\":\"SHA256:k%03dAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd\","
            "\"client\":\"192.0.2.%d %d\",\"vm\":\"vm%02d-desktop\"",
            identity, identity, identity % 250 + 1, 40000 + identity, vm);
}

static void
write_start(FILE *out, int64_t now_ms, const OpenSession *s)
{
    put_ids(out, "start", now_ms, s->id, s->identity, s->vm);
    fprintf(out,
            ",\"key_type\":\"ssh-ed25519\",\"socket\":\"/var/spicex/vm%02d-desktop.sock\","
            "\"mode\":\"x11\",",
            s->vm);
    if (s->sound)
        fprintf(out, "\"audio\":\"tcp:%d\",\"audio_authenticated\":true,", 47000 + s->identity);
    else
        fputs("\"audio\":\"off\",", out);
    fputs("\"viewer\":\"/usr/bin/remote-viewer\",", out);
    if (s->sandbox)
        fputs("\"sandbox\":\"on\",\"protections\":[\"user-ns\",\"mount-ns\",\"pid-ns\",\"net-ns\","
              "\"ipc-ns\",\"uts-ns\",\"dies-with-gateway\",\"no-new-privs\",\"seccomp\","
              "\"landlock-abi-4\"]}\n",
              out);
    else
        fputs("\"sandbox\":\"off\",\"protections\":[]}\n", out);
}

static const char *const channel_names[GEN_CHANNELS] = {"cursor", "display", "inputs", "main"};

static void
put_values(FILE *out, const int64_t *values, unsigned n)
{
    fputc('[', out);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, "%s%" PRId64, i ? "," : "", values[i]);
    fputc(']', out);
}

/* The streams' series: X11 at 5-10x Spice's total of each step (the viewer
 * redraws what Spice sent, uncompressed), sound at 44.1 kHz 16-bit stereo
 * while it plays. */
static void
make_stream_series(const int64_t *total, unsigned n, int step, const OpenSession *s,
                   StreamSeries *x11, StreamSeries *sound)
{
    StreamSeries *streams[] = {x11, sound};
    for (int k = 0; k < 2; k++) {
        StreamSeries *st = streams[k];
        st->sum = st->peak = 0;
        st->peak_at = 0;
        for (unsigned i = 0; i < n; i++) {
            int on = k == 0 ? s->sandbox : s->sound;
            int64_t v = !on             ? 0
                        : k == 0        ? total[i] * (5 + below(6)) + below(2000) * step
                        : below(3) != 0 ? 176400LL * step
                                        : below(1000);
            st->values[i] = v;
            st->sum += v;
            if (v > st->peak) {
                st->peak = v;
                st->peak_at = i;
            }
        }
    }
}

/* Per-channel series of n samples, their sums, the total series, and the
 * peak; then the streams' series (s: which it has). */
static void
write_series(FILE *out, unsigned n, int step, const OpenSession *s, int64_t sums[GEN_CHANNELS],
             int64_t *ret_peak, unsigned *ret_peak_at, StreamSeries *x11, StreamSeries *sound)
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
        fprintf(out, "%s\"%s\":", c ? "," : "", channel_names[c]);
        put_values(out, values[c], n);
    }
    fputc('}', out);
    make_stream_series(total, n, step, s, x11, sound);
    if (s->sandbox || s->sound) {
        fputs(",\"streams\":{", out);
        if (s->sandbox) {
            fputs("\"x11\":", out);
            put_values(out, x11->values, n);
        }
        if (s->sound) {
            fputs(s->sandbox ? ",\"audio\":" : "\"audio\":", out);
            put_values(out, sound->values, n);
        }
        fputc('}', out);
    }
    fprintf(out, ",\"step_s\":%d,\"bytes\":", step);
    put_values(out, total, n);
    for (unsigned i = 0; i < n; i++) {
        if (total[i] > *ret_peak) {
            *ret_peak = total[i];
            *ret_peak_at = i;
        }
    }
    fputc('}', out);
}

/* "NAME":{...} of the end record's "streams", as session-record.c writes it. */
static void
put_stream(FILE *out, const char *name, const StreamSeries *st, int64_t duration, int step,
           int64_t start_ms)
{
    fprintf(out,
            "\"%s\":{\"to_laptop\":%" PRId64 ",\"from_laptop\":%" PRId64
            ",\"connections\":1,\"failed\":%d,\"rate_mean\":%.6f,\"rate_peak\":%.1f,",
            name, st->sum - st->sum / 20, st->sum / 20, below(50) == 0,
            duration > 0 ? (double)st->sum / (double)duration : 0.0, (double)st->peak / step);
    put_time(out, "rate_peak_time", start_ms + (int64_t)st->peak_at * step * 1000);
    fputc('}', out);
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
    fprintf(out,
            ",\"duration_s\":%" PRId64 ",\"reason\":\"ssh-closed\",\"reason_text\":"
            "\"the SSH connection went away\",\"viewer_signal\":\"Terminated\",",
            duration);
    if (s->sound)
        fprintf(out, "\"audio\":\"tcp:%d\"", 47000 + s->identity);
    else
        fputs("\"audio\":\"off\"", out);
    /* the series first into a buffer: the counters come before it */
    char *series = NULL;
    size_t series_len = 0;
    FILE *buf = open_memstream(&series, &series_len);
    int64_t sums[GEN_CHANNELS], peak;
    unsigned peak_at;
    static StreamSeries x11, sound;
    write_series(buf, n, step, s, sums, &peak, &peak_at, &x11, &sound);
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
    fputs(",\"rejected_connections\":0", out);
    if (s->sandbox || s->sound) {
        fputs(",\"streams\":{", out);
        if (s->sandbox)
            put_stream(out, "x11", &x11, duration, step, s->start_ms);
        if (s->sound) {
            if (s->sandbox)
                fputc(',', out);
            put_stream(out, "audio", &sound, duration, step, s->start_ms);
        }
        fputc('}', out);
    }
    fputs("}\n", out);
    free(series);
}

static void
write_denied(FILE *out, int64_t now_ms)
{
    int identity = (int)below(GEN_IDENTITIES + 20); /* some are no one's */
    put_ids(out, "denied", now_ms, NULL, identity, (int)below(GEN_VMS));
    fprintf(out,
            ",\"key_type\":\"ssh-ed25519\",\"request\":\"vm%02d-desktop\",\"reason\":"
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
            s->sandbox = below(20) != 0;
            s->sound = below(10) < 3;
            write_start(out, now_ms, s);
        }
    }
    if (fclose(out) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
