// Command-line arguments of one subcommand: `--name value`, `--flag`, `-t N`, and positionals.
// Each subcommand declares what it reads; anything left unread is an error naming the option, so a
// typo never silently falls back to a default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace seek::cli {

class Args {
 public:
  Args(std::vector<std::string> argv);  // argv after the subcommand name

  // Options take the next argument as value ("--top-p 0.9") or "--top-p=0.9".
  std::optional<std::string> get(const std::string& name);
  std::string get_or(const std::string& name, const std::string& fallback);
  int64_t get_int(const std::string& name, int64_t fallback);
  double get_double(const std::string& name, double fallback);
  std::vector<std::string> get_all(const std::string& name);  // repeatable options
  bool flag(const std::string& name);                         // present or not, no value
  std::vector<std::string> positionals();                     // everything not starting with '-'

  // Throws seek::Error naming the first argument no getter consumed.
  void finish() const;

 private:
  std::vector<std::string> argv_;
  std::vector<bool> used_;
};

}  // namespace seek::cli
