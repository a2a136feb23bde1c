// test_model_ops.cpp : every OpenCL op of the training path (cl/model/*.cl through runtime/train/ops.c:
// the tiled matrix products of matmul.cl with their fused epilogues and split sums, the rest) against
// its plain-C twin in runtime/ref/ref_model.c, forward and backward, on awkward shapes (T = 1, T not
// a multiple of any tile, C = 16/64/128/256) and on every covered device. Each op has its own named
// tolerance (scaled error, tensor_compare.h).
// Negative controls: the comparison rejects a result whose largest element is off by 10× the
// tolerance; the attention kernel's output differs from a reference run without the mask; and a
// perturbed matmul.cl or attention_fused.cl (PerturbedKernelsAreDetected) fails the same checks.
// Attention is checked twice: the CLBlast path (attention.cl) and the fused kernels
// (attention_fused.cl) that training uses.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "device_internal.h"
#include "ops.h"
#include "program.h"
#include "ref_model.h"
#include "rng.h"
#include "tensor_compare.h"
#include "test_env.h"

namespace {

// Tolerances, scaled error |got - want| / (1 + |want|). Elementwise ops differ from C only by the
// device's exp/tanh/sqrt ulps; the products sum in CLBlast's order.
constexpr double kTolEmbed = 1e-6;
constexpr double kTolMatmul = 1e-5;
constexpr double kTolLayernorm = 1e-5;
constexpr double kTolAttention = 1e-5;
constexpr double kTolGelu = 1e-6;
// gelu' uses 1 - tanh²: near |tanh| = 1 it cancels, so the 1-2 ulp by which device tanh differs
// from glibc's is amplified (measured: up to 1.6e-5 on PoCL).
constexpr double kTolGeluBwd = 5e-5;
constexpr double kTolSoftmaxXent = 1e-6;
constexpr double kTolAdam = 1e-6;

struct Shape {
    int B, T, C, NH;
    bool small;  // run on oclgrind too
};

const Shape kShapes[] = {
    {1, 1, 16, 2, true},   // T = 1
    {2, 7, 16, 2, true},   // T prime, two windows
    {1, 13, 64, 8, true},  // C = 64 with the presets' 8 heads
    {2, 33, 64, 8, false}, // T one past a power of two
    {1, 19, 128, 8, false},
    {1, 9, 256, 8, false},
    {1, 70, 16, 2, false},  // the fused attention's blocks of 8 keys, a partial last block
};

std::string ShapeName(const Shape &s) {
    return "B" + std::to_string(s.B) + "T" + std::to_string(s.T) + "C" + std::to_string(s.C) + "NH" +
           std::to_string(s.NH);
}

std::vector<float> Random(size_t n, lmc_rng *rng, double scale) {
    std::vector<float> v(n);
    for (auto &x : v) x = (float)(scale * lmc_rng_normal(rng));
    return v;
}

// A device buffer holding a copy of host data, released with the test.
class Buf {
  public:
    Buf(lmc_device *d, const void *host, size_t bytes) : d_(d), bytes_(bytes) {
        EXPECT_EQ(lmc_buf_create(d, bytes, host, &mem_), LMC_OK) << lmc_last_error();
    }
    Buf(lmc_device *d, const std::vector<float> &v) : Buf(d, v.data(), v.size() * 4) {}
    ~Buf() {
        if (mem_) clReleaseMemObject(mem_);
    }
    Buf(const Buf &) = delete;
    Buf &operator=(const Buf &) = delete;
    cl_mem mem() const { return mem_; }
    std::vector<float> Read() const {
        std::vector<float> v(bytes_ / 4);
        EXPECT_EQ(lmc_buf_read(d_, mem_, bytes_, v.data()), LMC_OK) << lmc_last_error();
        return v;
    }

