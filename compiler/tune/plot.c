/* The tuner's SVG chart (see tune/plot.h). */
#include "tune/plot.h"
#include "strbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 900
#define H 540
#define ML 90  /* margins: left, right, top, bottom */
#define MR 210
#define MT 80
#define MB 80

/* text with XML's special characters escaped */
static void put_text(strbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': strbuf_put(b, "&amp;"); break;
        case '<': strbuf_put(b, "&lt;"); break;
        case '>': strbuf_put(b, "&gt;"); break;
        case '"': strbuf_put(b, "&quot;"); break;
        case '\'': strbuf_put(b, "&apos;"); break;
        default:
            if ((unsigned char)*s >= 32)
                strbuf_put(b, "%c", *s);
        }
    }
}

/* a round step giving about n ticks up to max */
static double nice_step(double max, int n)
{
    double raw = max / n, mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* The 1, 2 or 5 times a power of ten next above x (up) or below it. */
static double nice_125(double x, int up)
{
    const double mant[3] = {1, 2, 5};
    double dec = pow(10, floor(log10(x)));
    if (up) {
        for (int i = 0; i < 3; i++)
            if (mant[i] * dec >= x * (1 - 1e-12))
                return mant[i] * dec;
        return 10 * dec;
    }
    for (int i = 2; i >= 0; i--)
        if (mant[i] * dec <= x * (1 + 1e-12))
            return mant[i] * dec;
    return dec;
}

/* Where things go: the arities on x (a slot each), time per token on y
 * (linear from 0, or whole decades when the times spread over more than
 * 20x). */
typedef struct {
    int arity[32], na;
    double per_token, step, ytop, ybot, pw, ph, slot;
    int logy;
} geom;

static double gx(const geom *g, int a) { return ML + g->slot * (a + 0.5); }

static double gy(const geom *g, double t)
{
    return MT + g->ph * (1 - (g->logy ? log10(t / g->ybot) / log10(g->ytop / g->ybot)
                                      : t / g->ytop));
}

static void geom_of(const tune_report *r, geom *g)
{
    double ymax = 0, ymin = 0;
    memset(g, 0, sizeof *g);
    g->per_token = 1e9 / ((double)r->seq_len * (double)r->batch);
    for (int i = 0; i < r->nv; i++) {
        const tune_variant *v = &r->v[i];
        int seen = 0;
        for (int a = 0; a < g->na; a++)
            seen |= g->arity[a] == v->arity;
        if (!seen && g->na < 32)
            g->arity[g->na++] = v->arity;
        const double t = v->median_s * g->per_token;
        if (v->status == TUNE_OK && t > ymax)
            ymax = t;
        if (v->status == TUNE_OK && (ymin == 0 || t < ymin))
            ymin = t;
    }
    if (!(ymax > 0))
        ymax = ymin = 1;
    g->logy = ymax / ymin > 20;
    g->step = nice_step(ymax * 1.08, 5);
    g->ytop = g->logy ? nice_125(ymax * 1.05, 1) : ceil(ymax * 1.08 / g->step) * g->step;
    g->ybot = g->logy ? nice_125(ymin / 1.05, 0) : 0;
    g->pw = W - ML - MR;
    g->ph = H - MT - MB;
    g->slot = g->pw / (g->na > 0 ? g->na : 1);
}

static void put_header(strbuf *b, const tune_report *r)
{
    char sub[768];
    strbuf_put(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    strbuf_put(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
               "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n", W, H, W, H);
    strbuf_put(b, "<title>myogen tune: ");
    put_text(b, r->name);
    strbuf_put(b, ", time per token against arity</title>\n");
    strbuf_put(b, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
    strbuf_put(b, "<text x=\"%d\" y=\"30\" font-size=\"18\" font-weight=\"bold\">myogen tune: ",
               ML);
    put_text(b, r->name);
    strbuf_put(b, " - time per token against arity</text>\n");
    if (r->detail[0]) /* mlr, btt: their own description */
        snprintf(sub, sizeof sub, "%s, target %s, %s, %s; seq_len %lld, channels %lld, batch %lld",
                 r->kernel, r->target, r->dtype, r->detail, r->seq_len, r->channels, r->batch);
    else
        snprintf(sub, sizeof sub,
                 "%s, target %s, %s, state %d, share %s, readout %s; seq_len %lld, channels %lld, "
                 "batch %lld",
                 r->kernel, r->target, r->dtype, r->state, r->share, r->readout, r->seq_len,
                 r->channels, r->batch);
    strbuf_put(b, "<text x=\"%d\" y=\"50\" font-size=\"12\" fill=\"#444\">", ML);
    put_text(b, sub);
    strbuf_put(b, "</text>\n");
    if (r->gpu)
        snprintf(sub, sizeof sub, "%s; %s; median of repeats", r->device,
                 r->cuda ? "calls, launch to completion" : "kernels' device time");
    else
        snprintf(sub, sizeof sub, "%s; FMA peak %.1f GFLOP/s measured; median of repeats",
                 r->cpu, r->peak_gflops);
    strbuf_put(b, "<text x=\"%d\" y=\"66\" font-size=\"12\" fill=\"#444\">", ML);
    put_text(b, sub);
    strbuf_put(b, "</text>\n");
}

/* grid, y ticks, axes and the arities */
static void put_axes(strbuf *b, const tune_report *r, const geom *g)
{
    strbuf_put(b, "<g font-size=\"12\" fill=\"#222\">\n");
    const int dec0 = (int)floor(log10(g->logy ? g->ybot : 1));
    for (int i = 0;; i++) {
        /* linear: multiples of step; log: 1, 2, 5 times each decade */
        const double t = g->logy ? pow(10, dec0 + i / 3) * (i % 3 == 0 ? 1 : i % 3 == 1 ? 2 : 5)
                                 : i * g->step;
        if (t > g->ytop * (1 + 1e-9))
            break;
        if (t < g->ybot * (1 - 1e-9))
            continue;
        strbuf_put(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                   ML, gy(g, t), ML + g->pw, gy(g, t));
        strbuf_put(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", ML - 8,
                   gy(g, t) + 4, t);
    }
    strbuf_put(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" stroke=\"black\"/>\n", ML, MT,
               ML, MT + g->ph);
    strbuf_put(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", ML,
               MT + g->ph, ML + g->pw, MT + g->ph);
    for (int a = 0; a < g->na; a++) {
        int depth = 0;
        long long padded = 0;
        for (int i = 0; i < r->nv; i++)
            if (r->v[i].arity == g->arity[a]) {
                depth = r->v[i].depth;
                padded = r->v[i].padded;
            }
        strbuf_put(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n",
                   gx(g, a), MT + g->ph, gx(g, a), MT + g->ph + 5);
        strbuf_put(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", gx(g, a),
                   MT + g->ph + 20, g->arity[a]);
        strbuf_put(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\" "
                   "fill=\"#666\">d=%d, %lld pos.</text>\n", gx(g, a), MT + g->ph + 34, depth,
                   padded);
    }
    strbuf_put(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\">arity k "
               "(branching factor; depth d = smallest with k^d &gt;= seq_len)</text>\n",
               ML + g->pw / 2, H - 18);
    strbuf_put(b, "<text transform=\"translate(24 %.1f) rotate(-90)\" text-anchor=\"middle\" "
               "font-size=\"14\">time per token (ns, median%s)</text>\n", MT + g->ph / 2,
               g->logy ? ", log scale" : "");
    strbuf_put(b, "</g>\n");
}

/* x of every variant: an arity's knob settings spread across its slot, in
 * increasing knob value (rank: the order) */
static void place(const tune_report *r, const geom *g, double *xs, int *ranks)
{
    for (int a = 0; a < g->na; a++) {
        int n = 0;
        for (int i = 0; i < r->nv; i++)
            n += r->v[i].arity == g->arity[a] && r->v[i].status != TUNE_SKIPPED;
        for (int i = 0; i < r->nv; i++) {
            const tune_variant *v = &r->v[i];
            if (v->arity != g->arity[a] || v->status == TUNE_SKIPPED)
                continue;
            int rank = 0; /* variants of this arity with a smaller first knob */
            for (int j = 0; j < r->nv; j++)
                rank += r->v[j].arity == g->arity[a] && r->v[j].status != TUNE_SKIPPED &&
                        (r->v[j].knobs.value[0] < v->knobs.value[0] ||
                         (r->v[j].knobs.value[0] == v->knobs.value[0] && j < i));
            ranks[i] = rank;
            xs[i] = gx(g, a) + (n > 1 ? (rank - (n - 1) / 2.0) * (g->slot * 0.6 / (n - 1)) : 0);
        }
    }
}

/* the best knobs of each arity joined by a line, then every variant */
static void put_variants(strbuf *b, const tune_report *r, const geom *g, const double *xs,
                         const int *ranks)
{
    const int best = tune_best(r, 0);
    strbuf_put(b, "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"");
    for (int a = 0; a < g->na; a++) {
        const int bi = tune_best(r, g->arity[a]);
        if (bi >= 0)
            strbuf_put(b, "%.1f,%.1f ", xs[bi], gy(g, r->v[bi].median_s * g->per_token));
    }
    strbuf_put(b, "\"/>\n");
    strbuf_put(b, "<g font-size=\"10\">\n");
    for (int a = 0; a < g->na; a++) {
        const int bi = tune_best(r, g->arity[a]);
        for (int i = 0; i < r->nv; i++) {
            const tune_variant *v = &r->v[i];
            if (v->arity != g->arity[a] || v->status == TUNE_SKIPPED)
                continue;
            const double x = xs[i];
            char kn[64];
            knobs_format(&v->knobs, kn, sizeof kn);
            if (v->status != TUNE_OK) {
                const double y = MT + 8;
                strbuf_put(b, "<g stroke=\"#d62728\" stroke-width=\"2\"><title>arity %d, %s: %s "
                           "(excluded)</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                           "y2=\"%.1f\"/><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                           "</g>\n",
                           v->arity, kn, v->status == TUNE_WRONG ? "wrong" : "failed", x - 4,
                           y - 4, x + 4, y + 4, x - 4, y + 4, x + 4, y - 4);
                strbuf_put(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                           "fill=\"#d62728\">", x, y + 16);
                put_text(b, kn);
                strbuf_put(b, "</text>\n");
                continue;
            }
            const double y = gy(g, v->median_s * g->per_token);
            const int is_best = i == bi;
            strbuf_put(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" stroke=\"%s\" "
                       "stroke-width=\"%d\"><title>arity %d, depth %d, %s: %.3g ns/token "
                       "(%.4g ms per call)</title></circle>\n",
                       x, y, is_best ? 6 : 4, is_best ? "#1f77b4" : "#bbbbbb",
                       i == best ? "#d62728" : "#555", i == best ? 2 : 1, v->arity, v->depth, kn,
                       v->median_s * g->per_token, v->median_s * 1e3);
            /* labels alternate above and below the points so neighbours do not collide */
            strbuf_put(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">", x,
                       ranks[i] % 2 ? y + 17 : y - 9);
            put_text(b, kn);
            strbuf_put(b, "</text>\n");
        }
    }
    strbuf_put(b, "</g>\n");
}

static void put_legend(strbuf *b, const tune_report *r, const geom *g)
{
    const double lx = ML + g->pw + 20;
    const int best = tune_best(r, 0);
    strbuf_put(b, "<g font-size=\"12\">\n");
    strbuf_put(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#1f77b4\" "
               "stroke-width=\"2\"/><circle cx=\"%.1f\" cy=\"%d\" r=\"6\" fill=\"#1f77b4\" "
               "stroke=\"#555\"/><text x=\"%.1f\" y=\"%d\">best knobs of the arity</text>\n",
               lx, MT + 10, lx + 24, MT + 10, lx + 12, MT + 10, lx + 32, MT + 14);
    strbuf_put(b, "<circle cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"#bbbbbb\" stroke=\"#555\"/>"
               "<text x=\"%.1f\" y=\"%d\">other knob settings</text>\n", lx + 12, MT + 34,
               lx + 32, MT + 38);
    strbuf_put(b, "<circle cx=\"%.1f\" cy=\"%d\" r=\"6\" fill=\"#1f77b4\" stroke=\"#d62728\" "
               "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%d\">best overall</text>\n", lx + 12,
               MT + 58, lx + 32, MT + 62);
    strbuf_put(b, "<g stroke=\"#d62728\" stroke-width=\"2\"><line x1=\"%.1f\" y1=\"%d\" "
               "x2=\"%.1f\" y2=\"%d\"/><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/></g>"
               "<text x=\"%.1f\" y=\"%d\">wrong or failed (excluded)</text>\n",
               lx + 8, MT + 78, lx + 16, MT + 86, lx + 8, MT + 86, lx + 16, MT + 78, lx + 32,
               MT + 86);
    strbuf_put(b, "<text x=\"%.1f\" y=\"%d\" fill=\"#444\">labels: the knobs (myo TC, TL;</text>\n",
               lx, MT + 116);
    strbuf_put(b, "<text x=\"%.1f\" y=\"%d\" fill=\"#444\">mlr B; btt MB: README)</text>\n", lx,
               MT + 131);
    if (best >= 0) {
        char kn[64], line[160];
        knobs_format(&r->v[best].knobs, kn, sizeof kn);
        snprintf(line, sizeof line, "best: k=%d, d=%d, %s", r->v[best].arity, r->v[best].depth,
                 kn);
        strbuf_put(b, "<text x=\"%.1f\" y=\"%d\" font-weight=\"bold\">", lx, MT + 160);
        put_text(b, line);
        strbuf_put(b, "</text>\n");
        snprintf(line, sizeof line, "%.3g ns/token", r->v[best].median_s * g->per_token);
        strbuf_put(b, "<text x=\"%.1f\" y=\"%d\">", lx, MT + 176);
        put_text(b, line);
        strbuf_put(b, "</text>\n");
    }
    strbuf_put(b, "</g>\n");
}

int svg_plot_write(const char *path, const tune_report *r, char *err, size_t errlen)
{
    strbuf b = {0};
    geom g;
    const size_t n = (size_t)(r->nv > 0 ? r->nv : 1);
    double *xs = calloc(n, sizeof *xs);
    int *ranks = calloc(n, sizeof *ranks);
    if (!xs || !ranks) {
        free(xs);
        free(ranks);
        snprintf(err, errlen, "plot: out of memory");
        return -1;
    }
    geom_of(r, &g);
    place(r, &g, xs, ranks);
    put_header(&b, r);
    put_axes(&b, r, &g);
    put_variants(&b, r, &g, xs, ranks);
    put_legend(&b, r, &g);
    strbuf_put(&b, "</svg>\n");
    free(xs);
    free(ranks);
    return strbuf_write(&b, path, "plot", err, errlen);
}
