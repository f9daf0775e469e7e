// Runs a libFuzzer-style target without libFuzzer, so that every parser's fuzz target also runs
// in the ordinary g++ build and in ctest: first each seed file as it is, then a bounded number of
// deterministic mutations of the seeds (bit flips, byte changes, insertions, deletions,
// splices). Real coverage-guided fuzzing uses the same targets with clang (tests/fuzz/run).
//
//   fuzz_<name> <corpus dir> [mutations]
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

std::string mutate(std::string s, const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
  static const char* const kTokens[] = {"%", "%00", "%2e%2e", "/", "//", "\"", "\\", "{", "}",
                                         "[", "]", ",", "=", "\n", "\r\n", "\xff", "\xc3",
                                         "\xed\xa0\x80", "\0", "9999999999999999999999", "-1",
                                         "true", "null", "@"};
  const int steps = 1 + static_cast<int>(pick(4));
  for (int i = 0; i < steps; ++i) {
    switch (pick(6)) {
      case 0:
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
        break;
      case 1:
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(rng());
        break;
      case 2: {
        const std::string tok = kTokens[pick(std::size(kTokens))];
        s.insert(pick(s.size() + 1), tok);
        break;
      }
      case 3:
        if (!s.empty()) {
          const auto at = pick(s.size());
          s.erase(at, 1 + pick(std::min<std::size_t>(8, s.size() - at)));
        }
        break;
      case 4: {
        const auto& other = seeds[pick(seeds.size())];
        if (!other.empty()) {
          const auto from = pick(other.size());
          s.insert(pick(s.size() + 1), other.substr(from, 1 + pick(other.size() - from)));
        }
        break;
      }
      case 5:
        if (!s.empty()) {
          const auto at = pick(s.size());
          s.insert(at, s.substr(at, 1 + pick(std::min<std::size_t>(64, s.size() - at))));
        }
        break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " CORPUS_DIR [MUTATIONS]\n";
    return 2;
  }
  const std::size_t mutations = argc > 2 ? std::stoul(argv[2]) : 20000;
  std::vector<std::string> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
    std::ifstream in(entry.path(), std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (seeds.empty()) {
    std::cerr << "no seeds in " << argv[1] << "\n";
    return 2;
  }
  for (const auto& s : seeds) run(s);
  std::mt19937_64 rng(0x5eed);
  for (std::size_t i = 0; i < mutations; ++i) run(mutate(seeds[i % seeds.size()], seeds, rng));
  std::cout << seeds.size() << " seeds and " << mutations << " mutations ran without a crash\n";
  return 0;
}
