/* model_tool.c : a small test helper around the public model API, used by torch_check.py.
 *   model_tool init PRESET SEED JITTER OUT     create a model (DESIGN.md §2 init), add N(0, JITTER²)
 *                                             to every 1-D tensor (biases, LN) so that they matter,
 *                                             and save it
 *   model_tool logprobs MODEL INPUT OFFSET N OUT
 *                                             log-probabilities (N, 256) of bytes [OFFSET, OFFSET+N)
 *                                             of INPUT by the cpu-ref forward, float32 LE to OUT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmc/model.h"
#include "rng.h"

static int fail(const char *what, lmc_status st) {
    fprintf(stderr, "model_tool: %s: %s (%s)\n", what, lmc_status_str(st), lmc_last_error());
    return 1;
}

static int cmd_init(char **argv) {
    lmc_model_params mp = lmc_model_params_default();
    lmc_status st = lmc_model_config_preset(argv[0], &mp.config);
    if (st != LMC_OK) return fail("preset", st);
    mp.seed = strtoull(argv[1], NULL, 10);
    double jitter = atof(argv[2]);
    lmc_model *m = NULL;
    if ((st = lmc_model_create(&mp, &m)) != LMC_OK) return fail("create", st);
    lmc_rng rng;
    lmc_rng_seed(&rng, mp.seed ^ 0x5eedull);
    float *p = lmc_model_params_data(m);
    for (size_t i = 0; i < lmc_model_num_tensors(&mp.config); i++) {
        lmc_tensor_desc d;
        lmc_model_tensor_desc(&mp.config, i, &d);
        if (d.ndim == 1)
            for (size_t k = 0; k < d.size; k++) p[d.offset + k] += (float)(jitter * lmc_rng_normal(&rng));
    }
    st = lmc_model_save(m, argv[3]);
    lmc_model_destroy(m);
    return st == LMC_OK ? 0 : fail("save", st);
}

static int cmd_logprobs(char **argv) {
    lmc_model *m = NULL;
    lmc_status st = lmc_model_load(argv[0], &m);
    if (st != LMC_OK) return fail("load", st);
    long offset = atol(argv[2]);
    size_t n = (size_t)atol(argv[3]);
    uint8_t *bytes = malloc(n ? n : 1);
    float *lp = malloc((n ? n : 1) * 256 * sizeof(float));
    FILE *in = fopen(argv[1], "rb");
    int rc = 1;
    if (!bytes || !lp || !in || fseek(in, offset, SEEK_SET) != 0 || fread(bytes, 1, n, in) != n) {
        fprintf(stderr, "model_tool: cannot read %zu bytes at %ld of %s\n", n, offset, argv[1]);
        goto done;
    }
    if ((st = lmc_model_logprobs(m, bytes, n, lp)) != LMC_OK) {
        rc = fail("logprobs", st);
        goto done;
    }
    FILE *out = fopen(argv[4], "wb");
    if (!out || fwrite(lp, sizeof(float), n * 256, out) != n * 256 || fclose(out) != 0) {
        fprintf(stderr, "model_tool: cannot write %s\n", argv[4]);
        goto done;
    }
    rc = 0;
done:
    if (in) fclose(in);
    free(bytes);
    free(lp);
    lmc_model_destroy(m);
    return rc;
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "init") == 0) return cmd_init(argv + 2);
    if (argc == 7 && strcmp(argv[1], "logprobs") == 0) return cmd_logprobs(argv + 2);
    fprintf(stderr, "usage: model_tool init PRESET SEED JITTER OUT\n"
                    "       model_tool logprobs MODEL INPUT OFFSET N OUT\n");
    return 2;
}
