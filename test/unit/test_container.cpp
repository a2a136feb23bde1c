// test_container.cpp : the coding driver and the `.lmc` container (codec/codec.c,
// codec/container.c, codec/FORMAT.md): round trips with every synthetic predictor at the edge
// lengths, through the one-shot, callback and FILE * (real pipe) APIs; determinism and batch
// independence; verify mode with its negative control; stored windows (version 2): exactly the
// windows the model cannot shrink are stored, expansion within FORMAT.md §7's bound, decoded
// without the model, damage to them detected; every bit flip, every truncation and random
// garbage giving a clear error; the committed version-1 and version-2 samples still decoding.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "frame_kinds.h"
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

// Bytes that always take the least (or, with most = true, the most) likely symbol of the
// predictor's row, window by window: the adversarial data, or data the model codes to a few bits.
Bytes Extreme(lmc_predictor *p, size_t n, uint32_t window, bool most) {
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
                if (most ? f[c] > f[best] : f[c] < f[best]) best = c;
            prev = (uint8_t)best;
            out.push_back(prev);
        }
    }
    return out;
}
Bytes LeastLikely(lmc_predictor *p, size_t n, uint32_t window) { return Extreme(p, n, window, false); }
Bytes MostLikely(lmc_predictor *p, size_t n, uint32_t window) { return Extreme(p, n, window, true); }

// Windows of `window` bytes by a pattern: 'C' a window the predictor codes to a few bits (its
// most likely bytes), 'S' seeded random bytes (more than 8 bits a byte under random rows, so
// stored); a lower-case letter is a short last window of window / 2 + 1 bytes.
Bytes Mixed(lmc_predictor *p, uint32_t window, const std::string &pattern, uint64_t seed = 9) {
    std::mt19937_64 rng(seed);
    Bytes out;
    for (char c : pattern) {
        size_t len = islower((unsigned char)c) ? window / 2 + 1 : window;
        Bytes w = toupper((unsigned char)c) == 'C' ? MostLikely(p, len, window) : Bytes(len);
        if (toupper((unsigned char)c) == 'S')
            for (auto &b : w) b = (uint8_t)rng();
        out.insert(out.end(), w.begin(), w.end());
    }
    return out;
}

// The largest stream of n bytes (every window stored) by FORMAT.md §7, field by field.
size_t StoredStreamSize(size_t n, uint32_t W) {
    auto vlen = [](uint64_t v) {
        size_t k = 1;
        while (v >= 0x80) v >>= 7, k++;
        return k;
    };
    const size_t N = (n + W - 1) / W, G = std::max<size_t>(1, 65536 / W);
    size_t frames = 0, index = 0;
    for (size_t k = 0; k < N; k++) {
        size_t len = k + 1 < N ? W : n - k * W;
        bool short_win = len < W;
        size_t rec = vlen(1 + 4 * len + 2 + short_win) + (short_win ? vlen(len) : 0) + len;
        frames += rec;
        index += vlen(rec);
    }
    return 60 + frames + 4 * (N / G) + 5 + 4 + vlen(N) + vlen(n) + index + 4 + 16;
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

// Several checksum groups (W = 16384 gives 4 windows per CRC) and a batch that straddles them,
// coded and stored windows mixed; then the seek path (lmc_decompress_window) on every window.
TEST(Container, RoundTripAcrossChecksumGroups) {
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 3, 3);
    const uint32_t W = 16384;
    Bytes in = Mixed(p.get(), W, "CCSCSCCSCc"), z, back;
    ASSERT_EQ(Compress(in, p.get(), W, 1, &z), LMC_OK) << lmc_last_error();
    EXPECT_EQ(lmc_test::FrameKinds(z), "CCSCSCCSCC");
    lmc_container_info info;
    ASSERT_EQ(lmc_container_info_read(z.data(), z.size(), &info), LMC_OK) << lmc_last_error();
    EXPECT_EQ(info.group_windows, 4u);
    EXPECT_EQ(info.stored_windows, 3u);
    EXPECT_EQ(info.format_version, 2u);
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
    // A damaged payload in the first group fails a seek into that group only; so does a damaged
    // stored window (window 4, in the second group: its CRC catches it).
    Bytes bad = z;
    bad[60 + 100] ^= 0x10;
    EXPECT_NE(lmc_decompress_window(bad.data(), bad.size(), p.get(), 1, win.data(), win.size(), &len), LMC_OK);
    EXPECT_EQ(lmc_decompress_window(bad.data(), bad.size(), p.get(), 5, win.data(), win.size(), &len), LMC_OK)
        << lmc_last_error();
    bad = z;
    bad[lmc_test::Frames(z)[4].payload_offset + 7] ^= 0x04;
    EXPECT_EQ(lmc_decompress_window(bad.data(), bad.size(), p.get(), 5, win.data(), win.size(), &len),
              LMC_ERR_CHECKSUM);
    EXPECT_EQ(lmc_decompress_window(bad.data(), bad.size(), p.get(), 1, win.data(), win.size(), &len), LMC_OK)
        << lmc_last_error();
}

