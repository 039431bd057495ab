// A stand-in for libFuzzer's driver when the compiler has none (GCC builds): runs the fuzz target
// on every file of the given corpus files and directories, then on `--mutations N` inputs made
// from them by small deterministic mutations (bit flips, byte changes, truncation, duplication,
// splicing; `--seed S`). It finds no new paths (no coverage guidance): it replays the corpus
// under the preset's sanitizers and shakes it a little, so that CI catches a regression on the
// inputs that once mattered. Exit status 0, or the crash of the target itself.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

std::string mutate(std::string input, const std::vector<std::string>& corpus, std::mt19937_64& rng) {
  const auto pick = [&](std::size_t n) { return n == 0 ? std::size_t{0} : std::size_t(rng() % n); };
  switch (rng() % 6) {
    case 0:  // flip one bit
      if (!input.empty()) {
        auto& byte = input[pick(input.size())];
        byte = static_cast<char>(static_cast<unsigned char>(byte) ^ (1u << (rng() % 8)));
      }
      break;
    case 1:  // set a byte to an interesting value
      if (!input.empty()) {
        static constexpr unsigned char kValues[] = {0x00, 0x01, 0x7f, 0x80, 0xff, '"', '{', '}', ':', ',', '\n', '\\'};
        input[pick(input.size())] = static_cast<char>(kValues[pick(sizeof kValues)]);
      }
      break;
    case 2:  // truncate
      input.resize(pick(input.size() + 1));
      break;
    case 3: {  // duplicate a slice in place
      if (input.empty()) break;
      const auto from = pick(input.size());
      const auto length = 1 + pick(std::min<std::size_t>(64, input.size() - from));
      input.insert(from, input.substr(from, length));
      break;
    }
    case 4: {  // splice with another corpus entry
      const auto& other = corpus[pick(corpus.size())];
      input = input.substr(0, pick(input.size() + 1)) + other.substr(pick(other.size() + 1));
      break;
    }
    default:  // erase a slice
      if (!input.empty()) {
        const auto from = pick(input.size());
        input.erase(from, 1 + pick(input.size() - from));
      }
  }
  return input;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  long mutations = 0;
  std::uint64_t seed = 1;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mutations" && i + 1 < argc) {
      mutations = std::strtol(argv[++i], nullptr, 10);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else if (std::filesystem::is_regular_file(arg)) {
      files.emplace_back(arg);
    } else {
      std::fprintf(stderr, "replay: no such corpus file or directory: %s\n", arg.c_str());
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> corpus;
  corpus.reserve(files.size());
  for (const auto& f : files) corpus.push_back(read_file(f));
  if (corpus.empty()) corpus.emplace_back();
  for (const auto& input : corpus) run(input);
  std::mt19937_64 rng(seed);
  for (long i = 0; i < mutations; ++i) {
    auto input = corpus[rng() % corpus.size()];
    const auto rounds = 1 + rng() % 4;
    for (std::uint64_t r = 0; r < rounds; ++r) input = mutate(std::move(input), corpus, rng);
    run(input);
  }
  std::printf("replay: %zu corpus inputs and %ld mutations ran\n", files.size(), mutations);
  return 0;
}
