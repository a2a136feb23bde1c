// test_container.cpp : the coding driver and the `.lmc` container (codec/codec.c,
// codec/container.c, codec/FORMAT.md): round trips with every synthetic predictor at the edge
// lengths, through the one-shot, callback and FILE * (real pipe) APIs; determinism and batch
// independence; verify mode with its negative control; every bit flip, every truncation and
// random garbage giving a clear error; the committed sample stream still decoding.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lmc/codec.h"

namespace {

using Bytes = std::vector<uint8_t>;

struct PredDeleter {
    void operator()(lmc_predictor *p) const { lmc_predictor_synthetic_destroy(p); }
};
using Pred = std::unique_ptr<lmc_predictor, PredDeleter>;

Pred MakePred(lmc_synthetic_kind kind, uint64_t seed = 1, size_t max_windows = 4) {
    lmc_predictor *p = nullptr;
    EXPECT_EQ(lmc_predictor_synthetic_create(kind, seed, max_windows, &p), LMC_OK) << lmc_last_error();
    return Pred(p);
}

const char *KindName(lmc_synthetic_kind k) {
    static const char *names[] = {"uniform", "skewed", "random", "adversarial"};
    return names[k];
}

// Bytes that always take the least likely symbol of the predictor's row (the adversarial data).
Bytes LeastLikely(lmc_predictor *p, size_t n, uint32_t window) {
    Bytes out;
    std::vector<int32_t> row(256);
    while (out.size() < n) {
        size_t len = std::min<size_t>(window, n - out.size());
        EXPECT_EQ(p->vtable->decode_begin(p->ctx, 1, &len), LMC_OK);
        uint8_t prev = 0;
        for (size_t t = 0; t < len; t++) {
            EXPECT_EQ(p->vtable->decode_next(p->ctx, &prev, row.data()), LMC_OK);
            uint32_t f[256];
            lmc_quantize_row(row.data(), f);
            int best = 0;
            for (int c = 1; c < 256; c++)
                if (f[c] < f[best]) best = c;
            prev = (uint8_t)best;
            out.push_back(prev);
        }
    }
    return out;
}

// Data for a predictor: random bytes, or for SKEWED the favourite (previous + 1) with a few
// surprises, or for ADVERSARIAL the least likely symbol every time.
Bytes MakeData(lmc_synthetic_kind kind, lmc_predictor *p, size_t n, uint32_t window, uint64_t seed) {
    if (kind == LMC_SYNTHETIC_ADVERSARIAL) return LeastLikely(p, n, window);
    std::mt19937_64 rng(seed);
    Bytes d(n);
    for (size_t i = 0; i < n; i++) {
        if (kind == LMC_SYNTHETIC_SKEWED && rng() % 64)
            d[i] = i % window ? (uint8_t)(d[i - 1] + 1) : 0;
        else
            d[i] = (uint8_t)rng();
    }
    return d;
}

lmc_status Compress(const Bytes &in, lmc_predictor *p, uint32_t window, int verify, Bytes *out) {
    lmc_codec_params params = lmc_codec_params_default();
    params.window_size = window;
    params.verify = verify;
    out->assign(lmc_compress_bound(in.size(), window), 0);
    size_t len = 0;
    lmc_status s = lmc_compress(out->data(), out->size(), in.data(), in.size(), &params, p, &len);
    out->resize(len);
    return s;
}

lmc_status Decompress(const Bytes &in, lmc_predictor *p, Bytes *out, size_t cap) {
    out->assign(cap, 0);
    size_t len = 0;
    lmc_status s = lmc_decompress(out->data(), out->size(), in.data(), in.size(), p, &len);
    out->resize(len);
    return s;
}

// Callback adapters: input in small uneven pieces, output appended to a vector.
struct Source {
    const Bytes *data;
    size_t pos = 0, step = 1;
};
lmc_status SourceRead(void *user, void *dst, size_t cap, size_t *got) {
    Source *s = (Source *)user;
    size_t n = std::min({cap, s->data->size() - s->pos, s->step});
    s->step = s->step % 997 + 13;
    if (n) memcpy(dst, s->data->data() + s->pos, n);
    s->pos += n;
    *got = n;
    return LMC_OK;
}
lmc_status SinkWrite(void *user, const void *data, size_t n) {
    Bytes *b = (Bytes *)user;
    b->insert(b->end(), (const uint8_t *)data, (const uint8_t *)data + n);
    return LMC_OK;
}

}  // namespace

