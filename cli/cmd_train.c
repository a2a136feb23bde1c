/* cmd_train.c : `lmc train`, training a model (DESIGN.md §2) on any device, cpu-ref included.
 * Prints progress on stderr; writes the model (-o), and next to it BASE.csv (the log), BASE.png
 * (the curves) and BASE.ckpt (atomic checkpoints), BASE being -o without ".safetensors".
 * --resume continues from BASE.ckpt exactly where the run stopped (also after kill -9): the
 * checkpoint holds weights, Adam moments, step and generator state, and the log is cut back to
 * the checkpoint's step.
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP stop the run between two steps: the handler only sets a
 * flag; the loop sees it after the step in progress, writes BASE.ckpt (atomically, the periodic
 * checkpoints' writer), the log and the plot, says so, and exits 128 + the signal (130 for
 * Ctrl-C, 143 for SIGTERM), leaving no model file. A second signal kills at once (the handler
 * is reset after the first), which still leaves the last complete checkpoint. --json prints one
 * JSON object on stdout at the end (finished or interrupted), stdout holding nothing else.
 * Under mpirun (docs/scale-out.md) every rank runs this whole command on its own device and draws
 * the same windows; the trainer's exchange (mpi_dist.c) shares the --micro-batches among them;
 * rank 0 alone writes the log, checkpoints, model, plot, JSON and progress; a stop signal on any
 * rank stops every rank after the same step. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mpi_dist.h"
#include "plot_png.h"
#include "train_data.h"

static void print_train_help(void) {
    printf("Usage: lmc train --data SPEC [--data SPEC...] -o MODEL [options]\n\n"
           "Train a byte-level Transformer on the bytes SPEC names (several concatenate in order)\n"
           "and write it as MODEL (safetensors, lmc-float-1). SPEC is:\n"
           "  PATH         a file's bytes, or a folder's regular files in sorted order, as they are\n"
           "  text:PATH    the stream 'lmc eval' codes: each file's whole 2048-byte chunks (folders\n"
           "               recursive, sorted; a file's partial last chunk is dropped)\n"
           "  image:PATH   PNGs as 'lmc eval' codes them: gray floor(mean RGB), 32x64 patches, 2048\n"
           "               bytes each, file by file\n"
           "  audio:PATH   FLAC/WAV as 'lmc eval' codes them: 16 kHz mono 8-bit, 2048-byte chunks\n"
           "With image: or audio: data every window starts at a chunk boundary (one patch or chunk;\n"
           "a --window below 2048 takes a chunk's first bytes), also in --eval-data, and plain paths\n"
           "cannot be mixed in (use text:PATH). Otherwise a window starts at any byte.\n"
           "--resume needs the same --data and --eval-data as the run it continues.\n"
           "Next to MODEL (its name without .safetensors = BASE): BASE.csv (log), BASE.png\n"
           "(curves), BASE.ckpt (checkpoint).\n\n"
           "Model:\n"
           "  --config NAME       preset: tiny, 200k, 800k, 3.2m (default 200k)\n"
           "  --d-model C --layers L --heads NH   a custom shape instead of a preset\n"
           "  --context T         the model's context in bytes (default: the preset's, 2048; tiny 64)\n"
           "  --window T          train on windows of T <= context bytes (default: the context);\n"
           "                      shorter windows train faster, but positions past T stay\n"
           "                      untrained (sinusoidal, they do not extrapolate): end with a\n"
           "                      phase at the full context before coding with the model\n"
           "  --init MODEL        start from MODEL's weights (same shape), fresh optimiser\n"
           "Training:\n"
           "  --batch B           windows per step (default 16)\n"
           "  --steps N           steps (default 1000)\n"
           "  --lr X              peak learning rate (default 1e-3)\n"
           "  --warmup N          linear warmup steps (default: 100, or steps/10 if fewer)\n"
           "  --schedule S        cosine (to 10%% of lr at the end, default) or constant\n"
           "  --grad-clip X       clip the global gradient norm (default 1; 0 = off)\n"
           "  --seed N            initialisation and window sampling (default 1)\n"
           "  --micro-batches M   split each batch into M micro-batches (M divides B; default 1):\n"
           "                      the ranks of 'mpirun -np N lmc train' share them, and the model\n"
           "                      is the same bytes for every N (docs/scale-out.md)\n"
           "  --device SEL        device (see 'lmc devices'); cpu-ref works everywhere; under mpirun\n"
           "                      %%r stands for the rank within the node (default: GPUs round-robin)\n"
           "Evaluation and output:\n"
           "  --eval-data SPEC    held-out bytes (SPEC as --data), evaluated in bits/byte; repeated,\n"
           "                      each is evaluated on its own (log and CSV: each, and their mean)\n"
           "  --eval-every N      steps between evaluations (default 100)\n"
           "  --eval-windows N    windows per evaluation and --eval-data, spread evenly over it\n"
           "                      (default 16)\n"
           "  --checkpoint-every N  steps between checkpoints (default 100)\n"
           "  --resume            continue from BASE.ckpt (its settings win)\n"
           "  --export            with --resume: write BASE.ckpt's model to MODEL and stop\n"
           "  --log-every N       progress lines when stderr is not a terminal (default steps/20)\n"
           "  --json              a JSON summary on stdout at the end: steps, tokens_per_s, final\n"
           "                      losses, the output paths (stdout holds nothing else)\n"
           "  -q, --quiet         no progress output\n"
           "  -h, --help          this help\n\n"
           "The same seed, data and device give the same loss at every step and the same model\n"
           "file, byte for byte; a resumed run equals an uninterrupted one.\n"
           "Ctrl-C (or SIGTERM) stops between two steps: BASE.ckpt is written and lmc exits 130\n"
           "(143); --resume continues from there.\n");
}

/* ---- stopping on a signal ------------------------------------------------------------------ */

