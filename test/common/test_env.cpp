// test_env.cpp : see test_env.h.
#include "test_env.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

#ifndef LMC_BINARY_DIR
#error "LMC_BINARY_DIR must be defined by the build"
#endif

namespace lmc_test {

const std::vector<lmc_device_info> &Devices() {
    static std::vector<lmc_device_info> devices = [] {
        lmc_device_info *list = nullptr;
        size_t count = 0;
        std::vector<lmc_device_info> out;
        if (lmc_devices_list(&list, &count) == LMC_OK) out.assign(list, list + count);
        lmc_devices_free(list);
        return out;
    }();
    return devices;
}

std::vector<std::string> RequiredDevices() {
    std::vector<std::string> names;
    const char *env = getenv("LMC_REQUIRE_DEVICES");
    if (!env) return names;
    std::stringstream ss(env);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) names.push_back(item);
    return names;
}

bool IsRequired(const std::string &name) {
    for (const auto &r : RequiredDevices())
        if (r == name) return true;
    return false;
}

static std::string Lower(std::string s) {
    for (auto &c : s) c = (char)std::tolower((unsigned char)c);
    return s;
}

int FindDevice(const std::string &name) {
    const auto &devices = Devices();
    // a selector ("cpu-ref", "P.D") names one device exactly, even among identical GPUs
    for (size_t i = 0; i < devices.size(); i++)
        if (name == devices[i].selector) return (int)i;
    if (name == "cpu-ref") return -1;
    int found = -1;
    for (size_t i = 0; i < devices.size(); i++) {
        std::string hay = Lower(std::string(devices[i].platform) + " " + devices[i].name);
        if (hay.find(Lower(name)) != std::string::npos) {
            if (found >= 0) return -1;  // ambiguous: treat as absent, the caller names it better
            found = (int)i;
        }
    }
    return found;
}

std::vector<lmc_device_info> AllDevices() { return Devices(); }

std::vector<std::string> GpuDeviceNames() {
    std::vector<std::string> out;
    for (const lmc_device_info &d : Devices())
        if (d.is_gpu && !d.is_simulator) out.push_back(d.selector);  // oclgrind reports GPU
    return out;
}

std::vector<std::string> CoveredDeviceNames() {
    auto required = RequiredDevices();
    if (!required.empty()) return required;
    return {"pthread", "basic", "oclgrind"};
}

std::string ReadFile(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

CommandResult RunLmc(const std::string &args, const std::string &stdin_text, const std::string &env) {
    std::string dir = MakeTempDir();
    std::string in = dir + "/stdin", out = dir + "/stdout", err = dir + "/stderr";
    {
        std::ofstream f(in, std::ios::binary);
        f << stdin_text;
    }
    std::string cmd = (env.empty() ? std::string() : "env " + env + " ") + std::string(LMC_BINARY_DIR) + "/lmc " + args + " <" + in + " >" + out +
                      " 2>" + err;
    int status = system(cmd.c_str());
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = ReadFile(out);
    result.err = ReadFile(err);
    std::string cleanup = "rm -rf '" + dir + "'";
    if (system(cleanup.c_str()) != 0) ADD_FAILURE() << "could not remove " << dir;
    return result;
}

std::string DataDir() {
    const char *env = getenv("LMC_DATA_DIR");
    std::string dir = env && env[0] ? std::string(env) : std::string(LMC_SOURCE_DIR) + "/../shared/data";
    struct stat st;
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return "";
    return dir;
}

std::string MakeTempDir() {
    const char *tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp && tmp[0] ? tmp : "/tmp") + "/lmc-test-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) return "";
    return std::string(buf.data());
}

TempDir::~TempDir() {
    if (path.empty()) return;
    std::string cmd = "rm -rf '" + path + "'";
    if (system(cmd.c_str()) != 0) ADD_FAILURE() << "cannot remove " << path;
}

size_t Count(const std::string &haystack, const std::string &needle) {
    size_t n = 0;
    for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1))
        n++;
    return n;
}

void WriteFile(const std::string &path, const std::string &bytes) {
    std::ofstream f(path, std::ios::binary);
    f << bytes;
}

bool FileExists(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

}  // namespace lmc_test