// Every synthetic predictor, lengths 0, 1, 2, W-1, W, W+1 and several windows, with verify on;
// the streaming callback API gives the same bytes as the one-shot API, and the seek-path index
// reader agrees with the encoder's stats.
TEST(Container, RoundTripEveryPredictorAndEdgeLength) {
    const uint32_t windows[] = {1, 64, 2048};
    const lmc_synthetic_kind kinds[] = {LMC_SYNTHETIC_UNIFORM, LMC_SYNTHETIC_SKEWED, LMC_SYNTHETIC_RANDOM,
                                        LMC_SYNTHETIC_ADVERSARIAL};
    for (uint32_t W : windows)
        for (lmc_synthetic_kind kind : kinds) {
            Pred p = MakePred(kind, 42);
            std::vector<size_t> lens = {0, 1, 2, W - 1, W, W + 1, 5 * (size_t)W + 3};
            for (size_t n : lens) {
                if (W == 1 && n > 40) continue;
                SCOPED_TRACE(std::string(KindName(kind)) + " W=" + std::to_string(W) + " n=" + std::to_string(n));
                Bytes in = MakeData(kind, p.get(), n, W, n * 31 + W), z, back;
                ASSERT_EQ(Compress(in, p.get(), W, 1, &z), LMC_OK) << lmc_last_error();
                ASSERT_EQ(Decompress(z, p.get(), &back, n), LMC_OK) << lmc_last_error();
                ASSERT_EQ(back, in);

                // Streaming, in uneven pieces, both ways.
                lmc_codec_params params = lmc_codec_params_default();
                params.window_size = W;
                Source src{&in};
                Bytes z2, back2;
                lmc_codec_stats st{};
                ASSERT_EQ(lmc_compress_stream(&params, p.get(), SourceRead, &src, SinkWrite, &z2, &st), LMC_OK)
                    << lmc_last_error();
                ASSERT_EQ(z2, z) << "streaming and one-shot encoders differ";
                Source zsrc{&z2};
                lmc_codec_stats dst{};
                ASSERT_EQ(lmc_decompress_stream(p.get(), SourceRead, &zsrc, SinkWrite, &back2, &dst), LMC_OK)
                    << lmc_last_error();
                ASSERT_EQ(back2, in);
                EXPECT_EQ(dst.payload_bytes, st.payload_bytes);
                EXPECT_EQ(dst.file_bytes, z.size());

                lmc_container_info info;
                ASSERT_EQ(lmc_container_info_read(z.data(), z.size(), &info), LMC_OK) << lmc_last_error();
                EXPECT_EQ(info.original_bytes, n);
                EXPECT_EQ(info.n_windows, (n + W - 1) / W);
                EXPECT_EQ(info.payload_bytes, st.payload_bytes);
                EXPECT_EQ(st.file_bytes, z.size());
                EXPECT_EQ(memcmp(info.model_id, p->model_id, 32), 0);
            }
        }
}