/* The signal that asked the run to stop (0: none). The handler only stores it: the loop writes
 * the checkpoint between two steps, outside the handler. */
static volatile sig_atomic_t g_stop_signal;

static void on_stop_signal(int sig) { g_stop_signal = sig; }

/* SIGINT, SIGTERM, SIGHUP -> on_stop_signal, once (SA_RESETHAND: a second one kills); a signal
 * the parent ignores (nohup, a background job of a non-interactive shell) stays ignored. */
static void install_stop_handlers(void) {
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN) continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND | SA_RESTART;
        sigaction(sigs[i], &sa, NULL);
    }
}

/* Whether to take another step. Under mpirun every rank asks before every step (the same number
 * of times: they agree on the answer), and the stop signal of any rank becomes every rank's, so
 * all stop after the same step and rank 0 writes the checkpoint. */
static int keep_going(int ranks) {
    if (ranks > 1) g_stop_signal = cli_dist_max_int(g_stop_signal);
    return !g_stop_signal;
}

static const char *signal_name(int sig) {
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal";
    }
}

/* A finite number as JSON, else null. */
static void json_number(const char *key, double v, int decimals) {
    printf(", \"%s\": ", key);
    if (isfinite(v))
        printf("%.*f", decimals, v);
    else
        printf("null");
}

static void json_path(const char *key, const char *path) {
    printf(", \"%s\": ", key);
    if (path)
        cli_json_string(stdout, path);
    else
        printf("null");
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void format_eta(double s, char *out, size_t cap) {
    if (!(s >= 0) || s > 1e8) {
        snprintf(out, cap, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, cap, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60)
        snprintf(out, cap, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(out, cap, "%lds", t);
}

/* The log rows kept in memory for the plot: step, train bits/byte, eval bits/byte (NAN if none). */
typedef struct curve {
    double *step, *train, *eval;
    size_t n, cap;
} curve;

static int curve_add(curve *c, double step, double train, double eval) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        double *a = realloc(c->step, cap * sizeof *a);
        if (!a) return -1;
        c->step = a;
        double *b = realloc(c->train, cap * sizeof *b);
        if (!b) return -1;
        c->train = b;
        double *e = realloc(c->eval, cap * sizeof *e);
        if (!e) return -1;
        c->eval = e;
        c->cap = cap;
    }
    c->step[c->n] = step;
    c->train[c->n] = train;
    c->eval[c->n] = eval;
    c->n++;
    return 0;
}

/* The log's columns; with several --eval-data, eval_bits_per_byte is their mean (each counted
 * once, whatever its size) and eval1_bits_per_byte... follow it, one per --eval-data in order. */
#define CSV_HEADER "step,loss_nats,train_bits_per_byte,lr,tokens_per_s,eval_bits_per_byte"

static void csv_header(FILE *f, size_t n_eval) {
    fputs(CSV_HEADER, f);
    for (size_t i = 0; n_eval > 1 && i < n_eval; i++) fprintf(f, ",eval%zu_bits_per_byte", i + 1);
    fputc('\n', f);
}

/* Keep the rows of an existing log up to `last_step` (a resumed run rewrites what follows). */
static int csv_cut(const char *path, long last_step, size_t n_eval, curve *c) {
    FILE *f = fopen(path, "r");
    char *kept = NULL;
    size_t kept_n = 0;
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            long step = 0;
            double loss = 0, bpb = 0, eval = NAN;
            if (sscanf(line, "%ld,%lf,%lf", &step, &loss, &bpb) != 3 || step > last_step) continue;
            const char *field = line; /* the sixth column: eval_bits_per_byte */
            for (int k = 0; k < 5 && field; k++)
                if ((field = strchr(field, ','))) field++;
            if (field && *field != ',' && *field != '\n' && *field != '\0') eval = atof(field);
            curve_add(c, (double)step, bpb, eval);
            size_t len = strlen(line);
            char *q = realloc(kept, kept_n + len + 1);
            if (!q) {
                fclose(f);
                free(kept);
                return -1;
            }
            kept = q;
            memcpy(kept + kept_n, line, len);
            kept_n += len;
        }
        fclose(f);
    }
    f = fopen(path, "w");
    int rc = f ? 0 : -1;
    if (f) {
        csv_header(f, n_eval);
        if (kept_n) fwrite(kept, 1, kept_n, f);
        if (fclose(f) != 0) rc = -1;
    }
    free(kept);
    return rc;
}

