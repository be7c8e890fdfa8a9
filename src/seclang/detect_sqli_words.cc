// The words @detectSQLi gives a meaning to. Only words that change the shape of an
// injection are here: those that start or join statements, combine conditions, compare,
// stand for a constant, or name a function attackers call (to sleep, read files,
// raise errors that leak data, or probe a value character by character). Any other
// word is a bareword (a column, table or alias name, or plain English).

#include <algorithm>
#include <array>
#include <cstdint>

#include "seclang/detect_sqli_internal.h"

namespace rampart::seclang::sqli {
namespace {

// A known function is a bareword that becomes a call when a '(' follows.
constexpr char kKnownFunction = 'F';

struct Word {
  std::string_view word;
  char type;
};

// Sorted by word (checked at compile time below).
constexpr std::array kWords = std::to_array<Word>({
    {"all", kKeyword},
    {"alter", kStatement},
    {"and", kLogic},
    {"as", kKeyword},
    {"ascii", kKnownFunction},
    {"benchmark", kKnownFunction},
    {"between", kOperator},
    {"bin", kKnownFunction},
    {"by", kKeyword},
    {"call", kTsql},
    {"case", kKeyword},
    {"cast", kKnownFunction},
    {"char", kKnownFunction},
    {"chr", kKnownFunction},
    {"coalesce", kKnownFunction},
    {"collate", kOperator},
    {"concat", kKnownFunction},
    {"concat_ws", kKnownFunction},
    {"conv", kKnownFunction},
    {"convert", kKnownFunction},
    {"count", kKnownFunction},
    {"create", kStatement},
    {"current_user", kKnownFunction},
    {"database", kKnownFunction},
    {"db_name", kKnownFunction},
    {"declare", kTsql},
    {"delete", kStatement},
    {"distinct", kKeyword},
    {"div", kOperator},
    {"drop", kStatement},
    {"dumpfile", kKeyword},
    {"else", kKeyword},
    {"elt", kKnownFunction},
    {"end", kKeyword},
    {"except", kUnion},
    {"exec", kTsql},
    {"execute", kTsql},
    {"exists", kKnownFunction},
    {"extractvalue", kKnownFunction},
    {"false", kNumber},
    {"floor", kKnownFunction},
    {"from", kKeyword},
    {"function", kKeyword},
    {"geometrycollection", kKnownFunction},
    {"glob", kOperator},
    {"grant", kStatement},
    {"group_concat", kKnownFunction},
    {"gtid_subset", kKnownFunction},
    {"having", kClause},
    {"hex", kKnownFunction},
    {"if", kKnownFunction},
    {"ifnull", kKnownFunction},
    {"ilike", kOperator},
    {"in", kOperator},
    {"insert", kStatement},
    {"instr", kKnownFunction},
    {"intersect", kUnion},
    {"into", kKeyword},
    {"is", kOperator},
    {"isnull", kKnownFunction},
    {"join", kKeyword},
    {"json_extract", kKnownFunction},
    {"length", kKnownFunction},
    {"like", kOperator},
    {"limit", kClause},
    {"load_file", kKnownFunction},
    {"lower", kKnownFunction},
    {"make_set", kKnownFunction},
    {"md5", kKnownFunction},
    {"mid", kKnownFunction},
    {"mod", kOperator},
    {"name_const", kKnownFunction},
    {"not", kOperator},
    {"null", kNumber},
    {"nullif", kKnownFunction},
    {"or", kLogic},
    {"ord", kKnownFunction},
    {"outfile", kKeyword},
    {"pg_sleep", kKnownFunction},
    {"polygon", kKnownFunction},
    {"rand", kKnownFunction},
    {"randomblob", kKnownFunction},
    {"regexp", kOperator},
    {"rlike", kOperator},
    {"select", kStatement},
    {"sha1", kKnownFunction},
    {"shutdown", kTsql},
    {"sleep", kKnownFunction},
    {"sounds", kOperator},
    {"sqlite_version", kKnownFunction},
    {"string_agg", kKnownFunction},
    {"substr", kKnownFunction},
    {"substring", kKnownFunction},
    {"sys_eval", kKnownFunction},
    {"system_user", kKnownFunction},
    {"table", kKeyword},
    {"then", kKeyword},
    {"true", kNumber},
    {"truncate", kStatement},
    {"unhex", kKnownFunction},
    {"union", kUnion},
    {"update", kStatement},
    {"updatexml", kKnownFunction},
    {"upper", kKnownFunction},
    {"user", kKnownFunction},
    {"user_name", kKnownFunction},
    {"values", kKeyword},
    {"version", kKnownFunction},
    {"waitfor", kStatement},
    {"when", kKeyword},
    {"where", kKeyword},
    {"while", kTsql},
    {"xor", kLogic},
    {"xp_cmdshell", kKnownFunction},
});

static_assert(std::is_sorted(kWords.begin(), kWords.end(),
                             [](const Word& a, const Word& b) { return a.word < b.word; }));

// Every word in the table starts with a lower-case letter; the words of one letter
// are contiguous, so a lookup only compares against those (most input words then
// cost a length check or two).
struct Range {
  uint8_t begin = 0;
  uint8_t end = 0;
};

constexpr std::array<Range, 26> kByLetter = [] {
  std::array<Range, 26> r{};
  for (size_t i = 0; i < kWords.size(); ++i) {
    const size_t letter = static_cast<size_t>(kWords[i].word[0] - 'a');
    if (r[letter].end == 0) r[letter].begin = static_cast<uint8_t>(i);
    r[letter].end = static_cast<uint8_t>(i + 1);
  }
  return r;
}();
static_assert(kWords.size() < 256);

constexpr size_t kLongestWord = 18;  // "geometrycollection"
static_assert([] {
  for (const Word& w : kWords) {
    if (w.word.size() > kLongestWord || w.word[0] < 'a' || w.word[0] > 'z') return false;
  }
  return true;
}());

}  // namespace

char classify_word(std::string_view word, bool& known_function) {
  known_function = false;
  if (word.empty() || word.size() > kLongestWord) return kBareword;
  char first = word[0];
  if (first >= 'A' && first <= 'Z') first = static_cast<char>(first - 'A' + 'a');
  if (first < 'a' || first > 'z') return kBareword;
  const Range range = kByLetter[static_cast<size_t>(first - 'a')];
  for (size_t i = range.begin; i < range.end; ++i) {
    const Word& w = kWords[i];
    if (w.word.size() != word.size() || !word_is(word, w.word)) continue;
    if (w.type == kKnownFunction) {
      known_function = true;
      return kBareword;
    }
    return w.type;
  }
  return kBareword;
}

}  // namespace rampart::seclang::sqli