// The bytes are a pure function of (rows, input, options): the same with 1, 3 or 64 windows per
// predictor call, and encoding twice gives the same bytes; with coded and stored windows mixed
// in every batch, each batch size decodes every stream.
TEST(Container, OutputIndependentOfBatchSize) {
    const uint32_t W = 100;
    Pred p1 = MakePred(LMC_SYNTHETIC_RANDOM, 8, 1), p3 = MakePred(LMC_SYNTHETIC_RANDOM, 8, 3),
         p64 = MakePred(LMC_SYNTHETIC_RANDOM, 8, 64);
    const std::string pattern = "CSCCSSCSCCCSCSSSCCSCs";
    Bytes in = Mixed(p1.get(), W, pattern), a, b, c, d;
    ASSERT_EQ(Compress(in, p1.get(), W, 0, &a), LMC_OK);
    ASSERT_EQ(Compress(in, p3.get(), W, 0, &b), LMC_OK);
    ASSERT_EQ(Compress(in, p64.get(), W, 1, &c), LMC_OK);
    ASSERT_EQ(Compress(in, p1.get(), W, 0, &d), LMC_OK);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a, c);
    EXPECT_EQ(a, d);
    EXPECT_EQ(lmc_test::FrameKinds(a), "CSCCSSCSCCCSCSSSCCSCS");
    for (lmc_predictor *p : {p1.get(), p3.get(), p64.get()}) {
        Bytes back;
        ASSERT_EQ(Decompress(a, p, &back, in.size()), LMC_OK) << lmc_last_error();
        EXPECT_EQ(back, in) << "batch " << p->max_windows;
    }
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
    // Bytes the honest rows code well, so that every window is coded (a stored one never runs
    // the model when decoding, and would hide the lie).
    Bytes in = MostLikely(honest.get(), 1000, 64), z, back;
    ASSERT_EQ(Compress(in, honest.get(), 64, 1, &z), LMC_OK);
    ASSERT_EQ(lmc_test::FrameKinds(z), std::string(16, 'C'));
    EXPECT_EQ(Compress(in, &liar.pred, 64, 1, &z), LMC_ERR_VERIFY_MISMATCH);
    EXPECT_NE(std::string(lmc_last_error()).find("verify"), std::string::npos) << lmc_last_error();
    ASSERT_EQ(Compress(in, &liar.pred, 64, 0, &z), LMC_OK);
    lmc_status s = Decompress(z, &liar.pred, &back, in.size());
    EXPECT_TRUE(s == LMC_ERR_CHECKSUM || s == LMC_ERR_CORRUPT) << lmc_status_str(s);
}

