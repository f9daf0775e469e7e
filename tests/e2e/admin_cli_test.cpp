// The `parley` CLI against a running parleyd, as an administrator types it.
#include "harness.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <fstream>

namespace parley::e2e {
namespace {

class Cli : public ::testing::Test {
protected:
  void SetUp() override { server.start_with_test_config(dir.path()); }

  CommandResult parley(std::vector<std::string> args, const std::string& input = "") {
    return run_parley(server, args, input);
  }
  boost::json::value user_json(const std::string& sip) {
    auto r = http_request("GET", server.internal_https + "/admin/v1/users/" + sip, server.ca_file(),
                          "", server.admin_credential());
    EXPECT_EQ(r.status, 200) << r.body;
    return boost::json::parse(r.body);
  }

  TempDir dir;
  Parleyd server;
};

TEST_F(Cli, AddListDisableEnableRemove) {
  auto add = parley({"user", "add", "alice@example.org", "--name", "Alice Example", "--password-stdin"},
                    "correct horse battery\n");
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  auto alice = user_json("alice@example.org");
  EXPECT_EQ(alice.at("displayName").as_string(), "Alice Example");
  EXPECT_TRUE(alice.at("hasPassword").as_bool());
  EXPECT_TRUE(alice.at("enabled").as_bool());

  auto list = parley({"user", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("alice@example.org"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("Alice Example"), std::string::npos) << list.out;

  auto disable = parley({"user", "disable", "alice@example.org"});
  ASSERT_EQ(disable.exit_code, 0) << disable.err;
  EXPECT_FALSE(user_json("alice@example.org").at("enabled").as_bool());

  auto json = parley({"--json", "user", "get", "alice@example.org"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_FALSE(boost::json::parse(json.out).at("enabled").as_bool());

  ASSERT_EQ(parley({"user", "enable", "alice@example.org"}).exit_code, 0);
  EXPECT_TRUE(user_json("alice@example.org").at("enabled").as_bool());

  ASSERT_EQ(parley({"user", "remove", "alice@example.org"}).exit_code, 0);
  auto gone = parley({"user", "get", "alice@example.org"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("NotFound"), std::string::npos) << gone.err;
}

TEST_F(Cli, SetChangesOnlyTheNamedFields) {
  ASSERT_EQ(parley({"user", "add", "bob@example.org", "--name", "Bob", "--title", "Engineer"}).exit_code, 0);
  auto set = parley({"user", "set", "bob@example.org", "--department", "R&D", "--phone-mobile", "+1 555 0100"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  auto bob = user_json("bob@example.org");
  EXPECT_EQ(bob.at("title").as_string(), "Engineer");
  EXPECT_EQ(bob.at("department").as_string(), "R&D");
  EXPECT_EQ(bob.at("phones").at("mobile").as_string(), "+1 555 0100");
}

TEST_F(Cli, AddingTheSameUserTwiceIsAConflict) {
  ASSERT_EQ(parley({"user", "add", "carol@example.org"}).exit_code, 0);
  auto again = parley({"user", "add", "CAROL@example.org"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("Conflict"), std::string::npos) << again.err;
}

TEST_F(Cli, BadInputGetsAClearErrorAndChangesNothing) {
  auto bad = parley({"user", "add", "not-a-sip-uri"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("sipUri"), std::string::npos) << bad.err;
  auto short_pw = parley({"user", "add", "dave@example.org", "--password-stdin"}, "short\n");
  EXPECT_EQ(short_pw.exit_code, 1);
  EXPECT_NE(short_pw.err.find("password"), std::string::npos) << short_pw.err;
  auto list = parley({"--json", "user", "list"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.out.find("dave@example.org"), std::string::npos);
}

TEST_F(Cli, SetPasswordReadsStdin) {
  ASSERT_EQ(parley({"user", "add", "erin@example.org"}).exit_code, 0);
  EXPECT_FALSE(user_json("erin@example.org").at("hasPassword").as_bool());
  auto r = parley({"user", "set-password", "erin@example.org", "--password-stdin"}, "a long enough secret\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(user_json("erin@example.org").at("hasPassword").as_bool());
}

TEST_F(Cli, ImportReportsBadRowsByLineAndIsIdempotent) {
  const auto csv = dir.path() / "users.csv";
  {
    std::ofstream out(csv);
    out << "sipUri,displayName,department,enabled,password\n"
        << "frank@example.org,Frank,Sales,true,frank-password-1\n"
        << "\"grace@example.org\",\"Hopper, Grace\",R&D,yes,\n"
        << "not a sip uri,Nobody,,true,\n"
        << "heidi@example.org,Heidi,,maybe,\n"
        << "ivan@example.org,Ivan,Ops,false,\n";
  }
  auto first = parley({"user", "import", csv.string()});
  EXPECT_EQ(first.exit_code, 1) << "two rows are bad";
  const auto all = first.out + first.err;
  EXPECT_NE(all.find("created 3"), std::string::npos) << all;
  EXPECT_NE(all.find("failed 2"), std::string::npos) << all;
  EXPECT_NE(all.find("line 4"), std::string::npos) << all;
  EXPECT_NE(all.find("line 5"), std::string::npos) << all;
  EXPECT_EQ(user_json("grace@example.org").at("displayName").as_string(), "Hopper, Grace");
  EXPECT_FALSE(user_json("ivan@example.org").at("enabled").as_bool());
  EXPECT_TRUE(user_json("frank@example.org").at("hasPassword").as_bool());
  const auto updated_before = user_json("frank@example.org").at("updated");

  auto second = parley({"user", "import", csv.string()});
  const auto all2 = second.out + second.err;
  EXPECT_NE(all2.find("created 0, updated 0, unchanged 3"), std::string::npos) << all2;
  EXPECT_EQ(user_json("frank@example.org").at("updated"), updated_before);
}

TEST_F(Cli, UnreachableServerIsExitCode3) {
  auto r = run_command({parley_binary(), "--data-dir", server.data_dir().string(), "--server",
                        "https://127.0.0.1:1", "user", "list"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("127.0.0.1:1"), std::string::npos) << r.err;
}

TEST_F(Cli, MissingCredentialIsExplained) {
  TempDir empty;
  auto r = run_command({parley_binary(), "--data-dir", empty.path().string(), "--server",
                        server.internal_https, "user", "list"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("admin.credential"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace parley::e2e
