// The command line as a whole, without a server: parsing, usage errors, exit codes, and the
// messages for the problems an administrator meets first (no credential, nothing listening).
#include "cli/app.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace parley::cli {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

class RunCli : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("parley-cli-run-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `parley --data-dir <tmp> args...` with an empty environment.
  CliRun run(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> all{"parley", "--data-dir", dir_.string()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const auto& a : all) argv.push_back(a.c_str());
    std::istringstream in(input);
    std::ostringstream out, err;
    CliEnvironment env;
    env.env = [](const char*) { return std::optional<std::string>(); };
    CliRun r;
    r.code = run_cli(static_cast<int>(argv.size()), argv.data(), in, out, err, env);
    r.out = out.str();
    r.err = err.str();
    return r;
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  fs::path dir_;
};

TEST_F(RunCli, HelpIsExitZeroOnStdout) {
  const auto r = run({"user", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("set-password"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("import"), std::string::npos);
}

TEST_F(RunCli, UsageErrorsAreExitTwo) {
  EXPECT_EQ(run({}).code, 2);
  EXPECT_EQ(run({"user"}).code, 2);
  EXPECT_EQ(run({"user", "frobnicate"}).code, 2);
  EXPECT_EQ(run({"user", "get"}).code, 2) << "SIPURI is required";
  EXPECT_EQ(run({"user", "list", "--enabled", "--disabled"}).code, 2);
  EXPECT_EQ(run({"user", "list", "--limit", "0"}).code, 2);
  EXPECT_EQ(run({"user", "add", "a@x.org", "--password", "hunter22"}).code, 2)
      << "a password is never an argument";
}

TEST_F(RunCli, SetPasswordRequiresStdinFlag) {
  const auto r = run({"user", "set-password", "a@x.org"}, "a long password\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("password-stdin"), std::string::npos) << r.err;
}

TEST_F(RunCli, SetWithNothingToChangeIsAUsageError) {
  const auto r = run({"user", "set", "a@x.org"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("nothing to change"), std::string::npos) << r.err;
}

TEST_F(RunCli, MissingCredentialIsExitThreeAndSaysWhere) {
  const auto r = run({"user", "list"});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find((dir_ / "admin.credential").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("first start"), std::string::npos) << r.err;
}

TEST_F(RunCli, UnreachableServerIsExitThreeAndNamesTheUrl) {
  write("admin.credential", "secret-token-value\n");
  const auto r = run({"--server", "https://127.0.0.1:1", "user", "list"});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("https://127.0.0.1:1"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("secret-token-value"), std::string::npos) << "the token is never printed";
}

TEST_F(RunCli, GlobalOptionsAlsoWorkAfterTheVerb) {
  write("admin.credential", "t\n");
  const auto r = run({"user", "get", "a@x.org", "--server", "https://127.0.0.1:1", "--json"});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("127.0.0.1:1"), std::string::npos) << r.err;
}

TEST_F(RunCli, PlainHttpServerIsRefused) {
  write("admin.credential", "t\n");
  const auto r = run({"--server", "http://127.0.0.1:5443", "user", "list"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("https"), std::string::npos) << r.err;
}

TEST_F(RunCli, EmptyStdinForPasswordIsAUsageError) {
  write("admin.credential", "t\n");
  const auto r = run({"--server", "https://127.0.0.1:1", "user", "add", "a@x.org", "--password-stdin"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("no password"), std::string::npos) << r.err;
}

TEST_F(RunCli, ImportChecksTheHeaderBeforeNeedingAServer) {
  write("users.csv", "sipUri,displayName,shoeSize\na@x.org,A,42\n");
  const auto r = run({"user", "import", (dir_ / "users.csv").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("shoeSize"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("credential"), std::string::npos) << "failed before any connection: " << r.err;
}

TEST_F(RunCli, ImportOfOnlyBadRowsReportsLinesWithoutAServer) {
  write("users.csv", "sipUri,enabled\na@x.org,perhaps\n\"b@x.org,true\n");
  const auto r = run({"user", "import", (dir_ / "users.csv").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("line 2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 3:"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("created 0, updated 0, unchanged 0, failed 2"), std::string::npos) << r.out;
}

TEST_F(RunCli, ImportOfAMissingFileIsAUsageError) {
  const auto r = run({"user", "import", (dir_ / "nope.csv").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("nope.csv"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace parley::cli