namespace {

// The sample streams (also the fuzzer's seeds), random rows seed 1: version 1's (committed,
// written by the version-1 encoder) holds a short text with window 32 (5 windows, one short);
// version 2's holds two windows of the rows' likeliest bytes (coded) before the same text
// (whose windows the random rows cannot shrink: stored), 7 windows.
const char kSampleText[] =
    "lmc codes bytes with a language model; every window starts fresh. The end.\n"
    "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ.\n";

Bytes SampleInput() { return Bytes(kSampleText, kSampleText + sizeof kSampleText - 1); }

Bytes SampleV2Input(lmc_predictor *p) {
    Bytes in = MostLikely(p, 64, 32), text = SampleInput();
    in.insert(in.end(), text.begin(), text.end());
    return in;
}

Bytes SampleStream(lmc_predictor *p) {
    Bytes z;
    EXPECT_EQ(Compress(SampleV2Input(p), p, 32, 1, &z), LMC_OK);
    return z;
}

Bytes ReadSeed(const char *name) {
    std::ifstream f(std::string(LMC_FUZZ_SEED_DIR) + "/" + name, std::ios::binary);
    EXPECT_TRUE(f.good()) << name;
    return Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

}  // namespace

// The committed version-1 sample decodes to its text with no stored window (version 1 has none),
// forever; no writer makes version 1 any more.
TEST(Container, CommittedVersion1SampleStillDecodes) {
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 1);
    Bytes committed = ReadSeed("sample.lmc"), back;
    ASSERT_EQ(Decompress(committed, p.get(), &back, 4096), LMC_OK) << lmc_last_error();
    EXPECT_EQ(back, SampleInput());
    lmc_container_info info;
    ASSERT_EQ(lmc_container_info_read(committed.data(), committed.size(), &info), LMC_OK) << lmc_last_error();
    EXPECT_EQ(info.format_version, 1u);
    EXPECT_EQ(info.stored_windows, 0u);
    EXPECT_EQ(lmc_test::FrameKinds(committed), "CCCCC");
    // The same text is stored, window by window, by today's writer: the random rows cannot
    // shrink it (the reason version 2 exists), and the version-1 file is larger.
    Bytes z;
    ASSERT_EQ(Compress(SampleInput(), p.get(), 32, 1, &z), LMC_OK);
    EXPECT_EQ(lmc_test::FrameKinds(z), "SSSSS");
    EXPECT_LT(z.size(), committed.size());
}

// The committed version-2 sample decodes, holds both kinds of frame, and today's encoder
// reproduces it byte for byte: version 2 has not moved. (LMC_WRITE_SAMPLE=1 rewrites it; only
// for a new version, never to make this test pass.)
TEST(Container, CommittedVersion2SampleStillDecodes) {
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 1);
    Bytes z = SampleStream(p.get());
    if (getenv("LMC_WRITE_SAMPLE")) {
        std::ofstream(std::string(LMC_FUZZ_SEED_DIR) + "/sample.v2.lmc", std::ios::binary)
            .write((const char *)z.data(), (std::streamsize)z.size());
    }
    Bytes committed = ReadSeed("sample.v2.lmc"), back;
    ASSERT_EQ(Decompress(committed, p.get(), &back, 4096), LMC_OK) << lmc_last_error();
    EXPECT_EQ(back, SampleV2Input(p.get()));
    EXPECT_EQ(lmc_test::FrameKinds(committed), "CCSSSSS");
    EXPECT_EQ(z, committed) << "the encoder no longer writes the committed sample";
}

// Every single-bit flip of both samples is an error with a detail, never a crash or a success
// (flips that leave the decoded bytes equal are caught by the canonical-payload check; a flipped
// kind bit by the payload length check; a flip in a stored window by its group CRC).
TEST(Container, EveryBitFlipIsAnError) {
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 1);
    for (const Bytes &z : {ReadSeed("sample.lmc"), SampleStream(p.get())}) {
        Bytes back;
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
        std::printf("version %u, %zu flips: format %d, version %d, checksum %d, corrupt %d, truncated %d, model %d\n",
                    z[8], z.size() * 8, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
    }
}

// Every truncation of both samples says it is truncated.
TEST(Container, EveryTruncationIsReported) {
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 1);
    for (const Bytes &z : {ReadSeed("sample.lmc"), SampleStream(p.get())}) {
        Bytes back;
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
    for (uint8_t version : {0, 3, 0x82}) {  // before the first, after the newest
        Bytes other_version = z;
        other_version[8] = version;
        EXPECT_EQ(Decompress(other_version, p.get(), &back, 4096), LMC_ERR_VERSION);
        EXPECT_NE(std::string(lmc_last_error()).find("versions 1 to 2"), std::string::npos) << lmc_last_error();
    }
    Bytes badcrc = z;
    badcrc[16] ^= 1;  // window size, under the header CRC
    EXPECT_EQ(Decompress(badcrc, p.get(), &back, 4096), LMC_ERR_CHECKSUM);
    EXPECT_EQ(Decompress(z, p.get(), &back, 10), LMC_ERR_BUFFER_TOO_SMALL);
    Bytes small(10);
    size_t len;
    lmc_codec_params params = lmc_codec_params_default();
    EXPECT_EQ(lmc_compress(small.data(), small.size(), "abc", 3, &params, p.get(), &len), LMC_ERR_BUFFER_TOO_SMALL);
}

