// test_ref_model.cpp : the plain-C reference Transformer (runtime/ref/ref_model.c), the oracle of
// every other path. Proves: the parameter counts of DESIGN.md §2; the sinusoidal position quirk;
// the specified initialisation; every gradient against central finite differences (and that the
// check rejects a gradient off by 10%); Adam against its formula; a tiny model memorising a short
// text; and that forward/backward/Adam are bit-for-bit repeatable.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "lmc/model.h"
#include "ref_model.h"
#include "rng.h"
#include "test_env.h"

namespace {

lmc_model_config Preset(const char *name) {
    lmc_model_config cfg;
    EXPECT_EQ(lmc_model_config_preset(name, &cfg), LMC_OK);
    return cfg;
}

TEST(RefModel, ParameterCountsMatchDesign) {
    EXPECT_EQ(lmc_model_config_num_params(&(const lmc_model_config &)Preset("200k")), 231936u);
    EXPECT_EQ(lmc_model_config_num_params(&(const lmc_model_config &)Preset("800k")), 856832u);
    EXPECT_EQ(lmc_model_config_num_params(&(const lmc_model_config &)Preset("3.2m")), 3286272u);
    lmc_model_config tiny = Preset("tiny");
    EXPECT_EQ(tiny.d_model, 16);
    EXPECT_EQ(tiny.n_layers, 2);
    EXPECT_EQ(tiny.n_heads, 2);
    EXPECT_EQ(tiny.context, 64);
    lmc_model_config big = Preset("3.2m");
    EXPECT_EQ(big.n_layers, 4);
    EXPECT_EQ(big.n_heads, 8);
    lmc_model_config bad;
    EXPECT_EQ(lmc_model_config_preset("1m", &bad), LMC_ERR_INVALID_ARGUMENT);
}

TEST(RefModel, TensorTableCoversTheVectorInOrder) {
    for (const char *name : {"tiny", "200k", "3.2m"}) {
        lmc_model_config cfg = Preset(name);
        size_t n = lmc_model_num_tensors(&cfg), next = 0;
        for (size_t i = 0; i < n; i++) {
            lmc_tensor_desc d;
            ASSERT_EQ(lmc_model_tensor_desc(&cfg, i, &d), LMC_OK);
            EXPECT_EQ(d.offset, next) << d.name;
            next = d.offset + d.size;
        }
        EXPECT_EQ(next, lmc_model_config_num_params(&cfg));
    }
    lmc_model_config cfg = Preset("tiny");
    lmc_tensor_desc d;
    ASSERT_EQ(lmc_model_tensor_desc(&cfg, 7, &d), LMC_OK);
    EXPECT_STREQ(d.name, "layer0.ffn.w1");
    EXPECT_EQ(d.shape[0], 16u);
    EXPECT_EQ(d.shape[1], 64u);
    ASSERT_EQ(lmc_model_tensor_desc(&cfg, lmc_model_num_tensors(&cfg) - 2, &d), LMC_OK);
    EXPECT_STREQ(d.name, "out.w");
    EXPECT_EQ(d.shape[0], 16u);
    EXPECT_EQ(d.shape[1], 256u);
}

// The tensor table (names, offsets) and the layout the oracle indexes (lmc_spec_layer_view, the
// lmc_spec_offset_* functions) are two views of spec/spec.c: each layer tensor's table offset
// must be where the layer view points.
TEST(RefModel, TensorTableAgreesWithTheLayerView) {
    for (const char *name : {"tiny", "200k", "3.2m"}) {
        lmc_model_config cfg = Preset(name);
        std::vector<float> params(lmc_model_config_num_params(&cfg));
        float *base = params.data();
        const char *suffixes[] = {"attn.wq", "attn.wk", "attn.wv", "attn.wo", "ln1.scale", "ln1.offset",
                                  "ffn.w1", "ffn.b1", "ffn.w2", "ffn.b2", "ln2.scale", "ln2.offset"};
        for (int l = 0; l < cfg.n_layers; l++) {
            lmc_spec_layer v;
            lmc_spec_layer_view(&cfg, base, l, &v);
            float *ptrs[] = {v.wq, v.wk, v.wv, v.wo, v.ln1_scale, v.ln1_offset,
                             v.w1, v.b1, v.w2, v.b2, v.ln2_scale, v.ln2_offset};
            for (size_t j = 0; j < 12; j++) {
                lmc_tensor_desc d;
                ASSERT_EQ(lmc_model_tensor_desc(&cfg, 1 + (size_t)l * 12 + j, &d), LMC_OK);
                EXPECT_EQ(d.name, "layer" + std::to_string(l) + "." + suffixes[j]);
                EXPECT_EQ(d.offset, (size_t)(ptrs[j] - base)) << name << " " << d.name;
            }
        }
        lmc_tensor_desc out;
        ASSERT_EQ(lmc_model_tensor_desc(&cfg, lmc_model_num_tensors(&cfg) - 2, &out), LMC_OK);
        EXPECT_EQ(out.offset, lmc_spec_offset_out(&cfg)) << name;
        EXPECT_EQ(lmc_spec_offset_embed(&cfg), 0u);
    }
}

// DESIGN.md §2: C/2+1 sines of angles p·10000^(-2j/C), then C/2-1 cosines of the first angles.
TEST(RefModel, PositionsFollowTheQuirk) {
    const int T = 7, C = 8;
    std::vector<float> pos(T * C);
    lmc_ref_positions(pos.data(), T, C);
    for (int p = 0; p < T; p++) {
        for (int j = 0; j <= C / 2; j++)
            EXPECT_FLOAT_EQ(pos[p * C + j], (float)std::sin(p * std::pow(10000.0, -2.0 * j / C)));
        for (int j = 0; j < C / 2 - 1; j++)
            EXPECT_FLOAT_EQ(pos[p * C + C / 2 + 1 + j], (float)std::cos(p * std::pow(10000.0, -2.0 * j / C)));
    }
    EXPECT_FLOAT_EQ(pos[1 * C + 4], (float)std::sin(1e-4));  // f = C: angle p/10000
    EXPECT_FLOAT_EQ(pos[0 * C + 5], 1.0f);                   // cos(0)
}

TEST(RefModel, InitialisationFollowsTheSpec) {
    lmc_model_params mp = lmc_model_params_default();
    mp.config = Preset("200k");
    mp.seed = 7;
    lmc_model *m = nullptr;
    ASSERT_EQ(lmc_model_create(&mp, &m), LMC_OK);
    const lmc_model_config *cfg = lmc_model_get_config(m);
    const float *p = lmc_model_params_cdata(m);
    for (size_t i = 0; i < lmc_model_num_tensors(cfg); i++) {
        lmc_tensor_desc d;
        lmc_model_tensor_desc(cfg, i, &d);
        std::string name = d.name;
        const float *t = p + d.offset;
        if (d.ndim == 2) {
            double sigma = name == "embed" ? 0.02 : 1.0 / std::sqrt((double)d.shape[0]);
            double s2 = 0;
            for (size_t k = 0; k < d.size; k++) {
                ASSERT_LE(std::fabs(t[k]), 2 * sigma * (1 + 1e-6)) << name;  // truncated at ±2σ
                s2 += (double)t[k] * t[k];
            }
            // The std of a normal truncated at ±2σ is 0.8796σ.
            double sd = std::sqrt(s2 / d.size);
            EXPECT_NEAR(sd / sigma, 0.8796, 0.05) << name;
        } else {
            float want = name.find(".scale") != std::string::npos ? 1.0f : 0.0f;
            for (size_t k = 0; k < d.size; k++) ASSERT_EQ(t[k], want) << name;
        }
    }
    // Same seed, same bits; another seed, other weights.
    lmc_model *again = nullptr, *other = nullptr;
    ASSERT_EQ(lmc_model_create(&mp, &again), LMC_OK);
    mp.seed = 8;
    ASSERT_EQ(lmc_model_create(&mp, &other), LMC_OK);
    size_t n = lmc_model_config_num_params(cfg);
    EXPECT_EQ(std::memcmp(p, lmc_model_params_cdata(again), n * 4), 0);
    EXPECT_NE(std::memcmp(p, lmc_model_params_cdata(other), n * 4), 0);
    lmc_model_destroy(m);
    lmc_model_destroy(again);
    lmc_model_destroy(other);
}

// A small model with every parameter (biases and LN included) away from its initial value, so
// that every gradient path is exercised.
lmc_model *JitteredModel(const lmc_model_config &cfg, uint64_t seed) {
    lmc_model_params mp = lmc_model_params_default();
    mp.config = cfg;
    mp.seed = seed;
    lmc_model *m = nullptr;
    EXPECT_EQ(lmc_model_create(&mp, &m), LMC_OK);
    lmc_rng rng;
    lmc_rng_seed(&rng, seed + 100);
    float *p = lmc_model_params_data(m);
    for (size_t i = 0; i < lmc_model_num_tensors(&cfg); i++) {
        lmc_tensor_desc d;
        lmc_model_tensor_desc(&cfg, i, &d);
        if (d.ndim == 1)
            for (size_t k = 0; k < d.size; k++) p[d.offset + k] += (float)(0.2 * lmc_rng_normal(&rng));
    }
    return m;
}

std::vector<uint8_t> Tokens(size_t n, uint64_t seed) {
    lmc_rng rng;
    lmc_rng_seed(&rng, seed);
    std::vector<uint8_t> t(n);
    const char *alphabet = "etaoin shrdlu";
    for (auto &b : t) b = (uint8_t)alphabet[lmc_rng_below(&rng, 13)];
    return t;
}

float Loss(const lmc_model_config &cfg, const float *params, const std::vector<uint8_t> &tok, lmc_ref_acts *acts) {
    float loss = 0;
    lmc_ref_forward(&cfg, params, tok.data(), acts, &loss);
    return loss;
}

// Finite differences: central, step kFdStep, in float32 (loss averaged in double). The check
// accepts |numeric - analytic| <= kFdAbsTol + kFdRelTol * max(|numeric|, |analytic|).
constexpr float kFdStep = 1e-2f;
constexpr double kFdAbsTol = 1e-4;
constexpr double kFdRelTol = 2e-2;

bool GradAgrees(double numeric, double analytic) {
    return std::fabs(numeric - analytic) <= kFdAbsTol + kFdRelTol * std::max(std::fabs(numeric), std::fabs(analytic));
}

TEST(RefModel, GradientsMatchFiniteDifferences) {
    lmc_model_config cfg = {16, 2, 2, 16};
    const int B = 2, T = 5;  // T = 5: not a power of two; B = 2 checks rows do not mix
    lmc_model *m = JitteredModel(cfg, 3);
    float *p = lmc_model_params_data(m);
    auto tok = Tokens((size_t)B * T, 11);
    lmc_ref_acts *acts = nullptr;
    ASSERT_EQ(lmc_ref_acts_create(&cfg, B, T, &acts), LMC_OK);
    size_t n = lmc_model_config_num_params(&cfg);
    std::vector<float> grads(n);
    Loss(cfg, p, tok, acts);
    lmc_ref_backward(&cfg, p, tok.data(), acts, grads.data());
    lmc_rng rng;
    lmc_rng_seed(&rng, 5);
    int checked = 0, rejected_wrong = 0, strong = 0;
    for (size_t i = 0; i < lmc_model_num_tensors(&cfg); i++) {
        lmc_tensor_desc d;
        lmc_model_tensor_desc(&cfg, i, &d);
        // The 3 largest gradients of the tensor plus 3 random elements.
        std::vector<size_t> picks;
        for (int r = 0; r < 3; r++) {
            size_t best = 0;
            float bv = -1;
            for (size_t k = 0; k < d.size; k++) {
                bool taken = false;
                for (size_t q : picks) taken |= q == d.offset + k;
                if (!taken && std::fabs(grads[d.offset + k]) > bv) {
                    bv = std::fabs(grads[d.offset + k]);
                    best = d.offset + k;
                }
            }
            picks.push_back(best);
        }
        for (int r = 0; r < 3; r++) picks.push_back(d.offset + lmc_rng_below(&rng, d.size));
        for (size_t j = 0; j < picks.size(); j++) {
            size_t k = picks[j];
            float keep = p[k];
            p[k] = keep + kFdStep;
            double lp = Loss(cfg, p, tok, acts);
            p[k] = keep - kFdStep;
            double lm = Loss(cfg, p, tok, acts);
            p[k] = keep;
            double numeric = (lp - lm) / (2.0 * kFdStep);
            double analytic = grads[k];
            EXPECT_TRUE(GradAgrees(numeric, analytic))
                << d.name << "[" << k - d.offset << "]: numeric " << numeric << " analytic " << analytic;
            checked++;
            // Negative control: on the large gradients, a 10% error must be caught.
            if (j < 3 && std::fabs(analytic) > 1e-2) {
                strong++;
                rejected_wrong += !GradAgrees(numeric, analytic * 1.1);
            }
        }
    }
    EXPECT_EQ(checked, 6 * (int)lmc_model_num_tensors(&cfg));
    EXPECT_GT(strong, 20);
    EXPECT_EQ(rejected_wrong, strong) << "the tolerance is too loose to see a 10% gradient error";
    lmc_ref_acts_destroy(acts);
    lmc_model_destroy(m);
}

TEST(RefModel, LogProbsAreNormalisedAndCausal) {
    lmc_model *m = JitteredModel(Preset("tiny"), 4);
    auto text = Tokens(40, 9);
    std::vector<float> a(40 * 256), b(40 * 256);
    ASSERT_EQ(lmc_model_logprobs(m, text.data(), 40, a.data()), LMC_OK);
    for (int t = 0; t < 40; t++) {
        double s = 0;
        for (int v = 0; v < 256; v++) s += std::exp((double)a[t * 256 + v]);
        EXPECT_NEAR(s, 1.0, 1e-5);
    }
    // Changing byte 20 changes no prediction at positions ≤ 20 (they see bytes < 20 only).
    text[20] ^= 1;
    ASSERT_EQ(lmc_model_logprobs(m, text.data(), 40, b.data()), LMC_OK);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), 21 * 256 * 4), 0);
    EXPECT_NE(std::memcmp(a.data() + 21 * 256, b.data() + 21 * 256, 256 * 4), 0);
    // A window longer than the context is refused.
    std::vector<uint8_t> longer(65, 'a');
    std::vector<float> out(65 * 256);
    EXPECT_EQ(lmc_model_logprobs(m, longer.data(), 65, out.data()), LMC_ERR_INVALID_ARGUMENT);
    lmc_model_destroy(m);
}

