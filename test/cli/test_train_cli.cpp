// test_train_cli.cpp : `lmc train` as a user meets it. Proves: usage errors exit 2; a run writes
// the model, the CSV log, the PNG plot and the checkpoint next to -o; the same seed gives the
// same loss at every step and a byte-identical model file; a run killed with SIGKILL (the
// LMC_TEST_KILL_AT_STEP hook raises it right after a step) and resumed with --resume ends with
// the same model file and the same losses as the uninterrupted run, on cpu-ref and on OpenCL;
// Ctrl-C (SIGINT) and SIGTERM stop a run between two steps with a checkpoint and exit 130 / 143,
// and the run resumed from it ends with the uninterrupted run's model; --json prints one JSON
// object on stdout and nothing else; several --eval-data are each evaluated and logged.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <regex>
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
    EXPECT_EQ(a.err.find("are never trained"), std::string::npos) << "window = context: no note\n" << a.err;
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

// Sinusoidal positions do not extrapolate (the 800k run at window 512 coded 2048-byte chunks at
// 53%, models/800k.md): a run with --window below the context says which positions stay
// untrained and what to do, once, before the first step.
TEST(TrainCli, ShortWindowSaysWhichPositionsStayUntrained) {
    std::string dir = lmc_test::MakeTempDir();
    std::string train = MakeText(dir, "train.txt", 5000, 1);
    std::string cmd = "train --data " + train + " --config tiny --context 32 --window 16 --batch 2 --steps 2"
                      " --lr 3e-3 --device cpu-ref";
    auto r = RunLmc(cmd + " -o " + dir + "/w.safetensors");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("window 16 < context 32: positions 16..31 are never trained"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--window 32 before coding 32-byte windows"), std::string::npos) << r.err;
    auto q = RunLmc(cmd + " -q -o " + dir + "/q.safetensors");
    ASSERT_EQ(q.exit_code, 0) << q.err;
    EXPECT_EQ(q.err, "") << "-q prints nothing";
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

// Ctrl-C at a known step: the LMC_TEST_INTERRUPT_AT_STEP hook raises SIGINT right after step 6,
// through lmc's own handler, as a user's Ctrl-C during step 6 would. The periodic checkpoints
// fall at steps 4, 8 and 12, so a checkpoint at step 6 can only be the interrupt's: the run
// exits 130, leaves no model, a log of exactly steps 1..6 and a checkpoint of step 6 (what
// --resume --export reports), and the resumed run ends with the uninterrupted run's model file
// and losses, byte for byte (the determinism contract of train.h).
TEST_P(TrainResume, InterruptedRunCheckpointsAndResumesExactly) {
    const std::string dev = GetParam();
    if (dev != "cpu-ref" && lmc_test::FindDevice(dev) < 0) {
        if (lmc_test::IsRequired(dev)) FAIL() << "required device '" << dev << "' missing";
        GTEST_SKIP() << "device '" << dev << "' not present";
    }
    lmc_test::TempDir dir;
    std::string train = MakeText(dir.path, "train.txt", 5000, 1), eval = MakeText(dir.path, "eval.txt", 1000, 2);
    std::string cmd = "train --data " + train + " --eval-data " + eval + kTrainArgs + " --device " + dev + " -o " + dir.path;
    auto whole = RunLmc(cmd + "/u.safetensors -q");
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    auto stopped = RunLmc(cmd + "/i.safetensors", "", "LMC_TEST_INTERRUPT_AT_STEP=6");
    EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
    EXPECT_NE(stopped.err.find("SIGINT at step 6/12"), std::string::npos) << stopped.err;
    EXPECT_NE(stopped.err.find(dir / "i.ckpt"), std::string::npos) << stopped.err;
    EXPECT_EQ(stopped.err.find("step 7/12"), std::string::npos) << "a step ran after the interrupt:\n" << stopped.err;
    EXPECT_FALSE(lmc_test::FileExists(dir / "i.safetensors")) << "an interrupted run must not leave a model";
    auto rows = LossColumns(ReadAll(dir / "i.csv"));
    ASSERT_EQ(rows.size(), 7u) << "header + steps 1..6";
    auto u_rows = LossColumns(ReadAll(dir / "u.csv"));
    ASSERT_EQ(u_rows.size(), 13u);
    EXPECT_EQ(rows, std::vector<std::string>(u_rows.begin(), u_rows.begin() + 7));
    // The checkpoint is the interrupt's own (step 6), and --resume reads it.
    // (A copy, e.ckpt, so that i's files stay as the interrupt left them.)
    lmc_test::WriteFile(dir / "e.ckpt", ReadAll(dir / "i.ckpt"));
    auto exported = RunLmc("train --data " + train + " --resume --export --device " + dev + " -o " + dir / "e.safetensors");
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_NE(exported.err.find("at step 6"), std::string::npos) << exported.err;
    auto resumed = RunLmc(cmd + "/i.safetensors --resume");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_NE(resumed.err.find("(resumed)"), std::string::npos);
    EXPECT_NE(resumed.err.find("step 7/12"), std::string::npos) << "resumed after step 6:\n" << resumed.err;
    EXPECT_EQ(resumed.err.find("step 6/12"), std::string::npos) << "resumed before step 6:\n" << resumed.err;
    std::string u = ReadAll(dir / "u.safetensors");
    ASSERT_FALSE(u.empty());
    EXPECT_EQ(u, ReadAll(dir / "i.safetensors")) << "interrupted + resumed model differs";
    EXPECT_EQ(LossColumns(ReadAll(dir / "u.csv")), LossColumns(ReadAll(dir / "i.csv")));
}

INSTANTIATE_TEST_SUITE_P(Devices, TrainResume, ::testing::Values("cpu-ref", "pthread"),
                         [](const ::testing::TestParamInfo<std::string> &p) {
                             return p.param == "cpu-ref" ? std::string("cpu_ref") : p.param;
                         });

// Start lmc with `args` (no shell: the pid is lmc's own), stdout and stderr to files, SIGINT and
// SIGTERM at their default action whatever this process inherited (an ignored SIGINT would be
// kept ignored by lmc, like nohup).
pid_t SpawnLmc(const std::vector<std::string> &args, const std::string &out, const std::string &err) {
    std::vector<std::string> argv = {std::string(LMC_BINARY_DIR) + "/lmc"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char *> cargv;
    for (auto &a : argv) cargv.push_back(const_cast<char *>(a.c_str()));
    cargv.push_back(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int null = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || null < 0) _exit(126);
        dup2(null, STDIN_FILENO);
        dup2(o, STDOUT_FILENO);
        dup2(e, STDERR_FILENO);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execv(cargv[0], cargv.data());
        _exit(127);
    }
    return pid;
}

double JsonNumber(const std::string &json, const std::string &key) {
    std::regex re("\"" + key + "\": (-?[0-9.eE+-]+)");
    std::smatch m;
    return std::regex_search(json, m, re) ? std::stod(m[1].str()) : -1.0;
}

std::string JsonString(const std::string &json, const std::string &key) {
    std::regex re("\"" + key + "\": (\"[^\"]*\"|null|true|false)");
    std::smatch m;
    return std::regex_search(json, m, re) ? m[1].str() : std::string("<missing>");
}

// A real signal from outside, at whatever step the run is in: lmc (started here without a shell)
// trains a run that cannot end during the test (10^8 steps, no periodic checkpoint before the
// last); once its progress shows step 1 on stderr the test sends the signal. lmc must exit with
// 128 + the signal (not die of it), leave a checkpoint (which only the handler can have written:
// none existed when the signal was sent), print one JSON object whose step count equals the
// log's last row, and --resume must continue from exactly that step.
class TrainSignal : public ::testing::TestWithParam<int> {};

TEST_P(TrainSignal, ExternalSignalCheckpointsAndExits) {
    const int sig = GetParam();
    lmc_test::TempDir dir;
    std::string train = MakeText(dir.path, "train.txt", 5000, 1);
    std::vector<std::string> args = {"train", "--data", train, "--config", "tiny", "--context", "32", "--batch", "2",
                                     "--steps", "100000000", "--checkpoint-every", "100000000", "--log-every", "1",
                                     "--device", "cpu-ref", "--json", "-o", dir / "m.safetensors"};
    pid_t pid = SpawnLmc(args, dir / "out", dir / "err");
    ASSERT_GT(pid, 0);
    // Wait for the first step's progress line (or for lmc to end, which fails below).
    int status = 0;
    pid_t ended = 0;
    while (lmc_test::ReadFile(dir / "err").find("step 1/") == std::string::npos) {
        ended = waitpid(pid, &status, WNOHANG);
        if (ended != 0) break;
        usleep(10000);  // polling, not a timing assumption
    }
    ASSERT_EQ(ended, 0) << "lmc train ended before its first step: " << lmc_test::ReadFile(dir / "err");
    ASSERT_FALSE(lmc_test::FileExists(dir / "m.ckpt")) << "a checkpoint before the signal";
    ASSERT_EQ(kill(pid, sig), 0);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    std::string err = lmc_test::ReadFile(dir / "err"), out = lmc_test::ReadFile(dir / "out");
    ASSERT_TRUE(WIFEXITED(status)) << "lmc died of signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0) << ":\n"
                                   << err.substr(err.size() > 2000 ? err.size() - 2000 : 0);
    EXPECT_EQ(WEXITSTATUS(status), 128 + sig);
    const std::string name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    EXPECT_NE(err.find(name + " at step "), std::string::npos) << err.substr(err.size() > 2000 ? err.size() - 2000 : 0);
    EXPECT_TRUE(lmc_test::FileExists(dir / "m.ckpt")) << "no checkpoint after " << name;
    EXPECT_FALSE(lmc_test::FileExists(dir / "m.safetensors"));
    // One JSON object, stdout holding nothing else.
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.front(), '{') << out;
    EXPECT_EQ(out.find('\n'), out.size() - 1) << out;
    EXPECT_EQ(JsonString(out, "interrupted"), "true") << out;
    EXPECT_EQ(JsonString(out, "signal"), "\"" + name + "\"") << out;
    EXPECT_EQ(JsonString(out, "model"), "null") << out;
    EXPECT_EQ(JsonString(out, "checkpoint"), "\"" + dir / "m.ckpt" + "\"") << out;
    long steps = (long)JsonNumber(out, "steps");
    ASSERT_GE(steps, 1) << out;
    auto rows = LossColumns(ReadAll(dir / "m.csv"));
    ASSERT_EQ(rows.size(), (size_t)steps + 1) << "header + one row a step";
    EXPECT_EQ(rows.back().substr(0, rows.back().find(',')), std::to_string(steps));
    // --resume continues from that step: the hook stops it again two steps later.
    auto resumed = RunLmc("train --data " + train + " --resume --log-every 1 --device cpu-ref -o " + dir / "m.safetensors", "",
                          "LMC_TEST_INTERRUPT_AT_STEP=" + std::to_string(steps + 2));
    EXPECT_EQ(resumed.exit_code, 130) << resumed.err;
    EXPECT_NE(resumed.err.find("step " + std::to_string(steps + 1) + "/100000000"), std::string::npos) << resumed.err;
    EXPECT_EQ(resumed.err.find("step " + std::to_string(steps) + "/100000000"), std::string::npos) << resumed.err;
    EXPECT_NE(resumed.err.find("SIGINT at step " + std::to_string(steps + 2) + "/"), std::string::npos) << resumed.err;
}

INSTANTIATE_TEST_SUITE_P(Signals, TrainSignal, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int> &p) {
                             return std::string(p.param == SIGINT ? "sigint" : "sigterm");
                         });