// Random bytes, bytes(range(256)) * 40 and the adversarial data (the least likely byte every
// time) with the default 2048-byte windows: every window is stored, so the stream is exactly
// FORMAT.md §7's largest stream (4.125 bytes per window over the input, plus the stream's fixed
// bytes): 256 KiB of random bytes at most 0.5% larger; the 10240 bytes of bytes(range(256)) * 40
// with 0.2% of framing and 92 fixed bytes. The model's own count (model_bytes) is kept and is
// above the input, the control that storing was needed; lmc_compress_bound() holds.
TEST(Container, StoredWindowsCapExpansion) {
    const uint32_t W = 2048;
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 7, 8);
    std::mt19937_64 rng(5);
    Bytes random(262144), ramp;
    for (auto &b : random) b = (uint8_t)rng();
    for (int k = 0; k < 40; k++)
        for (int c = 0; c < 256; c++) ramp.push_back((uint8_t)c);
    Bytes adversarial = LeastLikely(p.get(), 5 * W + 3, W);
    for (const Bytes *in : {&random, &ramp, &adversarial}) {
        const size_t n = in->size(), N = (n + W - 1) / W;
        SCOPED_TRACE("n=" + std::to_string(n));
        Bytes z, back;
        Source src{in};
        lmc_codec_stats st{};
        lmc_codec_params params = lmc_codec_params_default();
        params.verify = 1;
        ASSERT_EQ(lmc_compress_stream(&params, p.get(), SourceRead, &src, SinkWrite, &z, &st), LMC_OK)
            << lmc_last_error();
        EXPECT_EQ(lmc_test::FrameKinds(z), std::string(N, 'S'));
        EXPECT_EQ(z.size(), StoredStreamSize(n, W));
        EXPECT_LE(z.size(), lmc_compress_bound(n, W));
        EXPECT_EQ(st.stored_windows, N);
        EXPECT_EQ(st.payload_bytes, n);
        EXPECT_GT(st.model_bytes, n) << "the model alone would have expanded it";
        ASSERT_EQ(Decompress(z, p.get(), &back, n), LMC_OK) << lmc_last_error();
        EXPECT_EQ(back, *in);
        std::printf("n %zu: model payload %.2f%%, file %zu bytes = %.3f%%\n", n, 100.0 * (double)st.model_bytes / (double)n,
                    z.size(), 100.0 * (double)z.size() / (double)n);
    }
    Bytes z;
    ASSERT_EQ(Compress(random, p.get(), W, 0, &z), LMC_OK);
    EXPECT_EQ(z.size(), 262766u);  // 262144 + 128 * 4.125 + 94 fixed bytes (FORMAT.md §7)
    EXPECT_LE((double)z.size(), 1.005 * (double)random.size());
    ASSERT_EQ(Compress(ramp, p.get(), W, 0, &z), LMC_OK);
    EXPECT_EQ(z.size(), 10240u + 5 * 4 + 92);
    EXPECT_LE((double)(z.size() - 92), 1.005 * (double)ramp.size()) << "framing beyond the fixed bytes";
    // Empty input: the fixed bytes only.
    ASSERT_EQ(Compress(Bytes{}, p.get(), W, 0, &z), LMC_OK);
    EXPECT_EQ(z.size(), StoredStreamSize(0, W));
    EXPECT_EQ(z.size(), 91u);
}