// Several checksum groups (W = 16384 gives 4 windows per CRC) and a batch that straddles them;
// then the seek path (lmc_decompress_window) on every window.
TEST(Container, RoundTripAcrossChecksumGroups) {
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 3, 3);
    const uint32_t W = 16384;
    Bytes in = MakeData(LMC_SYNTHETIC_RANDOM, p.get(), 9 * W + 100, W, 1), z, back;
    ASSERT_EQ(Compress(in, p.get(), W, 1, &z), LMC_OK) << lmc_last_error();
    lmc_container_info info;
    ASSERT_EQ(lmc_container_info_read(z.data(), z.size(), &info), LMC_OK) << lmc_last_error();
    EXPECT_EQ(info.group_windows, 4u);
    ASSERT_EQ(Decompress(z, p.get(), &back, in.size()), LMC_OK) << lmc_last_error();
    EXPECT_EQ(back, in);

    // Seek: every window alone, through the trailer and index, equals its slice of the input.
    Bytes win(W);
    for (uint64_t k = 0; k < info.n_windows; k++) {
        size_t len = 0;
        ASSERT_EQ(lmc_decompress_window(z.data(), z.size(), p.get(), k, win.data(), win.size(), &len), LMC_OK)
            << "window " << k << ": " << lmc_last_error();
        ASSERT_EQ(len, std::min<size_t>(W, in.size() - k * W));
        ASSERT_TRUE(std::equal(win.begin(), win.begin() + (long)len, in.begin() + (long)(k * W))) << "window " << k;
    }
    size_t len = 0;
    EXPECT_EQ(lmc_decompress_window(z.data(), z.size(), p.get(), info.n_windows, win.data(), win.size(), &len),
              LMC_ERR_INVALID_ARGUMENT);
    Pred other = MakePred(LMC_SYNTHETIC_RANDOM, 4, 3);
    EXPECT_EQ(lmc_decompress_window(z.data(), z.size(), other.get(), 0, win.data(), win.size(), &len),
              LMC_ERR_MODEL_MISMATCH);
    // A damaged payload in the first group fails a seek into that group only.
    Bytes bad = z;
    bad[60 + 100] ^= 0x10;
    EXPECT_NE(lmc_decompress_window(bad.data(), bad.size(), p.get(), 1, win.data(), win.size(), &len), LMC_OK);
    EXPECT_EQ(lmc_decompress_window(bad.data(), bad.size(), p.get(), 5, win.data(), win.size(), &len), LMC_OK)
        << lmc_last_error();
}

// The bytes are a pure function of (rows, input, options): the same with 1, 3 or 64 windows per
// predictor call, and encoding twice gives the same bytes.
TEST(Container, OutputIndependentOfBatchSize) {
    const uint32_t W = 100;
    Pred p1 = MakePred(LMC_SYNTHETIC_RANDOM, 8, 1), p3 = MakePred(LMC_SYNTHETIC_RANDOM, 8, 3),
         p64 = MakePred(LMC_SYNTHETIC_RANDOM, 8, 64);
    Bytes in = MakeData(LMC_SYNTHETIC_RANDOM, p1.get(), 20 * W + 17, W, 5), a, b, c, d;
    ASSERT_EQ(Compress(in, p1.get(), W, 0, &a), LMC_OK);
    ASSERT_EQ(Compress(in, p3.get(), W, 0, &b), LMC_OK);
    ASSERT_EQ(Compress(in, p64.get(), W, 1, &c), LMC_OK);
    ASSERT_EQ(Compress(in, p1.get(), W, 0, &d), LMC_OK);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a, c);
    EXPECT_EQ(a, d);
    Bytes back;
    ASSERT_EQ(Decompress(a, p64.get(), &back, in.size()), LMC_OK) << lmc_last_error();
    EXPECT_EQ(back, in);
}

