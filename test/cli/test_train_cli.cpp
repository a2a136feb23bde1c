// test_train_cli.cpp : `lmc train` as a user meets it. Proves: usage errors exit 2; a run writes
// the model, the CSV log, the PNG plot and the checkpoint next to -o; the same seed gives the
// same loss at every step and a byte-identical model file; a run killed with SIGKILL (the
// LMC_TEST_KILL_AT_STEP hook raises it right after a step) and resumed with --resume ends with
// the same model file and the same losses as the uninterrupted run, on cpu-ref and on OpenCL.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lmc/model.h"
#include "test_env.h"

namespace {

using lmc_test::RunLmc;

std::string ReadAll(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// The (step, loss) columns of a training log; tokens/s differs run to run, the rest must not.
std::vector<std::string> LossColumns(const std::string &csv) {
    std::vector<std::string> rows;
    std::istringstream in(csv);
    std::string line;
    while (std::getline(in, line)) {
        size_t c1 = line.find(','), c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
        rows.push_back(line.substr(0, c2));
    }
    return rows;
}

std::string MakeText(const std::string &dir, const std::string &name, size_t n, unsigned seed) {
    std::string s;
    const char *words[] = {"lossless ", "compression ", "with ", "language ", "models, ", "byte ", "by ", "byte.\n"};
    unsigned x = seed;
    while (s.size() < n) {
        x = x * 1103515245u + 12345u;
        s += words[(x >> 16) % 8];
    }
    s.resize(n);
    std::ofstream(dir + "/" + name, std::ios::binary) << s;
    return dir + "/" + name;
}

const char *kTrainArgs = " --config tiny --context 32 --batch 2 --steps 12 --lr 3e-3 --warmup 2 --seed 3"
                         " --eval-every 5 --eval-windows 2 --checkpoint-every 4";

TEST(TrainCli, UsageErrors) {
    auto help = RunLmc("train --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("Usage: lmc train"), std::string::npos);
    EXPECT_EQ(RunLmc("train -o x.safetensors").exit_code, 2);
    EXPECT_EQ(RunLmc("train --data x").exit_code, 2);
    auto preset = RunLmc("train --data x -o y --config 5m");
    EXPECT_EQ(preset.exit_code, 2);
    EXPECT_NE(preset.err.find("unknown model preset '5m'"), std::string::npos) << preset.err;
    EXPECT_EQ(RunLmc("train --data x -o y --config tiny --d-model 32").exit_code, 2);
    EXPECT_EQ(RunLmc("train --data x -o y --d-model 30 --layers 1 --heads 4").exit_code, 2);
    EXPECT_EQ(RunLmc("train --data x -o y --schedule linear").exit_code, 2);
    auto long_window = RunLmc("train --data x -o y --config tiny --window 65");
    EXPECT_EQ(long_window.exit_code, 2);
    EXPECT_NE(long_window.err.find("--window 65 is longer than the context 64"), std::string::npos) << long_window.err;
    auto resume_init = RunLmc("train --data x -o y --config tiny --resume --init z");
    EXPECT_EQ(resume_init.exit_code, 2);
    EXPECT_NE(resume_init.err.find("--resume"), std::string::npos) << resume_init.err;
    auto missing = RunLmc("train --data /nonexistent/file --config tiny -o /tmp/never.safetensors --device cpu-ref");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("/nonexistent/file"), std::string::npos);
}

TEST(TrainCli, SameSeedSameRunAndAllOutputs) {
    std::string dir = lmc_test::MakeTempDir();
    std::string train = MakeText(dir, "train.txt", 5000, 1), eval = MakeText(dir, "eval.txt", 1000, 2);
    std::string cmd = "train --data " + train + " --eval-data " + eval + kTrainArgs + " --device cpu-ref -o " + dir;
    auto a = RunLmc(cmd + "/a.safetensors");
    ASSERT_EQ(a.exit_code, 0) << a.err;
    auto b = RunLmc(cmd + "/b.safetensors");
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_NE(a.err.find("step 12/12"), std::string::npos) << a.err;
    EXPECT_NE(a.err.find("eval bpb"), std::string::npos) << a.err;
    std::string ma = ReadAll(dir + "/a.safetensors");
    ASSERT_FALSE(ma.empty());
    EXPECT_EQ(ma, ReadAll(dir + "/b.safetensors")) << "same seed, different model files";
    auto la = LossColumns(ReadAll(dir + "/a.csv"));
    EXPECT_EQ(la.size(), 13u);  // header + 12 steps
    EXPECT_EQ(la, LossColumns(ReadAll(dir + "/b.csv")));
    EXPECT_EQ(ReadAll(dir + "/a.png").substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    EXPECT_FALSE(ReadAll(dir + "/a.ckpt").empty());
    lmc_model *m = nullptr;
    ASSERT_EQ(lmc_model_load((dir + "/a.safetensors").c_str(), &m), LMC_OK) << lmc_last_error();
    EXPECT_EQ(lmc_model_get_config(m)->d_model, 16);
    EXPECT_EQ(lmc_model_get_config(m)->context, 32);
    lmc_model_destroy(m);
    // Control: another seed, another model.
    auto c = RunLmc("train --data " + train + kTrainArgs + " --seed 4 --device cpu-ref -q -o " + dir + "/c.safetensors");
    ASSERT_EQ(c.exit_code, 0) << c.err;
    EXPECT_NE(ma, ReadAll(dir + "/c.safetensors"));
    std::system(("rm -rf '" + dir + "'").c_str());
}

// --resume --export writes the checkpoint's weights: after a finished run (its last checkpoint
// is the last step) the exported file is the run's model byte for byte, and no step is taken
// (the CSV is untouched). --export without --resume is a usage error.
TEST(TrainCli, ExportWritesTheCheckpointsModel) {
    std::string dir = lmc_test::MakeTempDir();
    std::string train = MakeText(dir, "train.txt", 5000, 1);
    auto a = RunLmc("train --data " + train + kTrainArgs + " --device cpu-ref -q -o " + dir + "/a.safetensors");
    ASSERT_EQ(a.exit_code, 0) << a.err;
    std::string csv = ReadAll(dir + "/a.csv");
    EXPECT_EQ(RunLmc("train --data " + train + " --export -o " + dir + "/a.safetensors").exit_code, 2);
    auto e = RunLmc("train --data " + train + " --resume --export --device cpu-ref -o " + dir + "/a.safetensors");
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_NE(e.err.find("at step 12"), std::string::npos) << e.err;
    std::string model = ReadAll(dir + "/a.safetensors");
    ASSERT_FALSE(model.empty());
    EXPECT_EQ(ReadAll(dir + "/a.csv"), csv) << "--export took a step";
    // the same bytes as the trained model: a second, uninterrupted run writes them too
    auto b = RunLmc("train --data " + train + kTrainArgs + " --device cpu-ref -q -o " + dir + "/b.safetensors");
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(model, ReadAll(dir + "/b.safetensors"));
    std::system(("rm -rf '" + dir + "'").c_str());
}

// On real text (shared/data, enwik8): a short cpu-ref run of the tiny model learns something,
// its held-out bits/byte fall well below the 8 of a uniform guess. Bounded: 60 steps of 4x64.
TEST(TrainCli, RealTextTinyRunLearns) {
    std::string data = lmc_test::DataDir();
    if (data.empty()) GTEST_SKIP() << "corpora absent (LMC_DATA_DIR or ../shared/data)";
    std::string train = data + "/text/train/enwik8_bytes_0-2604491.xml";
    std::string eval = data + "/text/eval/enwik8_bytes_2604491-4154399.xml";
    if (ReadAll(train).empty() || ReadAll(eval).empty()) GTEST_SKIP() << "enwik8 slices absent from " << data;
    std::string dir = lmc_test::MakeTempDir();
    // Only the first 200 kB of the training slice: copy it so the run reads a bounded file.
    std::ofstream(dir + "/train.xml", std::ios::binary) << ReadAll(train).substr(0, 200000);
    std::ofstream(dir + "/eval.xml", std::ios::binary) << ReadAll(eval).substr(0, 20000);
    auto r = RunLmc("train --data " + dir + "/train.xml --eval-data " + dir + "/eval.xml --config tiny --batch 4"
                    " --steps 60 --lr 1e-2 --eval-every 60 --eval-windows 8 --device cpu-ref -o " + dir + "/m.safetensors");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string csv = ReadAll(dir + "/m.csv");
    std::string last = csv.substr(csv.rfind(',') + 1);
    double eval_bpb = std::stod(last);
    EXPECT_LT(eval_bpb, 6.0) << r.err;
    EXPECT_GT(eval_bpb, 1.0) << r.err;
    std::system(("rm -rf '" + dir + "'").c_str());
}

class TrainResume : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainResume, KilledRunResumesExactly) {
    const std::string dev = GetParam();
    if (dev != "cpu-ref" && lmc_test::FindDevice(dev) < 0) {
        if (lmc_test::IsRequired(dev)) FAIL() << "required device '" << dev << "' missing";
        GTEST_SKIP() << "device '" << dev << "' not present";
    }
    std::string dir = lmc_test::MakeTempDir();
    std::string train = MakeText(dir, "train.txt", 5000, 1), eval = MakeText(dir, "eval.txt", 1000, 2);
    std::string cmd = "train --data " + train + " --eval-data " + eval + kTrainArgs + " --device " + dev + " -o " + dir;
    auto whole = RunLmc(cmd + "/u.safetensors");
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    // Killed after step 7: the last checkpoint is step 4, so steps 5..7 are done again.
    auto killed = RunLmc(cmd + "/k.safetensors", "", "LMC_TEST_KILL_AT_STEP=7");
    EXPECT_EQ(killed.exit_code, 128 + 9) << killed.err;
    EXPECT_TRUE(ReadAll(dir + "/k.safetensors").empty()) << "a killed run must not leave a model";
    auto resumed = RunLmc(cmd + "/k.safetensors --resume");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_NE(resumed.err.find("(resumed)"), std::string::npos);
    EXPECT_EQ(ReadAll(dir + "/u.safetensors"), ReadAll(dir + "/k.safetensors")) << "resumed model differs";
    EXPECT_EQ(LossColumns(ReadAll(dir + "/u.csv")), LossColumns(ReadAll(dir + "/k.csv")));
    // Without a checkpoint, --resume is an error, not a fresh start.
    auto none = RunLmc(cmd + "/none.safetensors --resume");
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_NE(none.err.find("none.ckpt"), std::string::npos) << none.err;
    std::system(("rm -rf '" + dir + "'").c_str());
}

INSTANTIATE_TEST_SUITE_P(Devices, TrainResume, ::testing::Values("cpu-ref", "pthread"),
                         [](const ::testing::TestParamInfo<std::string> &p) {
                             return p.param == "cpu-ref" ? std::string("cpu_ref") : p.param;
                         });

}  // namespace