// Decoding a stored window does not run the model: a predictor whose decode calls fail decodes
// a stream of stored windows through the streaming and the seek path; the negative control, a
// stream with one coded window, fails with that predictor's error.
TEST(Container, StoredWindowsDecodeWithoutTheModel) {
    struct NoDecode {
        lmc_predictor pred;
        lmc_predictor *real;
    };
    static const lmc_predictor_vtable vt = {
        [](void *ctx, size_t n, const uint8_t *const *w, const size_t *l, size_t ws, int32_t *rows) {
            lmc_predictor *r = ((NoDecode *)ctx)->real;
            return r->vtable->encode_rows(r->ctx, n, w, l, ws, rows);
        },
        [](void *, size_t, const size_t *) { return lmc_set_error(LMC_ERR_UNSUPPORTED, "decode_begin was called"); },
        [](void *, const uint8_t *, int32_t *) { return lmc_set_error(LMC_ERR_UNSUPPORTED, "decode_next was called"); }};
    Pred real = MakePred(LMC_SYNTHETIC_RANDOM, 4);
    NoDecode nd{{&vt, nullptr, {0}, 4}, real.get()};
    nd.pred.ctx = &nd;
    memcpy(nd.pred.model_id, real->model_id, sizeof nd.pred.model_id);
    const uint32_t W = 64;
    Bytes stored = Mixed(real.get(), W, "SSSSs"), z, back;
    ASSERT_EQ(Compress(stored, &nd.pred, W, 0, &z), LMC_OK) << lmc_last_error();
    ASSERT_EQ(lmc_test::FrameKinds(z), "SSSSS");
    ASSERT_EQ(Decompress(z, &nd.pred, &back, stored.size()), LMC_OK) << lmc_last_error();
    EXPECT_EQ(back, stored);
    Bytes win(W);
    size_t len = 0;
    ASSERT_EQ(lmc_decompress_window(z.data(), z.size(), &nd.pred, 4, win.data(), win.size(), &len), LMC_OK)
        << lmc_last_error();
    EXPECT_TRUE(len == W / 2 + 1 && std::equal(win.begin(), win.begin() + (long)len, stored.end() - (long)len));
    Bytes one_coded = Mixed(real.get(), W, "SSCSs");
    ASSERT_EQ(Compress(one_coded, &nd.pred, W, 0, &z), LMC_OK);
    ASSERT_EQ(lmc_test::FrameKinds(z), "SSCSS");
    EXPECT_EQ(Decompress(z, &nd.pred, &back, one_coded.size()), LMC_ERR_UNSUPPORTED);
    EXPECT_EQ(Decompress(z, real.get(), &back, one_coded.size()), LMC_OK) << lmc_last_error();
    EXPECT_EQ(back, one_coded);
}

// A mixed input (coded, random, coded windows) stores exactly the windows whose coded payload
// alone would not be shorter than the window: the oracle codes each window on its own and reads
// its payload size from the stats. Short last windows of either kind, windows 1, 64 and 2048.
TEST(Container, MixedStreamStoresExactlyTheWindowsThatDoNotShrink) {
    for (uint32_t W : {1u, 64u, 2048u})
        for (const std::string pattern : {"CCSSCC", "CSCSSCs", "SCc", "s", "c"}) {
            SCOPED_TRACE("W=" + std::to_string(W) + " " + pattern);
            Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 11, 3);
            Bytes in = Mixed(p.get(), W, pattern), z, back;
            lmc_codec_params params = lmc_codec_params_default();
            params.window_size = W;
            params.verify = 1;
            Source src{&in};
            lmc_codec_stats st{};
            ASSERT_EQ(lmc_compress_stream(&params, p.get(), SourceRead, &src, SinkWrite, &z, &st), LMC_OK)
                << lmc_last_error();
            std::string expect;
            uint64_t model_bytes = 0;
            for (size_t at = 0; at < in.size(); at += W) {
                Bytes one(in.begin() + (long)at, in.begin() + (long)std::min(in.size(), at + W)), z1;
                Source s1{&one};
                lmc_codec_stats st1{};
                ASSERT_EQ(lmc_compress_stream(&params, p.get(), SourceRead, &s1, SinkWrite, &z1, &st1), LMC_OK);
                expect += st1.model_bytes >= one.size() ? 'S' : 'C';
                model_bytes += st1.model_bytes;
            }
            EXPECT_EQ(lmc_test::FrameKinds(z), expect);
            if (W > 1) {  // with one byte per window even the likeliest byte may need a byte
                std::string upper;
                for (char c : pattern) upper += (char)toupper((unsigned char)c);
                EXPECT_EQ(expect, upper) << "the data is what Mixed() promises";
            }
            EXPECT_EQ(st.model_bytes, model_bytes);
            EXPECT_EQ(st.stored_windows, (uint64_t)std::count(expect.begin(), expect.end(), 'S'));
            Source zsrc{&z};
            lmc_codec_stats dst{};
            ASSERT_EQ(lmc_decompress_stream(p.get(), SourceRead, &zsrc, SinkWrite, &back, &dst), LMC_OK)
                << lmc_last_error();
            EXPECT_EQ(back, in);
            EXPECT_EQ(dst.stored_windows, st.stored_windows);
            EXPECT_EQ(dst.payload_bytes, st.payload_bytes);
            lmc_container_info info;
            ASSERT_EQ(lmc_container_info_read(z.data(), z.size(), &info), LMC_OK) << lmc_last_error();
            EXPECT_EQ(info.stored_windows, st.stored_windows);
            EXPECT_EQ(info.payload_bytes, st.payload_bytes);
            Bytes win(W);
            for (uint64_t k = 0; k < info.n_windows; k++) {
                size_t len = 0;
                ASSERT_EQ(lmc_decompress_window(z.data(), z.size(), p.get(), k, win.data(), win.size(), &len), LMC_OK)
                    << "window " << k << ": " << lmc_last_error();
                ASSERT_TRUE(std::equal(win.begin(), win.begin() + (long)len, in.begin() + (long)(k * W))) << k;
            }
        }
}