static int parse_long(const char *opt, const char *s, long lo, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !*s || *end || v < lo) return cli_usage_error("train", "%s wants an integer >= %ld, not '%s'", opt, lo, s);
    *out = v;
    return 0;
}

static int parse_float(const char *opt, const char *s, float *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || !*s || *end || !isfinite(v) || v < 0) return cli_usage_error("train", "%s wants a number >= 0, not '%s'", opt, s);
    *out = (float)v;
    return 0;
}

enum {
    OPT_DATA = 256, OPT_EVAL_DATA, OPT_CONFIG, OPT_DMODEL, OPT_LAYERS, OPT_HEADS, OPT_CONTEXT, OPT_BATCH, OPT_STEPS,
    OPT_LR, OPT_WARMUP, OPT_SCHEDULE, OPT_CLIP, OPT_SEED, OPT_DEVICE, OPT_EVAL_EVERY, OPT_EVAL_WINDOWS,
    OPT_CKPT_EVERY, OPT_RESUME, OPT_LOG_EVERY, OPT_EXPORT, OPT_WINDOW, OPT_INIT, OPT_JSON, OPT_MICRO
};

int cli_cmd_train(int argc, char **argv) {
    static const struct option options[] = {
        {"data", required_argument, NULL, OPT_DATA},       {"eval-data", required_argument, NULL, OPT_EVAL_DATA},
        {"config", required_argument, NULL, OPT_CONFIG},   {"d-model", required_argument, NULL, OPT_DMODEL},
        {"layers", required_argument, NULL, OPT_LAYERS},   {"heads", required_argument, NULL, OPT_HEADS},
        {"context", required_argument, NULL, OPT_CONTEXT}, {"batch", required_argument, NULL, OPT_BATCH},
        {"steps", required_argument, NULL, OPT_STEPS},     {"lr", required_argument, NULL, OPT_LR},
        {"warmup", required_argument, NULL, OPT_WARMUP},   {"schedule", required_argument, NULL, OPT_SCHEDULE},
        {"grad-clip", required_argument, NULL, OPT_CLIP},  {"seed", required_argument, NULL, OPT_SEED},
        {"device", required_argument, NULL, OPT_DEVICE},   {"eval-every", required_argument, NULL, OPT_EVAL_EVERY},
        {"eval-windows", required_argument, NULL, OPT_EVAL_WINDOWS},
        {"checkpoint-every", required_argument, NULL, OPT_CKPT_EVERY},
        {"resume", no_argument, NULL, OPT_RESUME},         {"log-every", required_argument, NULL, OPT_LOG_EVERY},
        {"export", no_argument, NULL, OPT_EXPORT},         {"window", required_argument, NULL, OPT_WINDOW},
        {"init", required_argument, NULL, OPT_INIT},       {"json", no_argument, NULL, OPT_JSON},
        {"micro-batches", required_argument, NULL, OPT_MICRO},
        {"output", required_argument, NULL, 'o'},          {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},                  {NULL, 0, NULL, 0}};
    lmc_train_params p = lmc_train_params_default();
    const char *config = NULL, *device_sel = NULL, *out_path = NULL, *init_path = NULL;
    long d_model = 0, layers = 0, heads = 0, context = 0, window = 0, eval_every = 100, eval_windows = 16, ckpt_every = 100;
    long log_every = 0, v = 0, micro = 0;
    const int lead = cli_dist_rank() == 0, ranks = cli_dist_size(); /* rank 0 writes every file */
    char dev_buf[256];
    int resume = 0, quiet = 0, warmup_set = 0, export_only = 0, json = 0;
    const char **data_paths = calloc((size_t)argc + 1, sizeof *data_paths);
    const char **eval_paths = calloc((size_t)argc + 1, sizeof *eval_paths);
    size_t n_data = 0, n_eval = 0;
    cli_train_data data = {0};
    cli_train_data *evals = NULL; /* one per --eval-data, each evaluated on its own */
    double *ev_each = NULL;      /* [n_eval] bits/byte of the latest evaluation */
    curve cv = {0};
    lmc_device *dev = NULL;
    lmc_trainer *t = NULL;
    lmc_model *model = NULL;
    char *base = NULL, *csv_path = NULL, *png_path = NULL, *ckpt_path = NULL;
    FILE *csv = NULL, *window_log = NULL;
    int rc = CLI_EXIT_FAILURE;
    if (!data_paths || !eval_paths) {
        fprintf(stderr, "lmc train: out of memory\n");
        goto done;
    }
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "o:qh", options, NULL)) != -1) {
        switch (opt) {
        case OPT_DATA: data_paths[n_data++] = optarg; break;
        case OPT_EVAL_DATA: eval_paths[n_eval++] = optarg; break;
        case OPT_CONFIG: config = optarg; break;
        case OPT_DMODEL: if ((rc = parse_long("--d-model", optarg, 2, &d_model))) goto done; break;
        case OPT_LAYERS: if ((rc = parse_long("--layers", optarg, 1, &layers))) goto done; break;
        case OPT_HEADS: if ((rc = parse_long("--heads", optarg, 1, &heads))) goto done; break;
        case OPT_CONTEXT: if ((rc = parse_long("--context", optarg, 1, &context))) goto done; break;
        case OPT_WINDOW: if ((rc = parse_long("--window", optarg, 1, &window))) goto done; break;
        case OPT_INIT: init_path = optarg; break;
        case OPT_BATCH: if ((rc = parse_long("--batch", optarg, 1, &v))) goto done; p.batch = (int)v; break;
        case OPT_STEPS: if ((rc = parse_long("--steps", optarg, 1, &v))) goto done; p.steps = v; break;
        case OPT_LR: if ((rc = parse_float("--lr", optarg, &p.lr))) goto done; break;
        case OPT_WARMUP: if ((rc = parse_long("--warmup", optarg, 0, &v))) goto done; p.warmup = v; warmup_set = 1; break;
        case OPT_SCHEDULE:
            if (strcmp(optarg, "cosine") == 0) p.schedule = LMC_SCHEDULE_COSINE;
            else if (strcmp(optarg, "constant") == 0) p.schedule = LMC_SCHEDULE_CONSTANT;
            else { rc = cli_usage_error("train", "--schedule is cosine or constant, not '%s'", optarg); goto done; }
            break;
        case OPT_CLIP: if ((rc = parse_float("--grad-clip", optarg, &p.grad_clip))) goto done; break;
        case OPT_SEED: if ((rc = parse_long("--seed", optarg, 0, &v))) goto done; p.seed = (uint64_t)v; break;
        case OPT_DEVICE: device_sel = optarg; break;
        case OPT_EVAL_EVERY: if ((rc = parse_long("--eval-every", optarg, 1, &eval_every))) goto done; break;
        case OPT_EVAL_WINDOWS: if ((rc = parse_long("--eval-windows", optarg, 1, &eval_windows))) goto done; break;
        case OPT_CKPT_EVERY: if ((rc = parse_long("--checkpoint-every", optarg, 1, &ckpt_every))) goto done; break;
        case OPT_RESUME: resume = 1; break;
        case OPT_EXPORT: export_only = 1; break;
        case OPT_JSON: json = 1; break;
        case OPT_MICRO: if ((rc = parse_long("--micro-batches", optarg, 1, &micro))) goto done; p.micro_batches = (int)micro; break;
        case OPT_LOG_EVERY: if ((rc = parse_long("--log-every", optarg, 1, &log_every))) goto done; break;
        case 'o': out_path = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': print_train_help(); rc = CLI_EXIT_OK; goto done;
        default: rc = cli_usage_error("train", "unknown option"); goto done;
        }
    }
    rc = CLI_EXIT_USAGE;
    if (optind < argc) { cli_usage_error("train", "unexpected argument '%s' (use --data PATH)", argv[optind]); goto done; }
    if (!n_data) { cli_usage_error("train", "--data PATH is required"); goto done; }
    if (!out_path) { cli_usage_error("train", "-o MODEL is required"); goto done; }
    if (resume && (init_path || window || micro)) { cli_usage_error("train", "--resume continues with the checkpoint's settings: no --init, --window or --micro-batches"); goto done; }
    if (!lead) quiet = 1;
    if (export_only && !resume) { cli_usage_error("train", "--export needs --resume"); goto done; }
    if (export_only && json) { cli_usage_error("train", "--json summarises a training run, not --export"); goto done; }
    if (config && (d_model || layers || heads)) { cli_usage_error("train", "--config and --d-model/--layers/--heads exclude each other"); goto done; }
    if (d_model || layers || heads) {
        if (!d_model || !layers || !heads) { cli_usage_error("train", "a custom shape needs --d-model, --layers and --heads"); goto done; }
        p.config.d_model = (int)d_model;
        p.config.n_layers = (int)layers;
        p.config.n_heads = (int)heads;
        p.config.context = 2048;
    } else if (lmc_model_config_preset(config ? config : "200k", &p.config) != LMC_OK) {
        cli_usage_error("train", "%s", lmc_last_error());
        goto done;
    }
    if (context) p.config.context = (int)context;
    p.window = window ? (int)window : p.config.context;
    if (p.window > p.config.context) { cli_usage_error("train", "--window %d is longer than the context %d", p.window, p.config.context); goto done; }
    if (!warmup_set && p.warmup > p.steps / 10) p.warmup = p.steps / 10;
    if (p.warmup > p.steps) p.warmup = p.steps;
    if (!resume && lmc_train_params_check(&p) != LMC_OK) { cli_usage_error("train", "%s", lmc_last_error()); goto done; }
    if ((rc = cli_train_data_check("--data", data_paths, n_data)) != 0 ||
        (rc = cli_train_data_check("--eval-data", eval_paths, n_eval)) != 0)
        goto done;
    rc = CLI_EXIT_FAILURE;

    /* Names next to -o. */
    size_t olen = strlen(out_path);
    base = malloc(olen + 1);
    csv_path = malloc(olen + 8);
    png_path = malloc(olen + 8);
    ckpt_path = malloc(olen + 8);
    if (!base || !csv_path || !png_path || !ckpt_path) goto done;
    memcpy(base, out_path, olen + 1);
    const char *ext = ".safetensors";
    if (olen > strlen(ext) && strcmp(base + olen - strlen(ext), ext) == 0) base[olen - strlen(ext)] = '\0';
    snprintf(csv_path, olen + 8, "%s.csv", base);
    snprintf(png_path, olen + 8, "%s.png", base);
    snprintf(ckpt_path, olen + 8, "%s.ckpt", base);

    for (size_t i = 0; i < n_data; i++)
        if ((rc = cli_train_data_add(&data, "--data", data_paths[i])) != 0) goto done;
    evals = calloc(n_eval ? n_eval : 1, sizeof *evals);
    ev_each = calloc(n_eval ? n_eval : 1, sizeof *ev_each);
    if (!evals || !ev_each) goto done;
    for (size_t i = 0; i < n_eval; i++)
        if ((rc = cli_train_data_add(&evals[i], "--eval-data", eval_paths[i])) != 0 ||
            (rc = cli_train_data_finish(&evals[i], "--eval-data")) != 0)
            goto done;
    if ((rc = cli_train_data_finish(&data, "--data")) != 0) goto done;
    rc = CLI_EXIT_FAILURE;

    lmc_status st = lmc_device_open(cli_dist_device(device_sel, dev_buf, sizeof dev_buf), &dev);
    if (st != LMC_OK) { rc = cli_fail("train", st); goto done; }
    if (resume) {
        st = lmc_trainer_resume(dev, ckpt_path, &t);
        if (st != LMC_OK) { rc = cli_fail("train --resume", st); goto done; }
        p = *lmc_trainer_params(t);
        if (export_only) { /* the checkpoint's weights as a model file; no step is taken */
            if (!lead) { rc = CLI_EXIT_OK; goto done; }
            st = lmc_trainer_model(t, &model);
            if (st == LMC_OK) st = lmc_model_save(model, out_path);
            if (st != LMC_OK) { rc = cli_fail("train --export", st); goto done; }
            if (!quiet) fprintf(stderr, "lmc train: wrote %s from %s at step %ld\n", out_path, ckpt_path, lmc_trainer_steps_done(t));
            rc = CLI_EXIT_OK;
            goto done;
        }
    } else {
        if (init_path) {
            lmc_model *init = NULL;
            st = lmc_model_load(init_path, &init);
            if (st == LMC_OK) st = lmc_trainer_create_from(dev, &p, init, &t);
            lmc_model_destroy(init);
            if (st != LMC_OK) { rc = cli_fail("train --init", st); goto done; }
        } else {
            st = lmc_trainer_create(dev, &p, &t);
            if (st != LMC_OK) { rc = cli_fail("train", st); goto done; }
        }
    }
    st = lmc_trainer_set_exchange(t, cli_dist_train_exchange());
    if (st != LMC_OK) { rc = cli_fail("train", st); goto done; }
    if (data.n < (size_t)p.window) {
        fprintf(stderr, "lmc train: the training data has %zu bytes, fewer than one window of %d\n", data.n, p.window);
        goto done;
    }
    for (size_t i = 0; i < n_eval; i++)
        if (evals[i].n < (size_t)p.window) {
            fprintf(stderr, "lmc train: the evaluation data %s has %zu bytes, fewer than one window of %d\n",
                    eval_paths[i], evals[i].n, p.window);
            goto done;
        }
    long first = lmc_trainer_steps_done(t);
    if (lead && (csv_cut(csv_path, resume ? first : 0, n_eval, &cv) != 0 || !(csv = fopen(csv_path, "a")))) {
        fprintf(stderr, "lmc train: cannot write %s: %s\n", csv_path, strerror(errno));
        goto done;
    }
    const lmc_device_info *info = lmc_device_get_info(dev);
    int tty = isatty(STDERR_FILENO);
    if (!log_every) log_every = p.steps / 20 > 0 ? p.steps / 20 : 1;
    if (!quiet) {
        fprintf(stderr, "lmc train: %zu parameters (d_model %d, %d layers, %d heads), window %d, batch %d, %ld steps on %s %s%s\n",
                lmc_model_config_num_params(&p.config), p.config.d_model, p.config.n_layers, p.config.n_heads,
                p.window, p.batch, p.steps, info->selector, info->name, resume ? " (resumed)" : "");
        if (data.align > 1)
            fprintf(stderr, "lmc train: %zu bytes = %zu chunks; windows start at %zu-byte chunk boundaries\n",
                    data.n, data.n / data.align, data.align);
        for (size_t i = 0; n_eval > 1 && i < n_eval; i++)
            fprintf(stderr, "lmc train: eval %zu: %s (%zu bytes)%s\n", i + 1, eval_paths[i], evals[i].n,
                    i + 1 == n_eval ? "; eval bpb is their mean" : "");
        /* Sinusoidal positions do not extrapolate: the 800k run at window 512 coded 2048-byte
         * chunks at 53% where its window-512 log said 2.12 bits/byte, 26.5% (models/800k.md). */
        if (p.window < p.config.context)
            fprintf(stderr, "lmc train: window %d < context %d: positions %d..%d are never trained and code badly; "
                            "end with a phase at --window %d before coding %d-byte windows\n",
                    p.window, p.config.context, p.window, p.config.context - 1, p.config.context, p.config.context);
    }
    if (!quiet && ranks > 1)
        fprintf(stderr, "lmc train: %d ranks share %d micro-batches of %d windows%s\n", ranks, p.micro_batches,
                p.batch / p.micro_batches, p.micro_batches < ranks ? " (some ranks idle: raise --micro-batches)" : "");
    /* Test hook: die by SIGKILL right after step N (and its checkpoint, if one falls there), the
     * way `kill -9` would, so that the resume tests need no timing. */
    const char *kill_env = getenv("LMC_TEST_KILL_AT_STEP");
    long kill_at = kill_env ? atol(kill_env) : 0;
    const char *kill_rank = getenv("LMC_TEST_KILL_RANK"); /* with mpirun: only this rank dies */
    if (kill_rank && atoi(kill_rank) != cli_dist_rank()) kill_at = 0;
    /* Test hook: raise SIGINT right after step N, through the handler below, so that the
     * interrupt-and-resume test is exact without timing. */
    const char *int_env = getenv("LMC_TEST_INTERRUPT_AT_STEP");
    long int_at = int_env ? atol(int_env) : 0;
    /* Test hook: LMC_TEST_WINDOW_LOG=FILE appends "step start" for every window of every step,
     * so that a test sees where the run samples (lmc_trainer_peek_windows: the step's own draw). */
    const char *window_log_path = getenv("LMC_TEST_WINDOW_LOG");
    if (window_log_path && !(window_log = fopen(window_log_path, "a"))) {
        fprintf(stderr, "lmc train: cannot write %s: %s\n", window_log_path, strerror(errno));
        goto done;
    }
    install_stop_handlers();
    double t0 = now_seconds(), elapsed = 0.0, tok_s = 0.0;
    double last_eval = NAN, last_loss = NAN;
    for (long s = first + 1; s <= p.steps && keep_going(ranks); s++) {
        float loss = 0.0f;
        if (window_log) { /* test hook: where this step's windows start */
            size_t *starts = malloc((size_t)p.batch * sizeof *starts);
            st = starts ? lmc_trainer_peek_windows(t, data.n, data.align, starts) : LMC_ERR_OUT_OF_MEMORY;
            for (int b = 0; st == LMC_OK && b < p.batch; b++) fprintf(window_log, "%ld %zu\n", s, starts[b]);
            fflush(window_log); /* before a LMC_TEST_KILL_AT_STEP kill */
            free(starts);
            if (st != LMC_OK) { rc = cli_fail("train", st); goto done; }
        }
        st = lmc_trainer_step_aligned(t, data.p, data.n, data.align, &loss);
        if (st != LMC_OK) { rc = cli_fail("train", st); goto done; }
        elapsed = now_seconds() - t0;
        tok_s = elapsed > 0 ? (double)(s - first) * p.batch * p.window / elapsed : 0.0;
        last_loss = loss;
        double bpb = loss / log(2.0);
        double ev = NAN;
        if (lead && n_eval && (s % eval_every == 0 || s == p.steps)) {
            ev = 0.0;
            for (size_t i = 0; i < n_eval; i++) {
                st = lmc_trainer_eval_aligned(t, evals[i].p, evals[i].n, evals[i].align, (int)eval_windows, &ev_each[i]);
                if (st != LMC_OK) { rc = cli_fail("train (eval)", st); goto done; }
                ev += ev_each[i] / (double)n_eval;
            }
            last_eval = ev;
        }
        if (csv) {
            fprintf(csv, "%ld,%.6f,%.6f,%.6g,%.1f,", s, (double)loss, bpb, (double)lmc_train_lr(&p, s), tok_s);
            if (!isnan(ev)) fprintf(csv, "%.6f", ev);
            for (size_t i = 0; n_eval > 1 && i < n_eval; i++)
                if (isnan(ev)) fputc(',', csv); else fprintf(csv, ",%.6f", ev_each[i]);
            fputc('\n', csv);
        }
        curve_add(&cv, (double)s, bpb, ev);
        if (lead && (s % ckpt_every == 0 || s == p.steps)) {
            fflush(csv);
            st = lmc_trainer_checkpoint(t, ckpt_path);
            if (st != LMC_OK) { rc = cli_fail("train (checkpoint)", st); goto done; }
        }
        if (kill_at == s) {
            if (csv) fflush(csv);
            raise(SIGKILL);
        }
        if (int_at == s) raise(SIGINT);
        if (!quiet && (tty || s % log_every == 0 || s == p.steps || !isnan(ev))) {
            char eta[32];
            format_eta(elapsed / (double)(s - first) * (double)(p.steps - s), eta, sizeof eta);
            fprintf(stderr, "%sstep %ld/%ld  loss %.4f  bpb %.4f  tok/s %.0f  ETA %s", tty ? "\r" : "", s, p.steps,
                    (double)loss, bpb, tok_s, eta);
            if (!isnan(ev)) fprintf(stderr, "  eval bpb %.4f", ev);
            for (size_t i = 0; !isnan(ev) && n_eval > 1 && i < n_eval; i++)
                fprintf(stderr, "%s%zu: %.4f%s", i ? ", " : " (", i + 1, ev_each[i], i + 1 == n_eval ? ")" : "");
            fprintf(stderr, "%s", tty && isnan(ev) && s != p.steps ? "\033[K" : "\n");
        }
    }
    /* Stopped by a signal before the last step: the checkpoint of the last finished step, the log
     * and the plot, no model. (A signal during the last step lets the run finish.) */
    long done_steps = lmc_trainer_steps_done(t);
    int stop_sig = done_steps < p.steps ? (int)g_stop_signal : 0;
    if (csv && fclose(csv) != 0) {
        csv = NULL;
        fprintf(stderr, "lmc train: cannot write %s\n", csv_path);
        goto done;
    }
    csv = NULL;
    if (!lead) { /* rank 0 writes the files and the summary; the others are done */
        rc = CLI_EXIT_OK; /* rank 0 gives the job its status (128 + signal when stopped) */
        goto done;
    }
    if (stop_sig) {
        st = lmc_trainer_checkpoint(t, ckpt_path);
        if (st != LMC_OK) { rc = cli_fail("train (checkpoint)", st); goto done; }
    } else {
        st = lmc_trainer_model(t, &model);
        if (st == LMC_OK) st = lmc_model_save(model, out_path);
        if (st != LMC_OK) { rc = cli_fail("train (save)", st); goto done; }
    }
    plot_series series[2] = {{cv.step, cv.train, cv.n, {30, 90, 200}, 0}, {cv.step, cv.eval, cv.n, {210, 40, 40}, 1}};
    if (plot_png_write(png_path, series, 2) != 0) {
        fprintf(stderr, "lmc train: cannot write %s\n", png_path);
        goto done;
    }
    if (json) {
        printf("{\"steps\": %ld, \"steps_run\": %ld, \"target_steps\": %ld", done_steps, done_steps - first, p.steps);
        printf(", \"batch\": %d, \"window\": %d, \"window_align\": %zu, \"data_bytes\": %zu", p.batch, p.window,
               data.align, data.n);
        printf(", \"parameters\": %zu", lmc_model_config_num_params(&p.config));
        printf(", \"micro_batches\": %d, \"ranks\": %d", p.micro_batches, ranks);
        json_number("comm_seconds", cli_dist_comm_seconds(), 3);
        json_number("seconds", elapsed, 3);
        json_number("tokens_per_s", done_steps > first ? tok_s : NAN, 1);
        json_number("train_loss_nats", last_loss, 6);
        json_number("train_bits_per_byte", last_loss / log(2.0), 6);
        json_number("eval_bits_per_byte", last_eval, 6);
        printf(", \"eval_bits_per_byte_each\": [");
        for (size_t i = 0; i < n_eval; i++) {
            if (i) printf(", ");
            if (isfinite(last_eval)) printf("%.6f", ev_each[i]); else printf("null");
        }
        printf("]");
        printf(", \"interrupted\": %s", stop_sig ? "true" : "false");
        json_path("signal", stop_sig ? signal_name(stop_sig) : NULL);
        json_path("model", stop_sig ? NULL : out_path);
        json_path("checkpoint", ckpt_path);
        json_path("log", csv_path);
        json_path("plot", png_path);
        printf("}\n");
        fflush(stdout);
    }
    if (stop_sig) {
        fprintf(stderr, "%slmc train: %s at step %ld/%ld: wrote %s, %s, %s; continue with --resume\n",
                tty && !quiet ? "\n" : "", signal_name(stop_sig), done_steps, p.steps, ckpt_path, csv_path, png_path);
        rc = 128 + stop_sig;
        goto done;
    }
    if (!quiet) {
        fprintf(stderr, "lmc train: wrote %s, %s, %s, %s", out_path, csv_path, png_path, ckpt_path);
        if (!isnan(last_eval)) fprintf(stderr, " (eval %.4f bits/byte)", last_eval);
        fprintf(stderr, "\n");
    }
    rc = CLI_EXIT_OK;
done:
    if (csv) fclose(csv);
    if (window_log) fclose(window_log);
    lmc_model_destroy(model);
    lmc_trainer_destroy(t);
    lmc_device_destroy(dev);
    cli_train_data_free(&data);
    for (size_t i = 0; evals && i < n_eval; i++) cli_train_data_free(&evals[i]);
    free(evals);
    free(ev_each);
    free(cv.step);
    free(cv.train);
    free(cv.eval);
    free(base);
    free(csv_path);
    free(png_path);
    free(ckpt_path);
    free(data_paths);
    free(eval_paths);
    return rc;
}