// Several MB from a real pipe through the FILE * streaming API into a second pipe, decoded from
// it by another thread: neither side ever holds the whole input.
TEST(Container, SeveralMegabytesThroughPipes) {
#ifdef LMC_TEST_SMALL
    const size_t n = 1u << 19;
#else
    const size_t n = 4u << 20;
#endif
    Pred penc = MakePred(LMC_SYNTHETIC_SKEWED, 1, 8), pdec = MakePred(LMC_SYNTHETIC_SKEWED, 1, 8);
    Bytes in = MakeData(LMC_SYNTHETIC_SKEWED, penc.get(), n, LMC_WINDOW_DEFAULT, 77);
    int p1[2], p2[2];
    ASSERT_EQ(pipe(p1), 0);
    ASSERT_EQ(pipe(p2), 0);
    std::thread feeder([&] {
        FILE *w = fdopen(p1[1], "wb");
        fwrite(in.data(), 1, in.size(), w);
        fclose(w);
    });
    Bytes back;
    lmc_status dstatus = LMC_OK;
    lmc_codec_stats dstats{};
    std::thread drain([&] {
        FILE *r = fdopen(p2[0], "rb");
        dstatus = lmc_decompress_stream(
            pdec.get(),
            [](void *u, void *dst, size_t cap, size_t *got) -> lmc_status {
                *got = fread(dst, 1, cap, (FILE *)u);
                return LMC_OK;
            },
            r, SinkWrite, &back, &dstats);
        fclose(r);
    });
    FILE *in_f = fdopen(p1[0], "rb"), *out_f = fdopen(p2[1], "wb");
    lmc_codec_params params = lmc_codec_params_default();
    lmc_codec_stats st{};
    lmc_status s = lmc_compress_file(&params, penc.get(), in_f, out_f, &st);
    fclose(in_f);
    fclose(out_f);
    feeder.join();
    drain.join();
    ASSERT_EQ(s, LMC_OK) << lmc_last_error();
    ASSERT_EQ(dstatus, LMC_OK);
    EXPECT_EQ(back, in);
    EXPECT_EQ(st.original_bytes, n);
    EXPECT_EQ(dstats.file_bytes, st.file_bytes);
    std::printf("pipe: %zu bytes -> %llu (payload %llu, container %llu)\n", n,
                (unsigned long long)st.file_bytes, (unsigned long long)st.payload_bytes,
                (unsigned long long)(st.file_bytes - st.payload_bytes));
}

// Payload against the ideal code length of the quantised rows, and the container's overhead
// reported separately (random rows: about 5.9 bits per byte).
TEST(Container, PayloadNearIdealOverheadReported) {
    const uint32_t W = 2048;
    const size_t n = 64 * W;
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 12, 8);
    Bytes in(n);
    // Sample each byte from its own row so that the stream is typical for the predictor.
    std::mt19937_64 rng(1);
    double ideal_bits = 0;
    std::vector<int32_t> row(256);
    for (size_t w0 = 0; w0 < n; w0 += W) {
        size_t len = W;
        ASSERT_EQ(p->vtable->decode_begin(p->ctx, 1, &len), LMC_OK);
        uint8_t prev = 0;
        for (size_t t = 0; t < W; t++) {
            ASSERT_EQ(p->vtable->decode_next(p->ctx, &prev, row.data()), LMC_OK);
            uint32_t f[256];
            lmc_quantize_row(row.data(), f);
            uint32_t u = (uint32_t)(rng() % 65536), c = 0;
            int s = 0;
            while (c + f[s] <= u) c += f[s++];
            in[w0 + t] = prev = (uint8_t)s;
            ideal_bits -= std::log2(f[s] / 65536.0);
        }
    }
    Bytes z;
    lmc_codec_stats st{};
    lmc_codec_params params = lmc_codec_params_default();
    Source src{&in};
    ASSERT_EQ(lmc_compress_stream(&params, p.get(), SourceRead, &src, SinkWrite, &z, &st), LMC_OK);
    double ideal = ideal_bits / 8, over = (double)(st.file_bytes - st.payload_bytes);
    std::printf("random rows: ideal %.0f bytes, payload %llu (%+.4f%%), container overhead %.0f bytes "
                "(%.3f%% of the file)\n",
                ideal, (unsigned long long)st.payload_bytes, 100 * (st.payload_bytes - ideal) / ideal, over,
                100 * over / (double)st.file_bytes);
    EXPECT_LE((double)st.payload_bytes, ideal * 1.001 + 8.0 * 64 / 64);
    EXPECT_LT(over / (double)st.file_bytes, 0.005);
}