// Damage to a stored frame, by kind: a payload bit (the group CRC: CHECKSUM), the kind bit
// either way (a stored frame read as coded has P = n, a coded one read as stored P < n:
// CORRUPT), and its length (P no longer the window's: CORRUPT). The decoder hands out no byte of
// the damaged group, and the seek path refuses the same streams.
TEST(Container, StoredFrameDamageIsDetected) {
    const uint32_t W = 64;
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 2);
    Bytes in = Mixed(p.get(), W, "CSCs"), z;
    ASSERT_EQ(Compress(in, p.get(), W, 0, &z), LMC_OK);
    std::vector<lmc_test::FrameRecord> f = lmc_test::Frames(z);
    ASSERT_EQ(lmc_test::FrameKinds(z), "CSCS");
    ASSERT_EQ(z[f[1].offset] & 3, 3) << "tag 1 + 4P + 2: bit 1 of the first byte is K";
    struct Case {
        const char *name;
        Bytes bytes;
        lmc_status expect;
        const char *detail;
    };
    auto flipped = [&](size_t at, uint8_t mask) {
        Bytes b = z;
        b[at] ^= mask;
        return b;
    };
    auto retagged = [&](size_t frame, uint64_t tag) {  // the same varint length: index unchanged
        Bytes b = z;
        b[f[frame].offset] = (uint8_t)(tag | 0x80);
        b[f[frame].offset + 1] = (uint8_t)(tag >> 7);
        return b;
    };
    const std::vector<Case> cases = {
        {"stored payload bit", flipped(f[1].payload_offset + 10, 0x20), LMC_ERR_CHECKSUM, "CRC"},
        {"stored short payload bit", flipped(f[3].payload_offset, 0x01), LMC_ERR_CHECKSUM, "CRC"},
        {"stored kind bit", flipped(f[1].offset, 0x02), LMC_ERR_CORRUPT, "version 2 stores such a window"},
        {"coded kind bit", flipped(f[2].offset, 0x02), LMC_ERR_CORRUPT, "stored frame"},
        {"stored length", retagged(1, 1 + 4 * (W - 1) + 2), LMC_ERR_CORRUPT, "stored frame"},
    };
    for (const Case &c : cases) {
        SCOPED_TRACE(c.name);
        ASSERT_NE(c.bytes, z);
        Bytes out(in.size() + 1);
        lmc_decoder *d = nullptr;
        Source src{&c.bytes};
        ASSERT_EQ(lmc_decoder_create(p.get(), SourceRead, &src, &d), LMC_OK);
        size_t got = 0;
        lmc_status s = lmc_decoder_read(d, out.data(), out.size(), &got);
        EXPECT_EQ(s, c.expect) << lmc_last_error();
        EXPECT_NE(std::string(lmc_last_error()).find(c.detail), std::string::npos) << lmc_last_error();
        EXPECT_EQ(got, 0u) << "no byte of a damaged group goes out";
        lmc_decoder_destroy(d);
        Bytes win(W);
        size_t len = 0;
        EXPECT_NE(lmc_decompress_window(c.bytes.data(), c.bytes.size(), p.get(), 1, win.data(), win.size(), &len),
                  LMC_OK);
    }
}

namespace {
struct AtSource {
    const Bytes *data;
};
lmc_status AtRead(void *user, uint64_t off, void *dst, size_t n) {
    const Bytes *b = ((AtSource *)user)->data;
    if (off > b->size() || n > b->size() - off) return lmc_set_error(LMC_ERR_TRUNCATED, "past the end");
    if (n) memcpy(dst, b->data() + off, n);
    return LMC_OK;
}
}  // namespace

