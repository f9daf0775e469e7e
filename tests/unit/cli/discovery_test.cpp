// How the CLI finds the server, its CA and the admin credential.
#include "cli/discovery.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

namespace parley::cli {
namespace {

namespace fs = std::filesystem;

class Discovery : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("parley-cli-discovery-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  EnvLookup env() const {
    return [vars = env_](const char* name) -> std::optional<std::string> {
      auto it = vars.find(name);
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }
  ConnectionOptions in_dir() const {
    ConnectionOptions o;
    o.data_dir = dir_.string();
    return o;
  }

  fs::path dir_;
  std::map<std::string, std::string> env_;
};

constexpr const char* kEndpoints =
    R"({"pid":123,"internal":{"https":"https://127.0.0.1:15443","http":null},)"
    R"("external":{"https":"https://127.0.0.1:4443","http":"http://127.0.0.1:8080"}})";

TEST_F(Discovery, EndpointsFileNamesTheServer) {
  write(dir_ / "parleyd.endpoints.json", kEndpoints);
  const auto c = resolve_connection(in_dir(), env());
  EXPECT_EQ(c.server_url, "https://127.0.0.1:15443");
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(Discovery, WithoutEndpointsFileTheDefaultIsUsed) {
  const auto c = resolve_connection(in_dir(), env());
  EXPECT_EQ(c.server_url, "https://127.0.0.1:5443");
  EXPECT_TRUE(c.ca_file.empty()) << "no pki/ca.pem: the system trust store";
  EXPECT_EQ(c.credential_file, dir_ / "admin.credential");
}

TEST_F(Discovery, OptionBeatsEnvironmentBeatsEndpointsFile) {
  write(dir_ / "parleyd.endpoints.json", kEndpoints);
  env_["PARLEY_SERVER"] = "https://env.example:5443";
  EXPECT_EQ(resolve_connection(in_dir(), env()).server_url, "https://env.example:5443");
  auto o = in_dir();
  o.server = "https://opt.example:5443";
  EXPECT_EQ(resolve_connection(o, env()).server_url, "https://opt.example:5443");
}

TEST_F(Discovery, DataDirFromEnvironment) {
  write(dir_ / "parleyd.endpoints.json", kEndpoints);
  env_["PARLEY_DATA_DIR"] = dir_.string();
  const auto c = resolve_connection({}, env());
  EXPECT_EQ(c.data_dir, dir_);
  EXPECT_EQ(c.server_url, "https://127.0.0.1:15443");
}

TEST_F(Discovery, DefaultDataDirIsRelative) {
  EXPECT_EQ(resolve_connection({}, env()).data_dir, fs::path("./var/parley"));
}

TEST_F(Discovery, BrokenEndpointsFileFallsBackWithAWarning) {
  for (const char* text : {"{not json", R"({"internal":{"https":null}})", R"({"internal":{"https":"http://x:1"}})",
                           "[]"}) {
    write(dir_ / "parleyd.endpoints.json", text);
    const auto c = resolve_connection(in_dir(), env());
    EXPECT_EQ(c.server_url, "https://127.0.0.1:5443") << text;
    ASSERT_EQ(c.warnings.size(), 1u) << text;
    EXPECT_NE(c.warnings[0].find("parleyd.endpoints.json"), std::string::npos);
  }
  write(dir_ / "parleyd.endpoints.json", std::string(70 * 1024, ' '));
  EXPECT_EQ(resolve_connection(in_dir(), env()).warnings.size(), 1u);
}

TEST_F(Discovery, PlainHttpServerIsRefused) {
  auto o = in_dir();
  o.server = "http://127.0.0.1:5443";
  EXPECT_THROW(resolve_connection(o, env()), UsageError);
}

TEST_F(Discovery, CaFromDataDirOrOption) {
  write(dir_ / "pki" / "ca.pem", "x");
  EXPECT_EQ(resolve_connection(in_dir(), env()).ca_file, (dir_ / "pki" / "ca.pem").string());
  auto o = in_dir();
  o.ca_file = (dir_ / "nope.pem").string();
  EXPECT_THROW(resolve_connection(o, env()), UsageError);
}

TEST_F(Discovery, CredentialIsReadAndTrimmed) {
  write(dir_ / "admin.credential", "  tok3n-value\n");
  EXPECT_EQ(read_credential(resolve_connection(in_dir(), env())), "tok3n-value");
  write(dir_ / "other", "second");
  env_["PARLEY_CREDENTIAL_FILE"] = (dir_ / "other").string();
  EXPECT_EQ(read_credential(resolve_connection(in_dir(), env())), "second");
}

TEST_F(Discovery, MissingCredentialSaysWhereAndWhy) {
  try {
    read_credential(resolve_connection(in_dir(), env()));
    FAIL() << "no exception";
  } catch (const CredentialMissing& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find((dir_ / "admin.credential").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("first start"), std::string::npos) << msg;
  }
}

TEST_F(Discovery, UnusableCredentialFilesAreRefused) {
  write(dir_ / "admin.credential", "\n\n");
  EXPECT_THROW(read_credential(resolve_connection(in_dir(), env())), CredentialMissing);
  write(dir_ / "admin.credential", "two words");
  EXPECT_THROW(read_credential(resolve_connection(in_dir(), env())), CredentialMissing);
  write(dir_ / "admin.credential", std::string(5000, 'a'));
  EXPECT_THROW(read_credential(resolve_connection(in_dir(), env())), CredentialMissing);
}

}  // namespace
}  // namespace parley::cli