// A predictor whose decode rows differ from its encode rows: verify mode catches it at once;
// without verify the stream is written, and decoding it fails instead of returning wrong bytes.
TEST(Container, VerifyCatchesMismatchedPredictor) {
    struct Liar {
        lmc_predictor pred;
        lmc_predictor *honest, *other;
    };
    static const lmc_predictor_vtable vt = {
        [](void *ctx, size_t n, const uint8_t *const *w, const size_t *l, size_t ws, int32_t *rows) {
            lmc_predictor *h = ((Liar *)ctx)->honest;
            return h->vtable->encode_rows(h->ctx, n, w, l, ws, rows);
        },
        [](void *ctx, size_t n, const size_t *l) {
            lmc_predictor *o = ((Liar *)ctx)->other;
            return o->vtable->decode_begin(o->ctx, n, l);
        },
        [](void *ctx, const uint8_t *prev, int32_t *rows) {
            lmc_predictor *o = ((Liar *)ctx)->other;
            return o->vtable->decode_next(o->ctx, prev, rows);
        }};
    Pred honest = MakePred(LMC_SYNTHETIC_RANDOM, 1), other = MakePred(LMC_SYNTHETIC_RANDOM, 2);
    Liar liar{{&vt, nullptr, {0}, 4}, honest.get(), other.get()};
    liar.pred.ctx = &liar;
    Bytes in = MakeData(LMC_SYNTHETIC_RANDOM, honest.get(), 1000, 64, 1), z, back;
    EXPECT_EQ(Compress(in, &liar.pred, 64, 1, &z), LMC_ERR_VERIFY_MISMATCH);
    EXPECT_NE(std::string(lmc_last_error()).find("verify"), std::string::npos) << lmc_last_error();
    ASSERT_EQ(Compress(in, &liar.pred, 64, 0, &z), LMC_OK);
    lmc_status s = Decompress(z, &liar.pred, &back, in.size());
    EXPECT_TRUE(s == LMC_ERR_CHECKSUM || s == LMC_ERR_CORRUPT) << lmc_status_str(s);
}

namespace {

// The sample stream: a short text, window 32 (5 windows, one short), random rows seed 1.
const char kSampleText[] =
    "lmc codes bytes with a language model; every window starts fresh. The end.\n"
    "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ.\n";

Bytes SampleInput() { return Bytes(kSampleText, kSampleText + sizeof kSampleText - 1); }

Bytes SampleStream(lmc_predictor *p) {
    Bytes z;
    EXPECT_EQ(Compress(SampleInput(), p, 32, 1, &z), LMC_OK);
    return z;
}

}  // namespace

// The committed sample (also the fuzzer's seed) decodes, and today's encoder reproduces it
// byte for byte: the format of version 1 has not moved.
TEST(Container, CommittedSampleStillDecodes) {
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 1);
    const std::string path = std::string(LMC_FUZZ_SEED_DIR) + "/sample.lmc";
    Bytes z = SampleStream(p.get());
    if (getenv("LMC_WRITE_SAMPLE")) {
        std::ofstream(path, std::ios::binary).write((const char *)z.data(), (std::streamsize)z.size());
    }
    std::ifstream f(path, std::ios::binary);
    ASSERT_TRUE(f.good()) << path;
    Bytes committed((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    Bytes back;
    ASSERT_EQ(Decompress(committed, p.get(), &back, 4096), LMC_OK) << lmc_last_error();
    EXPECT_EQ(back, SampleInput());
    EXPECT_EQ(z, committed) << "the encoder no longer writes the committed sample";
}

// Every single-bit flip of the sample is an error with a detail, never a crash or a success
// (flips that leave the decoded bytes equal are caught by the canonical-payload check).
TEST(Container, EveryBitFlipIsAnError) {
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 1);
    Bytes z = SampleStream(p.get()), back;
    int counts[8] = {0};
    for (size_t i = 0; i < z.size() * 8; i++) {
        Bytes bad = z;
        bad[i / 8] ^= (uint8_t)(1u << (i % 8));
        lmc_clear_error();
        lmc_status s = Decompress(bad, p.get(), &back, 4096);
        ASSERT_NE(s, LMC_OK) << "flip of bit " << i << " went unnoticed";
        ASSERT_STRNE(lmc_last_error(), "") << "flip of bit " << i;
        switch (s) {
        case LMC_ERR_FORMAT: counts[0]++; break;
        case LMC_ERR_VERSION: counts[1]++; break;
        case LMC_ERR_CHECKSUM: counts[2]++; break;
        case LMC_ERR_CORRUPT: counts[3]++; break;
        case LMC_ERR_TRUNCATED: counts[4]++; break;
        case LMC_ERR_MODEL_MISMATCH: counts[5]++; break;
        default: counts[6]++; ADD_FAILURE() << "unexpected " << lmc_status_str(s); break;
        }
        lmc_container_info info;
        (void)lmc_container_info_read(bad.data(), bad.size(), &info);  // must not crash
    }
    std::printf("%zu flips: format %d, version %d, checksum %d, corrupt %d, truncated %d, model %d\n",
                z.size() * 8, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
}

// Every truncation of the sample says it is truncated.
TEST(Container, EveryTruncationIsReported) {
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 1);
    Bytes z = SampleStream(p.get()), back;
    for (size_t n = 0; n < z.size(); n++) {
        Bytes cut(z.begin(), z.begin() + (long)n);
        lmc_status s = Decompress(cut, p.get(), &back, 4096);
        ASSERT_EQ(s, LMC_ERR_TRUNCATED) << "cut at " << n << ": " << lmc_status_str(s) << ": " << lmc_last_error();
        lmc_container_info info;
        ASSERT_NE(lmc_container_info_read(cut.data(), cut.size(), &info), LMC_OK) << "cut at " << n;
    }
    // Extra bytes after the trailer are an error too.
    Bytes longer = z;
    longer.push_back(0);
    EXPECT_EQ(Decompress(longer, p.get(), &back, 4096), LMC_ERR_CORRUPT);
}