// The seek-path index reader (lmc_container_index_read) over a stream of several checksum
// groups with stored and coded windows and a short last one: it agrees with the frames
// themselves (each record offset starts that window's frame, of that length) and with
// lmc_container_info_read; lmc_container_index_write of what it read gives the stream's own
// index and trailer byte for byte (the encoder writes them with it). Negative controls: a
// flipped index byte, a truncation, a trailer pointing elsewhere and an index entry that moves
// the end record are each refused with a message, and nothing is held after a refusal.
TEST(Container, IndexReaderAgreesWithTheFramesAndRewritesTheIndex) {
    Pred p = MakePred(LMC_SYNTHETIC_RANDOM, 3, 3);
    const uint32_t W = 16384;
    Bytes in = Mixed(p.get(), W, "CCSCSCCSCc"), z;
    ASSERT_EQ(Compress(in, p.get(), W, 0, &z), LMC_OK) << lmc_last_error();
    AtSource src{&z};
    lmc_container_index ix;
    ASSERT_EQ(lmc_container_index_read(AtRead, &src, z.size(), &ix), LMC_OK) << lmc_last_error();
    lmc_container_info info;
    ASSERT_EQ(lmc_container_info_read(z.data(), z.size(), &info), LMC_OK) << lmc_last_error();
    EXPECT_EQ(ix.info.n_windows, info.n_windows);
    EXPECT_EQ(ix.info.original_bytes, info.original_bytes);
    EXPECT_EQ(ix.info.window_size, W);
    EXPECT_EQ(ix.info.group_windows, info.group_windows);
    EXPECT_EQ(ix.info.format_version, 2u);
    EXPECT_EQ(ix.info.file_bytes, z.size());
    EXPECT_EQ(0, memcmp(ix.info.model_id, info.model_id, LMC_MODEL_ID_SIZE));
    auto frames = lmc_test::Frames(z);
    ASSERT_EQ(frames.size(), ix.info.n_windows);
    for (size_t w = 0; w < frames.size(); w++) {
        EXPECT_EQ(ix.record_offsets[w], frames[w].offset) << "window " << w;
        EXPECT_EQ(ix.record_lens[w], frames[w].payload_offset + frames[w].payload_len - frames[w].offset)
            << "window " << w;
    }
    EXPECT_EQ(ix.record_offsets[ix.info.n_windows] + 5, ix.index_offset);
    EXPECT_EQ(z[ix.record_offsets[ix.info.n_windows]], 0) << "the end record's tag";
    Bytes tail;
    ASSERT_EQ(lmc_container_index_write(SinkWrite, &tail, ix.index_offset, ix.info.n_windows,
                                        ix.info.original_bytes, ix.record_lens),
              LMC_OK);
    EXPECT_EQ(tail, Bytes(z.begin() + (long)ix.index_offset, z.end()));
    const uint64_t index_offset = ix.index_offset;
    lmc_container_index_free(&ix);
    EXPECT_EQ(ix.record_lens, nullptr);

    struct Case {
        const char *name;
        Bytes bytes;
        lmc_status expect;
    };
    Bytes flipped = z, moved = z, entry = z;
    flipped[index_offset + 6] ^= 0x01;
    moved[z.size() - 16] ^= 0x01;  // the trailer's index offset
    // the first index entry one larger, the index CRC recomputed: the end record moves
    size_t first_entry = index_offset + 4 + 1 + 3;  // "LMCI", N (1 byte), T (3 bytes)
    ASSERT_LT(entry[first_entry] & 0x7F, 0x7F) << "one more keeps the varint's length";
    entry[first_entry] = (uint8_t)(entry[first_entry] + 1);
    size_t ilen = z.size() - 16 - index_offset;
    uint32_t crc = lmc_crc32(0, entry.data() + index_offset, ilen - 4);
    for (int i = 0; i < 4; i++) entry[index_offset + ilen - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
    const std::vector<Case> cases = {
        {"index bit", flipped, LMC_ERR_CHECKSUM},
        {"truncated", Bytes(z.begin(), z.end() - 1), LMC_ERR_TRUNCATED},
        {"trailer offset", moved, LMC_ERR_CORRUPT},
        {"index entry", entry, LMC_ERR_CORRUPT},
    };
    for (const Case &c : cases) {
        SCOPED_TRACE(c.name);
        AtSource bad{&c.bytes};
        lmc_clear_error();
        EXPECT_EQ(lmc_container_index_read(AtRead, &bad, c.bytes.size(), &ix), c.expect) << lmc_last_error();
        EXPECT_STRNE(lmc_last_error(), "");
        EXPECT_EQ(ix.record_lens, nullptr);
        EXPECT_EQ(ix.record_offsets, nullptr);
    }
}