  private:
    lmc_device *d_;
    size_t bytes_;
    cl_mem mem_ = nullptr;
};

void PrintTo(const Shape &s, std::ostream *os) { *os << ShapeName(s); }

using Param = std::tuple<std::string, Shape>;

class ModelOps : public ::testing::TestWithParam<Param> {
  protected:
    void SetUp() override {
        LMC_OPEN_DEVICE_OR_SKIP(std::get<0>(GetParam()), dev_);
        lmc_rng_seed(&rng_, 42);
    }
    void TearDown() override { lmc_device_destroy(dev_); }
    lmc_device *dev_ = nullptr;
    lmc_rng rng_;
};

#define CHECK_OP(name, got, want, tol)                                                          \
    do {                                                                                        \
        auto got_ = (got);                                                                      \
        EXPECT_TRUE(lmc_test::TensorNear(name, got_, want, tol));                               \
        /* negative control: the same comparison fails when one element is off by 10x tol */   \
        size_t big_ = 0;                                                                        \
        for (size_t i_ = 0; i_ < want.size(); i_++)                                             \
            if (std::fabs(want[i_]) > std::fabs(want[big_])) big_ = i_;                         \
        got_[big_] = want[big_] + (float)(10 * (tol) * (1 + std::fabs(want[big_])));           \
        EXPECT_FALSE(lmc_test::TensorNear(name, got_, want, tol)) << name << ": control";       \
    } while (0)

TEST_P(ModelOps, ForwardAndBackwardMatchReference) {
    const Shape s = std::get<1>(GetParam());
    const int B = s.B, T = s.T, C = s.C, NH = s.NH, N = B * T, V = 256;
    lmc_device *d = dev_;
    std::vector<uint8_t> tok(N), in(N);
    for (auto &t : tok) t = (uint8_t)lmc_rng_below(&rng_, 256);
    for (int i = 0; i < N; i++) in[i] = (uint8_t)lmc_rng_below(&rng_, 256);

    {  // embed + positions
        SCOPED_TRACE("embed");
        auto embed = Random((size_t)V * C, &rng_, 0.02);
        std::vector<float> pos((size_t)T * C), want((size_t)N * C);
        lmc_ref_positions(pos.data(), T, C);
        lmc_ref_embed_fwd(want.data(), in.data(), embed.data(), pos.data(), B, T, C);
        Buf e(d, embed), p(d, pos), x(d, in.data(), N), out(d, nullptr, want.size() * 4);
        ASSERT_EQ(lmc_op_embed_fwd(d, out.mem(), x.mem(), e.mem(), p.mem(), B, T, C), LMC_OK) << lmc_last_error();
        CHECK_OP("embed_fwd", out.Read(), want, kTolEmbed);
        auto dout = Random((size_t)N * C, &rng_, 1.0);
        auto dembed = Random((size_t)V * C, &rng_, 0.1);  // accumulates onto existing values
        Buf dd(d, dout), de(d, dembed);
        lmc_ref_embed_bwd(dembed.data(), dout.data(), in.data(), B, T, C);
        ASSERT_EQ(lmc_op_embed_bwd(d, de.mem(), dd.mem(), x.mem(), B, T, C), LMC_OK) << lmc_last_error();
        CHECK_OP("embed_bwd", de.Read(), dembed, kTolEmbed);
    }
    for (int OC : {C, 4 * C, V}) {  // matmul with and without bias, the model's three widths
        SCOPED_TRACE("matmul OC=" + std::to_string(OC));
        auto inp = Random((size_t)N * C, &rng_, 1.0), w = Random((size_t)C * OC, &rng_, 1.0 / std::sqrt(C));
        auto bias = Random(OC, &rng_, 0.5);
        std::vector<float> want((size_t)N * OC);
        lmc_ref_matmul_fwd(want.data(), inp.data(), w.data(), OC == C ? nullptr : bias.data(), N, C, OC);
        Buf bi(d, inp), bw(d, w), bb(d, bias), out(d, nullptr, want.size() * 4);
        ASSERT_EQ(lmc_op_matmul_fwd(d, out.mem(), bi.mem(), bw.mem(), OC == C ? nullptr : bb.mem(), N, C, OC), LMC_OK)
            << lmc_last_error();
        CHECK_OP("matmul_fwd", out.Read(), want, kTolMatmul);
        auto dout = Random((size_t)N * OC, &rng_, 1.0);
        auto dinp = Random((size_t)N * C, &rng_, 0.1), dw = Random((size_t)C * OC, &rng_, 0.1);
        auto db = Random(OC, &rng_, 0.1);
        Buf bdo(d, dout), bdi(d, dinp), bdw(d, dw), bdb(d, db);
        lmc_ref_matmul_bwd(dinp.data(), dw.data(), db.data(), dout.data(), inp.data(), w.data(), N, C, OC);
        ASSERT_EQ(lmc_op_matmul_bwd(d, bdi.mem(), bdw.mem(), bdb.mem(), bdo.mem(), bi.mem(), bw.mem(), N, C, OC), LMC_OK)
            << lmc_last_error();
        CHECK_OP("matmul_bwd dinp", bdi.Read(), dinp, kTolMatmul);
        CHECK_OP("matmul_bwd dw", bdw.Read(), dw, kTolMatmul);
        CHECK_OP("bias_grad", bdb.Read(), db, kTolMatmul);
    }
    {  // layernorm
        SCOPED_TRACE("layernorm");
        auto inp = Random((size_t)N * C, &rng_, 2.0), sc = Random(C, &rng_, 1.0), of = Random(C, &rng_, 1.0);
        for (int i = 0; i < N * C; i++) inp[i] += 3.0f;  // a mean far from 0
        std::vector<float> want((size_t)N * C), mean(N), rstd(N);
        lmc_ref_layernorm_fwd(want.data(), mean.data(), rstd.data(), inp.data(), sc.data(), of.data(), N, C);
        Buf bi(d, inp), bs(d, sc), bo(d, of), out(d, nullptr, want.size() * 4), bm(d, nullptr, N * 4),
            br(d, nullptr, N * 4);
        ASSERT_EQ(lmc_op_layernorm_fwd(d, out.mem(), bm.mem(), br.mem(), bi.mem(), bs.mem(), bo.mem(), N, C), LMC_OK)
            << lmc_last_error();
        CHECK_OP("layernorm_fwd", out.Read(), want, kTolLayernorm);
        CHECK_OP("layernorm_fwd mean", bm.Read(), mean, kTolLayernorm);
        CHECK_OP("layernorm_fwd rstd", br.Read(), rstd, kTolLayernorm);
        auto dout = Random((size_t)N * C, &rng_, 1.0);
        auto dinp = Random((size_t)N * C, &rng_, 0.1), ds = Random(C, &rng_, 0.1), dof = Random(C, &rng_, 0.1);
        Buf bdo(d, dout), bdi(d, dinp), bds(d, ds), bdof(d, dof);
        lmc_ref_layernorm_bwd(dinp.data(), ds.data(), dof.data(), dout.data(), inp.data(), sc.data(), mean.data(),
                              rstd.data(), N, C);
        ASSERT_EQ(lmc_op_layernorm_bwd(d, bdi.mem(), bds.mem(), bdof.mem(), bdo.mem(), bi.mem(), bs.mem(), bm.mem(),
                                       br.mem(), N, C),
                  LMC_OK)
            << lmc_last_error();
        CHECK_OP("layernorm_bwd dinp", bdi.Read(), dinp, kTolLayernorm);
        CHECK_OP("layernorm_bwd dscale", bds.Read(), ds, kTolLayernorm);
        CHECK_OP("layernorm_bwd doffset", bdof.Read(), dof, kTolLayernorm);
    }
    {  // attention
        SCOPED_TRACE("attention");
        auto q = Random((size_t)N * C, &rng_, 1.0), k = Random((size_t)N * C, &rng_, 1.0),
             v = Random((size_t)N * C, &rng_, 1.0);
        size_t A = (size_t)B * NH * T * T;
        std::vector<float> want((size_t)N * C), att(A);
        lmc_ref_attention_fwd(want.data(), att.data(), q.data(), k.data(), v.data(), B, T, C, NH);
        Buf bq(d, q), bk(d, k), bv(d, v), out(d, nullptr, want.size() * 4), batt(d, nullptr, A * 4),
            bdpre(d, nullptr, A * 4);
        ASSERT_EQ(lmc_op_attention_fwd(d, out.mem(), batt.mem(), bq.mem(), bk.mem(), bv.mem(), B, T, C, NH), LMC_OK)
            << lmc_last_error();
        auto got = out.Read();
        CHECK_OP("attention_fwd", got, want, kTolAttention);
        CHECK_OP("attention_fwd att", batt.Read(), att, kTolAttention);
        std::vector<float> unmasked((size_t)N * C, 0.0f);
        if (T > 1) {  // control: without the causal mask the reference is something else
            int hs = C / NH;
            for (int b = 0; b < B; b++)
                for (int h = 0; h < NH; h++)
                    for (int t = 0; t < T; t++) {
                        std::vector<double> sc(T);
                        double mx = -1e30, sum = 0;
                        for (int t2 = 0; t2 < T; t2++) {
                            double dot = 0;
                            for (int i = 0; i < hs; i++)
                                dot += (double)q[(b * T + t) * C + h * hs + i] * k[(b * T + t2) * C + h * hs + i];
                            sc[t2] = dot / std::sqrt((double)hs);
                            mx = std::max(mx, sc[t2]);
                        }
                        for (auto &x : sc) sum += (x = std::exp(x - mx));
                        for (int t2 = 0; t2 < T; t2++)
                            for (int i = 0; i < hs; i++)
                                unmasked[(b * T + t) * C + h * hs + i] +=
                                    (float)(sc[t2] / sum * v[(b * T + t2) * C + h * hs + i]);
                    }
            EXPECT_FALSE(lmc_test::TensorNear("attention_fwd vs unmasked", got, unmasked, kTolAttention));
        }
        auto dout = Random((size_t)N * C, &rng_, 1.0);
        auto dq = Random((size_t)N * C, &rng_, 0.1), dk = Random((size_t)N * C, &rng_, 0.1),
             dv = Random((size_t)N * C, &rng_, 0.1);
        Buf bdo(d, dout), bdq(d, dq), bdk(d, dk), bdv(d, dv);
        std::vector<float> scratch(T);
        lmc_ref_attention_bwd(dq.data(), dk.data(), dv.data(), scratch.data(), dout.data(), q.data(), k.data(),
                              v.data(), att.data(), B, T, C, NH);
        ASSERT_EQ(lmc_op_attention_bwd(d, bdq.mem(), bdk.mem(), bdv.mem(), bdpre.mem(), bdo.mem(), bq.mem(), bk.mem(),
                                       bv.mem(), batt.mem(), B, T, C, NH),
                  LMC_OK)
            << lmc_last_error();
        CHECK_OP("attention_bwd dq", bdq.Read(), dq, kTolAttention);
        CHECK_OP("attention_bwd dk", bdk.Read(), dk, kTolAttention);
        CHECK_OP("attention_bwd dv", bdv.Read(), dv, kTolAttention);

        // The fused kernels (cl/model/attention_fused.cl: online softmax, no (T,T) matrix, backward
        // recomputed from lse) against the same reference, accumulating onto fresh gradients.
        std::vector<float> lse_want((size_t)B * NH * T);
        {
            int hs = C / NH;
            for (int b = 0; b < B; b++)
                for (int h = 0; h < NH; h++)
                    for (int t = 0; t < T; t++) {  // log Σ_{t2<=t} exp(q·k/sqrt(hs)), in double
                        std::vector<double> sc(t + 1);
                        double mx = -1e30, sum = 0;
                        for (int t2 = 0; t2 <= t; t2++) {
                            double dot = 0;
                            for (int i = 0; i < hs; i++)
                                dot += (double)q[(b * T + t) * C + h * hs + i] * k[(b * T + t2) * C + h * hs + i];
                            sc[t2] = dot / std::sqrt((double)hs);
                            mx = std::max(mx, sc[t2]);
                        }
                        for (double x : sc) sum += std::exp(x - mx);
                        lse_want[((size_t)b * NH + h) * T + t] = (float)(mx + std::log(sum));
                    }
        }
        Buf fout(d, nullptr, want.size() * 4), flse(d, nullptr, lse_want.size() * 4),
            fdsum(d, nullptr, lse_want.size() * 4);
        ASSERT_EQ(lmc_op_attention_fused_fwd(d, fout.mem(), flse.mem(), bq.mem(), bk.mem(), bv.mem(), B, T, C, NH),
                  LMC_OK)
            << lmc_last_error();
        auto fgot = fout.Read();
        CHECK_OP("attention_fused_fwd", fgot, want, kTolAttention);
        CHECK_OP("attention_fused_fwd lse", flse.Read(), lse_want, kTolAttention);
        if (T > 1) {
            EXPECT_FALSE(lmc_test::TensorNear("attention_fused_fwd vs unmasked", fgot, unmasked, kTolAttention));
        }
        auto fdq = Random((size_t)N * C, &rng_, 0.1), fdk = Random((size_t)N * C, &rng_, 0.1),
             fdv = Random((size_t)N * C, &rng_, 0.1);
        Buf bfdq(d, fdq), bfdk(d, fdk), bfdv(d, fdv);
        lmc_ref_attention_bwd(fdq.data(), fdk.data(), fdv.data(), scratch.data(), dout.data(), q.data(), k.data(),
                              v.data(), att.data(), B, T, C, NH);
        ASSERT_EQ(lmc_op_attention_fused_bwd(d, bfdq.mem(), bfdk.mem(), bfdv.mem(), fdsum.mem(), bdo.mem(), fout.mem(),
                                             flse.mem(), bq.mem(), bk.mem(), bv.mem(), B, T, C, NH),
                  LMC_OK)
            << lmc_last_error();
        CHECK_OP("attention_fused_bwd dq", bfdq.Read(), fdq, kTolAttention);
        CHECK_OP("attention_fused_bwd dk", bfdk.Read(), fdk, kTolAttention);
        CHECK_OP("attention_fused_bwd dv", bfdv.Read(), fdv, kTolAttention);
    }
    {  // gelu
        SCOPED_TRACE("gelu");
        size_t n = (size_t)N * 4 * C;
        auto inp = Random(n, &rng_, 3.0);
        std::vector<float> want(n);
        lmc_ref_gelu_fwd(want.data(), inp.data(), n);
        Buf bi(d, inp), out(d, nullptr, n * 4);
        ASSERT_EQ(lmc_op_gelu_fwd(d, out.mem(), bi.mem(), (int)n), LMC_OK) << lmc_last_error();
        CHECK_OP("gelu_fwd", out.Read(), want, kTolGelu);
        auto dout = Random(n, &rng_, 1.0), dinp = Random(n, &rng_, 0.1);
        Buf bdo(d, dout), bdi(d, dinp);
        lmc_ref_gelu_bwd(dinp.data(), inp.data(), dout.data(), n);
        ASSERT_EQ(lmc_op_gelu_bwd(d, bdi.mem(), bi.mem(), bdo.mem(), (int)n), LMC_OK) << lmc_last_error();
        CHECK_OP("gelu_bwd", bdi.Read(), dinp, kTolGeluBwd);
    }
    {  // log-softmax + cross-entropy
        SCOPED_TRACE("softmax_xent");
        auto logits = Random((size_t)N * V, &rng_, 4.0);
        std::vector<float> want((size_t)N * V), losses(N);
        lmc_ref_logsoftmax_xent_fwd(want.data(), losses.data(), logits.data(), tok.data(), N, V);
        Buf bl(d, logits), bt(d, tok.data(), N), out(d, nullptr, want.size() * 4), bls(d, nullptr, N * 4);
        ASSERT_EQ(lmc_op_logsoftmax_xent_fwd(d, out.mem(), bls.mem(), bl.mem(), bt.mem(), N, V), LMC_OK)
            << lmc_last_error();
        CHECK_OP("logsoftmax_xent_fwd logp", out.Read(), want, kTolSoftmaxXent);
        CHECK_OP("logsoftmax_xent_fwd losses", bls.Read(), losses, kTolSoftmaxXent);
        std::vector<float> dl((size_t)N * V);
        lmc_ref_logsoftmax_xent_bwd(dl.data(), want.data(), tok.data(), 1.0f / N, N, V);
        Buf bdl(d, nullptr, dl.size() * 4);
        ASSERT_EQ(lmc_op_logsoftmax_xent_bwd(d, bdl.mem(), out.mem(), bt.mem(), 1.0f / N, N, V), LMC_OK)
            << lmc_last_error();
        CHECK_OP("logsoftmax_xent_bwd", bdl.Read(), dl, kTolSoftmaxXent);
    }
    {  // adam, two steps
        SCOPED_TRACE("adam");
        size_t n = (size_t)C * C + 3;
        auto p = Random(n, &rng_, 1.0), g = Random(n, &rng_, 0.01);
        std::vector<float> m(n, 0.0f), v(n, 0.0f);
        Buf bp(d, p), bg(d, g), bm(d, m), bv(d, v);
        for (long t = 1; t <= 2; t++) {
            lmc_ref_adam(p.data(), g.data(), m.data(), v.data(), n, 1e-3f, 0.9f, 0.999f, 1e-8f, t);
            ASSERT_EQ(lmc_op_adam(d, bp.mem(), bg.mem(), bm.mem(), bv.mem(), (int)n, 1e-3f, 0.9f, 0.999f, 1e-8f, t),
                      LMC_OK)
                << lmc_last_error();
        }
        CHECK_OP("adam params", bp.Read(), p, kTolAdam);
        CHECK_OP("adam m", bm.Read(), m, kTolAdam);
        CHECK_OP("adam v", bv.Read(), v, kTolAdam);
    }
}

// The fused products (residual and GELU in the epilogue) and the split sum of the weight gradient
// (more rows than the tiles' count: the reduction over rows is cut into chunks summed in order).
TEST_P(ModelOps, FusedAndSplitMatmulsMatchReference) {
    const Shape s = std::get<1>(GetParam());
    const int C = s.C, N = s.small ? 260 : 1000;
    lmc_device *d = dev_;
    for (int OC : {C, 4 * C}) {
        SCOPED_TRACE("OC=" + std::to_string(OC));
        auto inp = Random((size_t)N * C, &rng_, 1.0), w = Random((size_t)C * OC, &rng_, 1.0 / std::sqrt(C));
        auto bias = Random(OC, &rng_, 0.5), res = Random((size_t)N * OC, &rng_, 1.0);
        std::vector<float> f((size_t)N * OC), g((size_t)N * OC), r((size_t)N * OC);
        lmc_ref_matmul_fwd(f.data(), inp.data(), w.data(), bias.data(), N, C, OC);
        lmc_ref_gelu_fwd(g.data(), f.data(), f.size());
        for (size_t i = 0; i < r.size(); i++) r[i] = f[i] + res[i];
        Buf bi(d, inp), bw(d, w), bb(d, bias), bres(d, res), out(d, nullptr, f.size() * 4), gout(d, nullptr, f.size() * 4);
        ASSERT_EQ(lmc_op_matmul_res_fwd(d, out.mem(), bi.mem(), bw.mem(), bb.mem(), bres.mem(), N, C, OC), LMC_OK)
            << lmc_last_error();
        CHECK_OP("matmul_res_fwd", out.Read(), r, kTolMatmul);
        ASSERT_EQ(lmc_op_matmul_gelu_fwd(d, out.mem(), gout.mem(), bi.mem(), bw.mem(), bb.mem(), N, C, OC), LMC_OK)
            << lmc_last_error();
        CHECK_OP("matmul_gelu_fwd f", out.Read(), f, kTolMatmul);
        CHECK_OP("matmul_gelu_fwd g", gout.Read(), g, kTolMatmul);
        // gradients of a mean over N rows, as in training: sums over the rows stay O(1), so both
        // float orders (the reference's and the split one) round alike relative to 1 + |want|
        auto dout = Random((size_t)N * OC, &rng_, 1.0 / std::sqrt((double)N));
        auto dinp = Random((size_t)N * C, &rng_, 0.1), dw = Random((size_t)C * OC, &rng_, 0.1);
        auto db = Random(OC, &rng_, 0.1);
        Buf bdo(d, dout), bdi(d, dinp), bdw(d, dw), bdb(d, db);
        lmc_ref_matmul_bwd(dinp.data(), dw.data(), db.data(), dout.data(), inp.data(), w.data(), N, C, OC);
        ASSERT_EQ(lmc_op_matmul_bwd(d, bdi.mem(), bdw.mem(), bdb.mem(), bdo.mem(), bi.mem(), bw.mem(), N, C, OC), LMC_OK)
            << lmc_last_error();
        CHECK_OP("matmul_bwd dinp", bdi.Read(), dinp, kTolMatmul);
        CHECK_OP("matmul_bwd dw (split)", bdw.Read(), dw, kTolMatmul);
        CHECK_OP("bias_grad", bdb.Read(), db, kTolMatmul);
    }
}

// Negative control of the kernels themselves: the same checks reject a matmul.cl that drops the
// last term of every sum and an attention_fused.cl whose causal mask lets each query see one key
// too many (sources perturbed through $LMC_KERNEL_DIR, on a freshly opened device).
TEST_P(ModelOps, PerturbedKernelsAreDetected) {
    const Shape s = std::get<1>(GetParam());
    if (s.T < 2) GTEST_SKIP() << "one key: nothing for the mask to hide";
    const int B = s.B, T = s.T, C = s.C, NH = s.NH, N = B * T;
    std::string dir = ::testing::TempDir() + "lmc-perturbed-" + std::to_string(::getpid());
    ASSERT_EQ(std::system(("mkdir -p '" + dir + "/model'").c_str()), 0);
    auto put = [&](const char *name, const char *rel, const char *from, const char *to) {
        char *text = nullptr;
        ASSERT_EQ(lmc_program_source(name, &text), LMC_OK) << lmc_last_error();
        std::string src(text);
        free(text);
        if (from) {
            size_t at = src.find(from);
            ASSERT_NE(at, std::string::npos) << name << ": " << from;
            src.replace(at, std::strlen(from), to);
        }
        FILE *fp = std::fopen((dir + "/" + rel).c_str(), "w");
        ASSERT_NE(fp, nullptr);
        std::fputs(src.c_str(), fp);
        std::fclose(fp);
    };
    put("common", "common.cl", nullptr, nullptr);
    put("bias", "model/bias.cl", nullptr, nullptr);
    put("gelu", "model/gelu.cl", nullptr, nullptr);
    put("matmul", "model/matmul.cl", "k < k1; k++", "k + 1 < k1; k++");
    put("attention_fused", "model/attention_fused.cl", "(VI)(j0 + kk) > qpos", "(VI)(j0 + kk) > qpos + (VI)(1)");
    setenv("LMC_KERNEL_DIR", dir.c_str(), 1);
    setenv("LMC_CACHE_DIR", "off", 1);
    lmc_device *d = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP(std::get<0>(GetParam()), d);
    {
        auto inp = Random((size_t)N * C, &rng_, 1.0), w = Random((size_t)C * C, &rng_, 1.0 / std::sqrt(C));
        std::vector<float> want((size_t)N * C);
        lmc_ref_matmul_fwd(want.data(), inp.data(), w.data(), nullptr, N, C, C);
        Buf bi(d, inp), bw(d, w), out(d, nullptr, want.size() * 4);
        ASSERT_EQ(lmc_op_matmul_fwd(d, out.mem(), bi.mem(), bw.mem(), nullptr, N, C, C), LMC_OK) << lmc_last_error();
        EXPECT_FALSE(lmc_test::TensorNear("perturbed matmul_fwd", out.Read(), want, kTolMatmul));
    }
    {
        auto q = Random((size_t)N * C, &rng_, 1.0), k = Random((size_t)N * C, &rng_, 1.0),
             v = Random((size_t)N * C, &rng_, 1.0);
        std::vector<float> want((size_t)N * C), att((size_t)B * NH * T * T);
        lmc_ref_attention_fwd(want.data(), att.data(), q.data(), k.data(), v.data(), B, T, C, NH);
        Buf bq(d, q), bk(d, k), bv(d, v), out(d, nullptr, want.size() * 4), lse(d, nullptr, (size_t)B * NH * T * 4);
        ASSERT_EQ(lmc_op_attention_fused_fwd(d, out.mem(), lse.mem(), bq.mem(), bk.mem(), bv.mem(), B, T, C, NH),
                  LMC_OK)
            << lmc_last_error();
        EXPECT_FALSE(lmc_test::TensorNear("perturbed attention_fused_fwd", out.Read(), want, kTolAttention));
    }
    lmc_device_destroy(d);
    unsetenv("LMC_KERNEL_DIR");
    unsetenv("LMC_CACHE_DIR");
    std::system(("rm -rf '" + dir + "'").c_str());
}

std::vector<Param> Params() {
    std::vector<Param> out;
    for (const std::string &dev : lmc_test::CoveredDeviceNames())
        for (const Shape &s : kShapes)
            if (s.small || dev.find("oclgrind") == std::string::npos) out.emplace_back(dev, s);
    return out;
}

INSTANTIATE_TEST_SUITE_P(Devices, ModelOps, ::testing::ValuesIn(Params()),
                         [](const ::testing::TestParamInfo<Param> &p) {
                             return std::get<0>(p.param) + "_" + ShapeName(std::get<1>(p.param));
                         });

}  // namespace