// Random garbage, and garbage after a valid header: an error, never a crash.
TEST(Container, RandomGarbageIsAnError) {
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 1);
    Bytes z = SampleStream(p.get()), back;
    std::mt19937_64 rng(99);
    for (int iter = 0; iter < 3000; iter++) {
        Bytes g(rng() % 400);
        for (auto &b : g) b = (uint8_t)rng();
        if (iter % 2) {  // keep the valid 60-byte header
            if (g.size() < 60) g.resize(60);
            std::copy(z.begin(), z.begin() + 60, g.begin());
        }
        lmc_status s = Decompress(g, p.get(), &back, 4096);
        ASSERT_NE(s, LMC_OK) << "iteration " << iter;
        ASSERT_STRNE(lmc_last_error(), "");
        lmc_container_info info;
        ASSERT_NE(lmc_container_info_read(g.data(), g.size(), &info), LMC_OK);
    }
}

// Each kind of bad input gets its own status.
TEST(Container, ErrorsNameTheProblem) {
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 1), other = MakePred(LMC_SYNTHETIC_RANDOM, 2);
    Bytes z = SampleStream(p.get()), back;
    EXPECT_EQ(Decompress(Bytes{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, p.get(), &back, 10), LMC_ERR_FORMAT);
    EXPECT_EQ(Decompress(Bytes{}, p.get(), &back, 10), LMC_ERR_TRUNCATED);
    EXPECT_EQ(Decompress(Bytes(z.begin(), z.begin() + 5), p.get(), &back, 10), LMC_ERR_TRUNCATED);
    EXPECT_EQ(Decompress(z, other.get(), &back, 4096), LMC_ERR_MODEL_MISMATCH);
    EXPECT_NE(std::string(lmc_last_error()).find("model"), std::string::npos);
    Bytes v2 = z;
    v2[8] = 2;
    EXPECT_EQ(Decompress(v2, p.get(), &back, 4096), LMC_ERR_VERSION);
    Bytes badcrc = z;
    badcrc[16] ^= 1;  // window size, under the header CRC
    EXPECT_EQ(Decompress(badcrc, p.get(), &back, 4096), LMC_ERR_CHECKSUM);
    EXPECT_EQ(Decompress(z, p.get(), &back, 10), LMC_ERR_BUFFER_TOO_SMALL);
    Bytes small(10);
    size_t len;
    lmc_codec_params params = lmc_codec_params_default();
    EXPECT_EQ(lmc_compress(small.data(), small.size(), "abc", 3, &params, p.get(), &len), LMC_ERR_BUFFER_TOO_SMALL);
}