// --json: stdout is exactly one JSON object (progress and messages stay on stderr) with the
// run's step count, speed, final losses (train and eval) and the output paths; the final train
// loss is the log's last row. Control: without --json stdout is empty.
TEST(TrainCli, JsonSummary) {
    lmc_test::TempDir dir;
    std::string train = MakeText(dir.path, "train.txt", 5000, 1), eval = MakeText(dir.path, "eval.txt", 1000, 2);
    std::string cmd = "train --data " + train + " --eval-data " + eval + kTrainArgs + " --device cpu-ref -o ";
    auto plain = RunLmc(cmd + dir / "p.safetensors");
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_TRUE(plain.out.empty()) << plain.out;
    auto r = RunLmc(cmd + dir / "j.safetensors --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("step 12/12"), std::string::npos) << "progress still goes to stderr";
    ASSERT_FALSE(r.out.empty());
    EXPECT_EQ(r.out.front(), '{') << r.out;
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line: " << r.out;
    EXPECT_EQ(r.out.substr(r.out.size() - 2), "}\n") << r.out;
    EXPECT_EQ(JsonNumber(r.out, "steps"), 12.0) << r.out;
    EXPECT_EQ(JsonNumber(r.out, "steps_run"), 12.0) << r.out;
    EXPECT_EQ(JsonNumber(r.out, "target_steps"), 12.0) << r.out;
    EXPECT_GT(JsonNumber(r.out, "tokens_per_s"), 0.0) << r.out;
    EXPECT_GT(JsonNumber(r.out, "eval_bits_per_byte"), 0.0) << r.out;
    EXPECT_EQ(JsonString(r.out, "interrupted"), "false") << r.out;
    EXPECT_EQ(JsonString(r.out, "signal"), "null") << r.out;
    EXPECT_EQ(JsonString(r.out, "model"), "\"" + dir / "j.safetensors" + "\"") << r.out;
    EXPECT_EQ(JsonString(r.out, "checkpoint"), "\"" + dir / "j.ckpt" + "\"") << r.out;
    EXPECT_EQ(JsonString(r.out, "log"), "\"" + dir / "j.csv" + "\"") << r.out;
    EXPECT_EQ(JsonString(r.out, "plot"), "\"" + dir / "j.png" + "\"") << r.out;
    // The final losses are the last logged ones (step 12's row: loss in nats, then bits/byte).
    std::string csv = ReadAll(dir / "j.csv");
    std::string last = csv.substr(csv.rfind("\n12,") + 1);
    double loss = 0, bpb = 0;
    ASSERT_EQ(std::sscanf(last.c_str(), "12,%lf,%lf", &loss, &bpb), 2) << last;
    EXPECT_NEAR(JsonNumber(r.out, "train_loss_nats"), loss, 1e-6) << r.out;
    EXPECT_NEAR(JsonNumber(r.out, "train_bits_per_byte"), bpb, 1e-6) << r.out;
    EXPECT_NEAR(JsonNumber(r.out, "eval_bits_per_byte"), std::stod(last.substr(last.rfind(',') + 1)), 1e-6) << r.out;
    // A strict parser agrees that it is JSON, where Debian's python3 is there.
    if (access("/usr/bin/python3", X_OK) == 0) {
        lmc_test::WriteFile(dir / "j.json", r.out);
        EXPECT_EQ(std::system(("/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' " + dir / "j.json").c_str()), 0)
            << r.out;
    }
    EXPECT_EQ(RunLmc("train --data " + train + " --resume --export --json -o " + dir / "j.safetensors").exit_code, 2);
}

// Several --eval-data: each is evaluated on its own (before this, they were concatenated and the
// first --eval-windows windows of the first one were all that counted). The CSV gains one
// column per --eval-data after eval_bits_per_byte, which is their mean; each column equals the
// eval column of the same run with that --eval-data alone (same seed: same model); --json's
// eval_bits_per_byte_each lists them; a run killed and resumed keeps the columns and the rows.
// Controls: the two held-out sets give different numbers; one --eval-data adds no column.
TEST(TrainCli, EachEvalDataIsEvaluatedOnItsOwn) {
    lmc_test::TempDir dir;
    std::string train = MakeText(dir.path, "train.txt", 5000, 1), prose = MakeText(dir.path, "prose.txt", 1000, 2);
    std::string digits;
    for (int i = 0; digits.size() < 1000; i++) digits += std::to_string(i * 7919 % 10007) + "\n";
    std::ofstream(dir / "digits.txt", std::ios::binary) << digits;
    std::string base = "train --data " + train + kTrainArgs + " --device cpu-ref";
    auto both = RunLmc(base + " --eval-data " + prose + " --eval-data " + dir / "digits.txt" + " --json -o " +
                       dir / "both.safetensors");
    ASSERT_EQ(both.exit_code, 0) << both.err;
    auto one = RunLmc(base + " --eval-data " + prose + " -q -o " + dir / "one.safetensors");
    auto two = RunLmc(base + " --eval-data " + dir / "digits.txt" + " -q -o " + dir / "two.safetensors");
    ASSERT_EQ(one.exit_code, 0) << one.err;
    ASSERT_EQ(two.exit_code, 0) << two.err;
    EXPECT_NE(both.err.find("eval 2: " + dir / "digits.txt"), std::string::npos) << both.err;
    EXPECT_NE(both.err.find(" (1: "), std::string::npos) << both.err;
    // rows[step] = the CSV's fields
    auto rows = [](const std::string &csv) {
        std::vector<std::vector<std::string>> out;
        std::stringstream lines(csv);
        for (std::string line; std::getline(lines, line);) {
            std::vector<std::string> f;
            std::stringstream fields(line);
            for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
            if (!line.empty() && line.back() == ',') f.push_back("");
            out.push_back(f);
        }
        return out;
    };
    std::string both_csv = ReadAll(dir / "both.csv");
    auto b = rows(both_csv), o = rows(ReadAll(dir / "one.csv")), t = rows(ReadAll(dir / "two.csv"));
    ASSERT_EQ(b.size(), 13u);
    ASSERT_EQ(o.size(), 13u);
    ASSERT_EQ(t.size(), 13u);
    EXPECT_EQ(b[0].size(), 8u) << both_csv;
    EXPECT_EQ(b[0][6], "eval1_bits_per_byte");
    EXPECT_EQ(b[0][7], "eval2_bits_per_byte");
    EXPECT_EQ(o[0].size(), 6u) << "one --eval-data: no extra column";
    int evals = 0;
    for (size_t r = 1; r < b.size(); r++) {
        ASSERT_EQ(b[r].size(), 8u) << r;
        if (b[r][5].empty()) {
            EXPECT_TRUE(b[r][6].empty() && b[r][7].empty()) << r;
            continue;
        }
        evals++;
        double e1 = std::stod(b[r][6]), e2 = std::stod(b[r][7]);
        EXPECT_NEAR(std::stod(b[r][5]), (e1 + e2) / 2, 2e-6) << r;
        EXPECT_EQ(b[r][6], o[r][5]) << r;
        EXPECT_EQ(b[r][7], t[r][5]) << r;
        EXPECT_GT(std::fabs(e1 - e2), 0.05) << "control: the two held-out sets differ";
    }
    EXPECT_EQ(evals, 3);  // steps 5, 10 and the last
    EXPECT_NE(both.out.find("\"eval_bits_per_byte_each\": [" + b[12][6] + ", " + b[12][7] + "]"), std::string::npos)
        << both.out;
    // Killed after step 7 and resumed: the same log, columns included.
    std::string cmd = base + " --eval-data " + prose + " --eval-data " + dir / "digits.txt" + " -q -o " + dir / "k.safetensors";
    auto killed = RunLmc(cmd, "", "LMC_TEST_KILL_AT_STEP=7");
    EXPECT_NE(killed.exit_code, 0);
    auto resumed = RunLmc(cmd + " --resume");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    auto k = rows(ReadAll(dir / "k.csv"));
    ASSERT_EQ(k.size(), b.size());
    for (size_t r = 0; r < b.size(); r++) {
        ASSERT_EQ(k[r].size(), b[r].size()) << r;
        for (size_t c = 0; c < b[r].size(); c++)
            if (c != 4 || r == 0) {  // column 4, tokens/s, is a timing
                EXPECT_EQ(k[r][c], b[r][c]) << "row " << r << " column " << c;
            }
    }
}

}  // namespace