TEST(RefModel, AdamFollowsItsFormula) {
    std::vector<float> p = {1.0f, -2.0f, 0.5f}, g = {0.1f, -0.3f, 0.0f}, m(3, 0.0f), v(3, 0.0f);
    lmc_ref_adam(p.data(), g.data(), m.data(), v.data(), 3, 0.01f, 0.9f, 0.999f, 1e-8f, 1);
    // Step 1: m̂ = g, v̂ = g², update = lr · g / (|g| + eps) = ±lr.
    EXPECT_NEAR(p[0], 1.0f - 0.01f, 1e-6);
    EXPECT_NEAR(p[1], -2.0f + 0.01f, 1e-6);
    EXPECT_EQ(p[2], 0.5f);
    lmc_ref_adam(p.data(), g.data(), m.data(), v.data(), 3, 0.01f, 0.9f, 0.999f, 1e-8f, 2);
    double m2 = 0.9 * 0.01 + 0.1 * 0.1, v2 = 0.999 * 0.001 * 0.01 + 0.001 * 0.01;
    double step = 0.01 * (m2 / (1 - 0.81)) / (std::sqrt(v2 / (1 - 0.998001)) + 1e-8);
    EXPECT_NEAR(p[0], 0.99 - step, 1e-6);
}

// The tiny model memorises 64 bytes of text: the loss falls from about ln 256 = 5.5 nats to a
// small fraction of that, and every step is repeatable bit for bit.
TEST(RefModel, TinyModelOverfitsShortText) {
    lmc_model_config cfg = Preset("tiny");
    const char *text = "It was the best of times, it was the worst of times, it was the a";
    std::vector<uint8_t> tok(text, text + 64);
    lmc_model_params mp = lmc_model_params_default();
    mp.config = cfg;
    mp.seed = 1;
    std::vector<float> losses[2];
    std::vector<float> final_params[2];
    for (int run = 0; run < 2; run++) {
        lmc_model *m = nullptr;
        ASSERT_EQ(lmc_model_create(&mp, &m), LMC_OK);
        size_t n = lmc_model_config_num_params(&cfg);
        std::vector<float> g(n), am(n, 0.0f), av(n, 0.0f);
        lmc_ref_acts *acts = nullptr;
        ASSERT_EQ(lmc_ref_acts_create(&cfg, 1, 64, &acts), LMC_OK);
        float *p = lmc_model_params_data(m);
        for (int step = 1; step <= 300; step++) {
            float loss = 0;
            lmc_ref_forward(&cfg, p, tok.data(), acts, &loss);
            lmc_ref_backward(&cfg, p, tok.data(), acts, g.data());
            lmc_ref_adam(p, g.data(), am.data(), av.data(), n, 1e-2f, 0.9f, 0.999f, 1e-8f, step);
            losses[run].push_back(loss);
        }
        final_params[run].assign(p, p + n);
        lmc_ref_acts_destroy(acts);
        lmc_model_destroy(m);
    }
    EXPECT_GT(losses[0].front(), 5.0f);
    EXPECT_LT(losses[0].back(), 0.3f) << "the tiny model failed to memorise 64 bytes";
    EXPECT_EQ(losses[0], losses[1]);
    EXPECT_EQ(final_params[0], final_params[1]);
}

}  // namespace
